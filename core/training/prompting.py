"""The prompt that turns a dictation into a doctor's note — one prompt for training and for use.

An adapter learns the doctor's form from pairs: the prompt holds a dictation, the completion is the doctor's note.
The doctor's samples are finished notes, so the dictation is derived from each note by taking its form away — what
the doctor would have said to produce it: headings, a letter's salutation and closing, bullets and line breaks
removed, abbreviations said as words ("SOB" -> "shortness of breath", "132/84" -> "132 over 84"), lower case, no
punctuation but decimal points, one run-on line. Whatever structure the completion has, the adapter has to add.

The processor builds its prompt from a live transcript with the same `note_prompt`, which puts the transcript
through the same normalisation (lower case, no punctuation), so what the model sees in use looks like what it saw
in training, whether the transcript came punctuated from Whisper or not.

API (for core.training's trainer and the processor plugin):
- `note_prompt(transcript) -> str`: the prompt, ending in "Note:\n"; the model writes the note after it.
- `training_example(sample_text) -> (prompt, completion)`: `completion` is the note as stored (stripped); training
  (`lora.rows`) closes it with end-of-text, so the model learns where a note ends.
- `training_examples(notes)`: what an adapter trains on — each note given its dictation, and each note alone after
  the bare note mark. The second kind keeps the adapter a model of the doctor's text as such: trained on the first
  kind alone, adapters lost up to 10 % on general clinical text and the gate rejected them (measured 2026-12-02).
- `dictation_from_note(note) -> str`: the derived dictation alone.
- `cut_generation(text) -> str`: a generated continuation cut where the model starts another prompt or starts the
  note over.
"""

from __future__ import annotations

import re

from core.training.abbreviations import expand
from core.training.style import _BULLET, _heading_of

INSTRUCTION = "Write this dictation as the doctor's clinical note."
DICTATION_MARK = "Dictation:"
NOTE_MARK = "Note:"

_SEX = {"m": "male", "f": "female"}
_AGE_SEX = re.compile(r"\b(\d{1,2}) ?(?:yo|y/o|y\.o\.)? ?([MF])\b")
_DURATION = re.compile(r"\bx ?(\d+) ?(d|days?|wk|wks|weeks?|mo|mos|months?)\b", re.IGNORECASE)
_UNIT = {"d": "days", "wk": "weeks", "wks": "weeks", "mo": "months", "mos": "months"}
_FOLLOW_UP_UNIT = re.compile(r"\b(\d+) ?(wk|wks|mo|mos)\b")
_RATIO = re.compile(r"\b(\d{1,3})/(\d{1,3})\b")
_POSITIVE = re.compile(r"(?:(?<=\s)|^)\+ ?(?=[A-Za-z])")
_NOT_DECIMAL_POINT = re.compile(r"\.(?!\d)|(?<!\d)\.")
_PUNCTUATION = re.compile(r"[,;:!?()\[\]{}\"*_#•·‣▪]|(?<!\w)'|'(?!\w)")
_SPACES = re.compile(r"\s+")
_CUT = re.compile(rf"\n\s*(?:{re.escape(DICTATION_MARK)}|{re.escape(INSTRUCTION)})")


def speech_form(text: str) -> str:
    """`text` as one lower-case run-on line without punctuation (decimal points and % kept): how a transcript looks
    once its punctuation, which dictation software adds unevenly, is taken away."""
    text = text.replace("%", " percent")
    text = _NOT_DECIMAL_POINT.sub(" ", text)
    text = _PUNCTUATION.sub(" ", text)
    text = text.replace(" - ", " ").replace("/", " ")
    return _SPACES.sub(" ", text).strip().lower()


def _spoken(text: str) -> str:
    """Written shorthand said as words: ages and sexes, durations, ratios, "+", then the abbreviation table."""
    text = _AGE_SEX.sub(lambda m: f"{m.group(1)} year old {_SEX[m.group(2).lower()]}", text)
    text = _DURATION.sub(lambda m: f"for {m.group(1)} {_UNIT.get(m.group(2).lower(), m.group(2))}", text)
    text = _FOLLOW_UP_UNIT.sub(lambda m: f"{m.group(1)} {_UNIT[m.group(2)]}", text)
    text = _RATIO.sub(r"\1 over \2", text)
    text = _POSITIVE.sub("positive for ", text)
    return expand(text)


def dictation_from_note(note: str) -> str:
    """The dictation a note could have come from: its headings, salutation, closing and bullets removed, shorthand
    said as words, in `speech_form`."""
    kept: list[str] = []
    for line in note.splitlines():
        head = _heading_of(line)
        rest = line if head is None else head[1]
        rest = _BULLET.sub("", rest).strip()
        if rest:
            kept.append(rest.rstrip(".") + ".")
    return speech_form(_spoken(" ".join(kept)))


def note_prompt(transcript: str) -> str:
    """The generation prompt for a dictation transcript (normalised with `speech_form`)."""
    return f"{INSTRUCTION}\n\n{DICTATION_MARK}\n{speech_form(transcript)}\n\n{NOTE_MARK}\n"


def training_example(sample_text: str) -> tuple[str, str]:
    """(prompt, completion) for one of the doctor's samples: the prompt holds the dictation derived from the note,
    the completion is the note itself (stripped)."""
    note = sample_text.strip()
    return note_prompt(dictation_from_note(note)), note


def training_examples(notes: list[str]) -> list[tuple[str, str]]:
    """(prompt, completion) rows for an adapter: every note given its dictation, then every note alone."""
    paired = [training_example(n) for n in notes]
    return paired + [(f"{NOTE_MARK}\n", completion) for _, completion in paired]


def cut_generation(text: str) -> str:
    """A generated note up to where the model begins another dictation or instruction, or starts the note over (its
    opening heading — "SUBJECTIVE:", "Dear ..." — written again: a small model that misses the end of a note loops
    back to its beginning, measured in docs/personalization.md), stripped. Other headings may repeat: a
    problem-oriented note writes "Plan:" under each problem."""
    m = _CUT.search(text)
    text = (text[: m.start()] if m else text).strip()
    opening: str | None = None
    position = 0
    for line in text.splitlines(keepends=True):
        head = _heading_of(line.strip())
        if head is not None:
            if opening is None:
                opening = head[0]
            elif head[0] == opening:
                return text[:position].strip()
        position += len(line)
    return text
