"""The token pass: names (patients, relatives, clinicians) and places written as words.

Names come from the census lists in data/ plus context, because a list alone is both too small (Ngozi, Szczepanski)
and too large (PATIENT, STABLE and HEAD are all surnames somewhere):
- a title takes the capitalised words after it ("Dr. Patel", "MRS WHITFIELD");
- a cue word takes a listed name after it ("seen by Patel", "daughter Maria"); a relation word or a name field
  takes any capitalised words after it ("wife Priya Ross", "Patient: Kwame L. Szczepanski");
- First Last pairs from the lists stand on their own unless both words are everyday words ("Will Brown");
  "Smith, John" likewise; a name before "(DOB" or ", MRN" and before a credential (", MD") is a name;
- a name once found is found again wherever the same word appears capitalised.
In ALL-CAPS text capitalisation says nothing, so ambiguous words and short abbreviations (MI, TIA, ROS) need a cue.
Places: a city before a state (", IL", ", Illinois"), checked before the title and credential readings of MS/MD/PA,
and "X County".
"""

from __future__ import annotations

import re
from functools import cache

from core.phi._lexicon import (
    CREDENTIALS,
    EPONYM_NEXT,
    NAME_CUES,
    NOT_NAMES,
    STATE_ABBRS,
    STATE_ABBRS_AMBIGUOUS,
    STATE_NAMES,
    TITLES,
    names,
    places,
)

_NAME_AFTER_CUE = re.compile(
    r"(?P<sep>[ \t]*[:,(][ \t]*|[ \t]+)(?P<verb>(?:is|named|was)[ \t]+)?"
    r"(?P<words>[A-Z][A-Za-z'’-]*\.?(?:,?[ \t]+[A-Z][A-Za-z'’-]*\.?){0,3})"
)

_NAME_BEFORE_LABEL = re.compile(
    r"(?:^|(?<=[\n(]|[^\w\s.,:;]|\s))([A-Z][A-Za-z'’-]+,?(?:[ \t]+[A-Z]\.?)?(?:[ \t]+[A-Z][A-Za-z'’-]+){1,2})"
    r"[ \t]*[(,]?[ \t]*$"
)

_MONTH_NEXT_DIGIT = re.compile(r"\.?,?[ \t-]*\d")

_TOKEN = re.compile(r"(?<![A-Za-z0-9'’])[A-Z][A-Za-z]*(?:['’][A-Za-z]+)?(?:-[A-Za-z]+)*(?![A-Za-z0-9])")

_ONE_LETTER = re.compile(r"\.?[ \t]+([A-Z]{1,2})(?![A-Za-z0-9./&-]|\.[ \t]*[A-Z])")
# Two capitals after a title are initials ("Dr. JR") unless they are a credential or a unit ("Dr. ER" is no one).
_NOT_INITIALS = frozenset({"ER", "ED", "OR", "IV", "PO", "IM", "GI", "OB", "ID", "PM", "AM", "US", "UK"})
_AFTER_TITLE = re.compile(r"\.?[ \t]+((?:[A-Z][A-Za-z'’-]*\.?[ \t]+){0,2}[A-Z][A-Za-z'’-]+)")

_BEFORE_CREDENTIAL = re.compile(r"((?:[A-Z][A-Za-z'’-]*\.?[ \t]+){0,2}[A-Z][A-Za-z'’-]+)[ \t]*,?[ \t]*$")

_CITY_BEFORE = re.compile(r"((?:[A-Z][A-Za-z.'’-]*[ \t]+){0,2}[A-Z][A-Za-z.'’-]+)[ \t]*,[ \t]*$")

_GAP_INITIAL = re.compile(r"[ \t]+(?:[A-Z]\.?[ \t]+)?")

# Title Case, or a surname with an inner capital after its particle ("McAllister", "DeLuca", "LaTonya", "VanDyke").
_MIXED_NAME = re.compile(r"(?:Mc|Mac|O'|D'|De|Di|Da|Du|La|Le|Van|Von)?[A-Z][a-z'’-]+")

_NORTH_SOUTH = re.compile(r"(north|south)[ \t]+$")

_ZIP_AFTER = re.compile(r"[ \t,]*\d{5}(?:-\d{4})?\b")

