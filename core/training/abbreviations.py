"""Clinical abbreviations both ways: a terse doctor writes them (`abbreviate`), a dictating doctor says the words
(`expand`).

The simulated doctors' terse styles write their notes through `abbreviate`; `core.training.prompting` turns a note
back into the dictation it came from through `expand`, because nobody says "c/o" or "SOB" aloud — an adapter should
learn that the doctor writes "SOB" where they said "shortness of breath".

Only unambiguous forms are here: the upper-case ones are matched with their case ("BP" but not "bp" inside a word),
the lower-case ones need a slash or a dot that ordinary words do not carry ("c/o", "h/o", "f/u").
"""

from __future__ import annotations

import re

# (spoken words, written abbreviation), longest phrases first where one begins another.
PAIRS: tuple[tuple[str, str], ...] = (
    ("no known drug allergies", "NKDA"),
    ("shortness of breath", "SOB"),
    ("dyspnea on exertion", "DOE"),
    ("chest pain", "CP"),
    ("nausea and vomiting", "N/V"),
    ("abdominal pain", "abd pain"),
    ("complains of", "c/o"),
    ("history of", "h/o"),
    ("follow-up", "f/u"),
    ("follow up", "f/u"),
    ("past medical history", "PMH"),
    ("hypertension", "HTN"),
    ("hyperlipidemia", "HLD"),
    ("type 2 diabetes", "DM2"),
    ("chronic kidney disease", "CKD"),
    ("chronic obstructive pulmonary disease", "COPD"),
    ("gastroesophageal reflux disease", "GERD"),
    ("congestive heart failure", "CHF"),
    ("heart failure", "HF"),
    ("atrial fibrillation", "AFib"),
    ("coronary artery disease", "CAD"),
    ("urinary tract infection", "UTI"),
    ("upper respiratory infection", "URI"),
    ("community-acquired pneumonia", "CAP"),
    ("deep vein thrombosis", "DVT"),
    ("obstructive sleep apnea", "OSA"),
    ("benign prostatic hyperplasia", "BPH"),
    ("blood pressure", "BP"),
    ("heart rate", "HR"),
    ("respiratory rate", "RR"),
    ("oxygen saturation", "SpO2"),
    ("room air", "RA"),
    ("temperature", "T"),
    ("white blood cell count", "WBC"),
    ("hemoglobin A1c", "A1c"),
    ("electrocardiogram", "ECG"),
    ("chest X-ray", "CXR"),
    ("urinalysis", "UA"),
    ("basic metabolic panel", "BMP"),
    ("complete blood count", "CBC"),
    ("thyroid-stimulating hormone", "TSH"),
    ("range of motion", "ROM"),
    ("lower extremity", "LE"),
    ("right lower quadrant", "RLQ"),
    ("right upper quadrant", "RUQ"),
    ("left lower quadrant", "LLQ"),
    ("emergency department", "ED"),
    ("physical therapy", "PT"),
    ("by mouth", "PO"),
    ("twice daily", "BID"),
    ("three times daily", "TID"),
    ("four times daily", "QID"),
    ("every 6 hours", "q6h"),
    ("every 8 hours", "q8h"),
    ("at bedtime", "qHS"),
    ("as needed", "PRN"),
    ("without", "w/o"),
    ("with", "w/"),
    ("year-old", "yo"),
    ("patient", "pt"),
)

_ABBREVIATE = [(re.compile(rf"\b{re.escape(spoken)}\b", re.IGNORECASE), short) for spoken, short in PAIRS]
# Written forms back to words. Upper-case abbreviations keep their case; "w/" and friends end in a mark, so the
# boundary after them is a space or the end.
_EXPAND = sorted(
    (
        (
            re.compile(
                rf"(?<![\w/]){re.escape(short)}(?![\w/])",
                0 if any(c.isupper() for c in short) else re.IGNORECASE,
            ),
            spoken,
        )
        for spoken, short in PAIRS
        if short not in {"T", "pt"}  # one letter (T) or a word of its own (pt) is too ambiguous to expand
    ),
    key=lambda pair: -len(pair[0].pattern),
)


def abbreviate(text: str) -> str:
    """`text` with every phrase of `PAIRS` written as its abbreviation (the phrase's case is not kept)."""
    for pattern, short in _ABBREVIATE:
        text = pattern.sub(short, text)
    return text


def expand(text: str) -> str:
    """`text` with the abbreviations of `PAIRS` said as words (a one-letter or ambiguous one is left alone). An
    abbreviation already inside its spoken phrase ("hemoglobin A1c") stays as it is."""
    for pattern, spoken in _EXPAND:

        def said(m: re.Match[str], spoken: str = spoken) -> str:
            whole = m.string[max(0, m.end() - len(spoken)) : m.end()]
            return m.group(0) if whole.lower() == spoken.lower() else spoken

        text = pattern.sub(said, text)
    return text
