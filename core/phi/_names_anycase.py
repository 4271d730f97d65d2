"""Names whatever their case: the cue words of clinical notes, read in lower case ("dr healey", "dtr suzette",
"son jonathan called", "HO Domenico", "irene snell, rn", "E. WELSH aware").

The token pass (`_names`) reads capitalised words; nursing notes are as often all lower case or all capitals, and
there capitalisation says nothing. This pass goes by context instead, over the lower-cased text:
- stage 1 is one regex of the cue words (a trie of literals, as in `_detect`): titles, relations, roles;
- stage 2 reads the words right after a cue and keeps those a name may be. After a title (dr, mrs, mr, miss) any
  word that is not a note word is a name — "dr small" is Dr Small. After a relation or a role ("son", "dtr", "HO",
  "rabbi", "house staff") the first word must be in the census name lists; the following ones too;
  plural cues ("sons", "drs") read a list ("sons smokey, morris and roger");
- an initial and a listed surname ("E. WELSH", "q. lander") is a name when neither is an abbreviation or organism
  ("E. coli" is not: COLI is no surname); a name before a credential in any case ("irene snell, rn");
- a word no list holds is a name where the lists cannot know: after a relation written as a label ("son: Radomir"),
  or as a surname after a first name ("per douglas okonkwo"), when it is no English word (SCOWL's list);
- weak cues (per, with, by, to) take a first name that is nothing else ("with mary", not "with walker");
- names framed by "(daughter)", "his niece", a note's opening "… is a 70 yr old" or its last line (a signature);
- a name found here is found again wherever the same word stands in the note, in any case, unless the word is
  also an everyday word (SMALL, BILL: kept only where a cue said so).
Not titles here: "ms" ("MS: pt spoke" is mental status) and "pa" — their capitalised uses are the token pass's.
"""

from __future__ import annotations

import re
from functools import cache

from core.phi._lexicon import CREDENTIALS, NOT_NAMES, STATE_ABBRS, STATE_NAMES, TITLES, english, names
from core.phi._patterns import trie_pattern

# Cue words by kind. title: anything name-shaped after it; relation/role: a listed name after it; the plural
# forms read a list of names.
_CUES = {
    "title": "dr dr. doctor mrs mrs. mr mr. miss",
    "titles": "drs drs. drs' doctors",
    "relation": (
        "daughter dtr dau son wife husband hus spouse sister sis brother bro mother mom father dad niece nephew aunt "
        "uncle grandson granddaughter grandaughter cousin fiance fiancee partner friend neighbor neighbour "
        "proxy hcp poa guardian sibling stepson stepdaughter"
    ),
    "role": "ho rabbi chaplain priest reverend rev resident intern fellow attending np rn nurse staff sw pcp md",
    "plural": "sons daughters dtrs children kids brothers sisters grandchildren",
    "weak": "per with by to w/ called paged",
}
# Cues of more than one word: "significant other, Oluwaseun", "follow up with Diaz" (a listed name after it).
_PHRASES = {
    "significant other": "relation",
    "follow up with": "role",
    "follow-up with": "role",
    "followup with": "role",
    "f/u with": "role",
}
_KIND = {word: kind for kind, words in _CUES.items() for word in words.split()} | _PHRASES
_STATES = frozenset(s.upper() for s in STATE_NAMES)
_TITLE_KINDS = frozenset({"title", "titles"})  # any name-shaped word after them
_LISTS = frozenset({"titles", "plural", "next"})  # a list of names after them


