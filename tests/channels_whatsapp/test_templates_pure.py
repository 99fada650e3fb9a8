"""The template registry: pure helpers."""

import pytest

from channels_whatsapp import message_templates
from channels_whatsapp.models import MessageTemplate
from tests.channels_whatsapp.template_helpers import HELLO, ORDER_RECEIPT, Status

# --- Pure helpers -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("en-US", "en_US"),
        ("en_US", "en_US"),
        ("en_us", "en_US"),
        (" pt-br ", "pt_BR"),
        ("en", "en"),
        ("EN", "en"),
        ("prs_AF", "prs_AF"),
        ("zh-Hant", "zh_Hant"),
        ("", ""),
    ],
)
def test_normalize_language(code, expected):
    assert message_templates.normalize_language(code) == expected


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("Hello World", 0),
        ("Hi {{1}}", 1),
        ("Hi {{1}}, order {{2}}, again {{1}}", 2),
        ("{{3}} only", 3),
        ("Hi {{ 2 }} and {{1}}", 2),
        ("named {{first_name}}", 0),
        ("", 0),
    ],
)
def test_body_parameter_count_is_the_highest_placeholder(text, count):
    assert message_templates.body_parameter_count(text) == count


def test_render_body_substitutes_explicitly():
    body = "Hi {{1}}, your order {{2}} has shipped. {{1}}!"
    assert message_templates.render_body(body, ["Ana", "A-1"]) == "Hi Ana, your order A-1 has shipped. Ana!"
    assert message_templates.render_body(body, ["Ana"]) == "Hi Ana, your order {{2}} has shipped. Ana!"  # missing stays
    assert message_templates.render_body("{{1}} {{2}}", ["{{2}}", "x"]) == "{{2}} x"  # a value is never filled again
    assert message_templates.render_body("{{1}}", ["{% debug %} {{ settings.SECRET_KEY }}"]) == (
        "{% debug %} {{ settings.SECRET_KEY }}"
    )
    assert message_templates.render_body("Hello World", ("unused",)) == "Hello World"
    assert message_templates.render_body("{{0}} {{ 1 }}", ["a"]) == "{{0}} a"


def test_template_fields_summarize_meta_listing_entries():
    fields = message_templates.template_fields(ORDER_RECEIPT)
    assert fields["body"] == "Hi {{1}}, here is the receipt for order {{2}}. Total {{3}}."
    assert fields["body_parameter_count"] == 3
    assert fields["header_format"] == "DOCUMENT"
    assert fields["buttons"] == [
        {"index": 0, "type": "URL", "has_url_parameter": True},
        {"index": 1, "type": "QUICK_REPLY", "has_url_parameter": False},
        {"index": 2, "type": "URL", "has_url_parameter": False},
    ]
    assert fields["external_id"] == "1002"
    assert message_templates.template_fields({**HELLO, "language": "en-US"})["language"] == "en_US"
    assert message_templates.template_fields(HELLO)["status"] == Status.UNKNOWN
    assert message_templates.template_fields({"name": "x"}) is None
    named = {
        "name": "named",
        "language": "en",
        "parameter_format": "NAMED",
        "components": [{"type": "BODY", "text": "Hi {{first_name}}, order {{order_id}} ({{first_name}})"}],
    }
    assert message_templates.template_fields(named)["body_parameter_count"] == 2


def test_only_approved_is_sendable():
    assert MessageTemplate(status=Status.APPROVED).is_sendable
    for status in Status.values:
        if status != Status.APPROVED:
            assert not MessageTemplate(status=status).is_sendable
