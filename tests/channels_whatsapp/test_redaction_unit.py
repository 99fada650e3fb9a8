"""Credit-card redaction (pure): which numbers are masked, how, and what is left alone."""

import pytest

from tickets.redaction import MASK, is_card_number, luhn_valid, redact

CARDS = {
    "visa16": "4111111111111111",
    "visa16b": "4012888888881881",
    "visa13": "4222222222222",
    "mastercard": "5555555555554444",
    "mastercard_2series": "2223003122003222",
    "amex": "378282246310005",
    "amex_b": "371449635398431",
    "discover": "6011111111111117",
    "jcb": "3530111333300000",
    "diners14": "30569309025904",
}


def grouped(digits: str, sep: str) -> str:
    """4-4-4-4 grouping (the last group takes what is left)."""
    return sep.join(digits[i : i + 4] for i in range(0, len(digits), 4))


def expected_mask(text: str) -> str:
    """First 6 and last 4 digits kept, the digits between masked, separators kept."""
    positions = [i for i, c in enumerate(text) if c.isdigit()]
    hidden = set(positions[6:-4])
    return "".join(MASK if i in hidden else c for i, c in enumerate(text))


FORMS = [
    pytest.param(number if sep is None else grouped(number, sep), id=f"{name}-{form}")
    for name, number in CARDS.items()
    for form, sep in (("plain", None), ("spaced", " "), ("dashed", "-"))
]


@pytest.mark.parametrize("number", CARDS.values(), ids=CARDS.keys())
def test_table_numbers_are_valid_cards(number):
    assert luhn_valid(number)
    assert is_card_number(number)


@pytest.mark.parametrize("card", FORMS)
def test_card_alone_is_masked_keeping_first_six_and_last_four(card):
    masked, count = redact(card)
    assert count == 1
    assert masked == expected_mask(card)
    assert len(masked) == len(card)
    digits = [c for c in masked if c.isdigit()]
    card_digits = [c for c in card if c.isdigit()]
    assert digits == card_digits[:6] + card_digits[-4:]
    assert masked.count(MASK) == len(card_digits) - 10


@pytest.mark.parametrize("card", FORMS)
def test_card_inside_a_sentence_is_masked(card):
    text = f"Olá! Meu cartão é {card}, pode cobrar?"
    masked, count = redact(text)
    assert count == 1
    assert masked == f"Olá! Meu cartão é {expected_mask(card)}, pode cobrar?"


def test_exact_masks():
    assert redact("4111111111111111") == ("411111" + MASK * 6 + "1111", 1)
    assert redact("4111 1111 1111 1111") == (f"4111 11{MASK * 2} {MASK * 4} 1111", 1)
    assert redact("4111-1111-1111-1111") == (f"4111-11{MASK * 2}-{MASK * 4}-1111", 1)
    assert redact("378282246310005") == ("378282" + MASK * 5 + "0005", 1)


def test_two_cards_in_one_message():
    masked, count = redact("old 4111111111111111 new 5555 5555 5555 4444.")
    assert count == 2
    assert masked == f"old 411111{MASK * 6}1111 new 5555 55{MASK * 2} {MASK * 4} 4444."


def test_two_cards_separated_by_one_space():
    masked, count = redact("4111111111111111 5555555555554444")
    assert count == 2
    assert masked == f"411111{MASK * 6}1111 555555{MASK * 6}4444"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("card 4111111111111111 123", f"card 411111{MASK * 6}1111 123"),
        ("4111 1111 1111 1111 123", f"4111 11{MASK * 2} {MASK * 4} 1111 123"),
        ("4111 1111 1111 1111 12/30", f"4111 11{MASK * 2} {MASK * 4} 1111 12/30"),
        ("qty 2 4111111111111111", f"qty 2 411111{MASK * 6}1111"),
        ("cvv 123 4111-1111-1111-1111", f"cvv 123 4111-11{MASK * 2}-{MASK * 4}-1111"),
    ],
    ids=["cvv-after", "cvv-after-spaced", "expiry-after-spaced", "number-before", "cvv-before-dashed"],
)
def test_card_next_to_other_short_numbers_is_still_masked(text, expected):
    assert redact(text) == (expected, 1)