_COUNTY_BEFORE = re.compile(r"((?:[A-Z][A-Za-z.'’-]+[ \t]+){1,2})$")

_NEXT_WORD_ANY_CASE = re.compile(r"(?:'[sS])?[ \t]+([A-Za-z]+)")

_MONTH_WORDS = frozenset(
    "JAN JANUARY FEB FEBRUARY MAR MARCH APR APRIL MAY JUN JUNE JUL JULY AUG AUGUST SEP SEPT SEPTEMBER OCT OCTOBER "
    "NOV NOVEMBER DEC DECEMBER".split()
)

# Words that follow a relation word in capitals without being a name ("SON AGREES", "WIFE AT BEDSIDE").
_STOP_WORDS = frozenset(
    """
    IS WAS ARE WERE BE BEEN AT IN ON BY WITH AND OR THE AN TO FROM OF FOR HAS HAD HAVE WILL MAY CAN COULD WOULD
    SHOULD PRESENT BEDSIDE AGREES AGREED AGREE CALLED CALLS VISITED VISITING VISITS REPORTS REPORTED STATES STATED
    SAYS SAID NOTES NOTED DENIES DENIED ALSO WHO WHICH THAT THIS THESE THOSE HIS HER HIM THEIR THEM SHE HE THEY
    PASSED DIED DECEASED ALIVE WELL HEALTHY LIVING LIVES LIVED LIVE NOT NO YES AWARE UPDATED INFORMED NOTIFIED
    REQUESTS REQUESTED WANTS WISHES PREFERS HELPS HELPED DRIVES DROVE BROUGHT BRINGS STAYS STAYED ALSO HERE THERE
    DECLINES DECLINED CONSENTS CONSENTED UNAVAILABLE AVAILABLE HCP POA PROXY CONTACT PHONE NUMBER EMAIL ADDRESS
    CANCER DIABETES DEMENTIA HYPERTENSION STROKE DISEASE ALZHEIMER ALZHEIMERS ARTHRITIS ASTHMA DEPRESSION
    """.split()
)

_CREDENTIALS_NEED_COMMA = frozenset({"DO", "PT", "OT", "PA", "RD", "OD", "MA"})

# The second word of a two-word state and the first word it needs ("" for North/South).
_STATE_SECOND_WORDS = {
    "YORK": "new",
    "JERSEY": "new",
    "HAMPSHIRE": "new",
    "MEXICO": "new",
    "CAROLINA": "",
    "DAKOTA": "",
    "ISLAND": "rhode",
    "RICO": "puerto",
}

_STATE_WORDS = frozenset(s.upper() for s in STATE_NAMES if " " not in s) | frozenset(_STATE_SECOND_WORDS)

_PLACE_WORDS = frozenset({"COUNTY", "PARISH"})

# Titles that are also clinical abbreviations (MS mental status / multiple sclerosis, PA pulmonary artery):
# a title only before a listed name that is nothing else.
_CLINICAL_TITLES = frozenset({"MS", "PA"})
# Eponyms of methods, anatomy and devices that notes write bare ("CO by Fick", "fluid in Douglas pouch",
# "Blake drain"): surnames, but here never a person of the note.
_ALWAYS_EPONYMS = frozenset(
    {"FICK", "VICRYL", "HICKMAN", "PENROSE", "ALLIS", "FORT", "KOCHER", "BABCOCK", "MAC"}
)  # names of a note's people almost never
_EPONYM_OBJECTS = frozenset(
    {
        "pouch",
        "drain",
        "drains",
        "clamp",
        "clamps",
        "forceps",
        "retractor",
        "method",
        "dilator",
        "dilators",
        "sounds",
        "osteotomy",
        "anesthesia",
        "incision",
        "stitch",
        "suture",
        "needle",
        "speculum",
        "valve",
        "bur",
        "burr",
        "blade",
        "drill",
    }
)
_ET_AL = re.compile(r",?[ \t]*et\.?[ \t]+al\b", re.IGNORECASE)
# Languages and nationalities: "RUSSIAN SPEAKING", "speaks Polish" are not names.
_LANGUAGE_NEXT = re.compile(r"[ \t-]*(?:speaking|speaker|speaks|only|interpreter|translator)\b", re.IGNORECASE)


