"""Shared samples and helpers of the template shorthand tests."""

import pytest

from macros import shorthand
from macros.shorthand import ShorthandError

ZENDESK = (
    "&((namespace=[[c8ae5f90_307a_ca4c_b8f6_d1e2a2573574]] template=[[order_update]] "
    "fallback=[[Your order has shipped]] language=[[en_US]] body_text=[[Ana]] body_text=[[#4521]]))&"
)


MINIMAL = "&((template=[[hello_world]] language=[[en_US]]))&"


def block(*fields: str, sep: str = " ") -> str:
    return "&((" + sep.join(fields) + "))&"


def error_of(text: str) -> ShorthandError:
    with pytest.raises(ShorthandError) as info:
        shorthand.parse(text)
    return info.value