NEAR_MISSES = [
    pytest.param("+378282246310005", id="plus-prefix-15-digits-is-a-phone"),
    pytest.param("Call me at +49 151 23456789 please", id="plus-prefix-in-text"),
    pytest.param("+55 11 99999-0000", id="phone-br-formatted"),
    pytest.param("my number is +55 11 99999-0000", id="phone-in-text"),
    pytest.param("5511999990000", id="wa-id"),
    pytest.param("ORDER-1234567890123456", id="order-number"),
    pytest.param("4111111111111112", id="fails-luhn"),
    pytest.param("4111 1111 1111 1112", id="fails-luhn-spaced"),
    pytest.param("https://shop.example.com/pay?order=4111111111111112&x=1", id="url-without-a-card"),
    pytest.param("41111111111", id="11-digits"),
    pytest.param("1234567890123456", id="no-issuer"),
    pytest.param("41111111111111111111", id="20-digits-glued"),
    pytest.param("invoice 2025-10-09 total 1234", id="dates"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_near_misses_are_kept(text):
    assert redact(text) == (text, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+4111111111111111", f"+411111{MASK * 6}1111"),  # 16 digits: no phone number is that long (E.164)
        ("Call me at +4111111111111111 please", f"Call me at +411111{MASK * 6}1111 please"),
        ("order ORDER-4111111111111111 shipped", f"order ORDER-411111{MASK * 6}1111 shipped"),
        (
            "https://shop.example.com/pay?card=4111111111111111&x=1",
            f"https://shop.example.com/pay?card=411111{MASK * 6}1111&x=1",
        ),
        ("see www.example.com/c/4111111111111111 now", f"see www.example.com/c/411111{MASK * 6}1111 now"),
    ],
    ids=["plus-16-digits", "plus-16-digits-in-text", "order-number-glued", "url-query", "www-url-path"],
)
def test_cards_formerly_left_alone_are_masked(text, expected):
    assert redact(text) == (expected, 1)


def test_a_card_in_a_url_and_one_after_it_are_both_masked():
    text = "https://x.example/p?c=4111111111111111 and 4111111111111111"
    assert redact(text) == (f"https://x.example/p?c=411111{MASK * 6}1111 and 411111{MASK * 6}1111", 2)


SEPARATOR_KINDS = {
    "line-break": "\n",
    "crlf": "\r\n",
    "tab": "\t",
    "nbsp": "\u00a0",
    "thin-space": "\u2009",
    "narrow-nbsp": "\u202f",
    "figure-space": "\u2007",
    "ideographic-space": "\u3000",
    "zero-width-space": "\u200b",
    "zero-width-non-joiner": "\u200c",
    "zero-width-joiner": "\u200d",
    "word-joiner": "\u2060",
    "bom": "\ufeff",
    "soft-hyphen": "\u00ad",
    "hyphen": "\u2010",
    "en-dash": "\u2013",
    "em-dash": "\u2014",
    "minus-sign": "\u2212",
    "line-separator": "\u2028",
    "paragraph-separator": "\u2029",
    "dot": ".",
    "slash": "/",
    "spaced-slash": " / ",
    "spaced-dash": " - ",
}


@pytest.mark.parametrize("separator", SEPARATOR_KINDS.values(), ids=SEPARATOR_KINDS.keys())
def test_every_separator_kind_between_groups(separator):
    card = separator.join(["4111", "1111", "1111", "1111"])
    masked, count = redact(f"card: {card}.")
    assert count == 1
    assert masked == f"card: {expected_mask(card)}."
    assert "4111111111111111" not in "".join(c for c in masked if c.isdigit() or c == MASK)


def test_non_ascii_text_around_a_card_keeps_its_characters():
    text = "Olá, não consigo pagar 😢 ação 4012 8888 8888 1881 😢"
    masked, count = redact(text)
    assert count == 1
    assert masked == f"Olá, não consigo pagar 😢 ação 4012 88{MASK * 2} {MASK * 4} 1881 😢"
