"""Places a note names without a street address: facilities (hospitals, clinics, wards, named units),
organizations (employers, insurers) and cities or towns without a state.

The detector's place pass: `scan` appends candidates `(score, start, end, type)` to the shared list, and
`_detect._resolve` keeps the best of overlapping ones, as for every other pass.

Theory of operation, in the two stages of `_detect`:
1. Stage 1 is one literal-first regex (a trie) over the lower-cased text that finds every cue word: a facility type
   word ("hospital", "med ctr", "rehab"), a ward word after a name ("ICU", "EW"), a movement verb ("transferred",
   "admitted", "sent"), a place preposition ("in", "from"), "St."/"Saint", or an employer cue ("works at").
2. At each cue, an anchored match reads the words on the side that cue announces, and word lists judge them:
   - type word: the one to three name words before it ("Holy Cross Hospital", "Baltimore Rehab"); words in
     `_lexicon.PLACE_STOP` (the, outside, cardiac, pain ...) end the name, so "outside hospital", "cardiac rehab"
     and "pain clinic" are not facilities.
   - movement verb + to/from/at: the name after it ("transferred to Quartermain 2"), unless it is a clinical
     destination (CCU, floor, cath lab, OR, home, rehab) or an everyday word, which the stop list holds.
   - preposition: a city from the shipped GeoNames list that is not also an English word ("in Rockville", "son in
     pikesville"); a city that is also a personal name needs a residence cue before the preposition.
   - hospital-shaped acronyms after a preposition ("at GH", "to GBMC", "from VAMC").
   - employer cue: the capitalised words after it, as `organization` (or `facility` when they end in a type word).
3. A facility name found once is then looked for again in the same text ("GH" in "seen at GH ... GH cx").

Clinical look-alikes fail by construction: eponyms and devices (Douglas pouch, Blake drain) have no type word and
no movement cue; "pelvic floor", "10 units", "cardiac ICU" have a stop word or a number where a name must be;
languages ("Russian speaking") are not in the place list.
"""

from __future__ import annotations

import re
from functools import cache

from core.phi._lexicon import (
    FACILITY_WORDS,
    HOSPITAL_ACRONYM_STOP,
    MOVE_VERBS,
    ORG_CUES,
    PLACE_STOP,
    RESIDENCE_CUES,
    STATE_NAMES,
    STRONG_FACILITY_WORDS,
    UNIT_WORDS,
    english,
    names,
    places,
)
from core.phi._patterns import trie_pattern
from core.phi._types import tag

Cands = list[tuple[float, int, int, str]]


_PREPOSITIONS = ("in", "from", "to", "at", "of", "near", "by", "per")
_KIND: dict[str, str] = {}
for _w in FACILITY_WORDS:
    _KIND[_w] = "type"
for _w in UNIT_WORDS:
    _KIND.setdefault(_w, "unit")
for _w in MOVE_VERBS:
    _KIND[_w] = "move"
for _w in ORG_CUES:
    _KIND[_w] = "org"
for _w in _PREPOSITIONS:
    _KIND[_w] = "prep"
_KIND["st."] = _KIND["st"] = _KIND["saint"] = "saint"
_CUE_START = re.compile(r"(?<![a-z0-9])(?:" + trie_pattern(sorted(_KIND)) + r")(?![a-z0-9])")

_WORD = r"[A-Za-z][A-Za-z'’&-]*\.?"
# After a movement verb: "to", "from", "at" (with "back", "the" allowed), then the name.
_MOVE_TAIL = re.compile(r"[ \t]+(?:back[ \t]+|over[ \t]+)?(?:to|from|at)[ \t]+(?:the[ \t]+)?(?=[A-Za-z])")
_NAME_AFTER = re.compile(
    rf"{_WORD}(?:[ \t]+(?:{_WORD}|\d{{1,2}}(?![\d:/.]\d)"
    r"(?![ \t]*(?:mg|mcg|ml|cc|l|u|units?|hrs?|h|min|mins|days?|wks?|weeks?|x|%|mm|cm|kg|lbs?)\b)))"
    "{0,3}"
)
_WORD_RE = re.compile(r"[A-Za-z@][A-Za-z'’&.-]*")
_PLACE_BEFORE = frozenset({"at", "to", "from", "in", "@", "into"}) | MOVE_VERBS
_ORG_TAIL = re.compile(r"[ \t]*[:\-]?[ \t]*(?:the[ \t]+)?(?=[A-Za-z])")
_SAINT_NAME = re.compile(r"\.?[ \t]+([A-Z][A-Za-z]+)(?:['’]s)?\b")


