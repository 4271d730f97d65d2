"""The cue pass, over the lower-cased text: stage 1 finds cue words (one trie regex), stage 2 reads what each cue
announces. `_CUE_HANDLERS` maps a cue's kind to its reader and `_VALUE_RULES` an id family to its validator.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from core.checksums import npi_is_valid
from core.phi import _dates
from core.phi import _validate as v
from core.phi._lexicon import STATE_NAMES, places
from core.phi._names import _name_after_cue, _name_before_cue
from core.phi._patterns import trie_pattern
from core.phi._types import tag

Cands = list[tuple[float, int, int, str]]

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
    "month": _dates.MONTH_WORDS,
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


_CUE_START = re.compile(trie_pattern(list(_CUE_KIND)))
_ID_TAIL = re.compile(
    r"(?:[ \t]*(?:[:#=.\-]|(?:number|num|nbr|no|id|identifier|code|is|was|of)(?![a-z]))){0,4}[ \t]*"
    r"(?P<val>(?=[a-z-]{0,12}\d)[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){1,24})(?![a-z0-9])"
)
_AGE_TAIL = re.compile(r"(?:[ \t]*[:=]|[ \t]+of|[ \t]+is)?[ \t]*(?P<age>\d{2,3})\b(?!\.\d)")
_NINETY_TAIL = re.compile(
    r"(?:[- ](?:one|two|three|four|five|six|seven|eight|nine)|[ \t]+and[ \t]+[a-z]+)?(?=[- ]?(?:years?|yo\b|y/o|yr))"
)
_PLATE_VALUE = re.compile(
    r"(?:[ \t]*(?:[:#=.\-]|(?:number|num|no|is)(?![a-z]))){0,3}[ \t]*"
    r"(?P<val>[a-z0-9]{1,4}[ -][a-z0-9]{1,4}|[a-z0-9]{2,8})(?![a-z0-9])"
)
_POBOX_TAIL = re.compile(r"[ \t]+\#?\d+")
_URL_TAIL = re.compile(r"[^\s<>\"'()\[\]]+")
_PLACE_TAIL = re.compile(r"[ \t]+(?:(?:in|to|at|near|from|of)[ \t]+)?(?=[a-z])")
_CITY_AFTER = re.compile(r"[A-Z][A-Za-z.'’-]+(?:[ \t]+[A-Z][A-Za-z.'’-]+){0,2}")


@dataclass
class _Scan:
    """What the cue readers share: the text, its lower-cased copy and the lists they append to."""

    text: str
    low: str
    cands: Cands
    blocked: list[tuple[int, int]]
    cue_names: set[str] = field(default_factory=set)


def trim_url(s: str, start: int, end: int) -> int:
    while end > start and s[end - 1] in ".,;:!?)]}'\"":
        end -= 1
    return end


def scan(text: str, low: str, cands: Cands, blocked: list[tuple[int, int]], cue_names: set[str]) -> None:
    """Append the cue-pass candidates; provider NPIs go to `blocked`, names read after cues to `cue_names`."""
    s = _Scan(text, low, cands, blocked, cue_names)
    n = len(low)
    for m in _CUE_START.finditer(low):
        start, end = m.span()
        word = m.group()
        kind = _CUE_KIND.get(word)
        if kind is None or (start and low[start - 1].isalnum()):
            continue
        if kind != "url" and end < n and low[end].isalnum():
            continue
        before = len(cands)
        _CUE_HANDLERS[kind](s, start, end, word, kind)
        if len(cands) > before:
            tag(cands, before, f"cue:{word}")


# ------------------------------------------------- one reader per cue kind: (scan, start, end, cue, kind)


def _id_value(s: _Scan, start: int, end: int, cue: str, family: str) -> None:
    if family == "c_mrn":
        _name_before_cue(s.text, start, s.cands, s.cue_names)
    tail = (_PLATE_VALUE if family == "c_plate" else _ID_TAIL).match(s.low, end)
    if not tail:
        return
    value = tail.group("val")
    vstart, vend = tail.span("val")
    if family == "c_npi":
        if npi_is_valid(value):
            s.blocked.append((vstart, vend))  # a provider's public id, not the patient's: see core/phi/__init__.py
        return
    if _is_year(value):
        return
    score = _VALUE_RULES.get(family, _plain_id)(value, cue, family)
    if score:
        s.cands.append((score, vstart, vend, _FAMILY_TYPE[family]))


def _names_before(s: _Scan, start: int, end: int, cue: str, kind: str) -> None:
    _name_before_cue(s.text, start, s.cands, s.cue_names)


_NOT_A_PERSON_FIELD = re.compile(r"(?:model|product|device|drug|brand|generic|trade|file|user)[ \t]*$")


def _names_after(s: _Scan, start: int, end: int, cue: str, kind: str) -> None:
    if kind == "namefield" and _NOT_A_PERSON_FIELD.search(s.low, max(0, start - 16), start):
        return  # "Model Name: Sigma", "Product Name:", "Drug Name:" name a thing
    _name_after_cue(s.text, end, kind, s.cands, s.cue_names)


def _month(s: _Scan, start: int, end: int, cue: str, kind: str) -> None:
    _dates.month_date(s.text, s.low, start, cue, s.cands)


def _age(s: _Scan, start: int, end: int, cue: str, kind: str) -> None:
    tail = _AGE_TAIL.match(s.low, end)
    if tail and 90 <= int(tail.group("age")) <= 125:
        s.cands.append((0.9, tail.start("age"), tail.end("age"), "age_over_89"))


def _ninety(s: _Scan, start: int, end: int, cue: str, kind: str) -> None:
    tail = _NINETY_TAIL.match(s.low, end)
    if tail:
        s.cands.append((0.85, start, tail.end(), "age_over_89"))


def _pobox(s: _Scan, start: int, end: int, cue: str, kind: str) -> None:
    tail = _POBOX_TAIL.match(s.low, end)
    if tail:
        s.cands.append((0.9, start, tail.end(), "street_address"))


def _url(s: _Scan, start: int, end: int, cue: str, kind: str) -> None:
    tail = _URL_TAIL.match(s.low, end)
    if tail:
        s.cands.append((0.9, start, trim_url(s.low, start, tail.end()), "url"))


def _place(s: _Scan, start: int, end: int, cue: str, kind: str) -> None:
    tail = _PLACE_TAIL.match(s.low, end)
    if not tail:
        return
    pos = tail.end()
    m = _CITY_AFTER.match(s.text, pos)
    if not m:
        return
    p = places()
    words = m.group().split()
    lists = p.big if cue == "from" or cue == "home" else p.cities
    for n in range(len(words), 0, -1):  # longest place name first: "New York City" before "New York"
        candidate = " ".join(words[:n])
        if candidate.lower() in STATE_NAMES:
            return  # "lives in California": a state, which Safe Harbor keeps (a town of that name is rarer)
        if candidate.upper() in lists:
            found_end = pos + len(candidate) if candidate == s.text[pos : pos + len(candidate)] else m.end()
            s.cands.append((0.8 if lists is p.cities else 0.7, pos, found_end, "city"))
            return


_CUE_HANDLERS: dict[str, Callable[[_Scan, int, int, str, str], None]] = {
    **{family: _id_value for family in _FAMILY_TYPE},
    "c_npi": _id_value,
    "dob": _names_before,
    "relation": _names_after,
    "namefield": _names_after,
    "month": _month,
    "age": _age,
    "ninety": _ninety,
    "pobox": _pobox,
    "url": _url,
    "place": _place,
}


# ---------------------------------------------------------------- id validators: (value, cue, family) -> score or None


def _digit_count(value: str) -> int:
    return sum(map(str.isdigit, value))


def _is_year(value: str) -> bool:
    return len(value) == 4 and value.isdigit() and 1880 <= int(value) <= 2099


def _ssn_value(value: str, cue: str, family: str) -> float | None:
    plain = value.replace("-", "")
    if len(plain) == 9 and plain.isdigit() and value.count("-") in (0, 2):
        found = v.ssn_kind(plain[:3], plain[3:5], plain[5:])
        if found:
            return v.SAMPLE_SCORE if found == "sample" else 0.95
    return None


def _dea_value(value: str, cue: str, family: str) -> float | None:
    if len(value) == 9 and value[:1].isalpha() and value[2:].isdigit():
        return 0.95 if v.dea_ok(value) else 0.7
    return None


def _vin_value(value: str, cue: str, family: str) -> float | None:
    if v.vin_ok(value):
        return 0.95
    return 0.75 if 11 <= len(value) <= 17 and _digit_count(value) >= 3 else None


def _plate_value(value: str, cue: str, family: str) -> float | None:
    """Short, may have a space or dash inside: 'plate ABC 1234'; a 'tag' needs a letter."""
    plate = value.replace(" ", "").replace("-", "")
    letters = sum(ch.isalpha() for ch in plate)
    ok = 2 <= len(plate) <= 8 and _digit_count(plate) >= 1 and (letters or cue != "tag")
    return 0.85 if ok else None


def _license_value(value: str, cue: str, family: str) -> float | None:
    if len(value) == 9 and v.dea_ok(value):
        return 0.95
    return _plain_id(value, cue, family)


def _plain_id(value: str, cue: str, family: str) -> float | None:
    """Any other id: four digits or more (a device, licence or plan id may be shorter with letters)."""
    digits = _digit_count(value)
    if len(value) < 4 or digits < 4:
        if not (family in ("c_dev", "c_lic", "c_plan") and len(value) >= 5 and digits >= 3):
            return None
    return 0.75 if family == "c_other" else 0.9


def _account_value(value: str, cue: str, family: str) -> float | None:
    """After 'A/C' (also assist-control ventilation: 'A/C 600x12') only a plain run of six digits or more."""
    if cue == "a/c" and not (value.replace("-", "").isdigit() and _digit_count(value) >= 6):
        return None
    return _plain_id(value, cue, family)


_VALUE_RULES: dict[str, Callable[[str, str, str], float | None]] = {
    "c_acct": _account_value,
    "c_ssn": _ssn_value,
    "c_dea": _dea_value,
    "c_vin": _vin_value,
    "c_plate": _plate_value,
    "c_lic": _license_value,
}
