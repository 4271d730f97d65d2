"""Whether a generated note keeps to its dictation, read through its numbers.

A note in the doctor's form is worth nothing if it says what the doctor did not: a 135 M model that has learnt a
doctor's headings will, past what the dictation holds, write plausible vitals, doses and intervals of its own
(measured: docs/personalization.md). Numbers are where that is both most dangerous (a dose, a blood pressure) and
checkable without understanding the text: every number the note states must have been said.

Theory of operation:
- The numbers of a text are its runs of digits with an optional decimal part ("98.6", "0.4", "132" and "84" of
  "132/84"; not the "2" of "SpO2"), read after `spoken_numbers.write_numbers`, so "one hundred thirty two over
  eighty four" in a raw transcript counts as 132 and 84, and a trailing ".0" does not make a number new.
- `invented_numbers(note, dictation)`: the note's numbers the dictation does not hold — the processor refuses such a
  note (the rules write it instead), the benchmark counts notes with none as faithful.
- `number_recall(note, dictation)`: the share of the dictation's distinct numbers the note kept — what a note that
  drops findings loses.
"""

from __future__ import annotations

import re
from decimal import Decimal

# Digits not glued to a word before them: "SpO2", "D3", "HbA1c" are names, not values; "0.4mg" is 0.4.
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")


def numbers(text: str) -> set[Decimal]:
    """The distinct numbers `text` states, spoken ones written first (see the module's docstring)."""
    from core.processors.spoken_numbers import write_numbers

    return {Decimal(match.group()).normalize() for match in _NUMBER.finditer(write_numbers(text))}


def invented_numbers(note: str, dictation: str) -> set[Decimal]:
    """The numbers of `note` that `dictation` does not state."""
    return numbers(note) - numbers(dictation)


def number_recall(note: str, dictation: str) -> float:
    """The share of the dictation's distinct numbers that the note states (1.0 when the dictation has none)."""
    said = numbers(dictation)
    return len(said & numbers(note)) / len(said) if said else 1.0