def _name_after_cue(
    text: str, end: int, kind: str, cands: list[tuple[float, int, int, str]], cue_names: set[str]
) -> None:
    """'daughter Ngozi', 'wife Priya Ross', 'Patient: Kwame L. Szczepanski' - names the lists may not carry."""
    m = _NAME_AFTER_CUE.match(text, end)
    if not m:
        return
    sep = m.group("sep").strip()
    if kind == "namefield" and sep != ":" and not m.group("verb"):
        return  # "Name: X", "name is X"; not "patient Tylenol"
    if kind == "relation" and sep == ":" and not m.group("verb"):
        return  # "Mother: breast cancer" is family history, not a name
    caps_mode = text.isupper() if len(text) < 4096 else text[max(0, end - 2048) : end + 2048].isupper()
    nl = names()
    kept: list[tuple[int, int]] = []
    unknown = False
    pos = m.start("words")
    for word in m.group("words").split():
        wstart = text.index(word, pos)
        pos = wstart + len(word)
        comma = word.endswith(",")
        word = word.rstrip(",")
        bare = word.rstrip(".")
        k = bare.upper().replace("'", "").replace("’", "")
        if len(bare) == 1:
            if kept:
                kept.append((wstart, wstart + 1))
            continue
        if not _cue_word_ok(text, wstart, bare, k, kind, caps_mode, first=not kept):
            break
        unknown = unknown or k not in nl.any or k in nl.ambiguous
        kept.append((wstart, wstart + len(bare)))
        if k not in nl.ambiguous:
            cue_names.add(k)
        if word.endswith(".") or (comma and len(kept) > 1):
            break  # a sentence ends here ("wife Mary. Former smoker"), or a list goes on
    while kept and kept[-1][1] - kept[-1][0] == 1:
        kept.pop()  # never end on an initial
    if kind == "namefield" and unknown and len(kept) < 2:
        return  # "Patient: Alert and oriented" - one unknown word after a field label is not enough
    if kept:
        score = 0.75 if caps_mode and unknown else 0.85
        cands.append((score, kept[0][0], kept[-1][1], "name"))


def _cue_word_ok(text: str, wstart: int, bare: str, k: str, kind: str, caps_mode: bool, *, first: bool) -> bool:
    """May this word after a name cue be part of the name?"""
    nl = names()
    if k in NOT_NAMES or k in TITLES or k in CREDENTIALS or k in _STOP_WORDS or k in STATE_ABBRS:
        return False
    if k in _MONTH_WORDS and _MONTH_NEXT_DIGIT.match(text, wstart + len(bare)):
        return False
    if caps_mode or bare.isupper():
        if len(k) < 3 or (k not in nl.any and not caps_mode):
            return False
        if kind == "relation" and first and (k not in nl.any or k in nl.ambiguous):
            return False  # "SON SEEMS UNABLE", "DAUGHTER VERY SUPPORTIVE": in capitals only a listed name follows
    elif not _MIXED_NAME.fullmatch(bare):
        return False
    return not _eponym(text, wstart + len(bare))


def _name_before_cue(text: str, cue_start: int, cands: list[tuple[float, int, int, str]], cue_names: set[str]) -> None:
    """'Yusuf Gallagher (DOB 5/6/33)', 'MORRIS, ANA, MRN 123': a name right before a DOB or MRN label."""
    m = _NAME_BEFORE_LABEL.search(text, max(0, cue_start - 48), cue_start)
    if not m:
        return
    nl = names()
    words = m.group(1).replace(",", " ").split()
    keys = [w.upper().replace("'", "").replace("’", "") for w in words]
    caps = m.group(1).isupper()
    if any(k in NOT_NAMES or k in TITLES or k in CREDENTIALS or k in _STOP_WORDS for k in keys):
        return
    if caps and (len(keys) < 2 or not any(k in nl.any and k not in nl.ambiguous for k in keys)):
        return  # in capitals only a known name tells a name from a heading
    if not caps and not all(_MIXED_NAME.fullmatch(w) or len(w.rstrip(".")) == 1 for w in words):
        return
    cands.append((0.8, m.start(1), m.end(1), "name"))
    cue_names.update(k for k in keys if len(k) > 2 and k not in nl.ambiguous)