_CUE = re.compile(rf"(?<![a-z0-9'’])(?:{trie_pattern(list(_KIND))})(?![a-z0-9])")
# What may stand between a cue and the name: spaces, a colon, a dash, "is", "named", "was", a second title.
_GAP = re.compile(
    r"(?:\(\?\))?(?:[ \t]*[:\-–,][ \t]*|[ \t]+|\.(?=[a-z]))(?:(?:is|was|named)[ \t]+)?(?:(?:mrs|mr|ms|dr)\.?[ \t]+)?"
    r"[\"“']?"
)
_WORD = re.compile(r"[a-z][a-z'’]*(?:-[a-z]+)?")
# What may follow a relative's name that a drug or a typo rarely precedes: a list or a clause going on.
_ENDS_NAME = re.compile(r"[ \t]*(?:[,;)&]|\.(?:[ \t]|$)|(?:and|or|who|is|was|has|visited|called|came|here)(?![a-z]))")
_OPENING_INITIAL = re.compile(r"[a-z]\.[ \t]*(?=[a-z]{2})")
_CREDENTIAL_OR_AWARE = re.compile(r"[ \t,]+(?:rn|rrt|md|np|pa|pa-c|lpn|aware|notified|made aware)(?![a-z])")
_EPONYM_AFTER = re.compile(
    r"(?:'s)?[ \t-]+(?:pratt|drain|drains|method|pouch|catheter|tube|test|sign|maneuver|disease|syndrome|score"
    r"|anesthesia|dilators?|sounds|osteotomy|clamp|forceps|retractor|valve|burr?|blade|drill)\b"
)
_PARTICLE = re.compile(
    r"(?:(?:de|van|von)[ \t]+(?:la|las|los|der|den|het)|de|del|della|van|von|der|den|da|di|du|le|la|ter|ten|bin|ibn"
    r"|dos|das)[ \t]+(?=[a-z])"
)
_NEXT_NAME_WORD = re.compile(r"[ \t]+(?:[a-z]\.?[ \t]+)?")
_LIST_GAP = re.compile(r"[ \t]*(?:,|and|&)[ \t]*(?:and[ \t]+)?")
# The dot first, so the engine skips in C to each "."; the initial is checked behind it.
_INITIAL_SURNAME = re.compile(r"\.(?<=(?<![a-z0-9.])(?P<initial>[a-z])\.)[ \t]?([a-z][a-z'’]+(?:-[a-z]+)?)(?![a-z0-9])")
# Credentials are found first (a literal-first trie), then the words right before one are read.
_CREDENTIAL = re.compile(
    r"(?<![a-z])(?:bsn/)?(?:"
    + trie_pattern("rn rrt md np lpn cna msw lcsw licsw crna pa-c m.d. d.o. r.n. n.p. ph.d.".split())
    + r")(?![a-z])"
)
_BEFORE_CREDENTIAL = re.compile(
    r"([a-z][a-z'’]+(?:-[a-z]+)?(?:[ \t]+[a-z]\.?)?(?:[ \t]+[a-z][a-z'’]+(?:-[a-z]+)?)?)(,?[ \t]+)(?:bsn/)?$"
)

# Words that follow a cue in notes without being a name (verbs, pronouns, note words, body and clinical words).
_NOT_AFTER_CUE = frozenset(
    """
    is was are were be been at in on by with and or the a an to from of for has had have will may can could would
    should present bedside agrees agreed agree called calls visited visiting visits reports reported states
    stated says said notes noted denies denied also who which that this these those his her him their them she he
    they it its passed died deceased alive well healthy living lives lived live not no yes aware updated informed
    notified requests requested wants wishes prefers helps helped drives drove brought brings stays stayed here
    there declines declined consents consented unavailable available contact phone number email address in out
    up down over home today tonight yesterday tomorrow now later still again very all both each other others
    spoke speaks speak talked talk discussed discuss met meet given gave asked ask took take came come went go
    left right came arrived leaving left feels felt seems seemed remains remained plans plan making made
    orders order aware note notes re regarding about per please pt patient pts family fam members member team
    on-call oncall covering following follow saw seen see sees looked looking present presently in-house
    at bedside phone phoned paged page pager number cell in-law in-laws
    """.split()
)
# Lab and note abbreviations that are also surnames somewhere ("a. alt", "E. COLI" aside: COLI is none).
_CLINICAL = frozenset(
    "ALT AST BUN HCT INR PTT WBC RBC PLT ABG CVP MAP SAT SATS VENT PEEP ECHO CATH LINE PO IV IM SQ SC PR NG OG NPO PRN "
    "BID TID QID QD QHS MIN MAX MAE LE RE NA CA MG PICC REHAB AUGMENTATION MAC".split()
)
_VERB_ENDINGS = ("ing", "ly", "ed")


@cache
def _stop_keys() -> frozenset[str]:
    cue_words = frozenset(_key(w.rstrip(".'")) for w in _KIND)
    return (
        frozenset(w.upper() for w in _NOT_AFTER_CUE)
        | NOT_NAMES
        | TITLES
        | CREDENTIALS
        | STATE_ABBRS
        | _CLINICAL
        | cue_words
    )


