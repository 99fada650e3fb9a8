"""Every word a page or a page script shows goes through translation: no English text outside {% translate %} /
{% blocktranslate %} in templates/, no English string literal outside gettext() and friends in static/js/. And the
error pages are the product's own, in the agent's language."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template.loader import render_to_string

ROOT = Path(settings.BASE_DIR)
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
SCRIPTS = sorted((ROOT / "static/js").glob("*.js"))

# Words that are the same in every language: product names, abbreviations, sample values.
UNTRANSLATED = {"SupportDesk", "WhatsApp", "BSUID", "API", "S", "Ana"}
USER_FACING_ATTRIBUTES = r"title|aria-label|placeholder|alt|data-text-[\w-]+"


def template_leftovers(source: str) -> list[str]:
    """The English a template would show without translation: text nodes and user-facing attributes."""
    source = re.sub(r"{% comment %}.*?{% endcomment %}", "", source, flags=re.S)
    source = re.sub(r"{% blocktranslate.*?{% endblocktranslate %}", "", source, flags=re.S)
    source = re.sub(r"<(style|script|svg|code)\b.*?</\1>", "", source, flags=re.S)
    source = re.sub(r"{% block (main_class|body_attrs) %}.*?{% endblock %}", "", source)  # markup, not words
    found = []
    for match in re.finditer(rf'\b(?:{USER_FACING_ATTRIBUTES})="([^"]*)"', source):
        found.append(match.group(1))
    text = re.sub(r"<[^>]*>", "\n", source)
    found += text.splitlines()
    leftovers = []
    for chunk in found:
        words = re.sub(r"{%.*?%}|{{.*?}}|&\w+;|&#\d+;", " ", chunk, flags=re.S)
        words = [w for w in re.findall(r"[A-Za-z][A-Za-z'-]+", words) if w not in UNTRANSLATED]
        if words:
            leftovers.append(chunk.strip())
    return leftovers


GETTEXT_CALL = re.compile(r'\b(?:gettext|ngettext|pgettext|npgettext)\(\s*(?:"(?:[^"\\]|\\.)*"\s*,?\s*)+', re.S)
STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')


def script_leftovers(source: str) -> list[str]:
    """String literals that read as English words (a capital, a space, more words) outside gettext() calls."""
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    source = re.sub(r"^\s*//.*$|\s//\s.*$", "", source, flags=re.M)
    source = GETTEXT_CALL.sub("gettext(", source)
    return [s for s in STRING.findall(source) if re.match(r"^\s*[A-Z][a-z]+ [a-z]+", s)]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_templates_show_no_untranslated_text(path):
    assert template_leftovers(path.read_text()) == []


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_page_scripts_show_no_untranslated_text(path):
    assert script_leftovers(path.read_text()) == []


def test_the_checks_find_what_they_look_for():
    assert template_leftovers('<p title="Close it">Hello there</p>') == ["Close it", "Hello there"]
    assert template_leftovers('<p title="{% translate \'Close it\' %}">{% translate "Hello" %} SupportDesk</p>') == []
    assert script_leftovers('el("p", "hint", "Loading the list")') == ["Loading the list"]
    assert script_leftovers('el("p", "hint", gettext("Loading the list"))') == []


def test_every_page_loads_the_catalogue_before_its_scripts():
    """The scripts call gettext() while they load: every page that runs them extends base.html, which loads it."""
    base = (ROOT / "templates/base.html").read_text()
    assert base.index("javascript-catalog") < base.index("<script src=\"{% static 'js/")
    for path in TEMPLATES:
        source = path.read_text()
        if "js/" in source and "<script" in source and path.name != "base.html":
            top = path
            while "{% extends" not in top.read_text():
                including = [t for t in TEMPLATES if f'"{top.relative_to(ROOT / "templates")}"' in t.read_text()]
                assert including, f"{path} runs scripts but no page includes it"
                top = including[0]
            assert '{% extends "base.html" %}' in top.read_text(), top


@pytest.mark.django_db
def test_the_404_page_is_ours_and_in_the_agents_language(agent_client):
    response = agent_client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 404
    assert "This page does not exist" in html
    assert 'class="topbar"' in html and '<html lang="en" ' in html


def test_the_500_page_renders_without_a_request():
    html = render_to_string("500.html")
    assert "Something went wrong on our side" in html
    assert "<html lang=" in html
