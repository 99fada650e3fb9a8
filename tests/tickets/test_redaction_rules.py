"""Credit-card redaction, the pure rules: every brand, length and printed format; near-misses; properties. The
card table and format helpers here are shared with `tests/security/test_redaction_everywhere.py`."""

import re

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tickets.redaction import _ISSUERS, MASK, is_card_number, known_issuer, luhn_valid, redact, redact_filename

# --- The pure rules ----------------------------------------------------------------------------------------------


def luhn_complete(prefix: str, length: int) -> str:
    """`prefix`, zeros, and the one check digit that makes it pass Luhn: a test number on the issuer's range."""
    body = prefix + "0" * (length - len(prefix) - 1)
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


# Published test numbers (card networks' and payment processors' documentation) where they exist; for a brand and
# length that has none, the issuer's prefix completed with the Luhn check digit.
CARDS = {
    "visa-13": "4222222222222",
    "visa-16": "4111111111111111",
    "visa-16b": "4012888888881881",
    "visa-19": "4000000000000000006",
    "mastercard-51": "5105105105105100",
    "mastercard-52": "5200828282828210",
    "mastercard-53": luhn_complete("53", 16),
    "mastercard-54": "5425233430109903",
    "mastercard-55": "5555555555554444",
    "mastercard-2series-2221": "2221000000000009",
    "mastercard-2series-2223": "2223003122003222",
    "mastercard-2series-2720": luhn_complete("2720", 16),
    "amex-34": "340000000000009",
    "amex-37": "378282246310005",
    "amex-37b": "371449635398431",
    "discover-6011": "6011111111111117",
    "discover-6011b": "6011000990139424",
    "discover-644": "6445644564456445",
    "discover-65": "6500000000000002",
    "discover-17": luhn_complete("6011", 17),
    "discover-19": luhn_complete("6011", 19),
    "jcb-3530": "3530111333300000",
    "jcb-3566": "3566002020360505",
    "diners-14-305": "30569309025904",
    "diners-14-36": "36227206271667",
    "diners-14-38": "38520000023237",
    "unionpay-16": "6200000000000005",
    "unionpay-19": "6205500000000000004",
    "maestro-12": luhn_complete("5018", 12),
    "maestro-13": luhn_complete("5020", 13),
    "maestro-15": luhn_complete("6304", 15),
    "maestro-16": "6759649826438453",
    "maestro-18": luhn_complete("6761", 18),
    "maestro-19": luhn_complete("6759", 19),
}


def grouped(digits: str, sizes: list[int], sep: str) -> str:
    parts, start = [], 0
    for size in sizes:
        parts.append(digits[start : start + size])
        start += size
    if start < len(digits):
        parts.append(digits[start:])
    return sep.join(p for p in parts if p)


def printed_groups(digits: str) -> list[int]:
    """How the number is printed on the card: Amex 4-6-5, Diners 14 4-6-4, everything else 4-4-4-4(-3)."""
    if len(digits) in (14, 15) and digits[:2] in ("34", "37", "30", "36", "38"):
        return [4, 6, len(digits) - 10]
    return [4] * (len(digits) // 4)


def expected_mask(text: str) -> str:
    positions = [i for i, c in enumerate(text) if c.isdigit()]
    hidden = set(positions[6:-4])
    return "".join(MASK if i in hidden else c for i, c in enumerate(text))


FORMATS = {
    "plain": lambda d: d,
    "spaced": lambda d: grouped(d, printed_groups(d), " "),
    "dashed": lambda d: grouped(d, printed_groups(d), "-"),
}
CARD_FORMS = [
    pytest.param(fmt(number), id=f"{name}-{form}") for name, number in CARDS.items() for form, fmt in FORMATS.items()
]


@pytest.mark.parametrize("number", CARDS.values(), ids=CARDS.keys())
def test_every_table_number_is_a_valid_card_of_a_known_issuer(number):
    assert 12 <= len(number) <= 19
    assert luhn_valid(number) and known_issuer(number) and is_card_number(number)


def test_the_table_covers_every_length_from_12_to_19():
    assert {len(n) for n in CARDS.values()} == set(range(12, 20))


@pytest.mark.parametrize("card", CARD_FORMS)
def test_card_alone_is_masked_keeping_the_first_six_and_last_four_digits(card):
    masked, count = redact(card)
    assert count == 1
    assert masked == expected_mask(card)
    assert len(masked) == len(card)
    digits = [c for c in card if c.isdigit()]
    assert [c for c in masked if c.isdigit()] == digits[:6] + digits[-4:]
    assert masked.count(MASK) == len(digits) - 10


@pytest.mark.parametrize("card", CARD_FORMS)
@pytest.mark.parametrize(
    "sentence",
    [
        "Meu cartão é {}, pode cobrar?",
        "{}",
        "card: {} exp 12/29 cvv 123",
        "(card {})",
        "«{}»",
        "line one\n{}\nline three",
        "two: {} and again {}.",
    ],
)
def test_card_inside_a_sentence_is_masked(card, sentence):
    text = sentence.format(card, card)
    masked, count = redact(text)
    assert count == sentence.count("{}")
    assert masked == sentence.format(expected_mask(card), expected_mask(card))


NEAR_MISSES = {
    "plus-prefix-15-digits": "+378282246310005",
    "plus-prefix-spaced-phone": "+49 1512 3456 789",
    "phone-international": "+55 11 99999-0000",
    "phone-e164": "+5511999990000",
    "phone-wa-id": "5511999990000",
    "phone-us": "(415) 555-2671",
    "phone-us-dashed": "1-415-555-2671",
    "phone-uk": "+44 20 7946 0958",
    "order-hash-no-issuer": "Order #100000000008",
    "order-number-2025": "order 2025102800000001",
    "order-dashed": "2025-10-28-0001-4521",
    "failing-luhn": "4111111111111112",
    "failing-luhn-spaced": "5555 5555 5555 4445",
    "no-issuer": "9111111111111119",
    "eleven-digits": "41111111113",
    "eleven-digits-in-text": "ref 41111111113 ok",
    "twenty-digits": "41111111111111111113",
    "twenty-one-digits": "411111111111111111113",
    "date-time": "2025-10-28 14:30:00",
    "amounts": "R$ 1.234,56 and 99.90",
}


@pytest.mark.parametrize("text", NEAR_MISSES.values(), ids=NEAR_MISSES.keys())
def test_near_misses_stay_as_typed(text):
    assert redact(text) == (text, 0)


def test_a_twenty_digit_run_is_not_a_card_but_a_spaced_card_and_cvv_is():
    assert redact("41111111111111111113")[1] == 0
    assert redact("4111 1111 1111 1111 123") == (f"4111 11{MASK * 2} {MASK * 4} 1111 123", 1)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("card_4111111111111111.pdf", f"card_411111{MASK * 6}1111.pdf"),
        ("statement-4012888888881881.pdf", f"statement-401288{MASK * 6}1881.pdf"),
        ("4111-1111-1111-1111.jpg", f"4111-11{MASK * 2}-{MASK * 4}-1111.jpg"),
        ("IMG_20251028_123456.jpg", "IMG_20251028_123456.jpg"),
        ("+4111111111111111.pdf", f"+411111{MASK * 6}1111.pdf"),
        ("+4915123456789.pdf", "+4915123456789.pdf"),
    ],
)
def test_file_names_are_masked_with_their_glue_as_spaces(name, expected):
    assert redact_filename(name)[0] == expected