def scan(text: str, low: str, cands: Cands) -> None:
    """Append the place candidates of `text` (`low` is `text` lower-cased, same offsets)."""
    found: dict[str, float] = {}  # facility names seen (lower case) -> score, for the second mention
    for m in _CUE_START.finditer(low):
        start, end = m.span()
        kind = _KIND.get(m.group())
        if kind is None:
            continue
        before = len(cands)
        if kind == "type" or kind == "unit":
            _name_before(text, low, start, end, m.group(), kind, cands, found)
        elif kind == "move":
            tail = _MOVE_TAIL.match(low, end)
            if tail and not (m.group() == "sent" and "from" in low[end : tail.end()]):
                _name_after(text, low, tail.end(), cands, found)
        elif kind == "prep":
            _after_preposition(text, low, start, end, m.group(), cands, found)
        elif kind == "saint":
            _saint(text, start, end, cands, found)
        elif kind == "org":
            tail = _ORG_TAIL.match(text, end)
            if tail:
                _organization(text, tail.end(), cands)
        tag(cands, before, f"place:{kind}")
    for rule, finder in (
        ("ward", _named_wards),
        ("university", _universities),
        ("school", _schools),
        ("care-home", _care_houses),
        ("street", _named_streets),
    ):
        before = len(cands)
        finder(text, low, cands)
        tag(cands, before, f"place:{rule}")
    if found:
        before = len(cands)
        _second_mentions(text, low, found, cands)
        tag(cands, before, "place:again")


# Facility names whose second word is a clinical one ("Sacred Heart Hospital", "Holy Cross", "Good Samaritan").
_NAMES_WITH_A_STOP_WORD = frozenset({("sacred", "heart"), ("holy", "cross"), ("holy", "family"), ("good", "samaritan")})


def _is_stop(word: str) -> bool:
    key = word.lower().rstrip(".,;:-")
    if key.endswith(("'s", "’s")):
        key = key[:-2]
    return key in PLACE_STOP or len(key) < 2 or not key[0].isalpha() or "'" in key or "’" in key


def _name_before(
    text: str, low: str, start: int, end: int, word: str, kind: str, cands: Cands, found: dict[str, float]
) -> None:
    """'Holy Cross Hospital', 'Baltimore Rehab', 'VAMC ICU': up to three name words before a type or ward word."""
    words = [(m.start(), m.group()) for m in _WORD_RE.finditer(text, max(0, start - 40), start)]
    if not words or text[words[-1][0] + len(words[-1][1]) : start].strip(" \t"):
        return
    taken = 0
    for i in range(len(words) - 1, max(-1, len(words) - 4), -1):
        pos, w = words[i]
        if i < len(words) - 1 and text[pos + len(w) : words[i + 1][0]].strip(" \t"):
            break  # a line break or punctuation between two words ends the name
        bare = w.rstrip(".")
        if _is_stop(bare) and not (i > 0 and (words[i - 1][1].lower(), bare.lower()) in _NAMES_WITH_A_STOP_WORD):
            break
        taken += 1
    if not taken:
        return
    name_start, first = words[-taken]
    first = first.rstrip(".")
    titled = all(w[0].isupper() and not w.isupper() for _p, w in words[-taken:])
    before = words[-taken - 1][1].lower() if len(words) > taken else ""
    placed = before in _PLACE_BEFORE or first.upper() in places().plain
    if kind == "unit":
        ok = placed and (titled or first.isupper())
    elif word in STRONG_FACILITY_WORDS:  # "Sacred Heart Memorial", "sacred heart Memorial", "to calvert hosp"
        ok = titled or placed or text[start].isupper() and not text[start:end].isupper()
    else:
        ok = (titled and text[start].isupper()) or placed
    if not ok:
        return
    if kind == "unit" and first.lower() in FACILITY_WORDS:
        return
    cands.append((0.8 if word in STRONG_FACILITY_WORDS else 0.7, name_start, end, "facility"))
    if first.lower() not in FACILITY_WORDS and len(first) > 2:
        found.setdefault(first, 0.65)


