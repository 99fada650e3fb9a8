"""Credit-card redaction: pure functions, no database.

How card numbers are found, in one pass over the text (linear in its length, no backtracking regex):

1. **Digit groups** are maximal runs of decimal digits (any script: ASCII, Arabic-Indic, fullwidth...).
2. **Runs** are consecutive groups joined by 1 to `MAX_SEPARATORS` separator characters: any Unicode space
   (tabs, line breaks, NBSP, thin, figure and ideographic spaces...), any dash (category Pd, and the minus sign),
   any invisible format character (category Cf: zero-width space and joiners, word joiner, BOM, soft hyphen, bidi
   marks), combining marks (keycap digits), dots, slashes, backslashes and `_`. An escaped separator counts as one:
   percent-escaped in a URL (`%20`, `%2D`, `%E2%80%8B`...) or an HTML character reference (`&nbsp;`, `&#8203;`);
   so does a lone `+` between two digits (a space in a query string). Anything else (a letter,
   `:`, `,`, `(`, or more separators in a row) ends the run, so a number glued to letters is its own run:
   `card4111111111111111exp0127` is found, and so is a number in a URL.
3. **Candidates** are stretches of consecutive groups of a run, starting and ending on a group boundary, holding 12
   to 19 digits, Luhn-valid, with an issuer prefix that issues that length (`_ISSUERS`). A run longer than 19
   digits is split only at its group boundaries: `4111 1111 1111 1111 5500 0000 0000 0004` is two cards, a glued
   20-digit group is no card and no part of one.
4. **Not cards**: a run right after `+` holding at most 15 digits (a phone number: E.164 allows no more); a run
   made of dates alone (`23.12.2026 - 24.12.2026`: `dd.mm.yyyy`, `mm/dd/yyyy`, `yyyy-mm-dd`, one separator kind
   inside each date, years 1900-2099); a valid IBAN (country code, that country's length, ISO 7064 mod-97 check),
   left alone whole.
5. **Masking**: in every candidate, the digits after the first 6 and before the last 4 become `▇`; where candidates
   overlap, all their masks apply, so no card hides behind another. Every other character stays, so the text keeps
   its length. The count is the number of candidates taken leftmost-longest without overlap.

The issuer table is kept because real card numbers always start with an issuer prefix and it is what lets
tracking numbers (`94...`), phone numbers without `+` (`0...`) and order numbers through; it lists today's
ranges (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro, Mir, RuPay, Troy, Verve, Elo, UATP...)
with every length each issues.

The core owns it because every channel uses it: the WhatsApp app per account, the core's own services for web, API
and e-mail comments when `ACCOUNT_REDACT_CREDIT_CARDS` is on.
"""

import functools
import html
import re
import unicodedata
from collections.abc import Iterator

__all__ = ["MASK", "is_card_number", "known_issuer", "luhn_valid", "redact", "redact_filename"]

MASK = "\u2587"  # ▇
MIN_DIGITS, MAX_DIGITS = 12, 19
MAX_SEPARATORS = 3  # between two digits: " - ", "\r\n", ". " and the like; a blank line ends the number
PHONE_MAX_DIGITS = 15  # E.164

_ANY = tuple(range(12, 20))
# Issuer prefixes (IIN ranges) and the lengths each issues (ISO/IEC 7812; the networks' published ranges).
_ISSUERS: tuple[tuple[tuple[int, int], tuple[int, ...]], ...] = (
    ((1, 1), (15,)),  # UATP
    ((1946, 1946), (16, 18, 19)),  # GPN
    ((2200, 2205), (16, 17, 18, 19)),  # Mir, BORICA
    ((2221, 2720), (16,)),  # Mastercard 2-series
    ((300, 305), _ANY[2:]),  # Diners Club
    ((3095, 3095), _ANY[2:]),
    ((34, 34), (15,)),  # American Express
    ((36, 36), _ANY[2:]),  # Diners Club
    ((37, 37), (15,)),  # American Express
    ((3528, 3589), (16, 17, 18, 19)),  # JCB, RuPay-JCB, LankaPay
    ((38, 39), _ANY[2:]),  # Diners Club, Hipercard 384
    ((4, 4), _ANY[1:]),  # Visa, Visa Electron, Elo
    ((50, 50), _ANY),  # Maestro, Verve, Dankort, RuPay 508, Elo
    ((51, 55), (16,)),  # Mastercard
    ((56, 69), _ANY),  # Maestro, Discover, UnionPay, RuPay, Troy, Verve, InterPayment, InstaPayment, Hipercard
    ((81, 82), (16, 17, 18, 19)),  # UnionPay, RuPay
    ((9704, 9704), (16, 19)),  # Napas
    ((9792, 9792), (16,)),  # Troy
    ((9860, 9860), (16,)),  # Humo
)

