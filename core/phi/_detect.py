"""Finding identifiers: cheap scans find where something could start, anchored patterns and validators decide.

Theory of operation (one call of `detect`):
1. Cue pass, over `low` (the text lower-cased once; same offsets). Stage 1 is one regex of all cue words built as a
   trie, so every branch starts with a literal and sre skips positions that cannot start a cue. Stage 2 matches, at
   each cue, what that cue announces: the value after "MRN", "member ID", "acct", "DEA", "serial", "plate", "VIN",
   "SSN", "ID"; a date after a month name; an age after "age"; the place after "lives in"/"from"; the name after
   "daughter"/"Name:"; the name before "(DOB" / ", MRN"; PO boxes and URLs.
2. Number pass, over the text. Stage 1 is a character class with a look-behind (where a number token starts,
   skipping short numbers that end at once: "92,", "4.5%"); stage 2 matches one alternation of numeric shapes
   anchored there: SSN, phone, IPv4, numeric and day-first dates, street addresses, ages with "yo", UDI, MBI, VIN,
   card and bare digit runs. Each is validated (SSN rules, phonenumbers metadata, calendar, Luhn, octets, VIN check
   digit) and, where the shape alone proves nothing (a 5-digit ZIP, a 10-digit phone, a month/day), gated by the
   words just before it (a state, "zip", "phone", "on", "DOB").
3. Token pass: one comprehension over capitalised words keeps those in the name lists or the cue sets; names come
   from titles, cues, First Last and Last, First pairs and credentials, then spread to other mentions of the same
   name; cities come before a state, counties before "County".
4. Gated passes: e-mail only if "@" occurs, bare domains from their TLD, IPv6 from ":hex:".
5. Resolution: highest score first, then longest; a candidate overlapping an accepted one (or an NPI) is dropped.

Why two stages: a big alternation whose branches start with look-behinds is tried at every character (under
1 M chars/s); a stage-1 class or literal lets the regex engine skip ahead in C (25-50 M chars/s), and the anchored
stage-2 match runs only where a number or a cue word actually starts.

Clinical look-alikes fail by construction: 142/88 and 2/6 are not dates (no valid month, or no date cue), 10:30 is
never matched, E11.9 / L4-L5 / SHIFT.PR have letters where numbers are required, 99213 is not a ZIP without a state
or "zip" before it, and ALL-CAPS abbreviations (HTN, COPD, PRN) are not in the name lists or are marked ambiguous.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

from core.checksums import npi_is_valid
from core.phi import _places
from core.phi import _validate as v
from core.phi._lexicon import (
    STATE_ABBRS,
    STATE_NAMES,
    places,
)
from core.phi._names import _name_after_cue, _name_before_cue, _scan_tokens
from core.phi._types import Finding

MIN_SCORE = 0.5

_MONTHS = {
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

# Cue words, by what follows them. Stage 1 finds any of them with one literal-first regex (a trie, so sre skips
# every position whose character cannot start a cue); stage 2 matches the tail that kind expects right after it.
_CUE_WORDS = {
    "c_mrn": "mrn|mr#|mr no|mr number|medical record|medical records|med rec|med. rec|medical rec|chart|unit no"
    "|unit number|hospital no|hospital number|patient id|pt id|pid",
    "c_plan": "member|subscriber|beneficiary|policy|insurance|insured|medicaid|medicare|mbi|hicn|health plan"
    "|plan id|group no|group number|group #",
    "c_acct": "acct|account|a/c|card",
    "c_plate": "license plate|licence plate|plate|tag",
    "c_lic": "license|licence|lic|certificate|cert|dl|driver's license|drivers license|driver license",
    "c_dea": "dea",
    "c_npi": "npi",
    "c_dev": "serial|s/n|sn|device|udi|imei|pacemaker|implant",
    "c_vin": "vin",
    "c_ssn": "ssn|ss#|ss no|social security|soc sec|soc. sec|itin|tin|taxpayer id",
    "c_other": "encounter|enc|visit|case|accession|acc|specimen|claim|order|requisition|fin|csn|har|id|ref"
    "|reference|confirmation|ticket|badge|employee|record",
    "month": "jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|sept|september"
    "|oct|october|nov|november|dec|december",
    "age": "age|aged",
    "ninety": "ninety|one hundred",
    "pobox": "po box|p.o. box|p.o.box|p. o. box|p o box|p.o box",
    "url": "http://|https://|ftp://|www.",
    "place": "lives|living|resides|residing|moved|relocated|native|lived|visiting|born|from|home",
    # Relations and name fields: the capitalised words after them are a name even when no list carries it.
    "relation": "daughter|son|wife|husband|mother|father|sister|brother|spouse|partner|niece|nephew|aunt|uncle"
    "|grandson|granddaughter|grandmother|grandfather|cousin|caregiver|guardian|friend|neighbor|neighbour|fiance"
    "|fiancee|girlfriend|boyfriend|stepson|stepdaughter",
    "namefield": "name|patient name|pt name|patient|pt|full name|legal name",
    "dob": "dob|d.o.b|d.o.b.|date of birth",
}
_CUE_KIND = {word: kind for kind, words in _CUE_WORDS.items() for word in words.split("|")}
_FAMILY_TYPE = {
    "c_mrn": "medical_record",
    "c_plan": "health_plan_id",
    "c_acct": "account_number",
    "c_plate": "vehicle_id",
    "c_lic": "license_number",
    "c_dea": "license_number",
    "c_dev": "device_id",
    "c_vin": "vehicle_id",
    "c_ssn": "ssn",
    "c_other": "other_id",
}


def _trie_pattern(words: list[str]) -> str:
    """A regex matching any of `words`, factored by prefix (longest match wins; every branch starts literal)."""
    trie: dict[str, dict] = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, dict]) -> str:
        alts = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not alts:
            return ""
        body = alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(trie)


_CUE_START = re.compile(_trie_pattern(list(_CUE_KIND)))
_ID_TAIL = re.compile(
    r"(?:[ \t]*(?:[:#=.\-]|(?:number|num|nbr|no|id|identifier|code|is|was|of)(?![a-z]))){0,4}[ \t]*"
    r"(?P<val>(?=[a-z-]{0,12}\d)[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){1,24})(?![a-z0-9])"
)
_MONTH_DAY_TAIL = re.compile(r"\.?(?:[ \t]+|-)(?P<day>\d{1,2})(?:st|nd|rd|th)?\b(?:,?[ \t-]*(?P<year>\d{4})\b)?")
_MONTH_YEAR_TAIL = re.compile(r"\.?,?[ \t]+(?P<year>\d{4})\b")
_AGE_TAIL = re.compile(r"(?:[ \t]*[:=]|[ \t]+of|[ \t]+is)?[ \t]*(?P<age>\d{2,3})\b(?!\.\d)")
_NINETY_TAIL = re.compile(
    r"(?:[- ](?:one|two|three|four|five|six|seven|eight|nine)|[ \t]+and[ \t]+[a-z]+)?(?=[- ]?(?:years?|yo\b|y/o|yr))"
)
_PLATE_VALUE = re.compile(
    r"(?:[ \t]*(?:[:#=.\-]|(?:number|num|no|is)(?![a-z]))){0,3}[ \t]*"
    r"(?P<val>[a-z0-9]{1,4}[ -][a-z0-9]{1,4}|[a-z0-9]{2,8})(?![a-z0-9])"
)
_UNIT_AFTER = re.compile(r"[ \t]*(?:reps|sets|times|mg|mcg|g|ml|units|min|mins|sec|kg|lbs?|mmhg|%|x\b)")
_POBOX_TAIL = re.compile(r"[ \t]+\#?\d+")
_URL_TAIL = re.compile(r"[^\s<>\"'()\[\]]+")
_PLACE_TAIL = re.compile(r"[ \t]+(?:(?:in|to|at|near|from|of)[ \t]+)?(?=[a-z])")
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
    r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)

_STREET_SUFFIX = (
    r"(?i:st|street|ave|avenue|rd|road|blvd|boulevard|ln|lane|dr|drive|ct|court|pl|place|way|ter|terrace|cir|circle"
    r"|pkwy|parkway|hwy|highway|trl|trail|sq|square|loop|pike|aly|alley|plz|plaza|cres|crescent)"
)
# Stage 1: where a number token starts (a char class, so sre skips fast), leaving out short numbers that end
# right there ("92,", "4.5%", "18." "10:") - nothing in stage 2 can match them.
_NUM_START = re.compile(r"[0-9(+](?<![\w./-].)(?!(?<=\d)\d{0,2}(?:\.\d+)?(?:[,;%)\]:\n]|\.(?!\d)|$))")
_NUMBERS = re.compile(
    rf"(?P<dmdate>(?P<dday>\d{{1,2}})(?:st|nd|rd|th)?(?:[ \t]+of)?[ \t-]*(?P<dmon>(?i:{_MONTH}))(?![A-Za-z])\.?"
    r"(?:,?[ \t-]*(?P<dyear>\d{4}|\d{2})(?!\d))?)"
    r"|(?P<ssn>\d{3}(?P<sd>[- ])\d{2}(?P=sd)\d{4}(?![\w-]))"
    r"|(?P<phone>(?:\+?1[ .-]?)?(?:\(\d{3}\)[ ]?|\d{3}[ .-])\d{3}[ .-]\d{4}"
    r"(?:[ ]?(?:x|ext\.?)[ ]?\d{1,5})?(?!\d))"
    r"|(?P<intl>\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?![\d\w]))"
    r"|(?P<ip4>\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\w|\.\d))"
    r"|(?P<dnum>(?P<d1>\d{1,4})(?P<dsep>[/.-])(?P<d2>\d{1,2})(?P=dsep)(?P<d3>\d{4}|\d{2})"
    r"(?![\d/]|[A-SU-Za-z]|[.-]\d))"
    r"|(?P<md>(?P<m1>\d{1,2})/(?P<m2>\d{1,2})(?![\w/]|[.-]\d))"
    r"|(?P<street>\d{1,6}[A-Za-z]?(?:[ ](?:[NSEW]\.?|North|South|East|West|NORTH|SOUTH|EAST|WEST))?"
    r"(?:[ ](?:[A-Z][A-Za-z'.-]*|\d{1,3}(?:st|nd|rd|th|ST|ND|RD|TH))){1,3}[ ]"
    + _STREET_SUFFIX
    + r"\b\.?(?:,?[ ](?i:apt|apartment|unit|suite|ste|\#)\.?[ ]?\#?[\w-]{1,6})?)"
    r"|(?P<age>(?:9\d|1[01]\d)(?=[ ]?-?[ ]?(?:yo\b|y/o|y\.o\.|yrs?\b|years?\b|-year|YO\b|Y/O|YRS?\b|YEARS?\b)))"
    r"|(?P<udi>\(01\)\d{14}(?:\(\d{2,4}\)[\w-]{1,20}){0,4})"
    r"|(?P<mbi>[1-9][AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d[AC-HJKMNP-RT-Y][AC-HJKMNP-RT-Y0-9]\d"
    r"[AC-HJKMNP-RT-Y]{2}\d{2}(?!\w))"
    r"|(?P<vin>[1-5][A-HJ-NPR-Z0-9]{16}(?!\w))"
    r"|(?P<card>\d{4}(?P<cs>[ -])\d{4,6}(?P=cs)\d{4,5}(?:(?P=cs)\d{1,4})?(?![\w-]))"
    r"|(?P<digits>\d{5,19}(?:-\d{4})?(?![\w-]|\.\d))"
)

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_TLD = re.compile(r"\.(?:com|org|net|edu|gov|io|us|info|biz|health)(?![a-z0-9-])")
_HOST_BEFORE = re.compile(r"[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*$")
_PATH_AFTER = re.compile(r"(?:[:/?#][^\s<>\"'()]*)?")
_V6_HINT = re.compile(r":[0-9a-f]{0,4}:")
_IPV6 = re.compile(r"(?<![\w:.])(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}(?:%\w+)?(?![\w:])")

_BIRTH_CUE = re.compile(r"\b(?:dob|d\.o\.b|birth(?:day|date)?|born|b-?day)\b")
_GAP_BREAK = re.compile(r"[\d;]|\.\s|\n\s*\n")
_DATE_CUE = re.compile(
    r"\b(?:on|since|until|till|til|through|thru|dated?|dos|doa|dod|dob|admit(?:ted)?|discharged?|seen|visit"
    r"|scheduled|appt|appointment|f/u|born|expired|died|surgery|procedure|started|starting|last|next|by)[ \t:]*$"
)
_PHONE_CUE = re.compile(r"\b(?:phone|ph|tel|telephone|cell|mobile|call|called|contact|pager|home|work|c|h|w|m)\b")
_FAX_CUE = re.compile(r"\b(?:fax|facsimile|f)\b")
_ZIP_CUE = re.compile(r"\b(?:zip|zip ?code|postal(?: code)?)\b")
_STATE_BEFORE = re.compile(r"(?:^|[\s,])([A-Z]{2}|[A-Za-z]+(?: [A-Za-z]+)?)[ \t]*,?[ \t]+$")
_SAMPLE_SCORE = 0.5

_STREET_NOT_WORDS = frozenset(
    """
    DAYS DAY WEEKS WEEK MONTHS MONTH YEARS YEAR HOURS HOUR HRS MINUTES MIN TIMES TIME TABS TAB TABLETS TABLET
    CAPS MG MCG ML UNITS PER BY TO OF AT WITH FROM AND OR THE IN ON FOR PILLS PUFFS DOSES DROPS SEEN CALLED
    VISITS CYCLES SESSIONS STEPS FLOORS BLOCKS MILES FEET LBS KG CM MM INCHES POINT PT PTS PATIENTS
    """.split()
)

_CITY_AFTER = re.compile(r"[A-Z][A-Za-z.'’-]+(?:[ \t]+[A-Z][A-Za-z.'’-]+){0,2}")
_TITLE_LIKE_NEXT = re.compile(r"\.?[ \t]+[A-Z][a-z]")
_SSN_CUE = re.compile(r"\b(?:ssn|ss#|social|itin|tin)\b")


def _lower(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    # A few characters lower-case to two code points (U+0130); keep offsets aligned by leaving those as they are.
    return "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)


def detect(text: str) -> list[Finding]:
    """Every identifier found in `text`, sorted by start, non-overlapping (see the module docstring)."""
    if not text:
        return []
    low = _lower(text)
    cands: list[tuple[float, int, int, str]] = []
    blocked: list[tuple[int, int]] = []
    street_ends: set[int] = set()
    cue_names: set[str] = set()
    _scan_cues(text, low, cands, blocked, cue_names)
    _scan_numbers(text, low, cands, street_ends)
    if "@" in text:
        for m in _EMAIL.finditer(text):
            cands.append((0.95, m.start(), m.end(), "email"))
    for m in _TLD.finditer(low):  # bare domains: find the TLD, then read the host name back from it
        host = _HOST_BEFORE.search(low, max(0, m.start() - 64), m.start())
        if host and (host.start() == 0 or low[host.start() - 1] not in "@/.-_"):
            path = _PATH_AFTER.match(low, m.end())
            cands.append((0.8, host.start(), _trim_url(low, host.start(), path.end()), "url"))
    skip = 0
    for m in _V6_HINT.finditer(low):
        if m.start() < skip:
            continue
        ip = _IPV6.search(low, max(0, m.start() - 40), m.end() + 40)
        if ip:
            skip = ip.end()
            if v.ipv6_ok(ip.group()):
                cands.append((0.9, ip.start(), ip.end(), "ip_address"))
    _scan_tokens(text, low, cands, street_ends, cue_names)
    _places.scan(text, low, cands)
    return _resolve(cands, blocked)


def _resolve(cands: list[tuple[float, int, int, str]], blocked: list[tuple[int, int]]) -> list[Finding]:
    """Keep the best candidates: highest score, then longest, then leftmost; drop any that overlaps a kept one."""
    if not cands:
        return []
    size = max(end for _score, _start, end, _kind in cands)
    taken = bytearray(size)  # one byte per character: linear in the text, whatever the number of candidates
    for start, end in blocked:
        taken[start:end] = b"\x01" * (min(end, size) - start) if start < size else b""
    kept: list[Finding] = []
    for score, start, end, kind in sorted(cands, key=lambda c: (-c[0], c[1] - c[2], c[1])):
        if score < MIN_SCORE or end <= start or 1 in taken[start:end]:
            continue
        taken[start:end] = b"\x01" * (end - start)
        kept.append(Finding(kind, start, end, score))
    kept.sort(key=lambda f: f.start)
    return kept


def _trim_url(s: str, start: int, end: int) -> int:
    while end > start and s[end - 1] in ".,;:!?)]}'\"":
        end -= 1
    return end


def _digit_count(value: str) -> int:
    return sum(map(str.isdigit, value))


def _is_year(value: str) -> bool:
    return len(value) == 4 and value.isdigit() and 1880 <= int(value) <= 2099


# ---------------------------------------------------------------- cue pass (lower-cased text)


def _scan_cues(
    text: str,
    low: str,
    cands: list[tuple[float, int, int, str]],
    blocked: list[tuple[int, int]],
    cue_names: set[str],
) -> None:
    n = len(low)
    for m in _CUE_START.finditer(low):
        start, end = m.span()
        word = m.group()
        kind = _CUE_KIND.get(word)
        if kind is None or (start and low[start - 1].isalnum()):
            continue
        if kind != "url" and end < n and low[end].isalnum():
            continue
        if kind == "c_mrn" or kind == "dob":
            _name_before_cue(text, start, cands, cue_names)
            if kind == "dob":
                continue
        if kind == "c_plate":
            tail = _PLATE_VALUE.match(low, end)
            if tail:
                _cue_value(text, tail, kind, word, cands, blocked)
        elif kind in _FAMILY_TYPE or kind == "c_npi":
            tail = _ID_TAIL.match(low, end)
            if tail:
                _cue_value(text, tail, kind, word, cands, blocked)
        elif kind == "relation" or kind == "namefield":
            _name_after_cue(text, end, kind, cands, cue_names)
        elif kind == "month":
            _month_date(text, low, start, word, cands)
        elif kind == "age":
            tail = _AGE_TAIL.match(low, end)
            if tail and 90 <= int(tail.group("age")) <= 125:
                cands.append((0.9, tail.start("age"), tail.end("age"), "age_over_89"))
        elif kind == "ninety":
            tail = _NINETY_TAIL.match(low, end)
            if tail:
                cands.append((0.85, start, tail.end(), "age_over_89"))
        elif kind == "pobox":
            tail = _POBOX_TAIL.match(low, end)
            if tail:
                cands.append((0.9, start, tail.end(), "street_address"))
        elif kind == "url":
            tail = _URL_TAIL.match(low, end)
            if tail:
                cands.append((0.9, start, _trim_url(low, start, tail.end()), "url"))
        elif kind == "place":
            tail = _PLACE_TAIL.match(low, end)
            if tail:
                _place_after(text, tail.end(), word, cands)


def _cue_value(
    text: str,
    m: re.Match[str],
    family: str,
    cue: str,
    cands: list[tuple[float, int, int, str]],
    blocked: list[tuple[int, int]],
) -> None:
    value = m.group("val")
    start, end = m.start("val"), m.end("val")
    digits = _digit_count(value)
    if family == "c_npi":
        if npi_is_valid(value):
            blocked.append((start, end))  # a provider's public id, not the patient's: see core/phi/__init__.py
        return
    if _is_year(value):
        return
    kind = _FAMILY_TYPE[family]
    if family == "c_ssn":
        plain = value.replace("-", "")
        if len(plain) == 9 and plain.isdigit() and value.count("-") in (0, 2):
            found = v.ssn_kind(plain[:3], plain[3:5], plain[5:])
            if found:
                cands.append((_SAMPLE_SCORE if found == "sample" else 0.95, start, end, "ssn"))
        return
    if family == "c_dea":
        if len(value) == 9 and value[:1].isalpha() and value[2:].isdigit():
            cands.append((0.95 if v.dea_ok(value) else 0.7, start, end, kind))
        return
    if family == "c_vin":
        if v.vin_ok(value):
            cands.append((0.95, start, end, kind))
        elif 11 <= len(value) <= 17 and digits >= 3:
            cands.append((0.75, start, end, kind))
        return
    if family == "c_plate":  # short, may have a space or dash inside: "plate ABC 1234"
        plate = value.replace(" ", "").replace("-", "")
        letters = sum(ch.isalpha() for ch in plate)
        if 2 <= len(plate) <= 8 and _digit_count(plate) >= 1 and (letters or cue != "tag"):
            cands.append((0.85, start, end, kind))
        return
    if family == "c_lic" and len(value) == 9 and v.dea_ok(value):
        cands.append((0.95, start, end, kind))
        return
    if len(value) < 4 or digits < 4:
        if not (family in ("c_dev", "c_lic", "c_plan") and len(value) >= 5 and digits >= 3):
            return
    score = 0.75 if family == "c_other" else 0.9
    cands.append((score, start, end, kind))


def _month_ok(text: str, start: int, month: str) -> bool:
    return month not in _MONTHS_NEED_CAPITAL or text[start].isupper()


def _date_type(low: str, start: int) -> str:
    """date_of_birth when a birth cue sits just before the date ("DOB: ", "born on "), else date."""
    cues = list(_BIRTH_CUE.finditer(low, max(0, start - 28), start))
    if not cues:
        return "date"
    cue = cues[-1]
    gap = low[cue.end() : start].lstrip(".")
    return "date" if len(gap) > 16 or _GAP_BREAK.search(gap) else "date_of_birth"


def _month_date(text: str, low: str, start: int, word: str, cands: list[tuple[float, int, int, str]]) -> None:
    """'Mar 14', 'March 14th, 1962', 'March 2019' (the day-first forms are in the number pass)."""
    if not _month_ok(text, start, word):
        return
    month = _MONTHS[word[:3]]
    end = start + len(word)
    m = _MONTH_DAY_TAIL.match(low, end)
    if m:
        day = int(m.group("day"))
        year_text = m.group("year")
        if year_text:
            year = v.full_year(year_text)
            if year is None or not v.real_date(year, month, day):
                return
            cands.append((0.9, start, m.end(), _date_type(low, start)))
        elif v.month_day_ok(month, day):
            cands.append((0.8, start, m.end(), _date_type(low, start)))
        return
    m = _MONTH_YEAR_TAIL.match(low, end)
    if m and v.full_year(m.group("year")):
        cands.append((0.75, start, m.end(), _date_type(low, start)))


def _place_after(text: str, pos: int, cue: str, cands: list[tuple[float, int, int, str]]) -> None:
    m = _CITY_AFTER.match(text, pos)
    if not m:
        return
    p = places()
    words = m.group().split()
    lists = p.big if cue == "from" or cue == "home" else p.cities
    for n in range(len(words), 0, -1):  # longest place name first: "New York City" before "New York"
        candidate = " ".join(words[:n])
        if candidate.upper() in lists:
            end = pos + len(candidate) if " ".join(words[:n]) == text[pos : pos + len(candidate)] else m.end()
            cands.append((0.8 if lists is p.cities else 0.7, pos, end, "city"))
            return


# ---------------------------------------------------------------- numeric pass (original text)


def _scan_numbers(text: str, low: str, cands: list[tuple[float, int, int, str]], street_ends: set[int]) -> None:
    skip = 0
    match = _NUMBERS.match
    for hit in _NUM_START.finditer(text):
        start = hit.start()
        if start < skip:
            continue
        m = match(text, start)
        if m is None:
            continue
        kind = m.lastgroup
        end = m.end()
        skip = end
        value = m.group()
        if kind == "dmdate":
            _day_month_date(text, low, m, cands)
        elif kind == "ssn":
            found = v.ssn_kind(value[:3], value[4:6], value[7:])
            if found:
                cands.append((_SAMPLE_SCORE if found == "sample" else 0.95, start, end, "ssn"))
        elif kind in ("phone", "intl"):
            _phone(text, low, start, end, value, cands)
        elif kind == "ip4":
            if v.ipv4_ok(value):
                cands.append((0.85, start, end, "ip_address"))
        elif kind == "dnum":
            _numeric_date(low, m, cands)
        elif kind == "md":
            month, day = int(m.group("m1")), int(m.group("m2"))
            if v.month_day_ok(month, day) and _DATE_CUE.search(low, max(0, start - 16), start):
                cands.append((0.7, start, end, _date_type(low, start)))
        elif kind == "street":
            _street(text, start, end, value, cands, street_ends)
        elif kind == "age":
            cands.append((0.9, start, end, "age_over_89"))
        elif kind == "udi":
            cands.append((0.9, start, end, "device_id"))
        elif kind == "mbi":
            cands.append((0.75, start, end, "health_plan_id"))
        elif kind == "vin":
            if v.vin_ok(value):
                cands.append((0.9, start, end, "vehicle_id"))
        elif kind == "card":
            if v.card_ok(value.replace(" ", "").replace("-", "")):
                cands.append((0.9, start, end, "account_number"))
        elif kind == "digits":
            _bare_digits(text, low, start, end, value, cands)


def _day_month_date(text: str, low: str, m: re.Match[str], cands: list[tuple[float, int, int, str]]) -> None:
    """'14 Mar 1962', '14th of March', '14-MAR-1962', '14MAR62'."""
    word = m.group("dmon")
    if not _month_ok(text, m.start("dmon"), word.lower()):
        return
    month, day = _MONTHS[word[:3].lower()], int(m.group("dday"))
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
    cands.append((score, m.start(), m.end(), _date_type(low, m.start())))


@lru_cache(maxsize=4096)
def _nanp_prefix_ok(prefix: str) -> bool:
    """Is a US number with this area code and exchange valid (phonenumbers' metadata; cached per 6-digit prefix)?"""
    return phonenumbers.is_valid_number(phonenumbers.parse(f"+1{prefix}0123", None))


def _phone_ok(value: str) -> bool:
    digits = "".join(filter(str.isdigit, value.split("x")[0].split("ext")[0]))
    if not value.startswith("+") or value.startswith("+1"):
        if len(digits) == 11 and digits[0] == "1":
            digits = digits[1:]
        # NANP: area code and exchange start 2-9; then ask the metadata whether that area code is in service.
        return len(digits) == 10 and digits[0] > "1" and digits[3] > "1" and _nanp_prefix_ok(digits[:6])
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(value, "US"))
    except phonenumbers.NumberParseException:
        return False


