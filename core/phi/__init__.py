"""PHI detection and redaction for clinical text: the 18 Safe Harbor identifiers that text can carry.

`detect(text)` returns `Finding(type, start, end, score, rule)` records, sorted and non-overlapping — `rule` says
what found each one; `redact(text)` replaces them with `[TYPE]` placeholders or, with `surrogate=True`, consistent
stand-ins (see `_redact`). Deterministic, no model, no network: candidates come from compiled regexes, validators and
context words judge them (see `_detect`), and names and places come from the lists shipped in `data/` (census names,
GeoNames places, SCOWL's small English word list — a word after a name cue that is no English word is a name).

Decisions worth knowing:
- Case says nothing in nursing notes (all lower case, ALL CAPS, mixed): names are found by their cue words in any
  case ("dr healey", "dtr suzette", "E. WELSH") as well as by the name lists and capitalisation.
- Places without an address are identifiers too: `facility` (hospitals, clinics, named wards), `organization`
  (employers, insurers) and `city`. A clinic may keep them in scanned text (compliance.yml `phi_keep`).
- NPI numbers (with an "NPI" cue and a valid check digit) are not reported: an NPI is the provider's public
  registry id, not an identifier of the patient, and is needed on claims. The number is also kept from being read
  as a phone number. Clinician names, though, are reported as `name` (Safe Harbor treats them as identifying the
  encounter, and most de-identification corpora label them).
- Well-known sample SSNs (078-05-1120, 219-09-9999, 123-45-6789) are reported with score 0.5 instead of 0.95: they
  are still redacted (a sample in a real note may be a typo of a real number), and the low score tells a reviewer.
- Dates need a day or a month: "2019" alone is never a finding; "3/14", "March 2019" and "09/2007" are, unless the
  context makes them a ratio, a score or a setting ("1/2 NS", "5/5 strength", "pain 6/10", "CPAP 10/5").
"""

from __future__ import annotations

from core.phi._detect import detect
from core.phi._redact import redact_text
from core.phi._types import PHI_TYPES, Finding, Severity, severity

__all__ = [
    "PHI_TYPES",
    "Finding",
    "Severity",
    "detect",
    "redact",
    "redact_findings",
    "redact_with_spans",
    "severity",
]


def redact(text: str, *, surrogate: bool = False, key: bytes | None = None) -> str:
    """`text` with every finding replaced: `[SSN]`-style placeholders, or surrogates when `surrogate` is true.

    Surrogates are consistent per distinct value under one `key` (within and across calls); without a key a random
    per-process key is used, so pass one to link redactions made in different runs.
    """
    return redact_text(text, detect(text), surrogate=surrogate, key=key)


def redact_findings(text: str, findings: list[Finding], *, surrogate: bool = False, key: bytes | None = None) -> str:
    """`text` with the given findings replaced (a caller that chose among `detect`'s findings, e.g. keeping the place
    types its clinic keeps); otherwise as `redact`."""
    return redact_text(text, findings, surrogate=surrogate, key=key)


def redact_with_spans(
    text: str, findings: list[Finding], *, surrogate: bool = False, key: bytes | None = None
) -> tuple[str, list[tuple[int, int, str]]]:
    """As `redact_findings`, with (start, end, type) of every replacement in the redacted text: a second scan of the
    result can then tell the stand-ins it put there (surrogate names are names) from identifiers that slipped by."""
    spans: list[tuple[int, int, str]] = []
    return redact_text(text, findings, surrogate=surrogate, key=key, spans=spans), spans