# IBAN length per country (SWIFT IBAN registry).
_IBAN_LENGTHS = {
    **dict.fromkeys(["NO"], 15),
    **dict.fromkeys(["BE"], 16),
    **dict.fromkeys(["DK", "FI", "FK", "FO", "GL", "NL", "SD"], 18),
    **dict.fromkeys(["MK", "SI"], 19),
    **dict.fromkeys(["AT", "BA", "EE", "KZ", "LT", "LU", "MN", "XK"], 20),
    **dict.fromkeys(["CH", "HR", "LI", "LV"], 21),
    **dict.fromkeys(["BG", "BH", "CR", "DE", "GB", "GE", "IE", "ME", "RS", "VA"], 22),
    **dict.fromkeys(["AE", "GI", "IL", "IQ", "OM", "SO", "TL"], 23),
    **dict.fromkeys(["CZ", "ES", "MD", "PK", "RO", "SA", "SE", "SK", "TN", "VG"], 24),
    **dict.fromkeys(["LY", "PT", "ST"], 25),
    **dict.fromkeys(["IS", "TR"], 26),
    **dict.fromkeys(["BI", "DJ", "FR", "GR", "IT", "MC", "MR", "SM"], 27),
    **dict.fromkeys(["AL", "AZ", "BY", "CY", "DO", "GT", "HU", "LB", "NI", "PL", "SV"], 28),
    **dict.fromkeys(["BR", "EG", "PS", "QA", "UA"], 29),
    **dict.fromkeys(["JO", "KW", "MU", "YE"], 30),
    **dict.fromkeys(["MT", "SC"], 31),
    **dict.fromkeys(["LC"], 32),
    **dict.fromkeys(["RU"], 33),
}

# A digit group, a percent-escaped UTF-8 character (lead byte and up to three continuation bytes) or an HTML
# character reference (`&nbsp;`, `&#8203;`).
_TOKENS = re.compile(
    r"\d+|%[0-9A-Fa-f]{2}(?:%[89ABab][0-9A-Fa-f]){0,3}|&(?:#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,30});"
)
# IBAN-shaped: country code, check digits, then letters and digits with optional single spaces. Bounded
# repetition: at most 30 steps from each start, so linear; a lookahead, so that matches may overlap.
_IBAN = re.compile(r"(?<![^\W_])(?=([A-Za-z]{2}[0-9]{2}(?:[ \u00a0]?[A-Za-z0-9]){11,30})(?![^\W_]))")
_SEPARATOR_EXTRA = frozenset("./\\_\u2212\u00b7\u2024\u2027\u2044\u2215\u29f8\u3002\u30fb\uff0e\uff0f\uff3c\uff65")
_DATE_SEPARATORS = frozenset("./-")
_PLUS = frozenset("+\uff0b")
_DOUBLED = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        total += _DOUBLED[value] if index % 2 == 1 else value
    return total % 10 == 0


@functools.lru_cache(maxsize=65536)
def _issuer_lengths(prefix: str) -> frozenset[int]:
    """The lengths issued under these (up to 6) leading digits, by any issuer."""
    lengths: set[int] = set()
    for (low, high), issued in _ISSUERS:
        width = len(str(low))
        if len(prefix) >= width and low <= int(prefix[:width]) <= high:
            lengths.update(issued)
    return frozenset(lengths)


