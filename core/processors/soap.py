"""`medical_formatter`: a dictation into SOAP sections (Subjective, Objective, Assessment, Plan) by its spoken cues.

Theory of operation:
- A doctor names the sections while dictating: "subjective ...", "history of present illness ...", "on exam ...",
  "assessment is ...", "impression ...", "the plan is ...". A cue is recognised at the start of a sentence, and a
  few unmistakable ones ("the plan is", "my impression is", "history of present illness") anywhere.
- Two kinds of cue. A *heading* is the section's own name ("subjective", "objective", "assessment", "impression",
  "plan", "assessment and plan"): it is taken off the text, because the section's title now says it. A
  *sub-heading* ("history of present illness", "medications", "on exam", "vital signs", "diagnosis") stays in the
  text — it carries meaning inside the section — and only moves the text to its section.
- Headings, and sub-headings no other sentence begins with ("history of present illness", "physical exam",
  "review of systems"), may go to any section, in any order. The other sub-headings ("medications", "labs",
  "history", "diagnosis") move the text only forward (S, O, A, P) unless a colon follows them: doctors dictate in
  that order, and "medications reviewed" or "labs in three months" inside the plan is not a heading.
- Nothing is dropped. `split_soap` returns parts that cover the text exactly (the test rebuilds the dictation from
  them); text before the first cue is the leading "Unplaced" part, and text after a cue belongs to that cue's
  section until the next cue. `MedicalFormatter` then writes each section's text through the basic formatter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.plugins import Processed
from core.processors.basic import format_text

SECTIONS = ("Subjective", "Objective", "Assessment", "Plan")
UNPLACED = "Unplaced"
_ORDER = {name: i for i, name in enumerate(SECTIONS)}
_END = r"(?:\s*[:,.;\-]+)?"  # the mark a heading may carry: "Plan:", "Plan," "Plan."
_OWNER = r"(?:(?:the|my|our|clinical)\s+)?"


@dataclass(frozen=True)
class _Cue:
    section: str
    pattern: re.Pattern[str]
    heading: bool  # the section's own name: taken off the text
    anywhere: bool = False  # also in the middle of a sentence
    any_order: bool = False  # a sub-heading that may also move the text back to an earlier section


def _cue(section: str, pattern: str, *, heading: bool, anywhere: bool = False, any_order: bool = False) -> _Cue:
    return _Cue(section, re.compile(pattern, re.IGNORECASE), heading, anywhere, any_order or heading or anywhere)


# Longest first where one cue begins another ("assessment and plan" before "assessment").
CUES: tuple[_Cue, ...] = (
    _cue("Subjective", rf"subjective\b{_END}", heading=True),
    _cue("Objective", rf"objective\b{_END}", heading=True),
    _cue("Assessment", rf"{_OWNER}assessment\s+and\s+plan\b(?:\s+(?:is|are)\b)?{_END}", heading=True),
    _cue(
        "Assessment",
        rf"{_OWNER}(?:assessment|impression)\b(?!\s+(?:of|that)\b)(?:\s+(?:is|was)\b)?{_END}",
        heading=True,
    ),
    _cue("Assessment", rf"(?:the|my|our)\s+(?:assessment|impression)\s+is\b{_END}", heading=True, anywhere=True),
    _cue(
        "Plan",
        rf"{_OWNER}plan\b(?!\s+(?:of|for\s+her|for\s+him)\b)(?:\s+(?:is|will\s+be)\b)?(?:\s+to\b)?{_END}",
        heading=True,
    ),
    _cue("Plan", rf"(?:the|my|our)\s+plan\s+(?:is|will\s+be)\b(?:\s+to\b)?{_END}", heading=True, anywhere=True),
    _cue("Subjective", r"history\s+of\s+(?:the\s+)?present\s+illness\b", heading=False, anywhere=True),
    # Sub-headings no other sentence begins with: they move the text in any order.
    _cue(
        "Subjective",
        r"(?:chief\s+complaint|reason\s+for\s+(?:the\s+)?(?:visit|consultation|referral)|review\s+of\s+systems"
        r"|past\s+(?:medical|surgical)\s+history|social\s+history|family\s+history)\b",
        heading=False,
        any_order=True,
    ),
    _cue(
        "Objective",
        r"(?:on\s+(?:physical\s+)?exam(?:ination)?|physical\s+exam(?:ination)?|vital\s+signs)\b",
        heading=False,
        any_order=True,
    ),
    _cue("Assessment", r"differential\s+diagnos[ie]s\b", heading=False, any_order=True),
    # Words a sentence of another section may begin with ("medications reviewed", "labs in three months"): they
    # move the text forward only, or with a colon after them.
    _cue(
        "Subjective",
        r"(?:hpi|interval\s+history|(?:brief\s+)?history|(?:current\s+)?medications|allergies)\b",
        heading=False,
    ),
    _cue(
        "Objective",
        r"(?:exam(?:ination)?\s+(?:shows|showed|reveals|revealed)|vitals|labs|laboratory|imaging)\b",
        heading=False,
    ),
    _cue("Assessment", r"diagnos[ie]s\b", heading=False),
    _cue("Plan", r"(?:recommendations|disposition)\b", heading=False),
)
_SENTENCE_START = re.compile(r"(?:^|[.?!]+[\"')\]]*\s+|\n)\s*")


@dataclass(frozen=True)
class Part:
    """A stretch of the dictation: `cue` (the heading taken off, or "") then `body`, in `section` (or Unplaced).
    The parts of one dictation, joined as cue + body, are the dictation itself."""

    section: str
    cue: str
    body: str


def _sentence_starts(text: str) -> list[int]:
    return sorted({m.end() for m in _SENTENCE_START.finditer(text)})


def _candidates(text: str) -> list[tuple[int, int, _Cue]]:
    """Every cue occurrence as (start, end, cue), by position, overlapping ones dropped (the earlier and longer
    stays)."""
    found: list[tuple[int, int, _Cue]] = []
    for start in _sentence_starts(text):
        for cue in CUES:
            m = cue.pattern.match(text, start)
            if m:
                found.append((m.start(), m.end(), cue))
                break
    for cue in CUES:
        if cue.anywhere:
            found.extend((m.start(), m.end(), cue) for m in cue.pattern.finditer(text))
    found.sort(key=lambda c: (c[0], -(c[1] - c[0])))
    kept: list[tuple[int, int, _Cue]] = []
    for cand in found:
        if not kept or cand[0] >= kept[-1][1]:
            kept.append(cand)
    return kept


def _moves(cue: _Cue, current: str, text: str, end: int) -> bool:
    """Whether the cue starts a new part: a heading always; a sub-heading when it changes the section and goes
    forward, or may go in any order, or has a colon after it."""
    if cue.heading:
        return True
    if cue.section == current:
        return False
    if cue.any_order:
        return True
    if current == UNPLACED or _ORDER[cue.section] > _ORDER[current]:
        return True
    return cue.section != current and text[end : end + 1] == ":"


def split_soap(text: str) -> list[Part]:
    """The dictation cut at its section cues into parts covering it exactly (see the module's docstring)."""
    parts: list[Part] = []
    section, cue_text, body_start = UNPLACED, "", 0
    for start, end, cue in _candidates(text):
        if not _moves(cue, section, text, end):
            continue
        if start > body_start or cue_text:
            parts.append(Part(section, cue_text, text[body_start:start]))
        section = cue.section
        cue_text, body_start = (text[start:end], end) if cue.heading else ("", start)
    parts.append(Part(section, cue_text, text[body_start:]))
    return [p for p in parts if p.cue or p.body]


def soap_sections(text: str) -> list[tuple[str, str]]:
    """(heading, formatted body) in the order Unplaced, Subjective, Objective, Assessment, Plan; a section appears
    when the dictation has it (a heading with nothing after it still appears, empty, so the reader sees it was
    said)."""
    bodies: dict[str, list[str]] = {}
    for part in split_soap(text):
        bodies.setdefault(part.section, []).append(part.body.strip())
    return [
        (name, format_text(" ".join(b for b in bodies[name] if b))) for name in (UNPLACED, *SECTIONS) if name in bodies
    ]


class MedicalFormatter:
    """The `medical_formatter` processor: `process(text)` -> the note by section, each section tidied."""

    def process(self, text: str) -> Processed:
        sections = tuple(soap_sections(text))
        rendered = "\n\n".join(f"{name}:\n{body}" if body else f"{name}:" for name, body in sections)
        return Processed(text=rendered, sections=sections)
