"""The SSRF guard: loopback, private, link-local, multicast and reserved addresses are refused (IPv4 and IPv6,
literal or behind a host name), when a webhook is saved and again when it is sent, unless the setting allows them."""

import ipaddress
import socket

import pytest

from automations.webhooks import delivery, guard, services
from automations.webhooks.models import InvocationState, WebhookInvocation
from tickets.errors import DomainError

pytestmark = pytest.mark.django_db

REFUSED = [
    "127.0.0.1",
    "127.8.9.10",
    "10.0.0.5",
    "172.16.3.4",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.251",
    "240.0.0.1",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "::ffff:10.0.0.1",
]


@pytest.mark.parametrize("address", REFUSED)
def test_non_public_addresses_are_refused(address):
    assert guard.refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111"])
def test_public_addresses_pass(address):
    assert guard.refusal(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://127.0.0.1/hook",
        "http://10.1.2.3:8080/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:9000/hook",
        "https://localhost/hook",
        "http://[::ffff:127.0.0.1]/hook",
    ],
)
def test_an_endpoint_written_as_a_refused_address_is_not_saved(admin_user, endpoint):
    with pytest.raises(DomainError) as caught:
        services.webhook_create(actor=admin_user, name="Bad", endpoint=endpoint)
    assert "endpoint" in caught.value.errors


def fake_dns(monkeypatch, answers: dict[str, list[str]]):
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [
                (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in answers[host]
            ]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_host_name_resolving_to_loopback_is_refused_at_send_time(admin_user, monkeypatch):
    fake_dns(monkeypatch, {"hooks.example.com": ["127.0.0.1"]})
    webhook = services.webhook_create(actor=admin_user, name="Sneaky", endpoint="https://hooks.example.com/x")
    invocation = WebhookInvocation.objects.create(webhook=webhook, source="trigger", body="{}")
    assert delivery.invocation_send(invocation_id=invocation.pk) == InvocationState.FAILED
    attempt = invocation.attempts.get()  # refused: not retried
    assert attempt.status_code is None
    assert "127.0.0.1" in attempt.error and "loopback" in attempt.error


def test_one_private_answer_among_public_ones_is_enough_to_refuse(monkeypatch):
    fake_dns(monkeypatch, {"mixed.example.com": ["93.184.216.34", "10.0.0.7"]})
    with pytest.raises(guard.AddressRefused, match=r"10\.0\.0\.7"):
        guard.resolve("mixed.example.com", 443)


def test_an_ipv6_name_resolving_to_loopback_is_refused(monkeypatch):
    fake_dns(monkeypatch, {"six.example.com": ["::1"]})
    with pytest.raises(guard.AddressRefused, match="loopback"):
        guard.resolve("six.example.com", 443)


def test_the_request_goes_to_the_address_that_was_checked(monkeypatch):
    fake_dns(monkeypatch, {"pinned.example.com": ["93.184.216.34"]})
    assert guard.resolve("pinned.example.com", 443) == guard.PinnedTarget("pinned.example.com", "93.184.216.34")


def test_the_setting_lets_private_addresses_through(settings, admin_user, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    fake_dns(monkeypatch, {"intranet.example.com": ["10.0.0.7"]})
    assert guard.resolve("intranet.example.com", 80).address == "10.0.0.7"
    services.webhook_create(actor=admin_user, name="Intranet", endpoint="http://10.0.0.7/hook")


def test_the_guard_is_on_by_default():
    from django.conf import settings

    assert settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES is False


def test_a_host_that_does_not_resolve_is_retried_not_refused(admin_user, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    settings.WEBHOOK_RETRY_BASE_SECONDS = 0
    webhook = services.webhook_create(actor=admin_user, name="Typo", endpoint="https://no-such-host.invalid/x")
    invocation = WebhookInvocation.objects.create(webhook=webhook, source="trigger", body="{}")
    assert delivery.invocation_send(invocation_id=invocation.pk) == InvocationState.FAILED
    errors = list(invocation.attempts.values_list("error", flat=True))
    assert len(errors) == 2 and all("does not resolve" in error for error in errors)
