"""Spoken numbers in dictation, written as a clinic note writes them — only where the words around them say the
number is clinical.

Theory of operation:
- The text is cut into tokens with their character spans; a rule that matches a run of tokens replaces exactly
  that run's span, so everything else (the speaker's words, their punctuation) is kept byte for byte.
- A number phrase is parsed by a small grammar: cardinals ("five hundred", "two thousand and five"), decimals
  ("ninety eight point six", "point five"), the colloquial hundreds of vital signs ("one forty two" = 142, "one
  oh five" = 105), years ("twenty twenty six", "nineteen eighty five") and day ordinals ("third", "twenty first").
  Digits already written ("142", "2.5", "3rd") parse too, so a half-written phrase ("142 over eighty eight") ends
  the same.
- A number is rewritten only inside a clinical pattern, never alone, so "one of the", "a second opinion", "no one"
  and "two children" stay words:
  blood pressure   "one forty two over eighty eight"     -> "142/88"   (systolic 50-300 > diastolic 20-200)
  a unit after it  "five hundred milligrams"             -> "500 mg",  "two to three tablets" -> "2 to 3 tablets"
  a vital before   "pulse of seventy two", "weight one eighty" -> "pulse of 72", "weight 180"
  a decimal        "ninety eight point six"              -> "98.6"     (spoken "point" between numbers is a number)
  a score          "pain is seven out of ten"            -> "pain is 7/10", "strength five out of five" -> "5/5"
                   (only with "pain" or "strength" in the words just before)
  a date           "march third twenty twenty six"       -> "March 3, 2026"
  The colloquial hundreds are read only after a vital sign's name or around "over"; elsewhere "one twenty" is
  two numbers, so "take one twenty milligram tablet" becomes "take one 20 mg tablet" (one tablet of 20 mg).
- Time units ("days", "weeks") are rewritten only for two or more ("two weeks" -> "2 weeks"): "one day she
  noticed" is a figure of speech as often as a duration.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine".split())}
_TEENS = {
    w: i + 10
    for i, w in enumerate("ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split())
}
_TENS = {w: (i + 2) * 10 for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_ORDINAL_UNITS = {w: i + 1 for i, w in enumerate("first second third fourth fifth sixth seventh eighth ninth".split())}
_ORDINAL_TEENS = {
    w: i + 10
    for i, w in enumerate(
        "tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth".split()
    )
}
_ORDINAL_TENS = {"twentieth": 20, "thirtieth": 30}
MONTHS = {
    m: i + 1
    for i, m in enumerate(
        "january february march april may june july august september october november december".split()
    )
}
_DIGIT_WORDS = {**_UNITS, "oh": 0}

# Units a quantity may carry, longest first: the spoken words -> how the note writes them (None: the words stay,
# only the number becomes digits). `True` in the third place: a time unit, rewritten only for two or more.
_UNIT_TABLE: tuple[tuple[tuple[str, ...], str | None, bool], ...] = (
    (("milligrams", "per", "kilogram"), "mg/kg", False),
    (("milligram", "per", "kilogram"), "mg/kg", False),
    (("micrograms", "per", "kilogram"), "mcg/kg", False),
    (("millimeters", "of", "mercury"), "mmHg", False),
    (("beats", "per", "minute"), "bpm", False),
    (("breaths", "per", "minute"), None, False),
    (("international", "units"), "units", False),  # "IU" is on the ISMP list of abbreviations not to use
    (("year", "old"), "-year-old", False),
    (("years", "old"), None, False),
    (("month", "old"), "-month-old", False),
    (("months", "old"), None, False),
    (("milligrams",), "mg", False),
    (("milligram",), "mg", False),
    (("micrograms",), "mcg", False),
    (("microgram",), "mcg", False),
    (("grams",), "g", False),
    (("gram",), "g", False),
    (("kilograms",), "kg", False),
    (("kilogram",), "kg", False),
    (("milliliters",), "mL", False),
    (("milliliter",), "mL", False),
    (("liters",), "L", False),
    (("liter",), "L", False),
    (("milliequivalents",), "mEq", False),
    (("percent",), "%", False),
    (("centimeters",), "cm", False),
    (("millimeters",), "mm", False),
    (("units",), None, False),
    (("unit",), None, False),
    (("tablets",), None, False),
    (("tablet",), None, False),
    (("capsules",), None, False),
    (("capsule",), None, False),
    (("puffs",), None, False),
    (("puff",), None, False),
    (("drops",), None, False),
    (("sprays",), None, False),
    (("pounds",), None, False),
    (("degrees",), None, False),
    (("minutes",), None, True),
    (("hours",), None, True),
    (("days",), None, True),
    (("weeks",), None, True),
    (("months",), None, True),
    (("years",), None, True),
)
# Vital signs and measurements whose value follows them ("pulse of seventy two"); a few filler words may sit
# between the name and the value.
_VITALS: tuple[tuple[str, ...], ...] = (
    ("blood", "pressure"),
    ("heart", "rate"),
    ("respiratory", "rate"),
    ("blood", "sugar"),
    ("oxygen", "saturation"),
    ("o2", "sat"),
    ("o2", "sats"),
    ("pulse",),
    ("respirations",),
    ("temperature",),
    ("temp",),
    ("weight",),
    ("weighs",),
    ("weighed",),
    ("height",),
    ("glucose",),
    ("a1c",),
    ("saturation",),
    ("sats",),
    ("saturating",),
    ("bmi",),
)
_FILLERS = frozenset({"of", "is", "was", "at", "about", "around", "approximately", "today", "now", "remains", "in"})
_CONNECTORS = frozenset({"to", "or"})

# Digits (with a decimal part or an ordinal's ending), words (a letter, then letters or digits: "o2", "a1c"), or
# one other character.
_TOKEN = re.compile(r"\d+(?:\.\d+)?(?:st|nd|rd|th)?|[A-Za-z][A-Za-z0-9]*(?:'[A-Za-z]+)?|[^\w\s]")


@dataclass(frozen=True)
class Token:
    text: str
    low: str
    start: int
    end: int


@dataclass(frozen=True)
class _Num:
    """A parsed number phrase: its written form, the token index after it, and its value when whole."""

    written: str
    end: int
    value: float


def tokenize(text: str) -> list[Token]:
    """Tokens with their spans; a hyphen joining two words ("forty-two", "year-old") is dropped, so the phrase
    parses as if spoken with a space (its span still lies inside the replaced run)."""
    raw = [Token(m.group(), m.group().lower(), m.start(), m.end()) for m in _TOKEN.finditer(text)]
    kept: list[Token] = []
    for i, tok in enumerate(raw):
        joins = (
            tok.text == "-"
            and 0 < i < len(raw) - 1
            and raw[i - 1].end == tok.start
            and raw[i + 1].start == tok.end
            and raw[i - 1].low.isalnum()
            and raw[i + 1].low.isalpha()
        )
        if not joins:
            kept.append(tok)
    return kept


class _Parser:
    """The number grammar over one text's tokens; each method returns what it parsed at index i, or None."""

    def __init__(self, tokens: list[Token]) -> None:
        self.t = tokens

    def low(self, i: int) -> str:
        return self.t[i].low if 0 <= i < len(self.t) else ""

    def below_100(self, i: int) -> tuple[int, int] | None:
        w = self.low(i)
        if w in _TENS:
            if self.low(i + 1) in _UNITS and _UNITS[self.low(i + 1)] > 0:
                return _TENS[w] + _UNITS[self.low(i + 1)], i + 2
            return _TENS[w], i + 1
        if w in _TEENS:
            return _TEENS[w], i + 1
        if w in _UNITS:
            return _UNITS[w], i + 1
        return None

    def under_1000(self, i: int) -> tuple[int, int] | None:
        return self._scaled(i, "hundred", 100, 9, self.below_100)

    def cardinal(self, i: int) -> tuple[int, int] | None:
        return self._scaled(i, "thousand", 1000, 999, self.under_1000)

    def _scaled(
        self, i: int, word: str, scale: int, most: int, lower: Callable[[int], tuple[int, int] | None]
    ) -> tuple[int, int] | None:
        """`lower` numbers, or one of them times `word` plus ("and") another: "two hundred and five", "a thousand"."""
        if self.low(i) == "a" and self.low(i + 1) == word:
            first: tuple[int, int] | None = (1, i + 1)
        else:
            first = lower(i)
        if first is None:
            return None
        value, j = first
        if self.low(j) == word and 1 <= value <= most:
            value, j = value * scale, j + 1
            k = j + 1 if self.low(j) == "and" else j
            rest = lower(k)
            if rest is not None and rest[0] > 0:
                value, j = value + rest[0], rest[1]
        return value, j

    def colloquial(self, i: int) -> tuple[int, int] | None:
        """Colloquial hundreds: "one forty two" (142), "one oh five" (105), "two ten" (210)."""
        w = self.low(i)
        if w not in _UNITS or _UNITS[w] == 0:
            return None
        if self.low(i + 1) == "oh" and self.low(i + 2) in _UNITS and _UNITS[self.low(i + 2)] > 0:
            return _UNITS[w] * 100 + _UNITS[self.low(i + 2)], i + 3
        rest = self.below_100(i + 1)
        if rest is None or rest[0] < 10:
            return None
        return _UNITS[w] * 100 + rest[0], rest[1]

    def digits(self, i: int) -> _Num | None:
        w = self.low(i)
        if re.fullmatch(r"\d+(?:\.\d+)?", w):
            return _Num(w, i + 1, float(w))
        return None

    def decimal(self, i: int, whole: tuple[int, int] | None) -> _Num | None:
        """`whole` (or nothing: "point five") + "point" + digit words."""
        j = whole[1] if whole else i
        if self.low(j) != "point" or self.low(j + 1) not in _DIGIT_WORDS:
            return None
        k, fraction = j + 1, ""
        while self.low(k) in _DIGIT_WORDS:
            fraction += str(_DIGIT_WORDS[self.low(k)])
            k += 1
        integer = whole[0] if whole else 0
        written = f"{integer}.{fraction}"
        return _Num(written, k, float(written))

    def number(self, i: int, *, colloquial: bool = False) -> _Num | None:
        """The number phrase at i: digits, a decimal, (where allowed) colloquial hundreds, or a cardinal."""
        found = self.digits(i)
        if found is not None:
            return found
        if self.low(i) == "point":
            return self.decimal(i, None)
        whole = self.cardinal(i)
        if colloquial and whole is not None and whole[1] == i + 1 and self.low(i) in _UNITS:
            hundreds = self.colloquial(i)
            if hundreds is not None:
                whole = hundreds
        if whole is None:
            return None
        dec = self.decimal(i, whole)
        if dec is not None:
            return dec
        return _Num(str(whole[0]), whole[1], float(whole[0]))

    def year(self, i: int) -> tuple[int, int] | None:
        w = self.low(i)
        if re.fullmatch(r"(19|20)\d\d", w):
            return int(w), i + 1
        if w in ("nineteen", "twenty"):
            century = _TEENS.get(w) or 20
            if self.low(i + 1) == "oh" and self.low(i + 2) in _UNITS and _UNITS[self.low(i + 2)] > 0:
                return century * 100 + _UNITS[self.low(i + 2)], i + 3
            rest = self.below_100(i + 1)
            if rest is not None and rest[0] >= 10:
                return century * 100 + rest[0], rest[1]
        if w == "two" and self.low(i + 1) == "thousand":
            found = self.cardinal(i)
            if found is not None and 2000 <= found[0] <= 2099:
                return found
        return None

    def day(self, i: int) -> tuple[int, int] | None:
        """A day of the month as an ordinal: "third", "twenty first", "thirtieth", "3rd"."""
        w = self.low(i)
        m = re.fullmatch(r"(\d{1,2})(st|nd|rd|th)", w)
        if m:
            return (int(m.group(1)), i + 1) if 1 <= int(m.group(1)) <= 31 else None
        if w in _TENS and _TENS[w] <= 30 and self.low(i + 1) in _ORDINAL_UNITS:
            value = _TENS[w] + _ORDINAL_UNITS[self.low(i + 1)]
            return (value, i + 2) if value <= 31 else None
        for table in (_ORDINAL_UNITS, _ORDINAL_TEENS, _ORDINAL_TENS):
            if w in table:
                return table[w], i + 1
        return None


