"""Credit-card redaction as Zendesk does it: pure functions, no database.

A candidate is 12-19 digits, optionally separated by single spaces or dashes, that passes the Luhn check and
starts with a known issuer prefix. Numbers starting with `+` (phone numbers) and numbers inside URLs are left
alone. The first 6 and last 4 digits are kept; the digits between become `▇`, separators are kept.

The core owns it because every channel uses it: the WhatsApp app per account, the core's own services for web, API
and e-mail comments when `ACCOUNT_REDACT_CREDIT_CARDS` is on.
"""

import re

__all__ = ["MASK", "is_card_number", "known_issuer", "luhn_valid", "redact", "redact_filename"]

MASK = "\u2587"  # ▇

# 12+ digits with optional single space/dash separators, not glued to other digits, letters or a `+`; the card
# numbers are then looked for among its digit groups ("4111 1111 1111 1111 123": a card and a CVV).
_CANDIDATE = re.compile(r"(?<![\w+\-/.=])(?:\d[ \-]?){11,}\d(?![\w\-]|\.\d)")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)

# Issuer prefixes (IIN ranges) and the lengths each issues.
_ISSUERS: tuple[tuple[tuple[int, int], tuple[int, ...]], ...] = (
    ((4, 4), (13, 16, 19)),  # Visa
    ((51, 55), (16,)),  # Mastercard
    ((2221, 2720), (16,)),  # Mastercard 2-series
    ((34, 34), (15,)),  # American Express
    ((37, 37), (15,)),
    ((6011, 6011), (16, 17, 18, 19)),  # Discover
    ((644, 649), (16, 17, 18, 19)),
    ((65, 65), (16, 17, 18, 19)),
    ((622126, 622925), (16, 17, 18, 19)),
    ((3528, 3589), (16, 17, 18, 19)),  # JCB
    ((300, 305), (14, 15, 16, 17, 18, 19)),  # Diners Club
    ((36, 36), (14, 15, 16, 17, 18, 19)),
    ((38, 39), (14, 15, 16, 17, 18, 19)),
    ((62, 62), (16, 17, 18, 19)),  # UnionPay
    ((50, 50), (12, 13, 14, 15, 16, 17, 18, 19)),  # Maestro
    ((56, 58), (12, 13, 14, 15, 16, 17, 18, 19)),
    ((6304, 6304), (12, 13, 14, 15, 16, 17, 18, 19)),
    ((6759, 6759), (12, 13, 14, 15, 16, 17, 18, 19)),
    ((6761, 6763), (12, 13, 14, 15, 16, 17, 18, 19)),
    ((2200, 2204), (16, 17, 18, 19)),  # Mir
)


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def known_issuer(digits: str) -> bool:
    for (low, high), lengths in _ISSUERS:
        width = len(str(low))
        if len(digits) in lengths and low <= int(digits[:width]) <= high:
            return True
    return False


def is_card_number(digits: str) -> bool:
    return 12 <= len(digits) <= 19 and digits.isdigit() and luhn_valid(digits) and known_issuer(digits)


def _mask(candidate: str) -> str:
    digit_positions = [i for i, c in enumerate(candidate) if c.isdigit()]
    hidden = set(digit_positions[6:-4])
    return "".join(MASK if i in hidden else c for i, c in enumerate(candidate))


def _mask_runs(candidate: str) -> tuple[str, int]:
    """Mask the card numbers made of consecutive digit groups of `candidate`, leftmost and longest first."""
    parts = re.split(r"([ \-])", candidate)  # digit groups at even indexes, separators between them
    count, start = 0, 0
    while start < len(parts):
        best, digits = None, ""
        for end in range(start, len(parts), 2):
            digits += parts[end]
            if len(digits) > 19:
                break
            if is_card_number(digits):
                best = end
        if best is None:
            start += 2
            continue
        parts[start : best + 1] = [_mask("".join(parts[start : best + 1]))] + [""] * (best - start)
        count += 1
        start = best + 2
    return "".join(parts), count


def redact(text: str) -> tuple[str, int]:
    """Mask every card number in `text`; returns the new text and how many were masked."""
    if not text or sum(c.isdigit() for c in text) < 12:
        return text, 0
    url_spans = [m.span() for m in _URL.finditer(text)]
    count = 0

    def replace(match: re.Match) -> str:
        nonlocal count
        start = match.start()
        if any(s <= start < e for s, e in url_spans):
            return match.group()
        candidate = match.group()
        if "  " in candidate or re.search(r"[ \-]{2,}", candidate):
            return candidate
        masked, found = _mask_runs(candidate)
        count += found
        return masked

    return _CANDIDATE.sub(replace, text), count


# In a file name, words are glued with `_`, `-`, `.` and the like: each counts as a space there, so that
# `card_4111111111111111.pdf` is masked although `ORD-4111111111111111` in a sentence is not.
_FILENAME_GLUE = re.compile(r"[^\w\s+]|_")


def redact_filename(name: str) -> tuple[str, int]:
    """`redact` for a file name; returns the name with the same characters except masked digits, and the count."""
    masked, count = redact(_FILENAME_GLUE.sub(" ", name))
    if not count:
        return name, 0
    return "".join(MASK if m == MASK else c for c, m in zip(name, masked, strict=True)), count
