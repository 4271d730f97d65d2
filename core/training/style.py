"""A note's form, as a doctor's habit: which headings in which order, bullets or prose, terse or narrative.

Style fidelity — the benchmark's figure — is the share of generated notes whose structure matches the doctor's habit,
the structure most common among their own samples. It reads form, not content: an adapter that writes the right
headings in the doctor's order, in their bullets or prose and at their sentence length, has learnt the habit.

Theory of operation:
- Headings. A line is a heading when, once markdown marks (`**`, `#`, `__`) and a leading list number are taken off,
  it is (a) a known section name (`SECTION_NAMES`: "Assessment and Plan", "HPI", "S", "Impression", ...), alone or
  followed by a colon and text ("PLAN: ..."), or (b) a short label (at most `MAX_HEADING_WORDS` words) that ends the
  line with a colon ("Reason for referral:"), or (c) a short line in capitals ("IMPRESSION"). A bulleted line is never
  a heading, so "- Meds: lisinopril" stays text. A letter's salutation ("Dear ...") and closing ("Kind regards",
  "Sincerely") are structure too, as `<salutation>` and `<closing>`.
- Headings are normalised on the surface only — lower case, "&" as "and", marks and spaces tidied — and never mapped
  to a canonical section: "HPI" and "Subjective" are different habits, which is the point.
- Form: the body's non-empty lines are `bullets` when at least half begin with a list mark, otherwise `prose`; the
  body's mean sentence length (sentences end at . ? ! or a line break) under `TERSE_WORDS` words is `terse`,
  otherwise `narrative`.
- A note matches a habit when all three agree: heading sequence, layout and register.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

MAX_HEADING_WORDS = 5
TERSE_WORDS = 11.0  # mean words per sentence: telegraphic notes sit at 4-8, narrative prose at 15-25
SALUTATION = "<salutation>"
CLOSING = "<closing>"

# Normalised section names a doctor may write before text on the same line ("PLAN: start ...").
SECTION_NAMES = frozenset(
    {
        "s", "o", "a", "p", "a/p", "a and p", "subjective", "objective", "assessment", "plan", "assessment and plan",
        "assessment/plan", "impression", "impression and plan", "recommendations", "recommendation", "hpi",
        "history", "history of present illness", "interval history", "cc", "chief complaint", "reason for visit",
        "reason for referral", "ros", "review of systems", "pmh", "past medical history", "psh", "social history",
        "family history", "medications", "meds", "allergies", "exam", "examination", "physical exam",
        "physical examination", "pe", "vitals", "vital signs", "labs", "results", "data", "studies", "imaging",
        "diagnosis", "diagnoses", "differential", "differential diagnosis", "discussion", "summary", "findings",
        "disposition", "follow-up", "follow up", "instructions", "patient instructions", "problem list", "problems",
        "course", "hospital course", "procedure", "plan of care",
    }
)  # fmt: skip

_MARKDOWN = re.compile(r"^\s*(?:#{1,6}\s*)?(?:[*_]{1,3})?|(?:[*_]{1,3})?\s*$")
_BULLET = re.compile(r"^\s*(?:[-*•·‣▪]|\d{1,2}[.)]|\(\d{1,2}\)|[a-z][.)])\s+")
_NUMBERED_HEADING = re.compile(r"^(?:\d{1,2}|[ivx]{1,4})[.)]\s+", re.IGNORECASE)
_LABEL = re.compile(
    r"^(?P<label>[A-Za-z][A-Za-z0-9 /&,'()\-]{0,60}?)\s*(?:\*{1,3})?\s*:\s*(?:\*{1,3})?\s*(?P<rest>.*)$"
)
_SALUTATION = re.compile(r"^\s*dear\b", re.IGNORECASE)
_CLOSING = re.compile(
    r"^\s*(?:(?:with\s+)?(?:kind|best|warm|warmest)\s+regards|regards|(?:yours\s+)?sincerely|yours\s+(?:truly|faithfully)"
    r"|with\s+best\s+wishes|best\s+wishes)\b[\s,.!]*$",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.?!])\s+|\n+")
_WORD = re.compile(r"[A-Za-z0-9]")


@dataclass(frozen=True)
class Structure:
    """A note's form: its headings in order (normalised), `layout` bullets or prose, `register` terse or narrative."""

    headings: tuple[str, ...]
    layout: str
    register: str

    def describe(self) -> str:
        """One line for a report: "subjective > objective > assessment > plan (prose, terse)"."""
        heads = " > ".join(self.headings) if self.headings else "(no headings)"
        return f"{heads} ({self.layout}, {self.register})"