def scan(text: str, low: str, cands: list[tuple[float, int, int, str]]) -> None:
    """Append the name candidates this pass finds (see the module docstring)."""
    found: list[tuple[float, int, int]] = []
    for m in _CUE.finditer(low):
        kind = _KIND[m.group()]
        if m.group() in ("mr", "miss") and text[m.start() : m.end()].isupper():
            kind = "role"  # "SEVERE MR, CAD": mitral regurgitation; MR is a title only before a listed name
        _after_cue(low, m.end(), kind, found)
    for m in _INITIAL_SURNAME.finditer(low):
        _initial_surname(low, m, found)
    for c in _CREDENTIAL.finditer(low):
        m = _BEFORE_CREDENTIAL.search(low, max(0, c.start() - 48), c.start())
        if m:
            _before_credential(low, m, found)
    _framed(low, found)
    _spread(low, found)
    cands.extend((score, start, end, "name") for score, start, end in found)


def _key(word: str) -> str:
    return word.upper().replace("'", "").replace("’", "")


def _listed(key: str) -> bool:
    nl = names()
    if key in nl.any:
        return True
    parts = key.split("-")
    return len(parts) > 1 and all(part in nl.any for part in parts)


def _after_cue(low: str, end: int, kind: str, found: list[tuple[float, int, int]]) -> None:
    gap = _GAP.match(low, end)
    if not gap or gap.end() == end:
        return
    pos = gap.end()
    labelled = bool(set(low[end:pos]) & set(":-(\"“'"))
    if kind in _TITLE_KINDS and "," in low[end:pos]:
        return  # "dr, x" is no title before a name
    while True:
        words = _name_words(low, pos, kind, labelled=labelled)
        if words:
            found.append((0.9 if kind in _TITLE_KINDS else 0.8, words[0][0], words[-1][1]))
        if kind not in _LISTS or not words:
            return
        more = _LIST_GAP.match(low, words[-1][1])  # "sons smokey, morris and roger", "drs ballou and dutter"
        if not more or more.end() == words[-1][1]:
            return
        pos = more.end()
        if low.startswith(("dr ", "dr. "), pos):
            pos = low.index(" ", pos) + 1
        kind = "next"  # the next of a list is a listed name or no English word ("drs X and MOST decisions": no)


def _name_words(low: str, pos: int, kind: str, *, labelled: bool = False) -> list[tuple[int, int]]:
    """The (start, end) of up to three name words from `pos` (initials between them skipped). A name may open
    with an initial ("per N. RUTH", "to D. Phyl"): then the word after it needs only to be no English word."""
    words: list[tuple[int, int]] = []
    initial = _OPENING_INITIAL.match(low, pos)
    if initial:
        m = _WORD.match(low, initial.end())
        if not m or not _after_initial(m):
            return []
        words.append((pos, m.end()))
        pos = m.end()
        nxt = _NEXT_NAME_WORD.match(low, pos)
        if not nxt:
            return words
        pos = nxt.end()
    while len(words) < 3:
        particle = _PARTICLE.match(low, pos) if kind in _TITLE_KINDS else None
        if particle:  # "dr. de la cruz", "mr. van der berg": the particles and the listed surname after them
            m = _WORD.match(low, particle.end())
            if not m or not _name_word(low, m, kind, first=False):
                break
            words.append((pos, m.end()))
            break
        m = _WORD.match(low, pos)
        if not m or not _name_word(low, m, kind, first=not words, labelled=labelled):
            break
        if _EPONYM_AFTER.match(low, m.end()):
            return []  # "to jackson pratt drain", "with van buren sounds": the whole name is an eponym
        words.append((m.start(), m.end()))
        nxt = _NEXT_NAME_WORD.match(low, m.end())
        if not nxt or (kind in _LISTS and low[m.end() : m.end() + 1] in ",&"):
            break
        pos = nxt.end()
    return words


def _not_english(word: str) -> bool:
    return "'" not in word and not any(part in english() or len(part) < 3 for part in word.split("-"))


