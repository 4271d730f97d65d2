"""The number pass: where a number starts (stage 1), which shape it has (stage 2), and the handler that shape's
family answers to (`_HANDLERS`): validators for SSNs, cards, VINs, IPs; dates (`_dates`), phones (`_phones`);
street addresses; bare digit runs gated by the words before them (ZIP after a state, SSN after "SSN").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from core.phi import _dates, _phones
from core.phi import _validate as v
from core.phi._lexicon import STATE_ABBRS, STATE_NAMES, places
from core.phi._types import tag

Cands = list[tuple[float, int, int, str]]

_STREET_SUFFIX = (
    r"(?i:st|street|ave|avenue|rd|road|blvd|boulevard|ln|lane|dr|drive|ct|court|pl|place|way|ter|terrace|cir|circle"
    r"|pkwy|parkway|hwy|highway|trl|trail|sq|square|loop|pike|aly|alley|plz|plaza|cres|crescent)"
)
# Stage 1: where a number token starts (a char class, so sre skips fast), leaving out short numbers that end
# right there ("92,", "4.5%", "18." "10:") - nothing in stage 2 can match them.
_NUM_START = re.compile(
    r"[0-9(+](?:(?<![\w./-].)|(?<=[A-Za-z-]-.)|(?<=[A-Za-z]\..))(?!(?<=\d)\d{0,2}(?:\.\d+)?(?:[,;%)\]:\n]|\.(?!\d)|$))"
    r"|'(?<![\w'\"].)(?=\d\d(?![\w'\"]))"
)
_PHONE_SEP = r"(?:[ \t]*[-./][ \t]*|[ \t]+)"  # '410 202-6694', '212- 476- 8356', '201/324/1423'
_NUMBERS = re.compile(
    rf"(?P<dmdate>(?P<dday>\d{{1,2}})(?:st|nd|rd|th)?(?:[ \t]+of)?[ \t-]*(?P<dmon>(?i:{_dates.MONTH}))(?![A-Za-z])\.?"
    r"(?:,?[ \t-]*(?P<dyear>\d{4}|\d{2})(?!\d))?)"
    r"|(?P<ssn>\d{3}(?P<sd>[- ])\d{2}(?P=sd)\d{4}(?![\w-]))"
    rf"|(?P<phone>(?:\+?1[ .-]?)?(?:\(\d{{3}}\)[ ]?|\d{{3}}{_PHONE_SEP})\d{{3}}{_PHONE_SEP}\d{{4}}"
    r"(?:[ ]?(?:x|ext\.?)[ ]?\d{1,5})?(?!\d))"
    r"|(?P<intl>\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,5}(?![\d\w]))"
    r"|(?P<local>\d{3}[ \t]+\d{7}(?!\d)|\d{3}-\d{4}(?![\w-]|\.\d))"
    r"|(?P<ip4>\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\w|\.\d))"
    r"|(?P<dnum>(?P<d1>\d{1,4})(?P<dsep>[/.-])(?P<d2>\d{1,2})(?P=dsep)(?P<d3>\d{4}|\d{2})"
    r"(?![\d/]|[A-SU-Za-z]|[.-]\d))"
    r"|(?P<md>(?P<m1>\d{1,2})/(?P<m2>\d{4}|\d{1,2})(?:-(?P<m3>\d{1,2})/(?P<m4>\d{1,2}))?(?![\w/]|[.-]\d))"
    r"|(?P<mdd>(?P<e1>\d{1,2})-(?P<e2>\d{1,2})(?![\w/-]|\.\d))"
    r"|(?P<ayear>'\d\d)"
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

_ZIP_CUE = re.compile(r"\b(?:zip|zip ?code|postal(?: code)?)\b")
_STATE_BEFORE = re.compile(r"(?:^|[\s,])([A-Z]{2}|[A-Za-z]+(?: [A-Za-z]+)?)[ \t]*,?[ \t]+$")
_SSN_CUE = re.compile(r"\b(?:ssn|ss#|social|itin|tin)\b")
_TITLE_LIKE_NEXT = re.compile(r"\.?[ \t]+[A-Z][a-z]")
_CLINICAL_SUFFIXES = frozenset({"CT", "SQ", "PL", "LN", "DR", "ST", "TER", "CIR", "LOOP", "WAY", "SQUARE", "PLACE"})
_STREET_NOT_WORDS = frozenset(
    """
    DAYS DAY WEEKS WEEK MONTHS MONTH YEARS YEAR HOURS HOUR HRS MINUTES MIN TIMES TIME TABS TAB TABLETS TABLET
    CAPS MG MCG ML UNITS PER BY TO OF AT WITH FROM AND OR THE IN ON FOR PILLS PUFFS DOSES DROPS SEEN CALLED
    VISITS CYCLES SESSIONS STEPS FLOORS BLOCKS MILES FEET LBS KG CM MM INCHES POINT PT PTS PATIENTS
    """.split()
)


def scan(text: str, low: str, cands: Cands) -> set[int]:
    """Append the number candidates of `text`; return where the street addresses found end (for the token pass)."""
    first = len(cands)
    skip = 0
    match = _NUMBERS.match
    for hit in _NUM_START.finditer(text):
        start = hit.start()
        if start < skip:
            continue
        m = match(text, start)
        if m is None:
            continue
        skip = m.end()
        before = len(cands)
        _HANDLERS[m.lastgroup](text, low, m, cands)  # type: ignore[index]
        if len(cands) > before:
            tag(cands, before, f"shape:{m.lastgroup}")
    return {c[2] for c in cands[first:] if c[3] == "street_address"}


def _ssn(text: str, low: str, m: re.Match[str], cands: Cands) -> None:
    value = m.group()
    found = v.ssn_kind(value[:3], value[4:6], value[7:])
    if found:
        cands.append((v.SAMPLE_SCORE if found == "sample" else 0.95, m.start(), m.end(), "ssn"))


def _checked(kind: str, score: float, ok: Callable[[str], bool]) -> Callable[[str, str, re.Match[str], Cands], None]:
    """A handler that keeps the match as `kind` when `ok(value)` holds (IPs, VINs, cards)."""

    def handler(text: str, low: str, m: re.Match[str], cands: Cands) -> None:
        if ok(m.group()):
            cands.append((score, m.start(), m.end(), kind))

    return handler


def _always(kind: str, score: float) -> Callable[[str, str, re.Match[str], Cands], None]:
    """A handler for shapes that prove themselves (ages with 'yo', GS1 UDIs, MBIs)."""
    return _checked(kind, score, lambda _value: True)


def _street(text: str, low: str, m: re.Match[str], cands: Cands) -> None:
    start, end = m.span()
    if start > 0 and text[start - 1] == "#":
        return  # "#0 Vicryl loop", "#4 Foley": a size, never a house number
    words = m.group().split()
    name_words = [w.upper().strip(".,") for w in words[1:-1]]
    if any(w in _STREET_NOT_WORDS for w in name_words) or any(len(w) > 4 and w[-1] == "." for w in words[1:-1]):
        return  # a count ('3 DAYS'), or a sentence that ended before the 'suffix' ('4 EXTREMITIES. HEAD CT')
    suffix = words[-1].rstrip(".").upper()
    # In capitals CT, SQ, PL, LN... are as often clinical (CT scan, subcutaneous, pleural, lymph node) as streets:
    # there the house number must look like one ('2 MEDIASTINAL CT' and '4U REG SQ' are a tube and a dose).
    if suffix in _CLINICAL_SUFFIXES and words[-1].isupper() and (len(words[0]) < 2 or not words[0].isdigit()):
        return
    if suffix in ("DR", "ST") and len(words) >= 3 and words[-2].upper().strip(".") in _STREET_NOT_WORDS:
        return
    # "Dr Patel" / "St Mary" after a number is a title or a saint, unless a unit or a comma follows the suffix.
    if suffix in ("DR", "ST") and _TITLE_LIKE_NEXT.match(text, end):
        nxt = text[end:].lstrip(". \t").split(" ", 1)[0].upper().strip(",")
        if nxt not in ("APT", "APARTMENT", "UNIT", "SUITE", "STE") and nxt not in places().cities:
            return
    cands.append((0.9, start, end, "street_address"))


def _bare_digits(text: str, low: str, m: re.Match[str], cands: Cands) -> None:
    start, end = m.span()
    value = m.group()
    plain = value.replace("-", "")
    n = len(plain)
    if n <= 6 and _phones.pager(low, start, end, cands):
        return
    if (n == 5 or (n == 9 and "-" in value)) and plain[:5] != "00000" and _zip_context(text, low, start):
        cands.append((0.85, start, end, "zip_code"))
        return
    if n == 9 and "-" not in value and _SSN_CUE.search(low, max(0, start - 20), start):
        found = v.ssn_kind(plain[:3], plain[3:5], plain[5:])
        if found:
            cands.append((v.SAMPLE_SCORE if found == "sample" else 0.9, start, end, "ssn"))
        return
    if n == 10 and "-" not in value:
        window = low[max(0, start - 24) : start]
        if "npi" in window:
            return
        if _phones.PHONE_CUE.search(window) or _phones.FAX_CUE.search(window):
            _phones.add(low, start, end, value, cands)
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


# Shape (the stage-2 group that matched) -> its handler.
_HANDLERS: dict[str, Callable[[str, str, re.Match[str], Cands], None]] = {
    "dmdate": _dates.day_month,
    "ssn": _ssn,
    "phone": _phones.shaped,
    "intl": _phones.shaped,
    "local": _phones.local,
    "ip4": _checked("ip_address", 0.85, v.ipv4_ok),
    "dnum": _dates.numeric,
    "md": _dates.month_day,
    "mdd": _dates.month_day_dash,
    "ayear": _dates.year_mark,
    "street": _street,
    "age": _always("age_over_89", 0.9),
    "udi": _always("device_id", 0.9),
    "mbi": _always("health_plan_id", 0.75),
    "vin": _checked("vehicle_id", 0.9, v.vin_ok),
    "card": _checked("account_number", 0.9, lambda value: v.card_ok(value.replace(" ", "").replace("-", ""))),
    "digits": _bare_digits,
}