def _name_after(text: str, low: str, pos: int, cands: Cands, found: dict[str, float]) -> None:
    """'transferred to Quartermain 2', 'admitted from GH', 'went to Holy Cross': the name after a movement verb."""
    m = _NAME_AFTER.match(text, pos)
    if not m:
        return
    words = m.group().split()
    first = words[0].rstrip(".")
    if _is_stop(first) or first.lower() in FACILITY_WORDS or first.lower() in UNIT_WORDS:
        return
    end = pos + len(words[0])
    backed = first[0].isupper() or first.upper() in places().plain
    for w in words[1:]:
        bare = w.rstrip(".")
        if w.isdigit():
            end = text.index(w, end) + len(w)
            backed = True
            break
        if bare.lower() in FACILITY_WORDS or bare.lower() in UNIT_WORDS:
            end = text.index(w, end) + len(w)
            backed = True
            break
        # In capitals every word looks like a name: only Title-case words extend it ("Holy Cross", not "RMH INTUBATED").
        if _is_stop(bare) or not (bare[0].isupper() and not bare.isupper()):
            break
        end = text.index(w, end) + len(w)
    if not backed:
        return
    if text[pos:end].upper() in places().plain:  # "returned to San Antonio": the town, not a hospital
        cands.append((0.7, pos, end, "city"))
        return
    cands.append((0.7, pos, end, "facility"))
    if len(first) > 1:
        found.setdefault(first, 0.65)


def _after_preposition(
    text: str, low: str, start: int, end: int, prep: str, cands: Cands, found: dict[str, float]
) -> None:
    """A city ('in Rockville', 'from San Diego') or a hospital acronym ('at GH') after a preposition."""
    w = _NEXT_WORD.match(low, end)
    if not w:
        return
    pos, word = w.start(1), w.group(1)
    if prep != "of" and prep != "near" and _hospital_acronym(text, pos, word):
        cands.append((0.6, pos, pos + len(word), "facility"))
        found.setdefault(text[pos : pos + len(word)], 0.6)
        return
    # A town is not "of the X" or "in the X": "amounts of saline", "the tunica vaginalis", "the high point".
    the = w.group().startswith(" the ")
    of_person = prep == "of" and _titled_word_before(text, start)  # "daughter Grace of Reisterstown"
    if (prep not in ("by", "per", "of") or of_person) and not the and word.rstrip(".") in _city_first_words():
        _city(text, low, start, pos, prep, cands)


# The word after a preposition (after "the"): where a city or a hospital acronym would start.
_NEXT_WORD = re.compile(r" (?:the )?([a-z][a-z.'’-]*)")
_VOWELS = frozenset("aeiouy")


def _hospital_acronym(text: str, pos: int, word: str) -> bool:
    """GH, MGH, JHH, GBMC, VAMC: 2-5 letters ending in H, MC or HC, with no vowel unless it ends in MC/HC; in upper
    case, or at most 3 letters in a lower-case note ("to gh")."""
    n = len(word)
    if not 2 <= n <= 5 or word[-1] not in "hc":
        return False
    if not (word.endswith(("mc", "hc")) or (word[-1] == "h" and not _VOWELS.intersection(word))):
        return False
    if not (text[pos : pos + n].isupper() or n <= 3):
        return False
    return word not in HOSPITAL_ACRONYM_STOP and word not in PLACE_STOP and word not in FACILITY_WORDS


def _titled_word_before(text: str, start: int) -> bool:
    m = re.search(r"([A-Za-z]+)[ \t]+$", text[max(0, start - 24) : start])
    return bool(m) and m.group(1)[0].isupper() and not m.group(1).isupper()


@cache
def _city_first_words() -> frozenset[str]:
    """The first word (lower case) of every place name that can be found after a preposition."""
    return frozenset(name.split()[0].lower() for name in places().plain)