def _match_words(tokens: list[Token], i: int, words: tuple[str, ...]) -> int | None:
    """The index after `words` when the tokens at i spell them, else None."""
    if all(i + k < len(tokens) and tokens[i + k].low == w for k, w in enumerate(words)):
        return i + len(words)
    return None


def _unit_at(tokens: list[Token], i: int) -> tuple[int, str | None, bool] | None:
    for words, written, timely in _UNIT_TABLE:
        end = _match_words(tokens, i, words)
        if end is not None:
            return end, written, timely
    return None


class SpokenNumbers:
    """Rewrites the clinical spoken numbers of one text (see the module's docstring for the patterns)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.p = _Parser(self.tokens)
        self.edits: list[tuple[int, int, str]] = []

    def rewrite(self) -> str:
        i = 0
        while i < len(self.tokens):
            i = self._at(i)
        out, last = [], 0
        for start, end, written in self.edits:
            out.append(self.text[last:start])
            out.append(written)
            last = end
        out.append(self.text[last:])
        return "".join(out)

    def _edit(self, first: int, end: int, written: str) -> int:
        """Replace tokens first..end-1 (their whole span) with `written`; the index to go on from."""
        if self.text[self.tokens[first].start : self.tokens[end - 1].end] != written:
            self.edits.append((self.tokens[first].start, self.tokens[end - 1].end, written))
        return end

    def _at(self, i: int) -> int:
        """Try each pattern at token i; the index after whatever matched (i + 1 when nothing did)."""
        for rule in (self._date, self._blood_pressure, self._vital, self._quantity):
            end = rule(i)
            if end is not None:
                return end
        return i + 1

    def _date(self, i: int) -> int | None:
        tok = self.tokens[i]
        if tok.low in MONTHS:
            day = self.p.day(i + 1)
            if day is None:
                return None
            j = day[1] + (1 if self.p.low(day[1]) == "," else 0)
            year = self.p.year(j)
            # "may" is a month only when written as one, or when a year follows ("you may first try" stays).
            if tok.low == "may" and tok.text != "May" and year is None:
                return None
            written = f"{tok.low.capitalize()} {day[0]}" + (f", {year[0]}" if year else "")
            return self._edit(i, year[1] if year else day[1], written)
        if tok.low == "the":
            day = self.p.day(i + 1)
            if day is None or self.p.low(day[1]) != "of" or self.p.low(day[1] + 1) not in MONTHS:
                return None
            month = self.tokens[day[1] + 1]
            j = day[1] + 2 + (1 if self.p.low(day[1] + 2) == "," else 0)
            year = self.p.year(j)
            written = f"{month.low.capitalize()} {day[0]}" + (f", {year[0]}" if year else "")
            # The article goes with the ordinal: "on the third of March" -> "on March 3".
            return self._edit(i, year[1] if year else day[1] + 2, written)
        return None

    def _blood_pressure(self, i: int) -> int | None:
        top = self.p.number(i, colloquial=True)
        if top is None or self.p.low(top.end) != "over":
            return None
        bottom = self.p.number(top.end + 1, colloquial=True)
        if bottom is None or not (50 <= top.value <= 300 and 20 <= bottom.value <= 200 and top.value > bottom.value):
            return None
        written, end = f"{top.written}/{bottom.written}", bottom.end
        unit = _unit_at(self.tokens, end)
        if unit is not None and unit[1] == "mmHg":
            written, end = f"{written} mmHg", unit[0]
        return self._edit(i, end, written)

    def _vital(self, i: int) -> int | None:
        for words in _VITALS:
            end = _match_words(self.tokens, i, words)
            if end is None:
                continue
            j = end
            while self.p.low(j) in _FILLERS and j - end < 2:
                j += 1
            if self.p.number(j, colloquial=True) is None:
                return None
            # The vital's name stays as spoken; its value is rewritten (with its unit, if one follows).
            return self._blood_pressure(j) or self._quantity(j, unit_required=False) or j
        return None

    def _quantity(self, i: int, *, unit_required: bool = True) -> int | None:
        """A number with a clinical unit after it (or, after a vital's name, without), a range "two to three
        tablets", a decimal anywhere, or a score "seven out of ten"."""
        first = self.p.number(i, colloquial=not unit_required)
        if first is None:
            return None
        parts, j = [first.written], first.end
        high = first
        if self.p.low(j) in _CONNECTORS:
            second = self.p.number(j + 1, colloquial=not unit_required)
            if second is not None and _unit_at(self.tokens, second.end) is not None:
                parts += [self.tokens[j].text, second.written]
                high, j = second, second.end
        unit = _unit_at(self.tokens, j)
        if unit is not None and not (unit[2] and high.value < 2):
            end, written, _ = unit
            spoken = " ".join(t.text for t in self.tokens[j:end])
            suffix = written if written and written.startswith("-") else " " + (written or spoken)
            if written == "%":
                suffix = "%"
            return self._edit(i, end, " ".join(parts) + suffix)
        score = self._score(i, first)
        if score is not None:
            return score
        if not unit_required or "." in first.written and not self.p.digits(i):
            return self._edit(i, first.end, first.written)
        return None

    def _score(self, i: int, first: _Num) -> int | None:
        """A pain score out of ten or a strength grade out of five, when the words just before name which."""
        for out_of, scale, names in (("ten", 10, {"pain"}), ("five", 5, {"strength", "motor"})):
            end = _match_words(self.tokens, first.end, ("out", "of", out_of))
            before = {t.low for t in self.tokens[max(0, i - 8) : i]}
            if end is not None and first.value <= scale and before & names:
                return self._edit(i, end, f"{first.written}/{scale}")
        return None


def write_numbers(text: str) -> str:
    """`text` with its clinical spoken numbers written as digits (see the module's docstring)."""
    return SpokenNumbers(text).rewrite()