def _phone(text: str, low: str, start: int, end: int, value: str, cands: list[tuple[float, int, int, str]]) -> None:
    if not _phone_ok(value):
        return
    window = max(0, start - 24)
    fax = _FAX_CUE.search(low, window, start)
    if fax and not _PHONE_CUE.search(low, fax.end(), start):  # "Fax: ..." unless "fax ... phone ..." came closer
        cands.append((0.95, start, end, "fax"))
        return
    cands.append((0.9, start, end, "phone"))


def _numeric_date(low: str, m: re.Match[str], cands: list[tuple[float, int, int, str]]) -> None:
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
    cands.append((score, m.start(), m.end(), _date_type(low, m.start())))


def _street(
    text: str, start: int, end: int, value: str, cands: list[tuple[float, int, int, str]], street_ends: set[int]
) -> None:
    words = value.split()
    name_words = [w.upper().strip(".,") for w in words[1:-1]]
    if any(w in _STREET_NOT_WORDS for w in name_words):
        return
    suffix = words[-1].rstrip(".").upper()
    if suffix in ("DR", "ST") and len(words) >= 3 and words[-2].upper().strip(".") in _STREET_NOT_WORDS:
        return
    # "Dr Patel" / "St Mary" after a number is a title or a saint, unless a unit or a comma follows the suffix.
    if suffix in ("DR", "ST") and _TITLE_LIKE_NEXT.match(text, end):
        nxt = text[end:].lstrip(". \t").split(" ", 1)[0].upper().strip(",")
        if nxt not in ("APT", "APARTMENT", "UNIT", "SUITE", "STE") and nxt not in places().cities:
            return
    cands.append((0.9, start, end, "street_address"))
    street_ends.add(end)


