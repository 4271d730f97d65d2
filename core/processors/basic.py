"""`basic_formatter`: a transcript tidied into note text — clinical numbers as digits, punctuation, sentence case.

Plain text rules, no model: the same words in, the same note out, and nothing the doctor said is dropped. Whisper
already punctuates, but unevenly across the utterances of one dictation ("blood pressure is fine , she" or a
sentence left without its capital after a final is joined to the next), so the rules are the small fixes a
transcriptionist makes:
- spoken clinical numbers written as digits (spoken_numbers.py: only inside a clinical pattern);
- no space before , . ; : ? ! %, one space after , and ;, doubled marks reduced to one (an ellipsis too);
- every sentence begins with a capital letter; the rest of a word's case is the speaker's (drug names, "HbA1c",
  "mL" are never lowered); a lone "i" is "I";
- the text ends with a full stop when it ends without a mark.
A period inside an abbreviation ("b.i.d.", "p.r.n.", "Dr.", "e.g.") does not end a sentence, so "b.i.d. with
meals" keeps its lower-case "with".
"""

from __future__ import annotations

import re

from core.plugins import Processed
from core.processors.spoken_numbers import write_numbers

# Words whose period does not end a sentence (besides dotted letters such as "b.i.d.").
_ABBREVIATIONS = frozenset({"dr", "mr", "mrs", "ms", "vs", "st", "approx", "no", "fig", "etc", "cf"})
_SPACE_BEFORE_MARK = re.compile(r"[ \t]+([,.;:?!%])")
_DOUBLED = re.compile(r"([,;:!?])(?:\s*\1)+|\.{2,}")
_MARK_THEN_WORD = re.compile(r"([,;])(?=[A-Za-z])")
_COMMA_THEN_STOP = re.compile(r"[,;:]\s*([.?!])")
# "i" alone or in "i'm"/"i've"; never the "i" of "i.e." or "b.i.d.".
_LONE_I = re.compile(r"(?<![\w.'])i(?=\s|'(?:m|ve|d|ll)\b|[,;:?!]|$)")
_SPACES = re.compile(r"[ \t]{2,}")
_SENTENCE_END = re.compile(r"[.?!]+[\"')\]]*\s+")
_DOTTED = re.compile(r"(?:\b[A-Za-z]\.){2,}$")


def tidy_punctuation(text: str) -> str:
    """Spacing around marks and doubled marks; words and their order untouched."""
    text = _SPACES.sub(" ", text.strip())
    text = _SPACE_BEFORE_MARK.sub(r"\1", text)
    text = _COMMA_THEN_STOP.sub(r"\1", text)
    text = _DOUBLED.sub(lambda m: m.group()[0], text)
    text = _MARK_THEN_WORD.sub(r"\1 ", text)
    return _LONE_I.sub("I", text)


def _ends_sentence(text: str, mark_end: int) -> bool:
    """Whether the mark run ending at `mark_end` (exclusive of the space after) closes a sentence."""
    before = text[:mark_end].rstrip("\"')] \t\n")
    if not before.endswith("."):
        return True  # ? or !
    head = before[:-1]
    if _DOTTED.search(before):
        return False
    word = re.search(r"([A-Za-z]+)$", head)
    return not (word and word.group(1).lower() in _ABBREVIATIONS)


def sentence_case(text: str) -> str:
    """The first letter of every sentence in capitals; nothing else changes case."""
    chars = list(text)
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(text) if _ends_sentence(text, m.end())]
    for start in starts:
        m = re.compile(r"[\"'(\[]*([a-z])").match(text, start)
        if m:
            chars[m.start(1)] = m.group(1).upper()
    return "".join(chars)


def format_text(text: str) -> str:
    """`text` with clinical numbers, punctuation and sentence case tidied (see the module's docstring)."""
    text = tidy_punctuation(write_numbers(text))
    if not text:
        return ""
    text = sentence_case(text)
    if text[-1] not in ".?!:":
        text += "."
    return text


class BasicFormatter:
    """The `basic_formatter` processor: `process(text)` -> the tidied text (no sections)."""

    def process(self, text: str) -> Processed:
        return Processed(text=format_text(text))