def _name_word(low: str, m: re.Match[str], kind: str, *, first: bool, labelled: bool = False) -> bool:
    word = m.group()
    key = _key(word)
    if key in _stop_keys() or len(key) < 2 or word in _NOT_AFTER_CUE:
        return False
    listed = _listed(key)
    if not first:
        # a listed name, or a surname no dictionary holds ("per warren kavaliunas"); never "dr small TODAY"
        return listed or (len(word) >= 4 and _not_english(word))
    if kind in _TITLE_KINDS:
        return listed or len(key) >= 3  # after a title any word that is not a note word: "dr small", "dr wynn"
    if kind == "next":
        return (listed and key not in names().ambiguous) or (len(word) >= 4 and _not_english(word))
    if word.endswith(_VERB_ENDINGS) and (not listed or word in english()):
        return False  # "son ENCOURAGED", "dtr VISITING" — but Fred, Saeed, Kelly, Sterling are names
    if not listed:
        # "son: vladimir", "DAUGHTER-KRISSY": after a relation written as a label, a word that is no English word
        # (nor part of one: "called-update") is a name; after a role it may be a drug ("HO- dobutamine")
        standalone = labelled or bool(_ENDS_NAME.match(low, m.end()))  # "BROTHER VINNY AND", "sons smokey,"
        return kind in ("relation", "plural") and standalone and len(word) >= 4 and _not_english(word)
    nl = names()
    if kind == "weak":
        # "per mary", "with patty hoeller": a first name — one that is also a word only before a surname
        if key in _STATES:
            return False  # "retire to florida"
        plain = key not in nl.ambiguous and word not in english()  # "with mary", not "with walker"
        return len(key) >= 3 and key in nl.first and (plain or _surname_next(low, m.end()))
    # After a relation or role a common word is no name ("son VIA", "dtr DURING", "dtr WILL call"), unless it is a
    # first name standing alone ("son bill, called").
    if key not in nl.ambiguous:
        return True
    return key in nl.first and (_then_stops(low, m.end()) or _surname_next(low, m.end()))  # "son don reid"


def _surname_next(low: str, end: int) -> bool:
    nxt = _WORD.match(low, end + 1) if low[end : end + 1] == " " else None
    if not nxt:
        return False
    key = _key(nxt.group())
    nl = names()
    if key in _stop_keys():
        return False
    return (key in nl.last and key not in nl.ambiguous) or (len(key) >= 4 and _not_english(nxt.group()))


def _after_initial(m: re.Match[str]) -> bool:
    key = _key(m.group())
    return len(key) >= 3 and key not in _stop_keys() and (m.group() not in english() or key in names().last)


def _then_stops(low: str, end: int) -> bool:
    """Is the word at `end` followed by punctuation, the end, or a note word ("son bill, called", "son bill called")?
    Then a first name that is also an everyday word stands alone as a name."""
    rest = low[end : end + 24]
    if not rest.strip() or rest.lstrip(" \t")[:1] in ",.;:)-\n":
        return True
    if re.match(r"[ \t]+[a-z]\.?[ \t]", rest):
        return True  # an initial follows: "NP CAROL M MADE AWARE"
    nxt = _WORD.match(rest.lstrip(" \t"))
    return bool(nxt) and nxt.group() in _NOT_AFTER_CUE


def _initial_surname(low: str, m: re.Match[str], found: list[tuple[float, int, int]]) -> None:
    """'E. WELSH', 'q. lander': an initial and a surname from the list that is not also an English word."""
    nl = names()
    key = _key(m.group(2))
    if key in _stop_keys() or len(key) < 3:
        return
    if key in nl.ambiguous or key not in nl.any:
        # an unlisted or everyday surname only before a credential or "aware": "(B. KARGAS PA AWARE)", "q. lander rrt"
        if not _CREDENTIAL_OR_AWARE.match(low, m.end()):
            return
    initial = m.start() - 1
    if initial > 0 and low[initial - 1] not in " \t\n(-:;,":
        return
    found.append((0.8, initial, m.end(2)))


def _before_credential(low: str, m: re.Match[str], found: list[tuple[float, int, int]]) -> None:
    """'irene snell, rn', 'DAN A. FORMAN-LYONS, RRT': listed names right before a credential."""
    words = [w for w in re.split(r"[ \t]+", m.group(1)) if len(w.rstrip(".")) > 1]
    keys = [_key(w) for w in words]
    if not keys or any(k in _stop_keys() for k in keys) or all(w in english() for w in words):
        return  # "good wave pa", "see md": everyday words before a credential
    nl = names()
    # every word listed, or a first name and surnames no dictionary holds ("barbara j. parrilli bsn/rn")
    if not all(_listed(k) for k in keys) and not (
        keys[0] in nl.first and all(_listed(k) or w not in english() for k, w in zip(keys[1:], words[1:], strict=True))
    ):
        return
    if keys[0] in nl.ambiguous or (len(keys) == 1 and "," not in m.group(2)):
        return  # "see md orders", "will keep np": the first word must be only a name; one word needs the comma
    found.append((0.85, m.start(1), m.end(1)))


