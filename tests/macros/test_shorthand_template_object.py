"""Template shorthand (pure): the Cloud API template object."""

import json

from macros import shorthand
from macros.shorthand import Shorthand
from tests.macros.shorthand_helpers import ZENDESK, block

# --------------------------------------------------------------------------------------------------------------------
# to_template_object
# --------------------------------------------------------------------------------------------------------------------


def test_template_object_body_only():
    s = shorthand.parse(
        block(
            "namespace=[[ns]]",
            "template=[[ticket_update]]",
            "language=[[pt_BR]]",
            "body_text=[[Ana]]",
            "body_text=[[#4521]]",
        )
    )
    assert shorthand.to_template_object(s) == {
        "name": "ticket_update",
        "language": {"code": "pt_BR"},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Ana"}, {"type": "text", "text": "#4521"}]},
        ],
    }


def test_template_object_header_image_and_body():
    s = shorthand.parse(
        block(
            "template=[[ticket_update]]",
            "language=[[en-US]]",
            "header_image=[[https://cdn.example.com/logo.png]]",
            "body_text=[[Ana]]",
        )
    )
    assert shorthand.to_template_object(s) == {
        "name": "ticket_update",
        "language": {"code": "en_US"},
        "components": [
            {
                "type": "header",
                "parameters": [{"type": "image", "image": {"link": "https://cdn.example.com/logo.png"}}],
            },
            {"type": "body", "parameters": [{"type": "text", "text": "Ana"}]},
        ],
    }


def test_template_object_header_document():
    s = Shorthand(template="invoice", language="en", header_document="https://files.example.com/a/b/inv%2042.pdf?v=2#p")
    assert shorthand.to_template_object(s) == {
        "name": "invoice",
        "language": {"code": "en"},
        "components": [
            {
                "type": "header",
                "parameters": [
                    {
                        "type": "document",
                        "document": {
                            "link": "https://files.example.com/a/b/inv%2042.pdf?v=2#p",
                            "filename": "inv 42.pdf",
                        },
                    }
                ],
            }
        ],
    }


def test_template_object_header_document_without_a_file_name_has_no_filename():
    s = Shorthand(template="invoice", language="en", header_document="https://files.example.com/")
    header = shorthand.to_template_object(s)["components"][0]
    assert header["parameters"][0]["document"] == {"link": "https://files.example.com/"}


def test_template_object_url_button():
    s = Shorthand(template="track", language="en", body_text=("Ana",), button_index=1, button_url="4521")
    assert shorthand.to_template_object(s) == {
        "name": "track",
        "language": {"code": "en"},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "Ana"}]},
            {"type": "button", "sub_type": "url", "index": "1", "parameters": [{"type": "text", "text": "4521"}]},
        ],
    }


def test_template_object_everything_in_order():
    s = shorthand.parse(
        block(
            "button_url=[[abc]]",
            "button_index=[[0]]",
            "body_text=[[x]]",
            "header_document=[[https://a.example/d.pdf]]",
            "language=[[en]]",
            "template=[[t]]",
        )
    )
    assert [c["type"] for c in shorthand.to_template_object(s)["components"]] == ["header", "body", "button"]


def test_template_object_with_nothing_to_fill_has_empty_components():
    s = shorthand.parse("&((namespace=[[ns]] template=[[hello_world]] fallback=[[Hello]] language=[[en_US]]))&")
    assert shorthand.to_template_object(s) == {"name": "hello_world", "language": {"code": "en_US"}, "components": []}


def test_template_object_has_no_namespace_nor_fallback():
    obj = shorthand.to_template_object(shorthand.parse(ZENDESK))
    dumped = json.dumps(obj)
    assert "namespace" not in dumped
    assert "c8ae5f90" not in dumped
    assert "Your order has shipped" not in dumped


def test_template_object_normalises_body_parameters():
    s = shorthand.parse(
        block(
            "template=[[t]]",
            "language=[[en]]",
            "body_text=[[line one\nline two]]",
            "body_text=[[col\tcol]]",
            "body_text=[[a      b]]",
            "body_text=[[]]",
            "body_text=[[   ]]",
            "body_text=[[  Ana  ]]",
            "body_text=[[a    b]]",
        )
    )
    assert s.body_text[0] == "line one\nline two"  # parse keeps what was typed
    texts = [p["text"] for p in shorthand.to_template_object(s)["components"][0]["parameters"]]
    assert texts == ["line one line two", "col col", "a b", "-", "-", "Ana", "a    b"]


def test_template_object_is_json_serialisable_and_fresh():
    s = shorthand.parse(ZENDESK)
    first = shorthand.to_template_object(s)
    first["components"].clear()
    assert shorthand.to_template_object(s)["components"]
    assert json.loads(json.dumps(shorthand.to_template_object(s))) == shorthand.to_template_object(s)