def _scan_tokens(
    text: str,
    low: str,
    cands: list[tuple[float, int, int, str]],
    street_ends: set[int],
    cue_names: set[str] = frozenset(),  # type: ignore[assignment]
) -> None:
    nl = names()
    caps_mode = text.isupper()
    interesting = _interesting()
    # (start, end, KEY) of the tokens worth a look; a comprehension, as this runs once per capitalised word.
    toks = [
        (m.start(), m.end(), key)
        for m in _TOKEN.finditer(text)
        if (key := m.group().upper()) in interesting or key in cue_names or "'" in key or "’" in key or "-" in key
    ]
    if not toks:
        return
    if "'" in text or "’" in text or "-" in text:
        toks = [tok for tok in map(_special_token, toks) if tok is not None]
    names_found: list[tuple[float, int, int]] = []
    name_keys: set[str] = set()
    taken: set[int] = set()  # token starts already part of a name
    i = 0
    while i < len(toks):
        start, end, key = toks[i]
        # ", IL" / ", MD": a state after a place; checked first, since MS and MD are also a title and a credential.
        if (key in STATE_ABBRS or key in _STATE_WORDS) and "," in text[max(0, start - 3) : start]:
            if _city_before_state(text, low, caps_mode, start, end, key, cands):
                i += 1
                continue
        if key in TITLES:
            i = _title(text, caps_mode, toks, i, names_found, name_keys, taken, street_ends)
            continue
        if key in CREDENTIALS and (
            key not in _CREDENTIALS_NEED_COMMA or text[max(0, start - 2) : start].startswith(",")
        ):
            _credential(text, caps_mode, start, names_found, name_keys, taken)
        if key in _PLACE_WORDS:
            _county(text, start, end, cands)
        if key in cue_names:
            name_keys.add(key)
        if start in taken or key not in nl.any:
            i += 1
            continue
        i = _name_at(text, low, caps_mode, toks, i, names_found, name_keys, taken)
    # Propagation: a token already found as a name is a name wherever else it appears capitalised.
    strong = {k for k in name_keys | cue_names if k not in nl.ambiguous and len(k) > 2}
    if strong:
        for start, end, key in toks:
            if key in strong and start not in taken and not _eponym(text, end):
                names_found.append((0.75, start, end))
    for score, start, end in names_found:
        cands.append((score, start, end, "name"))


def _special_token(tok: tuple[int, int, str]) -> tuple[int, int, str] | None:
    """O'Brien -> OBRIEN (the census spelling), Smith's -> SMITH, Gonzalez-Smith kept when both parts are surnames."""
    start, end, key = tok
    if "'" not in key and "’" not in key and "-" not in key:
        return tok
    nl = names()
    if "'" in key or "’" in key:
        key = key.replace("'", "").replace("’", "")
        if key.endswith("S") and key[:-1] in nl.any:
            key = key[:-1]
    if key in _interesting():
        return (start, end, key)
    parts = [part for part in key.split("-") if part]
    if len(parts) > 1 and all(part in nl.any for part in parts):
        # Mary-Kate reads as a first name, Gonzalez-Smith as a surname (by its last part).
        return (start, end, parts[0] if all(part in nl.first for part in parts) else parts[-1])
    return None


@cache
def _interesting() -> frozenset[str]:
    """Capitalised words worth a look: listed names, titles, credentials, states, cue words."""
    cues_upper = frozenset(c.upper() for c in NAME_CUES)
    everything = names().any | TITLES | CREDENTIALS | STATE_ABBRS | _STATE_WORDS | _PLACE_WORDS | cues_upper
    return everything - (NOT_NAMES - STATE_ABBRS - cues_upper - _PLACE_WORDS - CREDENTIALS - TITLES)


def _weak(key: str, word: str, caps_mode: bool) -> bool:
    """A token that is a name only with help: an English word, a clinical abbreviation, an initial."""
    nl = names()
    if key in nl.ambiguous or key in NOT_NAMES or len(key) <= 1:
        return True
    if len(key) <= 3 and (caps_mode or word.isupper()):  # MI, TIA, ROS in capitals are abbreviations
        return True
    return False