def known_issuer(digits: str) -> bool:
    return len(digits) in _issuer_lengths(digits[:6])


def is_card_number(digits: str) -> bool:
    return (
        MIN_DIGITS <= len(digits) <= MAX_DIGITS and digits.isdecimal() and luhn_valid(digits) and known_issuer(digits)
    )


@functools.lru_cache(maxsize=4096)
def _is_separator(char: str) -> bool:
    """Spaces, dashes, invisible format characters, combining marks (a keycap digit is `4` U+FE0F U+20E3), dots,
    slashes and `_`."""
    return char.isspace() or char in _SEPARATOR_EXTRA or unicodedata.category(char) in ("Zs", "Pd", "Cf", "Mn", "Me")


@functools.lru_cache(maxsize=4096)
def _escaped_separator(escape: str) -> bool:
    """`%20`, `%E2%80%8B`, `&nbsp;`, `&#8203;`...: one separator character, escaped."""
    if escape[0] == "&":
        char = html.unescape(escape)
    else:
        try:
            char = bytes.fromhex(escape.replace("%", "")).decode()
        except ValueError:
            return False
    return len(char) == 1 and _is_separator(char)


# --- IBANs -------------------------------------------------------------------------------------------------------


def _iban_spans(text: str) -> list[tuple[int, int]]:
    """Where valid IBANs are: the longest prefix of each IBAN-shaped match, ending on a group boundary, whose length
    is its country's and whose mod-97 check holds."""
    spans = []
    for match in _IBAN.finditer(text):
        found = match.group(1)
        length = _IBAN_LENGTHS.get(found[:2].upper())
        if length is None:
            continue
        # ISO 7064: the first four characters move to the end, letters become 10..35, the number mod 97 is 1.
        head = int("".join(str(int(c, 36)) for c in found[:4]))  # two letters and two digits: six digits
        remainder, count, end = 0, 4, None
        for offset in range(4, len(found) + 1):
            char = found[offset] if offset < len(found) else " "
            if char in " \u00a0":
                if count == length and (remainder * 1_000_000 + head) % 97 == 1:
                    end = offset
                if count >= length:
                    break
                continue
            value = int(char, 36)
            remainder = (remainder * (100 if value > 9 else 10) + value) % 97
            count += 1
        if end is not None:
            spans.append((match.start(), match.start() + end))
    return spans


# --- Runs and candidates -----------------------------------------------------------------------------------------


class _Group:
    __slots__ = ("digits", "end", "gap", "start")

    def __init__(self, start: int, end: int, digits: str, gap: str) -> None:
        self.start, self.end, self.digits, self.gap = start, end, digits, gap


def _runs(text: str) -> Iterator[tuple[list[_Group], bool]]:
    """Each run of digit groups joined by separators, and whether a `+` stands right before it."""
    protected = _iban_spans(text)
    p = 0
    run: list[_Group] = []
    plus = False
    units: int | None = None  # separators since the last group of `run`; None once the run cannot go on
    gap_start = 0
    position = 0
    for token in _TOKENS.finditer(text):
        start, end = token.span()
        if units is not None:
            raw = text[position:start]
            if raw == "+" and units == 0 and token.group()[0] not in "%&":
                units = 1
            elif units + len(raw) <= MAX_SEPARATORS and all(_is_separator(c) for c in raw):
                units += len(raw)
            else:
                units = None
        position = end
        if token.group()[0] in "%&":
            if units is not None:
                units = units + 1 if units < MAX_SEPARATORS and _escaped_separator(token.group()) else None
            continue
        while p < len(protected) and protected[p][1] <= start:
            p += 1
        inside_iban = p < len(protected) and protected[p][0] <= start
        digits = token.group()
        if run and units and not inside_iban and len(digits) <= MAX_DIGITS:
            run.append(_Group(start, end, digits, text[gap_start:start]))
        else:
            if run:
                yield run, plus
            run = []
            if inside_iban or len(digits) > MAX_DIGITS:  # no part of a card, and nothing joins across it
                units = None
                continue
            run = [_Group(start, end, digits, "")]
            plus = start > 0 and text[start - 1] in _PLUS
        units, gap_start = 0, end
    if run:
        yield run, plus


