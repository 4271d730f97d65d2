"""Redaction: `[TYPE]` placeholders, or realistic surrogates that are consistent per value under one key.

A surrogate is chosen by HMAC-SHA256(key, type + value), so the same value gets the same stand-in within a call and
across calls with the same key, and nobody without the key can test a guess against it. With no key a random one is
made per process (consistent only within that process); pass a key you keep to link redactions across runs.

What a surrogate looks like, and why it cannot be mistaken for a real identifier:
- names come from the popular, unambiguous census names; each token maps on its own, so "John Smith" and later
  "Mr. Smith" keep the same surname; capitals and Title case are kept.
- dates are shifted by one offset per key (1-364 days back), so intervals between dates survive; the format stays.
- SSNs become 9xx-yy-zzzz with a group below 50: neither an SSN (area 9xx) nor an ITIN (group 50-99).
- phones become 555-01xx numbers (reserved for fiction); e-mail and URLs use example.org; IPs use the RFC 5737 and
  RFC 3849 documentation ranges; ages over 89 become "90+" (Safe Harbor's single category).
- ids keep their layout (letters stay letters, digits digits, punctuation stays) with hashed characters; card and
  DEA numbers are then nudged so their check digit fails.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import date, timedelta

from core.checksums import luhn_valid
from core.phi import _validate as v
from core.phi._lexicon import FACILITY_WORDS, TITLES, UNIT_WORDS, names, places
from core.phi._types import Finding

_PROCESS_KEY = secrets.token_bytes(32)
_STREETS = ("Oak", "Maple", "Cedar", "Elm", "Pine", "Walnut", "Birch", "Willow", "Chestnut", "Spruce", "Hickory")
_SUFFIXES = ("St", "Ave", "Rd", "Ln", "Dr", "Ct", "Blvd", "Way")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTHS = {name[:3].lower(): i + 1 for i, name in enumerate(_MONTH_NAMES)}
_POSSESSIVE = re.compile(r"['’][sS]?$")


def redact_text(
    text: str,
    findings: list[Finding],
    *,
    surrogate: bool,
    key: bytes | None,
    spans: list[tuple[int, int, str]] | None = None,
) -> str:
    """`text` with `findings` replaced; when `spans` is given, (start, end, type) of each replacement in the result
    is appended to it (a caller that scans the result again can tell its own stand-ins from what was missed)."""
    out: list[str] = []
    pos = 0
    length = 0
    maker = _Surrogates(key if key is not None else _PROCESS_KEY) if surrogate else None
    for f in findings:
        out.append(text[pos : f.start])
        length += f.start - pos
        value = text[f.start : f.end]
        replacement = maker.make(f.type, value, text, f.start) if maker else f"[{f.type.upper()}]"
        out.append(replacement)
        if spans is not None:
            spans.append((length, length + len(replacement), f.type))
        length += len(replacement)
        pos = f.end
    out.append(text[pos:])
    return "".join(out)


class _Surrogates:
    def __init__(self, key: bytes) -> None:
        self._key = key
        self._shift = timedelta(days=1 + self._int("date-shift", "") % 364)

    def _int(self, kind: str, value: str) -> int:
        digest = hmac.new(self._key, f"{kind}\x00{value}".encode(), hashlib.sha256).digest()
        return int.from_bytes(digest, "big")

    def make(self, kind: str, value: str, text: str, start: int) -> str:
        method = getattr(self, f"_{kind}", None)
        result = method(value, text, start) if method else None
        return result if result is not None else self._layout(kind, value)

    # -------------------------------------------------------------- per type

    def _name(self, value: str, text: str, start: int) -> str:
        nl = names()
        parts = re.split(r"([ \t]+|-)", value)
        words = [p for p in parts if p.strip() and p != "-"]
        before = text[max(0, start - 6) : start].replace(".", " ").split()
        after_title = bool(before) and before[-1].upper() in TITLES
        out = []
        index = 0
        for part in parts:
            if not part.strip() or part == "-":
                out.append(part)
                continue
            bare = part.rstrip(".")
            possessive = _POSSESSIVE.search(bare)
            if possessive and possessive.start() > 0:  # "Smith's" is Smith: the same stand-in, "'s" kept
                bare = bare[: possessive.start()]
            if len(bare) == 1:  # an initial: a hashed letter
                out.append(chr(65 + self._int("initial", bare.upper()) % 26) + part[1:])
                index += 1
                continue
            k = bare.upper().replace("'", "").replace("’", "")
            if "," in value:  # "Smith, John": the surname comes first
                as_first = index > 0
            else:
                as_first = len(words) > 1 and index == 0 or (len(words) == 1 and not after_title and k in nl.first)
            pool = nl.pool_first if as_first else nl.pool_last
            fake = pool[self._int("first" if as_first else "last", k) % len(pool)]
            out.append(_same_case(fake, bare) + part[len(bare) :])
            index += 1
        return "".join(out)

    def _city(self, value: str, text: str, start: int) -> str:
        pool = places().pool
        return _same_case(pool[self._int("city", value.upper()) % len(pool)], value)

    def _facility(self, value: str, text: str, start: int) -> str:
        pool = places().pool
        words = value.split()
        fake = _same_case(pool[self._int("facility", value.upper()) % len(pool)], words[0])
        last = words[-1].lower()
        if len(words) > 1 and (last.rstrip(".") in FACILITY_WORDS or last in UNIT_WORDS or last.isdigit()):
            return f"{fake} {words[-1]}"
        return fake

    def _organization(self, value: str, text: str, start: int) -> str:
        pool = places().pool
        fake = f"{pool[self._int('organization', value.upper()) % len(pool)]} Company"
        return fake.upper() if value.isupper() else fake

    def _street_address(self, value: str, text: str, start: int) -> str:
        h = self._int("street", value.upper())
        if re.match(r"(?i)p\.?\s?o\.?\s?box", value):
            return f"PO Box {100 + h % 9000}"
        fake = f"{100 + h % 9900} {_STREETS[(h >> 16) % len(_STREETS)]} {_SUFFIXES[(h >> 24) % len(_SUFFIXES)]}"
        return fake.upper() if value.isupper() else fake

    def _zip_code(self, value: str, text: str, start: int) -> str:
        h = self._int("zip", value[:5])
        fake = f"{100 + h % 900:03d}00"
        return fake + ("-0000" if len(value) > 5 else "")

    def _date(self, value: str, text: str, start: int) -> str | None:
        return _shift_date(value, self._shift)

    _date_of_birth = _date

    def _age_over_89(self, value: str, text: str, start: int) -> str:
        return "90+"

    def _phone(self, value: str, text: str, start: int) -> str:
        h = self._int("phone", re.sub(r"\D", "", value)[-10:])
        area = 201 + h % 789
        if area % 100 == 11:  # N11 codes are services
            area += 1
        digits = f"{area}55501{(h >> 20) % 100:02d}"  # AAA-555-01NN
        return _fill_digits(value, digits, from_right=True)

    _fax = _phone

    def _ssn(self, value: str, text: str, start: int) -> str:
        h = self._int("ssn", re.sub(r"\D", "", value))
        digits = f"{900 + h % 100}{1 + (h >> 8) % 49:02d}{1 + (h >> 16) % 9999:04d}"
        return _fill_digits(value, digits)

    def _email(self, value: str, text: str, start: int) -> str:
        return f"user{self._int('email', value.lower()) % 10**6:06d}@example.org"

    def _url(self, value: str, text: str, start: int) -> str:
        return f"https://example.org/{self._int('url', value.lower()) % 16**8:08x}"

    def _ip_address(self, value: str, text: str, start: int) -> str:
        h = self._int("ip", value.lower())
        if ":" in value:
            return f"2001:db8::{h % 65536:x}"
        return f"192.0.2.{1 + h % 254}"

    def _layout(self, kind: str, value: str) -> str:
        """Same shape, hashed characters: letters stay letters (same case), digits stay digits."""
        h = self._int(kind, value.upper())
        out = []
        for i, ch in enumerate(value):
            r = (h >> (i * 5 % 240)) + i
            if ch.isdigit():
                out.append(str(r % 10))
            elif ch.isalpha() and ch.isascii():
                letter = chr(65 + r % 26)
                out.append(letter if ch.isupper() else letter.lower())
            else:
                out.append(ch)
        fake = "".join(out)
        digits = re.sub(r"\D", "", fake)
        if kind == "account_number" and len(digits) >= 13 and luhn_valid(digits):
            fake = _bump_last_digit(fake)
        if kind == "license_number" and len(fake) == 9 and v.dea_ok(fake):
            fake = _bump_last_digit(fake)
        return fake


def _same_case(fake: str, original: str) -> str:
    if original.isupper() and len(original) > 1:
        return fake.upper()
    if original.islower():
        return fake.lower()
    return fake[:1].upper() + fake[1:].lower()


def _fill_digits(template: str, digits: str, *, from_right: bool = False) -> str:
    """Put `digits` into the digit positions of `template` (from the right for phones: keep a leading 1)."""
    chars = list(template)
    positions = [i for i, ch in enumerate(chars) if ch.isdigit()]
    if from_right:
        positions = positions[-len(digits) :]
        digits = digits[-len(positions) :]
    for i, d in zip(positions, digits, strict=False):
        chars[i] = d
    return "".join(chars)


def _bump_last_digit(value: str) -> str:
    for i in range(len(value) - 1, -1, -1):
        if value[i].isdigit():
            return value[:i] + str((int(value[i]) + 1) % 10) + value[i + 1 :]
    return value


_NUMERIC = re.compile(r"^(\d{1,4})([/.-])(\d{1,2})(?:\2(\d{2,4}))?")
_MONTH_FIRST = re.compile(r"^([A-Za-z]+)(\.?)([ \t]+|-)(\d{1,2})(st|nd|rd|th|ST|ND|RD|TH)?(?:(,?[ \t-]*)(\d{4}))?$")
_DAY_FIRST = re.compile(
    r"^(\d{1,2})(st|nd|rd|th|ST|ND|RD|TH)?((?:[ \t]+of)?[ \t-]*)([A-Za-z]+)(\.?)(?:(,?[ \t-]*)(\d{2,4}))?$"
)
_MONTH_YEAR = re.compile(r"^([A-Za-z]+)(\.?,?[ \t]+)(\d{4})$")


def _shift_date(value: str, shift: timedelta) -> str | None:
    """The same date shifted back by `shift`, written the way `value` was; None when it cannot be re-read."""
    m = _NUMERIC.match(value)
    if m:
        a, sep, b, c = m.groups()
        if len(a) == 4:
            d = _safe_date(int(a), int(b), int(c or 1)) - shift
            return f"{d.year:04d}{sep}{d.month:0{len(b)}d}{sep}{d.day:0{len(c or '01')}d}" + value[m.end() :]
        month, day, day_first = int(a), int(b), False
        if month > 12:
            month, day, day_first = day, month, True
        year = v.full_year(c) if c else 2000
        if year is None:
            return None
        d = _safe_date(year, month, day) - shift
        first, second = (d.day, d.month) if day_first else (d.month, d.day)
        out = f"{first:0{len(a)}d}{sep}{second:0{len(b)}d}"
        if c:
            out += f"{sep}{d.year % 100:02d}" if len(c) == 2 else f"{sep}{d.year:04d}"
        return out + value[m.end() :]
    m = _MONTH_FIRST.match(value)
    if m and m.group(1)[:3].lower() in _MONTHS:
        word, dot, gap, day, suffix, comma, year = m.groups()
        d = _safe_date(int(year) if year else 2000, _MONTHS[word[:3].lower()], int(day)) - shift
        out = f"{_month_word(word, d.month)}{dot}{gap}{d.day}{_ordinal(d.day, suffix)}"
        return out + (f"{comma}{d.year}" if year else "")
    m = _DAY_FIRST.match(value)
    if m and m.group(4)[:3].lower() in _MONTHS:
        day, suffix, gap, word, dot, comma, year = m.groups()
        full = v.full_year(year) if year else 2000
        if full is None:
            return None
        d = _safe_date(full, _MONTHS[word[:3].lower()], int(day)) - shift
        out = f"{d.day:0{len(day)}d}{_ordinal(d.day, suffix)}{gap}{_month_word(word, d.month)}{dot}"
        if year:
            out += f"{comma}{d.year % 100:02d}" if len(year) == 2 else f"{comma}{d.year}"
        return out
    m = _MONTH_YEAR.match(value)
    if m and m.group(1)[:3].lower() in _MONTHS:
        d = _safe_date(int(m.group(3)), _MONTHS[m.group(1)[:3].lower()], 15) - shift
        return f"{_month_word(m.group(1), d.month)}{m.group(2)}{d.year}"
    return None


def _safe_date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        return date(2000, 1, 1)


def _month_word(original: str, month: int) -> str:
    full = _MONTH_NAMES[month - 1]
    word = full if len(original) > 4 else full[:3]
    if len(original) == 4 and original.lower() == "sept":
        word = full[:4] if month == 9 else full[:3]
    return _same_case(word, original)


def _ordinal(day: int, suffix: str | None) -> str:
    if not suffix:
        return ""
    if 11 <= day % 100 <= 13:
        word = "th"
    else:
        word = {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return word.upper() if suffix.isupper() else word