def _city(text: str, low: str, cue_start: int, pos: int, prep: str, cands: Cands) -> None:
    m = _CITY_WORDS.match(low, pos)
    if not m:
        return
    p = places()
    words = m.group().split()
    for k in range(len(words), 0, -1):  # longest first: "new haven" before "new"
        phrase = " ".join(words[:k]).rstrip(".")
        key = phrase.upper()
        if key not in p.plain or phrase in STATE_NAMES or phrase in PLACE_STOP:
            continue
        if k == 1:
            nl = names()
            # A city that is also a name: "in Lansdowne" is the town, "from Rome" needs "flying from Rome".
            named = key in nl.any
            if named and (prep != "in" or key in nl.first) and not _residence_before(low, cue_start):
                return
        if text[pos].islower() and not text[pos : pos + len(phrase)].islower():
            return  # half in lower case ("new Haven"): not written as one name
        if _DEVICE_AFTER.match(low, pos + len(phrase)):
            return  # "a Toronto stentless valve", "in Mayfield pins": a device named after a town
        cands.append((0.7, pos, pos + len(phrase), "city"))
        return


_DEVICE_AFTER = re.compile(
    r"[ \t-]+(?:\d+-point[ \t]+)?(?:stentless|valve|valves|pins?|head|holder|fixation|clamp|retractor|stent|"
    r"catheter|prosthesis|mechanical|porcine|tongs|frame|device)(?![a-z])"
)
_CITY_WORDS = re.compile(r"[a-z][a-z.'’-]*(?:[ \t][a-z][a-z.'’-]*){0,2}")


def _residence_before(low: str, cue_start: int) -> bool:
    words = low[max(0, cue_start - 24) : cue_start].split()
    return bool(words) and words[-1].strip(",.;:") in RESIDENCE_CUES


def _saint(text: str, start: int, end: int, cands: Cands, found: dict[str, float]) -> None:
    """'St. Mary's', 'Saint Agnes': St or Saint, capitalised, then a first name — not a device ('St. Jude valve')."""
    if not text[start].isupper() or _DEVICE_AFTER.search(text.lower(), end, end + 24):
        return
    m = _SAINT_NAME.match(text, end)
    if not m:
        return
    name = m.group(1).upper()
    if name not in names().first or name in names().ambiguous and not m.group().endswith(("'s", "’s")):
        return
    cands.append((0.75, start, m.end(), "facility"))


def _organization(text: str, pos: int, cands: Cands) -> None:
    """The employer after 'works at', 'employed by', 'employer:', 'retired from', 'CEO of'."""
    m = _NAME_AFTER.match(text, pos)
    if not m:
        return
    end = pos
    last = ""
    for w in m.group().split():
        bare = w.rstrip(".")
        if _is_stop(bare) or not bare[0].isupper() or w.isdigit():
            break
        end = text.index(w, end) + len(w)
        last = bare.lower()
    if end == pos:
        return
    kind = "facility" if last in FACILITY_WORDS else "organization"
    # Above a name's score: after "works at" two listed names ("Dalton Mills") are a firm, not a person.
    cands.append((0.92, pos, end, kind))


def _second_mentions(text: str, low: str, found: dict[str, float], cands: Cands) -> None:
    """Other mentions of a facility name found once in this text ('GH' ... 'at GH' ... 'GH cx'), written with the
    same leading capital (a capitalised name is not looked for in lower case: 'Good Sam' is not 'good effect')."""
    keys = {name.lower(): (name[0].isupper(), score) for name, score in found.items()}
    alternatives = "|".join(map(re.escape, sorted(keys, key=len, reverse=True)))
    for m in re.finditer(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])", low):
        capital, score = keys[m.group()]
        if capital and not text[m.start()].isupper():
            continue
        cands.append((score, m.start(), m.end(), "facility"))


