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
_MONTH_YEAR_TAIL = re.compile(r"\.?,?(?:[ \t]+of)?[ \t]+(?P<year>\d{4})\b")
_MONTH_PREP = re.compile(r"\b(?:in|on|since|until|during|early|late|mid|of|by|last|next)[ \t-]*$")
_UNIT_AFTER = re.compile(r"[ \t]*(?:reps|sets|times|mg|mcg|g|ml|units|min|mins|sec|kg|lbs?|mmhg|%|x\b)")
_BIRTH_CUE = re.compile(r"\b(?:dob|d\.o\.b|birth(?:day|date)?|born|b-?day)\b")
_GAP_BREAK = re.compile(r"[\d;]|\.\s|\n\s*\n")
# Look-alikes of a month/day, by context. Before it, in the same clause: ventilator modes and settings ('CPAP 5/5',
# 'PSV 10/5', 'A/C 600x12, 40% 5/8'), pressures ('wedge 10/12'), fluids ('D5 1/2'), '#' ('#4/10'). After it: what
# a ratio is of ('1/2 NS', '3/4 str', '1/3 up', '5/5 PEEP', '4/4 bottles', '2/6 murmur', '3 1/2 hrs').
_FILLER = r"(?:[^a-z]|(?<=[\d'])[a-z]+|(?<![a-z])(?:of|at|to|on|with|and|c|w|down|up|back|over)(?![a-z]))*$"
_RATIO_BEFORE = re.compile(
    r"(?:(?<![a-z])(?:c ?pap|bi ?pap|bpap|peep|psv?|ips|s?imv|vent|ventilat\w*|flow ?by|fio2|a/?c|mask|settings"
    r"|tv|vt|rr|rate|pressure support|wedge|pcwp|cvp|pad|pap|bp|nbp|abp|map|i:e|peak|plat|d5|ivf|dose|strength"
    r"|murmur|(?:wean\w*|decreased|increased|changed)(?:[ \t]+(?:down|back|over))?[ \t]+to)(?![a-z]))"
    + _FILLER
    + r"|%(?:[ \t,&/.]|\d+|(?<=\d)[a-z']+)*$|#$|=[ \t]*$|gleason[^.;]*$"
)
_RATIO_AFTER = re.compile(
    r"[ \t]*(?:ns\b|n\.s\.|str\b|strength|way\b|up\b|hrs?\b|hours?\b|amps?\b|liters?\b|l\b|tabs?\b|peep|ips\b"
    r"|psv?\b|cpap|fio2|cp\b|pain|scale|bottles?|bl\b|brisk|murmur|systolic|diastolic|sem\b|patients|pts\b"
    r"|days?\b|weeks?\b|months?\b|assist|ratio|normal saline|saline|dextrose|strength|d5|puffs?\b|bpm\b"
    r"|cores?\b|(?:lymph[ \t]+)?nodes?\b|mixture|specimens?\b|positive|involved|biopsies\b|slides?\b)"
)
_PAIN_NEAR = re.compile(r"pain|\bcp\b|discomfort|scale|ache|\bc/o\b|#\d")
# A month-day with a dash ('on 7-8') needs one of these right before it: anything looser reads ranges as dates.
_DASH_DATE_CUE = re.compile(r"\b(?:on|since|until|till|dated)[ \t:]*$")
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
    """'Mar 14', 'March 14th, 1962', 'March 2019', 'June of 2006', 'in Sept.' (day-first forms: number pass).

    A month word that is also an English word ('may', 'march', 'dec') in lower case needs a year after it, or a
    preposition before it ('in may 15', 'since march 3'); alone, a full month name needs the preposition.
    """
    month = MONTHS[word[:3]]
    end = start + len(word)
    plain = _month_ok(text, start, word)
    after_prep = _MONTH_PREP.search(low, max(0, start - 8), start) is not None
    m = _MONTH_DAY_TAIL.match(low, end)
    if m:
        day = int(m.group("day"))
        year_text = m.group("year")
        if year_text:
            year = v.full_year(year_text)
            if year is None or not v.real_date(year, month, day):
                return
            cands.append((0.9, start, m.end(), date_type(low, start)))
        elif v.month_day_ok(month, day) and (plain or after_prep) and not _UNIT_AFTER.match(low, m.end()):
            cands.append((0.8, start, m.end(), date_type(low, start)))
        return
    m = _MONTH_YEAR_TAIL.match(low, end)
    if m and v.full_year(m.group("year")):
        cands.append((0.75, start, m.end(), date_type(low, start)))
    elif after_prep and (len(word) > 3 or (word == "may" and plain)):
        cands.append((0.6, start, end + (low[end : end + 1] == "."), "date"))


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
    """'3/14', '3/14-3/16', '09/2007', '8/87': any month/day is a date unless its context makes it a ratio."""
    start, end = m.span()
    a, b = int(m.group("m1")), m.group("m2")
    if len(b) == 4 or int(b) > 31:  # month/year: '09/2007', 'echo 8/87'
        if 1 <= a <= 12 and v.full_year(b) and not _ratio_context(low, start, end):
            cands.append((0.6, start, end, "date"))
        return
    day = int(b)
    if not v.month_day_ok(a, day) or (m.group("m3") and not v.month_day_ok(int(m.group("m3")), int(m.group("m4")))):
        return
    if _fraction(a, day) or _ratio_context(low, start, end) or (day == 10 and _pain_scale(low, start, end)):
        return
    cue = _DATE_CUE.search(low, max(0, start - 16), start)
    cands.append((0.7 if cue else 0.6, start, end, date_type(low, start)))


def month_day_dash(text: str, low: str, m: re.Match[str], cands: Cands) -> None:
    """'on 7-8': a month-day with a dash is a range ('3-5 days', 'on 2-3 L') unless a date cue comes right before."""
    start, end = m.span()
    a, b = int(m.group("e1")), int(m.group("e2"))
    if (
        v.month_day_ok(a, b)
        and _DASH_DATE_CUE.search(low, max(0, start - 12), start)
        and not _fraction(a, b)
        and not _ratio_context(low, start, end)
    ):
        cands.append((0.6, start, end, date_type(low, start)))


def year_mark(text: str, low: str, m: re.Match[str], cands: Cands) -> None:
    """ "CVA '74", "'09 PTCA": an apostrophe and two digits, not after a number (5'10" is a height)."""
    if not _ratio_context(low, m.start(), m.end()):
        cands.append((0.6, m.start(), m.end(), "date"))


def _fraction(a: int, b: int) -> bool:
    """Halves, thirds and quarters ('1/2 NS', '3/4 strength', 'crackles 1/3 up') and equal pairs ('5/5',
    '4/4 bottles', 'PERRLA 3/3'): scores, strengths and fractions, not dates."""
    return (a < b and b in (2, 3, 4)) or (a == b and b <= 5)


def _pain_scale(low: str, start: int, end: int) -> bool:
    """'pain 7/10', 'c/o CP, 5/10', '#4/10': a score out of ten with a pain word near it."""
    return _PAIN_NEAR.search(low, max(0, start - 30), end + 12) is not None


def _ratio_context(low: str, start: int, end: int) -> bool:
    """Ventilator settings, pressures, doses, fluids: the words just before (in the same clause) or just after."""
    before = low[max(0, start - 32) : start]
    clause = before[max(before.rfind(". "), before.rfind("; "), before.rfind("\n")) + 1 :]
    if _RATIO_BEFORE.search(clause):
        return True
    return bool(_RATIO_AFTER.match(low, end) or _UNIT_AFTER.match(low, end))