def normalise_heading(label: str) -> str:
    """A heading's surface form for comparison: lower case, "&" as "and", spaces and edge marks tidied."""
    text = _MARKDOWN.sub("", label).strip()
    text = _NUMBERED_HEADING.sub("", text)
    text = text.lower().replace("&", " and ")
    text = re.sub(r"\s*/\s*", "/", text)
    text = re.sub(r"\s+", " ", text)
    return text.strip(" :.-,;")


def _heading_of(line: str) -> tuple[str, str] | None:
    """(normalised heading, text after it on the line) when `line` opens a section, else None."""
    if _BULLET.match(line) and not _NUMBERED_HEADING.match(line.strip()):
        return None
    if _SALUTATION.match(line):
        return SALUTATION, ""
    if _CLOSING.match(line):
        return CLOSING, ""
    bare = _MARKDOWN.sub("", line).strip()
    bare = _NUMBERED_HEADING.sub("", bare)
    if not bare:
        return None
    whole = normalise_heading(bare)
    if whole in SECTION_NAMES:
        return whole, ""
    m = _LABEL.match(bare)
    if m:
        label = normalise_heading(m.group("label"))
        rest = m.group("rest").strip()
        if label in SECTION_NAMES or (not rest and 0 < len(label.split()) <= MAX_HEADING_WORDS):
            return label, rest
    words = bare.split()
    if len(words) <= MAX_HEADING_WORDS and bare.isupper() and re.fullmatch(r"[A-Z][A-Z /&\-]*", bare):
        return whole, ""
    return None


def split_sections(note: str) -> list[tuple[str | None, str]]:
    """(heading or None, body) in order; text before the first heading has None. A heading with no text under it
    still appears (the doctor wrote it)."""
    sections: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in note.splitlines():
        head = _heading_of(line)
        if head is None:
            sections[-1][1].append(line)
        else:
            sections.append((head[0], [head[1]] if head[1] else []))
    return [(h, "\n".join(body).strip()) for h, body in sections if h is not None or "\n".join(body).strip()]


def _body_lines(note: str) -> list[str]:
    lines: list[str] = []
    for line in note.splitlines():
        head = _heading_of(line)
        rest = line if head is None else head[1]
        if rest.strip():
            lines.append(rest)
    return lines


def layout_of(lines: list[str]) -> str:
    if not lines:
        return "prose"
    bulleted = sum(1 for line in lines if _BULLET.match(line))
    return "bullets" if bulleted * 2 >= len(lines) else "prose"


def mean_sentence_words(lines: list[str]) -> float:
    sentences = [s for line in lines for s in _SENTENCE.split(_BULLET.sub("", line)) if _WORD.search(s)]
    if not sentences:
        return 0.0
    return sum(len(s.split()) for s in sentences) / len(sentences)


def structure(note: str) -> Structure:
    """The note's headings in order, layout and register (see the module's docstring)."""
    headings = tuple(h for h, _ in split_sections(note) if h is not None)
    lines = _body_lines(note)
    register = "terse" if mean_sentence_words(lines) < TERSE_WORDS else "narrative"
    return Structure(headings, layout_of(lines), register)


def habit(notes: Iterable[str]) -> Structure:
    """The structure most common among a doctor's notes (on a tie, the one met first); ValueError without notes."""
    counts = Counter(structure(n) for n in notes)
    if not counts:
        raise ValueError("a habit needs at least one note")
    return counts.most_common(1)[0][0]


def matches_habit(note: str, doctor_habit: Structure) -> bool:
    """Whether the note has the habit's headings in its order, its layout and its register."""
    return structure(note) == doctor_habit


def fidelity(notes: Iterable[str], doctor_habit: Structure) -> float:
    """The share of `notes` whose structure matches the habit (0.0 for no notes): the benchmark's style figure."""
    results = [matches_habit(n, doctor_habit) for n in notes]
    return sum(results) / len(results) if results else 0.0