# --- Properties --------------------------------------------------------------------------------------------------


@st.composite
def card_numbers(draw) -> str:
    """Any valid number of a known issuer: an issuer prefix, one of its lengths, random digits, the check digit."""
    (low, high), lengths = draw(st.sampled_from(_ISSUERS))
    prefix = str(draw(st.integers(low, high)))
    length = draw(st.sampled_from([n for n in lengths if 12 <= n <= 19]))
    middle = "".join(draw(st.lists(st.sampled_from("0123456789"), min_size=length - len(prefix) - 1)))[
        : length - len(prefix) - 1
    ]
    body = prefix + middle.ljust(length - len(prefix) - 1, "0")
    number = next(body + d for d in "0123456789" if luhn_valid(body + d))
    assert is_card_number(number)
    return number


@st.composite
def typed(draw, number: str) -> str:
    style = draw(st.sampled_from(["plain", "spaced", "dashed", "random"]))
    if style == "random":  # groups of any size, one separator kind
        sep = draw(st.sampled_from([" ", "-"]))
        cuts = sorted(draw(st.sets(st.integers(1, len(number) - 1), max_size=6)))
        return sep.join(number[a:b] for a, b in zip([0, *cuts], [*cuts, len(number)], strict=True))
    return FORMATS[style](number)


# Words around the numbers: letters, digits, punctuation, emoji. A card is set off from them by a `;` (digits on
# both sides of a lone space would make one longer number, whose reading is another test's business).
WORDS = st.text(alphabet=st.sampled_from("abcxyz ÁçãñЖ字😀,;:!?()#*'\"\n0123456789"), max_size=30)
APART = " ; "


@hypothesis_settings(max_examples=300, deadline=None)
@given(number=card_numbers(), data=st.data())
@example(number=CARDS["maestro-12"], data=None)
def test_property_masking_keeps_the_length_and_the_first_six_and_last_four_digits(number, data):
    card = number if data is None else data.draw(typed(number))
    before, after = ("", "") if data is None else (data.draw(WORDS), data.draw(WORDS))
    text = f"{before}{APART}{card}{APART}{after}"
    masked, count = redact(text)
    assert count >= 1
    assert len(masked) == len(text)
    # Only digits ever change, and only into the mask.
    assert all(m == t or (t.isdigit() and m == MASK) for m, t in zip(masked, text, strict=True))
    start = len(before) + len(APART)
    span = masked[start : start + len(card)]
    assert span == expected_mask(card)
    kept = [c for c in span if c.isdigit()]
    assert kept == list(number[:6] + number[-4:])


@hypothesis_settings(max_examples=300, deadline=None)
@given(numbers=st.lists(card_numbers(), min_size=1, max_size=4), data=st.data())
def test_property_no_valid_full_number_of_the_input_survives(numbers, data):
    pieces = [data.draw(WORDS)]
    for number in numbers:
        pieces += [data.draw(typed(number)), data.draw(WORDS)]
    text = APART.join(pieces)
    masked, count = redact(text)
    assert count >= len(numbers)
    flat = re.sub(r"[\s\-]", "", masked)  # however the digits left are read, with or without separators
    for number in numbers:
        assert number not in flat


@hypothesis_settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text(max_size=200))
def test_property_any_text_only_ever_loses_digits_to_the_mask(text):
    masked, count = redact(text)
    assert len(masked) == len(text)
    assert all(m == t or (t.isdigit() and m == MASK) for m, t in zip(masked, text, strict=True))
    assert (masked == text) == (count == 0)
