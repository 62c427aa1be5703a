"""Masking personal data in free text before it is stored.

``mask(text)`` replaces e-mail addresses with ``[e-mail]``, phone numbers (Swedish and
Chinese, national and international forms) with ``[phone]``, and Swedish personal identity
numbers (personnummer, samordningsnummer) and Chinese resident ID numbers with
``[personal id]``. Everything else is left as typed: years, dates, amounts, percentages
and postcodes must survive, because the stored questions are read to learn what visitors
ask about.

Matching runs on a copy of the text where full-width digits and signs (as Chinese input
methods type them) are folded to ASCII one character for one character, so the spans
found there are the spans to replace in the original.
"""

from __future__ import annotations

import re
from collections.abc import Callable

EMAIL = "[e-mail]"
PHONE = "[phone]"
PERSONAL_ID = "[personal id]"

# Same length in and out, so match positions carry over to the original text.
_ASCII = str.maketrans(
    {
        **{chr(0xFF10 + i): str(i) for i in range(10)},
        "＋": "+",
        "＠": "@",
        "－": "-",
        "（": "(",
        "）": ")",
        "\u3000": " ",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
        "‐": "-",
        "‑": "-",
        "–": "-",
    }
)

# A number does not start right after a digit, nor after "3." (a decimal part). After "3," it
# may: commas separate numbers in lists ("070-1234567,0470-123456") more often than decimals do.
_START = r"(?<![0-9])(?<![0-9]\.)"
_END = r"(?![0-9])"
# One separator between digit groups: a space or a hyphen, optionally spaced (" - ").
_SEP = r"(?: ?- ?| )"

_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+"
    r"(?:@| ?[(\[]at[)\]] ?)"
    r"(?:[A-Za-z0-9åäöÅÄÖ-]+\.)+[A-Za-z]{2,}(?![A-Za-z0-9])",
    re.IGNORECASE,
)

# 18 characters: area (6), birth date YYYYMMDD, sequence (3), check digit or X.
# The first-generation 15-digit form has a two-digit year and no check digit.
_CN_ID_RE = re.compile(
    r"(?<![0-9A-Za-z])[1-9][0-9]{5}"
    r"(?:(?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]"
    r"|[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3})"
    r"(?![0-9A-Za-z])"
)

# YYMMDD-NNNN, YYMMDD+NNNN (over 100), YYYYMMDD[-]NNNN and the bare YYMMDDNNNN;
# samordningsnummer add 60 to the day (61-91).
_SE_ID_RE = re.compile(
    _START + r"(?P<century>18|19|20)?"
    r"(?P<date>[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]|6[1-9]|[78][0-9]|9[01]))"
    r"(?P<sep>[-+ ]?)(?P<serial>[0-9]{4})" + _END
)

# +46 70 123 45 67, +46 (0)70-123 45 67, 0046701234567, +86 138 1234 5678, ...
_GROUP = rf"(?:{_SEP}?\(0\){_SEP}?[0-9]+|{_SEP}[0-9]+)"
_INTL_RE = re.compile(rf"(?<![0-9A-Za-z])(?:\+|00)(?P<digits>[1-9][0-9]*{_GROUP}*){_END}")
# 13812345678, 138 1234 5678, 138-1234-5678 (mainland mobiles begin 13-19).
_CN_MOBILE_RE = re.compile(_START + r"(?<!\+)1[3-9][0-9](?:" + _SEP + r"?[0-9]{4}){2}" + _END)
# With the trunk 0: 070-123 45 67, 0470-12 34 56, 08-123 456 78, (0470) 12 34 56, 0512-6888 8888.
_NATIONAL_RE = re.compile(_START + r"(?<!\+)(?:\(0[1-9][0-9]{0,3}\) ?|0[1-9][0-9]*)(?:" + _SEP + r"?[0-9]+)*" + _END)

_DIGIT_RUN = re.compile(r"[0-9]+")
_DATE_SHAPE = re.compile(r"[0-9]{1,2}-[0-9]{1,2}-[0-9]{4}|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")
# A bare run of digits followed by one of these is an amount, not a phone number.
_AMOUNT_UNIT = re.compile(r" ?(?:%|kr\b|kronor|sek\b|rmb\b|cny\b|yuan|元|万|亿|usd\b|eur\b|€|\$|¥)", re.IGNORECASE)

Accept = Callable[[re.Match[str], str], tuple[int, int] | None]


def mask(text: str) -> str:
    """``text`` with e-mail addresses, phone numbers and personal ID numbers replaced by tokens."""
    if not text:
        return text
    text = _replace(text, _EMAIL_RE, EMAIL)
    text = _replace(text, _CN_ID_RE, PERSONAL_ID)
    text = _replace(text, _SE_ID_RE, PERSONAL_ID, _swedish_id)
    text = _replace(text, _INTL_RE, PHONE, _international_phone)
    text = _replace(text, _CN_MOBILE_RE, PHONE, _not_an_amount)
    return _replace(text, _NATIONAL_RE, PHONE, _national_phone)


def _replace(text: str, pattern: re.Pattern[str], token: str, accept: Accept | None = None) -> str:
    shadow = text.translate(_ASCII)
    parts: list[str] = []
    last = 0
    for match in pattern.finditer(shadow):
        span = accept(match, shadow) if accept else match.span()
        if span is None:
            continue
        start, end = span
        parts.append(text[last:start])
        parts.append(token)
        last = end
    parts.append(text[last:])
    return "".join(parts)


def _swedish_id(match: re.Match[str], shadow: str) -> tuple[int, int] | None:
    # A bare ten-digit run is only taken for a personnummer when its check digit is right;
    # otherwise it is more likely a phone number (0701234567), which a later pass masks.
    if match["century"] is None and not match["sep"] and not _luhn_ok(match["date"] + match["serial"]):
        return None
    return match.span()


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, char in enumerate(digits):
        value = int(char) * (2 if i % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _international_phone(match: re.Match[str], shadow: str) -> tuple[int, int] | None:
    body = match["digits"]
    digits = "".join(_DIGIT_RUN.findall(body))
    # Longest national number after the country code: Sweden 9, China 11, E.164 otherwise.
    limit = 2 + 9 if digits.startswith("46") else 2 + 11 if digits.startswith("86") else 15
    return _trimmed(match, shadow, match.start("digits"), limit, minimum=8)


def _national_phone(match: re.Match[str], shadow: str) -> tuple[int, int] | None:
    if _DATE_SHAPE.fullmatch(match.group()):
        return None
    # A Swedish number with its trunk 0 has at most 10 digits, a Chinese landline 12.
    return _trimmed(match, shadow, match.start(), 12, minimum=8)


def _trimmed(match: re.Match[str], shadow: str, digits_from: int, limit: int, minimum: int) -> tuple[int, int] | None:
    """The match, less trailing digit groups beyond ``limit`` digits (a year or amount after a number)."""
    count = 0
    end = None
    for run in _DIGIT_RUN.finditer(shadow, digits_from, match.end()):
        if shadow[run.start() - 1 : run.end() + 1] == "(0)":
            continue  # the trunk 0 in "+46 (0)70 ..." is not dialled from abroad
        if count + len(run.group()) > limit:
            break
        count += len(run.group())
        end = run.end()
    if end is None or count < minimum:
        return None
    if end == match.end():
        return _not_an_amount(match, shadow)
    return match.start(), end


def _not_an_amount(match: re.Match[str], shadow: str) -> tuple[int, int] | None:
    bare = match.group().isdigit()
    if bare and _AMOUNT_UNIT.match(shadow, match.end()):
        return None
    return match.span()
