"""The 403 page, the favicon everywhere, and refused pages logged without a traceback."""

import logging

import pytest

pytestmark = pytest.mark.django_db


def test_rules_page_refuses_an_agent_with_the_sites_403_page(agent_client):
    response = agent_client.get("/rules/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "You don&#x27;t have access to this page" in html or "You don't have access to this page" in html
    assert "Only admins may manage business rules." in html
    assert 'class="topbar"' in html  # the page extends base.html: the agent keeps the navigation
    assert "favicon.svg" in html


def test_a_refused_page_logs_one_line_without_a_traceback(agent_client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        agent_client.get("/rules/")
    forbidden = [r for r in caplog.records if r.name == "django.request" and r.levelno >= logging.WARNING]
    assert forbidden, "the refusal is still logged"
    assert all(r.exc_info is None for r in forbidden)
    assert "Traceback" not in caplog.text


def test_admin_pages_name_the_favicon(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert '<link rel="icon"' in html and "favicon.svg" in html


def test_favicon_ico_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith(".svg")


def test_admin_index_names_the_whatsapp_models_properly(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "WhatsApp conversations" in html
    assert "WhatsApp message templates" in html
    assert "Whats app" not in html