def _eponym(text: str, end: int) -> bool:
    """Is the word ending at `end` an eponym or a language rather than a person ("Allen test", "DOUGLAS POUCH",
    "CO by Fick", "RUSSIAN SPEAKING")?"""
    m = _NEXT_WORD_ANY_CASE.match(text, end)
    if m and (m.group(1).lower() in EPONYM_NEXT or m.group(1).lower() in _EPONYM_OBJECTS):
        return True
    if _LANGUAGE_NEXT.match(text, end) or _ET_AL.match(text, end):
        return True  # "RUSSIAN SPEAKING"; "as described by Rowland, et al": an author, not the note's people
    word = re.search(r"[A-Za-z]+$", text[max(0, end - 12) : end])
    return bool(word and word.group().upper() in _ALWAYS_EPONYMS)


def _style_ok(word: str, caps_mode: bool) -> bool:
    """Names are Title-case or all capitals; in mixed-case text a capitals-only word must be longer than 3."""
    if caps_mode:
        return True
    return word[1:2].islower() or (word.isupper() and len(word) > 3)


def _adjacent(text: str, end: int, start: int) -> bool:
    gap = text[end:start]
    if gap == " ":
        return True
    return bool(_GAP_INITIAL.fullmatch(gap))


def _name_at(
    text: str,
    low: str,
    caps_mode: bool,
    toks: list[tuple[int, int, str]],
    i: int,
    found: list[tuple[float, int, int]],
    name_keys: set[str],
    taken: set[int],
) -> int:
    """Decide the run of name tokens starting at toks[i]; return the index of the next token to look at."""
    nl = names()
    start, end, key = toks[i]
    word = text[start:end]
    if not _style_ok(word, caps_mode) or (key in _MONTH_WORDS and _MONTH_NEXT_DIGIT.match(text, end)):
        return i + 1
    # The run: this token and the following adjacent name-list tokens (up to 4 in all).
    run = [toks[i]]
    j = i + 1
    while j < len(toks) and len(run) < 4 and toks[j][2] in nl.any and _adjacent(text, run[-1][1], toks[j][0]):
        if not _style_ok(text[toks[j][0] : toks[j][1]], caps_mode) or toks[j][2].lower() in _EPONYM_OBJECTS:
            break
        if toks[j][2] in _MONTH_WORDS and _MONTH_NEXT_DIGIT.match(text, toks[j][1]):
            break
        run.append(toks[j])
        j += 1
    weak = [_weak(k, text[s:e], caps_mode) for s, e, k in run]
    # Trim trailing eponyms ("Allen test", "Parkinson's disease").
    while run and _eponym(text, run[-1][1]):
        run.pop()
        weak.pop()
    if not run:
        return j
    score = 0.0
    if len(run) >= 2 and run[0][2] in nl.first and run[-1][2] in nl.last and not all(weak):
        # First Last. In capitals a weak first word (WILL SMITH) needs a cue: "will" is likelier.
        if not weak[0] or not caps_mode:
            score = 0.85
        elif _name_cued(low, start):
            score = 0.9
    elif not weak[0] and _name_cued(low, start):
        score = 0.85
    elif len(run) == 1:
        score = _last_first(text, run[0], toks, i, weak[0])
        if score:
            nxt = toks[i + 1]
            found.append((score, start, nxt[1]))
            name_keys.update((key, nxt[2]))
            taken.update((start, nxt[0]))
            return i + 2
    if score:
        found.append((score, run[0][0], run[-1][1]))
        for s, _e, k in run:
            name_keys.add(k)
            taken.add(s)
        return i + len(run)
    return i + 1


def _name_cued(low: str, start: int) -> bool:
    """Is the word before `start` a name cue ("daughter Maria", "seen by: Patel", "patient is John")?"""
    words = low[max(0, start - 32) : start].replace(":", " ").replace(",", " ").split()
    if words and words[-1] in ("is", "named", "was") and len(words) > 1:
        words.pop()
    return bool(words) and words[-1] in NAME_CUES