def _is_date(a: _Group, b: _Group, c: _Group) -> bool:
    """`dd.mm.yyyy`, `mm/dd/yyyy`, `yyyy-mm-dd`...: one separator kind, a day, a month, a year 1900-2099."""
    separator = b.gap
    if len(separator) != 1 or separator not in _DATE_SEPARATORS or c.gap != separator:
        return False
    if len(a.digits) <= 2 and len(b.digits) <= 2 and len(c.digits) == 4:
        first, second, year = int(a.digits), int(b.digits), int(c.digits)
        day_month = 1 <= min(first, second) <= 12 and max(first, second) <= 31
    elif len(a.digits) == 4 and len(b.digits) == 2 and len(c.digits) == 2:
        year, month, day = int(a.digits), int(b.digits), int(c.digits)
        day_month = 1 <= month <= 12 and 1 <= day <= 31
    else:
        return False
    return day_month and 1900 <= year <= 2099


def _only_dates(run: list[_Group]) -> bool:
    """A run made of dates alone (`23.12.2026 - 24.12.2026`, 16 digits) is a date range, not a card."""
    return len(run) % 3 == 0 and all(_is_date(*run[i : i + 3]) for i in range(0, len(run), 3))


def _candidates(run: list[_Group]) -> tuple[list[tuple[int, int]], int]:
    """The hidden digit ranges (indexes into the run's digits) of every candidate, and the leftmost-longest count."""
    digits = "".join(g.digits for g in run)
    if len(digits) < MIN_DIGITS:
        return [], 0
    if not digits.isascii():
        digits = "".join(str(unicodedata.decimal(c)) for c in digits)
    # Luhn sums of every prefix, doubling the even (`even`) or the odd (`odd`) indexes: any stretch's sum is then a
    # difference of two prefix sums, so each candidate is checked in constant time.
    even, odd = [0], [0]
    for index, char in enumerate(digits):
        value = ord(char) - 48
        doubled = _DOUBLED[value]
        even.append(even[-1] + (doubled if index % 2 == 0 else value))
        odd.append(odd[-1] + (value if index % 2 == 0 else doubled))
    bounds = [0]
    for group in run:
        bounds.append(bounds[-1] + len(group.digits))
    hidden: list[tuple[int, int]] = []
    count, free_from = 0, 0
    for i in range(len(run)):
        first = bounds[i]
        if len(digits) - first < MIN_DIGITS:
            break
        lengths = _issuer_lengths(digits[first : first + 6])
        if not lengths:
            continue
        longest = None
        for j in range(i + 1, len(run) + 1):
            length = bounds[j] - first
            if length > MAX_DIGITS:
                break
            if length in lengths:
                # Luhn doubles every second digit counted from the right: the indexes of the parity of `length`.
                sums = even if (first + length) % 2 == 0 else odd
                if (sums[bounds[j]] - sums[first]) % 10 == 0:
                    hidden.append((first + 6, bounds[j] - 4))
                    longest = j
        if longest is not None and i >= free_from:
            count += 1
            free_from = longest
    return hidden, count


def redact(text: str) -> tuple[str, int]:
    """Mask every card number in `text`; returns the new text (same length) and how many were masked."""
    if not text or sum(map(str.isdecimal, text)) < MIN_DIGITS:
        return text, 0
    masked: list[str] | None = None
    total = 0
    for run, plus in _runs(text):
        if (plus and sum(len(g.digits) for g in run) <= PHONE_MAX_DIGITS) or _only_dates(run):
            continue
        hidden, count = _candidates(run)
        if not hidden:
            continue
        total += count
        positions = [i for g in run for i in range(g.start, g.end)]
        if masked is None:
            masked = list(text)
        for low, high in hidden:
            for index in positions[low:high]:
                masked[index] = MASK
    return ("".join(masked), total) if masked is not None else (text, 0)


def redact_filename(name: str) -> tuple[str, int]:
    """`redact` for a file name: its glue (`_`, `-`, `.`) is among the separators, so the same rules apply."""
    return redact(name)
