"""Text processors for dictation: plain rules, no model, so the same transcript always gives the same note.

- `basic_formatter` (basic.py): clinical spoken numbers as digits (spoken_numbers.py), punctuation, sentence case.
- `medical_formatter` (soap.py): the dictation into SOAP sections by its spoken cues, each section tidied by the
  basic formatter; text it cannot place is kept.

Both are registered as plugins (core.plugins.builtin) and chosen per document type by the agent router.
"""

from __future__ import annotations

from core.processors.basic import BasicFormatter, format_text
from core.processors.soap import SECTIONS, MedicalFormatter, split_soap
from core.processors.spoken_numbers import write_numbers

__all__ = ["SECTIONS", "BasicFormatter", "MedicalFormatter", "format_text", "split_soap", "write_numbers"]