def _last_first(text: str, tok: tuple[int, int, str], toks: list[tuple[int, int, str]], i: int, weak: bool) -> float:
    """'SMITH, JOHN' / 'Smith, John': a surname, a comma, an unambiguous first name of the same style."""
    nl = names()
    if i + 1 >= len(toks) or tok[2] not in nl.last:
        return 0.0
    nxt = toks[i + 1]
    gap = text[tok[1] : nxt[0]]
    if (gap != ", " and gap != ",") or nxt[2] not in nl.first:
        return 0.0
    first_word, next_word = text[tok[0] : tok[1]], text[nxt[0] : nxt[1]]
    if first_word.isupper() != next_word.isupper() or _weak(nxt[2], next_word, True):
        return 0.0
    if tok[2] in NOT_NAMES or nxt[2] in _STATE_WORDS or _eponym(text, nxt[1]):
        return 0.0
    return 0.8 if not weak else 0.7


def _title(
    text: str,
    caps_mode: bool,
    toks: list[tuple[int, int, str]],
    i: int,
    found: list[tuple[float, int, int]],
    name_keys: set[str],
    taken: set[int],
    street_ends: set[int],
) -> int:
    start, end, key = toks[i]
    word = text[start:end]
    if end in street_ends or (end + 1) in street_ends or not _style_ok(word, caps_mode) and key != "DR":
        return i + 1
    if start >= 2 and text[start - 1] == " " and text[start - 2].isdigit():
        return i + 1  # "QTc 432 MS." is milliseconds, "123 Oak DR" a street
    m = _AFTER_TITLE.match(text, end)
    if not m:
        return _one_letter(text, end, found, i)
    # MS / PA in capitals without a period are as often mental status, MS incision, PA pressure: a title only
    # before a listed name that is nothing else ("Ms. May Brown" and "Ms Brown" are titles as written).
    clinical = key in _CLINICAL_TITLES and word.isupper() and not text.startswith(".", end)
    pos = m.start(1)
    name_end = None
    score = 0.95
    for w in m.group(1).split():
        wstart = text.index(w, pos)
        pos = wstart + len(w)
        bare = w.rstrip(".")
        k = bare.upper().replace("'", "").replace("’", "")
        if len(bare) == 1:  # an initial: "Dr. J. Smith"
            continue
        verdict = _title_word(text, wstart, bare, k, caps_mode, clinical)
        if verdict is None:
            break
        score = min(score, verdict)
        name_end = wstart + len(bare)
        name_keys.add(k)
        if w.endswith(".") and len(bare) > 1:
            break  # a sentence ends here
    if name_end is None:
        return _one_letter(text, end, found, i)
    found.append((score, m.start(1), name_end))
    j = i + 1
    while j < len(toks) and toks[j][0] < name_end:
        taken.add(toks[j][0])
        j += 1
    return j


def _one_letter(text: str, end: int, found: list[tuple[float, int, int]], i: int) -> int:
    """'Dr. X', "Ms. B's office", 'Dr. Y recommended', 'Dr. JR': a title and one or two capitals stand for a name (a
    placeholder in de-identified text, or a person's initials)."""
    letter = _ONE_LETTER.match(text, end)
    initials = letter.group(1) if letter else ""
    if len(initials) == 2 and (initials in CREDENTIALS or initials in _NOT_INITIALS or initials in STATE_ABBRS):
        return i + 1
    if letter:
        found.append((0.7, letter.start(1), letter.end(1)))
    return i + 1


def _title_word(text: str, wstart: int, bare: str, k: str, caps_mode: bool, clinical: bool) -> float | None:
    """The score a word after a title gets as part of the name (0.95; 0.8 for an unknown word in capitals), or None
    where the name stops."""
    nl = names()
    if k in NOT_NAMES or k in CREDENTIALS or k in TITLES or k in STATE_ABBRS:
        return None
    if k in _MONTH_WORDS and _MONTH_NEXT_DIGIT.match(text, wstart + len(bare)):
        return None  # "Dr. Hill June 3rd, 2018": the date starts here
    if clinical and (k not in nl.any or k in nl.ambiguous):
        return None  # "ALTERED MS TODAY", "MS INCISION": mental status, sternotomy, pulmonary artery — not Ms/PA
    score = 0.95
    if caps_mode or bare.isupper():
        if k in _STOP_WORDS or len(k) < 2 or (k in nl.ambiguous and k not in nl.last):
            return None
        if k not in nl.any and len(k) < 3:
            return None
        if k not in nl.any:
            score = 0.8  # an unknown word after a title in capitals: likely a name, less sure
    elif not bare[1:].islower() and not _MIXED_NAME.fullmatch(bare):
        return None
    if _eponym(text, wstart + len(bare)):
        return None
    return score


