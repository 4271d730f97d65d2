"""Places a note names without a street address: facilities (hospitals, clinics, wards, named units),
organizations (employers, insurers) and cities or towns without a state.

The detector's place pass: `scan` appends candidates `(score, start, end, type)` to the shared list, and
`_detect._resolve` keeps the best of overlapping ones, as for every other pass.
"""

from __future__ import annotations


def scan(text: str, low: str, cands: list[tuple[float, int, int, str]]) -> None:
    """Append the place candidates of `text` (`low` is `text` lower-cased, same offsets)."""
    del text, low, cands  # the place pass is added by issue 12; until then it finds nothing