def _bare_digits(
    text: str, low: str, start: int, end: int, value: str, cands: list[tuple[float, int, int, str]]
) -> None:
    plain = value.replace("-", "")
    n = len(plain)
    if (n == 5 or (n == 9 and "-" in value)) and plain[:5] != "00000" and _zip_context(text, low, start):
        cands.append((0.85, start, end, "zip_code"))
        return
    if n == 9 and "-" not in value and _SSN_CUE.search(low, max(0, start - 20), start):
        found = v.ssn_kind(plain[:3], plain[3:5], plain[5:])
        if found:
            cands.append((_SAMPLE_SCORE if found == "sample" else 0.9, start, end, "ssn"))
        return
    if n == 10 and "-" not in value:
        window = low[max(0, start - 24) : start]
        if "npi" in window:
            return
        if _PHONE_CUE.search(window) or _FAX_CUE.search(window):
            _phone(text, low, start, end, value, cands)
        return
    if 13 <= n <= 19 and "-" not in value and v.card_ok(plain):
        cands.append((0.85, start, end, "account_number"))


def _zip_context(text: str, low: str, start: int) -> bool:
    if _ZIP_CUE.search(low, max(0, start - 16), start):
        return True
    m = _STATE_BEFORE.search(text, max(0, start - 20), start)
    if not m:
        return False
    word = m.group(1)
    if len(word) == 2:
        return word in STATE_ABBRS
    # Two words: a state name ("New York"), or a city then the state ("Springfield IL", without the comma).
    last = word.rsplit(" ", 1)[-1]
    if last != word and len(last) == 2:
        return last in STATE_ABBRS
    return word.lower() in STATE_NAMES or last.lower() in STATE_NAMES
