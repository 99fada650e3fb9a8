"""A webhook action's body: placeholders filled in so the result stays valid in the webhook's format. Pure.

JSON bodies (and the JSON list of parameters of GET, DELETE and form-encoded webhooks) get each value escaped as
the inside of a JSON string, so a customer called `Ann "the" \\ Admin` cannot break the document or add keys; XML
bodies get each value XML-escaped. The placeholders are those of `macros.placeholders`, filled by substitution.
"""

import json
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from django.utils.translation import gettext as _

from macros import placeholders

JSON, XML = "json", "xml"


class BodyInvalid(ValueError):
    pass


def _json_inside(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)[1:-1]


def _xml(value: str) -> str:
    return xml_escape(value, {'"': "&quot;", "'": "&apos;"})


def render(body: str, values: Mapping[str, str], *, escape_as: str) -> str:
    """`body` with its placeholders filled in, each value escaped for `escape_as` ("json" or "xml")."""
    escape = _xml if escape_as == XML else _json_inside
    escaped = {name: escape("" if value is None else str(value)) for name, value in values.items()}
    return placeholders.render(body, escaped)


def parameters(body: str) -> list[tuple[str, str]]:
    """Zendesk's URL parameters: a JSON list of [name, value] pairs (an empty body: none). Raises BodyInvalid."""
    if not body.strip():
        return []
    try:
        data: Any = json.loads(body)
    except ValueError:
        raise BodyInvalid(_('the body is not a JSON list of ["name", "value"] pairs.')) from None
    if not isinstance(data, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(item, str) for item in pair) for pair in data
    ):
        raise BodyInvalid(_('the body is not a JSON list of ["name", "value"] pairs.'))
    return [(name, value) for name, value in data]


def check(body: str, *, request_format: str, sends_parameters: bool) -> None:
    """At save time: a parameter list must parse; a JSON body must be JSON once placeholders are filled with a
    harmless value (they usually sit inside strings). XML is not parsed: Zendesk does not either."""
    if sends_parameters:
        parameters(render(body, _sample(body), escape_as=JSON))
    elif request_format == JSON and body.strip():
        try:
            json.loads(render(body, _sample(body), escape_as=JSON))
        except ValueError as error:
            raise BodyInvalid(_("the body is not JSON (%(problem)s).") % {"problem": error}) from None


def _sample(body: str) -> dict[str, str]:
    return dict.fromkeys(placeholders.found(body), "1")