def _credential(
    text: str,
    caps_mode: bool,
    cred_start: int,
    found: list[tuple[float, int, int]],
    name_keys: set[str],
    taken: set[int],
) -> None:
    m = _BEFORE_CREDENTIAL.search(text, max(0, cred_start - 48), cred_start)
    if not m:
        return
    nl = names()
    words = m.group(1).split()
    # Keep the tail of the words that are names: "Seen by Raj Patel, MD" -> "Raj Patel".
    kept = 0
    for w in reversed(words):
        bare = w.rstrip(".")
        k = bare.upper().replace("'", "").replace("’", "")
        if len(bare) == 1:
            kept += 1
            continue
        if k in NOT_NAMES or k in TITLES or k in CREDENTIALS:
            break
        if caps_mode or bare.isupper():
            if k not in nl.any:
                break
        elif not bare[1:].islower():
            break
        kept += 1
    while kept and len(words[len(words) - kept].rstrip(".")) == 1:
        kept -= 1  # do not start a name on an initial
    if not kept:
        return
    keys = [w.rstrip(".").upper() for w in words[len(words) - kept :] if len(w.rstrip(".")) > 1]
    if all(k in nl.ambiguous or k in _STOP_WORDS for k in keys) and "," not in text[m.end(1) : cred_start]:
        return  # "SEE MD ORDERS", "WILL KEEP NP": everyday words before a credential, no comma, are no name
    first = words[len(words) - kept]
    start = text.index(first, m.start(1))
    end = m.start(1) + len(m.group(1))
    if start in taken:
        return
    found.append((0.9, start, end))
    for w in words[len(words) - kept :]:
        name_keys.add(w.rstrip(".").upper())


def _city_before_state(
    text: str, low: str, caps_mode: bool, start: int, end: int, key: str, cands: list[tuple[float, int, int, str]]
) -> bool:
    if key in _STATE_SECOND_WORDS:
        prefix = _STATE_SECOND_WORDS[key]
        if prefix and not low[max(0, start - len(prefix) - 1) : start].startswith(prefix):
            return False
        if prefix:
            start -= len(prefix) + 1
        else:
            m2 = _NORTH_SOUTH.search(low, max(0, start - 7), start)
            if not m2:
                return False
            start -= len(m2.group())
    if len(key) == 2 and not text[start:end].isupper():
        return False
    m = _CITY_BEFORE.search(text, max(0, start - 40), start)
    if not m:
        return False
    city = m.group(1)
    words = city.split()
    p = places()
    zip_after = bool(_ZIP_AFTER.match(text, end))
    if not zip_after and key in STATE_ABBRS_AMBIGUOUS:
        # "Mei Fitzgerald, MD" is a clinician, not Fitzgerald, Maryland: a surname before MD/PA/MA is a name unless
        # the place is a big city (Baltimore, MD) or a ZIP follows.
        nl = names()
        last = words[-1].upper()
        if last in nl.last and last not in p.big:
            return False
    # Longest tail of the words that is a known place ("Oak Park" in "123 Main St, Oak Park").
    for n in range(len(words), 0, -1):
        tail = " ".join(words[-n:])
        if tail.upper() in p.cities:
            tail_start = m.start(1) + city.rfind(tail)
            cands.append((0.9 if zip_after or key not in STATE_ABBRS_AMBIGUOUS else 0.8, tail_start, m.end(1), "city"))
            return True
    if zip_after:
        last = words[-1]
        cands.append((0.75, m.start(1) + city.rfind(last), m.end(1), "city"))
        return True
    return False


def _county(text: str, start: int, end: int, cands: list[tuple[float, int, int, str]]) -> None:
    m = _COUNTY_BEFORE.search(text, max(0, start - 30), start)
    if not m:
        return
    w = m.group(1).split()[-1]
    if w.upper() in NOT_NAMES or w.upper() in TITLES:
        return
    cands.append((0.85, m.start(1) + m.group(1).rfind(w), end, "city"))
