"""One countdown wording for the ticket header and the composer (static/js/composer-util.js `formatLeft`)."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from tickets.templatetags.ticket_tags import time_left


@pytest.mark.parametrize(
    "seconds,text",
    [
        (30, "less than a minute"),
        (59, "less than a minute"),
        (61, "1 min"),
        (45 * 60 + 5, "45 min"),
        (3 * 3600 + 5, "3 h"),
        (3 * 3600 + 12 * 60 + 5, "3 h 12 min"),
    ],
)
def test_time_left_matches_the_composer_wording(seconds, text):
    assert time_left(timezone.now() + timedelta(seconds=seconds)) == text


def test_time_left_without_a_time_is_empty():
    assert time_left(None) == ""


def test_the_composer_script_uses_the_same_words():
    """The same msgids on both sides, so one translation serves the header (django) and the composer (djangojs)."""
    script = (Path(settings.BASE_DIR) / "static/js/composer-util.js").read_text()
    filters = (Path(settings.BASE_DIR) / "tickets/templatetags/ticket_tags.py").read_text()
    for msgid in ("less than a minute", "%(minutes)s min", "%(hours)s h", "%(hours)s h %(minutes)s min"):
        assert f'gettext("{msgid}")' in script, msgid
        assert f'_("{msgid}")' in filters, msgid


def test_header_chip_says_closes_in_with_the_composer_wording():
    from django.template.loader import render_to_string

    window = {"open": True, "expires_at": timezone.now() + timedelta(seconds=40), "left": "1m"}
    html = render_to_string("partials/window_chip.html", {"window": window})
    assert "closes in less than a minute" in html
    assert "from now" not in html