_RELATION_AFTER = re.compile(
    r"(?:\(|(?<![a-z])(?:his|her|pt'?s))[ \t]*(?:daughter|son|wife|husband|niece|neice|nephew|sister|"
    r"brother|mother|father|granddaughter|grandson|aunt|uncle|cousin|friend|partner)(?![a-z])"
)
_TWO_WORDS_BEFORE = re.compile(r"([a-z][a-z'’-]+)(?:[ \t]+([a-z][a-z'’-]+))?$")
# "Jane Roe is a 70 yr old", "HISTORY: Tomasz is a 60-year-old": at a line's start, or after a heading.
_OPENING = re.compile(
    r"(?:^|\n)[ \t]*(?:[a-z][a-z /]{1,40}:[ \t,]*)?([a-z][a-z'’-]+)(?:[ \t]+([a-z][a-z'’-]+))?"
    r"[ \t]+(?:is|was)[ \t]+an?[ \t]+\d"
)
_LAST_LINE = re.compile(r"\n[ \t]*([a-z][a-z'’-]+(?:[ \t]+[a-z]\.?)?(?:[ \t]+[a-z][a-z'’-]+)?)[ \t]*\s*$")


def _framed(low: str, found: list[tuple[float, int, int]]) -> None:
    """Names the words around them frame: before '(daughter)' or 'his niece' ("URSLA MORETTI (DAUGHTER)"), at a
    note's start before 'is a 70 yr old', and alone on a note's last line (the writer's signature)."""
    for relation in _RELATION_AFTER.finditer(low):
        window = max(0, relation.start() - 48)
        end = window + len(low[window : relation.start()].rstrip(" \t,"))
        m = _TWO_WORDS_BEFORE.search(low, max(0, end - 40), end)
        if m:
            _person(low, m.start(1), m.end(), [g for g in m.groups() if g], found)
    for opening in _OPENING.finditer(low):
        words = [w for w in opening.groups() if w]
        _person(low, opening.start(1), opening.end(len(words)), words, found, alone=True)
    last = _LAST_LINE.search(low, max(0, len(low) - 80))
    if last:
        words = [w for w in last.group(1).split() if len(w.rstrip(".")) > 1]
        _person(low, last.start(1), last.end(1), words, found)


def _person(
    low: str, start: int, end: int, words: list[str], found: list[tuple[float, int, int]], *, alone: bool = False
) -> None:
    """A first name (listed and nothing else, or no English word) and surnames that are listed or no English word.
    With `alone` one word may stand for the name when the frame is strong ("Soren is a 45 year old")."""
    if not words or len(words) > 2:
        return
    nl = names()
    keys = [_key(w) for w in words]
    if any(k in _stop_keys() for k in keys):
        return
    listed_first = keys[0] in nl.first and keys[0] not in nl.ambiguous
    one_ok = alone and (
        (_listed(keys[0]) and keys[0] not in nl.ambiguous) or (len(words[0]) >= 4 and _not_english(words[0]))
    )
    first_ok = listed_first or one_ok or (len(words) > 1 and len(words[0]) >= 4 and _not_english(words[0]))
    if first_ok and all(
        _listed(k) or (len(w) >= 4 and _not_english(w)) for k, w in zip(keys[1:], words[1:], strict=True)
    ):
        found.append((0.75, start, end))


def _spread(low: str, found: list[tuple[float, int, int]]) -> None:
    """A name this pass found is found again wherever the same word stands, in any case — unless the word is also
    an everyday word (then only where a cue said so)."""
    nl = names()
    keys = {
        _key(w)
        for score, start, end in found
        if score >= 0.8
        for w in re.split(r"[ \t]+", low[start:end])
        if len(w) > 2
    }
    keys = {k for k in keys if k not in nl.ambiguous and k not in _stop_keys()}
    if not keys:
        return
    pattern = re.compile(r"(?<![a-z0-9'’])(?:" + "|".join(re.escape(k.lower()) for k in keys) + r")(?![a-z0-9])")
    for m in pattern.finditer(low):
        found.append((0.75, m.start(), m.end()))
