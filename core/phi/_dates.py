"""Dates: month names (found by the cue pass), day-first and numeric dates (found by the number pass).

A date needs a day or a month: a bare year is never a finding. The calendar decides what a number can be (a month
1-12, a day that month has); the words around a bare month/day decide whether it is a date at all.
"""

from __future__ import annotations

import re

from core.phi import _validate as v

Cands = list[tuple[float, int, int, str]]

MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
# Month words that are also English words or names: only capitalised ("May 3", not "may 3 times").
_MONTHS_NEED_CAPITAL = frozenset({"may", "mar", "march", "jan", "jun", "aug", "august", "dec", "sep", "oct", "nov"})
MONTH_WORDS = (
    "jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|sept|september"
    "|oct|october|nov|november|dec|december"
)
MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)

_MONTH_DAY_TAIL = re.compile(r"\.?(?:[ \t]+|-)(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?:,?[ \t-]*(?P<year>\d{4})\b)?")
_MONTH_YEAR_TAIL = re.compile(r"\.?,?[ \t]+(?P<year>\d{4})\b")
_UNIT_AFTER = re.compile(r"[ \t]*(?:reps|sets|times|mg|mcg|g|ml|units|min|mins|sec|kg|lbs?|mmhg|%|x\b)")
_BIRTH_CUE = re.compile(r"\b(?:dob|d\.o\.b|birth(?:day|date)?|born|b-?day)\b")
_GAP_BREAK = re.compile(r"[\d;]|\.\s|\n\s*\n")
_DATE_CUE = re.compile(
    r"\b(?:on|since|until|till|til|through|thru|dated?|dos|doa|dod|dob|admit(?:ted)?|discharged?|seen|visit"
    r"|scheduled|appt|appointment|f/u|born|expired|died|surgery|procedure|started|starting|last|next|by)[ \t:]*$"
)


def _month_ok(text: str, start: int, month: str) -> bool:
    return month not in _MONTHS_NEED_CAPITAL or text[start].isupper()


def date_type(low: str, start: int) -> str:
    """date_of_birth when a birth cue sits just before the date ("DOB: ", "born on "), else date."""
    cues = list(_BIRTH_CUE.finditer(low, max(0, start - 28), start))
    if not cues:
        return "date"
    cue = cues[-1]
    gap = low[cue.end() : start].lstrip(".")
    return "date" if len(gap) > 16 or _GAP_BREAK.search(gap) else "date_of_birth"


def month_date(text: str, low: str, start: int, word: str, cands: Cands) -> None:
    """'Mar 14', 'March 14th, 1962', 'March 2019' (the day-first forms are in the number pass)."""
    if not _month_ok(text, start, word):
        return
    month = MONTHS[word[:3]]
    end = start + len(word)
    m = _MONTH_DAY_TAIL.match(low, end)
    if m:
        day = int(m.group("day"))
        year_text = m.group("year")
        if year_text:
            year = v.full_year(year_text)
            if year is None or not v.real_date(year, month, day):
                return
            cands.append((0.9, start, m.end(), date_type(low, start)))
        elif v.month_day_ok(month, day):
            cands.append((0.8, start, m.end(), date_type(low, start)))
        return
    m = _MONTH_YEAR_TAIL.match(low, end)
    if m and v.full_year(m.group("year")):
        cands.append((0.75, start, m.end(), date_type(low, start)))


# ---------------------------------------------------------------- number-pass handlers: (text, low, match, cands)


def day_month(text: str, low: str, m: re.Match[str], cands: Cands) -> None:
    """'14 Mar 1962', '14th of March', '14-MAR-1962', '14MAR62'."""
    word = m.group("dmon")
    if not _month_ok(text, m.start("dmon"), word.lower()):
        return
    month, day = MONTHS[word[:3].lower()], int(m.group("dday"))
    year_text = m.group("dyear")
    if year_text:
        year = v.full_year(year_text)
        if year is None or not v.real_date(year, month, day):
            return
        score = 0.9
    elif v.month_day_ok(month, day):
        score = 0.8
    else:
        return
    cands.append((score, m.start(), m.end(), date_type(low, m.start())))


def numeric(text: str, low: str, m: re.Match[str], cands: Cands) -> None:
    """'03/14/2021', '3-14-21', '2021-03-14', '14/03/1962' (day first when the first number cannot be a month)."""
    a, sep, b, c = m.group("d1"), m.group("dsep"), m.group("d2"), m.group("d3")
    if len(a) == 4:  # 1962-03-14
        if len(c) != 2:
            return
        year, month, day = v.full_year(a), int(b), int(c)
    elif len(a) <= 2:
        if sep == "." and len(c) != 4:  # 1.5.10 is a version or a list, not a date
            return
        year, month, day = v.full_year(c), int(a), int(b)
        if month > 12 and day <= 12:  # 14/03/1962, day first
            month, day = day, month
    else:
        return
    if year is None or not v.real_date(year, month, day) or _UNIT_AFTER.match(low, m.end()):
        return
    score = 0.9 if len(c) == 4 or len(a) == 4 else 0.85
    cands.append((score, m.start(), m.end(), date_type(low, m.start())))


def month_day(text: str, low: str, m: re.Match[str], cands: Cands) -> None:
    """'3/14' after a date cue ('on 3/14', 'since 3/14')."""
    start = m.start()
    month, day = int(m.group("m1")), int(m.group("m2"))
    if v.month_day_ok(month, day) and _DATE_CUE.search(low, max(0, start - 16), start):
        cands.append((0.7, start, m.end(), date_type(low, start)))
