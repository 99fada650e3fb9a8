"""The SSRF guard: a webhook may only reach public addresses.

The endpoint's host is resolved and every address it resolves to is checked; loopback, private, link-local
(169.254.169.254, the cloud metadata address, among them), multicast, reserved, unspecified and other non-global
addresses are refused, in IPv4 and IPv6 (IPv4-mapped IPv6 addresses are checked as the IPv4 address they carry).
The request is then made to the address that was checked (`PinnedTarget`), so a second DNS answer cannot swap in
another one, and redirects are never followed. `settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES` turns the check off
(for an intranet endpoint, or a test server on 127.0.0.1).
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(Exception):
    """The endpoint resolves to an address a webhook may not reach."""


class HostUnresolved(Exception):
    """The endpoint's host does not resolve (now: DNS may answer later)."""


@dataclass(frozen=True)
class PinnedTarget:
    host: str  # as written in the endpoint (for the Host header and TLS)
    address: str  # the checked address the request goes to


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def refusal(address: IPAddress) -> str | None:
    """Why `address` may not be reached (None: it may)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    for flag, reason in (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_private", "a private address"),
        ("is_reserved", "a reserved address"),
    ):
        if getattr(address, flag):
            return reason
    if not address.is_global:
        return "not a public address"
    return None


def private_allowed() -> bool:
    return bool(getattr(settings, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False))


def literal_refusal(endpoint: str) -> str | None:
    """At save time, without DNS: an endpoint written as a refused address or as localhost is refused at once."""
    if private_allowed():
        return None
    host = (urlsplit(endpoint).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return f"{host} is a loopback address"
    literal = _literal(host)
    if literal is not None and (reason := refusal(literal)):
        return f"{literal} is {reason}"
    return None


def resolve(host: str, port: int) -> PinnedTarget:
    """The address to send to, after checking every address `host` resolves to. Raises AddressRefused or
    HostUnresolved."""
    literal = _literal(host)
    if literal is not None:
        addresses = [literal]
    else:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as error:
            raise HostUnresolved(f"{host} does not resolve ({error})") from None
        addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos))
        if not addresses:
            raise HostUnresolved(f"{host} does not resolve")
    if not private_allowed():
        for address in addresses:
            if reason := refusal(address):
                raise AddressRefused(f"{host} resolves to {address}, {reason}")
    return PinnedTarget(host=host, address=str(addresses[0]))
