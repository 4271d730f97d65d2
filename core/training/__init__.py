"""Doctor-specific personalization (the plan's Week 4): the writing samples a doctor's adapter will learn from.

Built so far: `data_collector` — de-identified samples in, readiness per doctor out. Not yet: training, the gate that
keeps an adapter only when it fits the doctor better, adapters and the processor plugin (docs/personalization.md).
"""

from __future__ import annotations

from core.training.data_collector import (
    CONTENT_TYPES,
    MAX_CHARACTERS,
    MIN_SAMPLES_FOR_TRAINING,
    MIN_WORDS,
    Actor,
    InvalidSample,
    SampleInfo,
    SampleRefused,
    StoredSample,
    TrainingDataCollector,
    deidentify,
)

__all__ = [
    "CONTENT_TYPES",
    "MAX_CHARACTERS",
    "MIN_SAMPLES_FOR_TRAINING",
    "MIN_WORDS",
    "Actor",
    "InvalidSample",
    "SampleInfo",
    "SampleRefused",
    "StoredSample",
    "TrainingDataCollector",
    "deidentify",
]