# A ward named by a word no dictionary holds and its number, after a place word: "to quartermain 2", "ON
# QUARTERMAIN 6", "PLAN: QUARTERMAIN 2", "per Quartermain 3 RN" — but not a drug and its dose ("to lasix 40 mg").
_WARD = re.compile(
    r"(?:to|on|from|transfer|transferred|plan:|per|@)[ \t]+(?:the[ \t]+)?([a-z]{5,})[ \t]*(\d{1,2})(?!\d)"
    # what follows a ward, not a dose: the clause ends, or a word that goes on about a place or a time
    r"(?=[ \t]*(?:$|[,;:)\n]|[.-](?!\d)|(?:when|rn|rns|this|at|with|for|tomorrow|today|once|bed)(?![a-z])))"
)
_DRUG_ENDINGS = ("ine", "ol", "il", "ide", "ate", "pam", "cin", "zole", "pril", "sartan", "statin", "mab", "one")


def _named_wards(text: str, low: str, cands: Cands) -> None:
    for m in _WARD.finditer(low):
        if m.start() > 0 and low[m.start() - 1].isalpha():
            continue
        word = m.group(1)
        if word in english() or _is_stop(word) or word.endswith(_DRUG_ENDINGS) or int(m.group(2)) > 20:
            continue
        cands.append((0.65, m.start(1), m.end(2), "facility"))


_STATE_WORDS = "|".join(sorted((re.escape(s) for s in STATE_NAMES), key=len, reverse=True))
_UNIVERSITY = re.compile(
    rf"(?<![a-z])(?:university|univ\.?|u)[ \t]+(?:of[ \t]+)?(?:{_STATE_WORDS})(?![a-z])"
    r"(?:[ \t]+(?:medical(?:[ \t]+(?:center|ctr|system))?|med(?:ical)?\.?|hospital|hosp\.?))?"
)


def _universities(text: str, low: str, cands: Cands) -> None:
    """'University of Maryland Medical', 'U Maryland ER', 'per U Maryland scale': a state's university hospital."""
    for m in _UNIVERSITY.finditer(low):
        cands.append((0.75, m.start(), m.end(), "facility"))


# "Baylor College of Medicine", "Wayne State University School of Medicine": a school of the health professions,
# named in Title Case (in lower case or capitals, "college of medicine" alone names nobody).
_SCHOOL = re.compile(
    r"(?<![A-Za-z])((?:[A-Z][a-z]+[ \t]+){1,3})(?:College|School|Institute)[ \t]+of[ \t]+"
    r"(?:Medicine|Nursing|Pharmacy|Dentistry|Public[ \t]+Health|Osteopathic[ \t]+Medicine)(?![A-Za-z])"
)


def _schools(text: str, low: str, cands: Cands) -> None:
    for m in _SCHOOL.finditer(text):
        first = m.group(1).split()[0]
        if not _is_stop(first.lower()) and first.lower() not in ("a", "an", "her", "his"):
            cands.append((0.75, m.start(), m.end(), "facility"))


# A street named without a number, in Title Case after a cue: "lives on Hickory Hollow Lane", "off Ridge Road".
# Full suffix words only: "Dr" and "St" are as often a doctor or a saint.
_NAMED_STREET = re.compile(
    r"(?<![A-Za-z])(?:on|at|off|near|of)[ \t]+((?:[A-Z][a-z]+[ \t]+){1,3}"
    r"(?:Street|Avenue|Road|Lane|Drive|Boulevard|Court|Place|Terrace|Circle|Way|Trail|Parkway|Highway|Pike))(?![A-Za-z])"
)


def _named_streets(text: str, low: str, cands: Cands) -> None:
    for m in _NAMED_STREET.finditer(text):
        if not _is_stop(m.group(1).split()[0].lower()):
            cands.append((0.7, m.start(1), m.end(1), "street_address"))


_CARE_HOUSE = re.compile(r"house[ \t]+(?:nh|nursing home|rehab|snf|ltc)(?![a-z])")


def _care_houses(text: str, low: str, cands: Cands) -> None:
    """'Grieco House NH resident': a name, then House and a care-home word."""
    for m in _CARE_HOUSE.finditer(low):
        before = re.search(r"([A-Za-z][A-Za-z'’-]{2,})[ \t]+$", text[max(0, m.start() - 30) : m.start()])
        if before and not _is_stop(before.group(1)):
            cands.append((0.7, m.start() - len(before.group(0)), m.end(), "facility"))
