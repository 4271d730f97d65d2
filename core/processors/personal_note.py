"""`personal_formatter`: a doctor's dictation written as a note in that doctor's habitual form, by their adapter.

Theory of operation:
- Three paths, tried in order until one gives text: the doctor's active adapter (core.training's LoRA on
  SmolLM2-135M-Instruct, kept by the gate because it fits the doctor's own notes better), the base model alone when
  the doctor has none, and the rule-based `medical_formatter` (SOAP sections by spoken cues) when the training extra
  or the model is missing, when generation fails, or when it yields nothing. A dictation always becomes a note.
- The prompt is `core.training.prompting.note_prompt`: the one the adapter was trained on, built from the transcript
  normalised the same way (lower case, no punctuation). Decoding is greedy (the same transcript gives the same
  note: a doctor can re-run it), bounded by `max_new_tokens`, and cut where the model starts another prompt.
- The result says which path wrote the note (`path`: adapter / base / rules, with the adapter's id) and, when a path
  was skipped, why in a few fixed words. Logs carry the path, the adapter id, timings and token counts — never the
  transcript nor the note (PHI).
- Memory: the base model is the process's shared one (`core.training.model.load_base`, ~0.6 GB), used as is for
  the base path. Adapters are served from one serving copy of it (another ~0.6 GB, made on first use) that holds
  up to `ADAPTER_CACHE_SIZE` LoRA adapters by name, least recently used evicted: an r=8 adapter on every
  projection is ~10 MB, so the cache costs little and saves decrypting and loading it per note. The shared base is
  never wrapped with LoRA layers (training and the gate measure it as it is). One lock serialises generation on the
  serving copy, whose active adapter is process-wide state.
- The adapter store (`core.training.adapters`) says which adapter is active for a doctor and loads its weights; the
  plugin builds it from the environment on first use (no database configured: the base path only).
"""

from __future__ import annotations

import copy
import hashlib
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from core.plugins import Processed

log = logging.getLogger(__name__)

DEFAULT_MAX_NEW_TOKENS = 384  # the longest simulated note (a letter) is ~330 tokens; a clinic note rarely more
MAX_PROMPT_TOKENS = 1536  # SmolLM2's context is 2048: room left for the note
ADAPTER_CACHE_SIZE = 4

PATH_ADAPTER = "adapter"
PATH_BASE = "base"
PATH_RULES = "rules"


class AdapterRecordLike(Protocol):
    adapter_id: str
    doctor_id: str
    metrics: dict[str, Any]


class AdapterStoreLike(Protocol):
    """What the processor needs of `core.training.adapters.AdapterStore`."""

    def active(self, doctor_id: str) -> AdapterRecordLike | None: ...

    def load_state(self, record: AdapterRecordLike) -> dict[str, Any]: ...


@dataclass(frozen=True)
class NoteResult:
    """The note, which path wrote it (`adapter`, `base` or `rules`) and with which adapter, why the paths before it
    were passed over (fixed phrases, no text of the dictation), and the time it took."""

    text: str
    path: str
    adapter_id: str | None = None
    skipped: tuple[str, ...] = ()
    seconds: float = 0.0
    new_tokens: int = 0

    def to_json(self) -> dict[str, Any]:
        """The result without the note: what may be logged or returned as metadata."""
        return {
            "path": self.path,
            "adapter_id": self.adapter_id,
            "skipped": list(self.skipped),
            "seconds": round(self.seconds, 3),
            "new_tokens": self.new_tokens,
        }


@dataclass(frozen=True)
class PersonalProcessed(Processed):
    """`Processed` with the path that wrote the note (the router needs only `text` and `sections`)."""

    path: str = PATH_RULES
    adapter_id: str | None = None
    skipped: tuple[str, ...] = field(default=())


class GenerationFailed(RuntimeError):
    """A model path could not write the note; the message is a fixed phrase (no PHI)."""


# ------------------------------------------------------------------------------------------------ the models


def _peft_name(adapter_id: str) -> str:
    """peft keeps adapters in ModuleDicts: the name must be an identifier without dots."""
    return "a" + hashlib.sha256(adapter_id.encode()).hexdigest()[:16]


def rebuild_config(metrics: dict[str, Any]) -> Any:
    """The LoraConfig an adapter was trained with, from its record's metrics["config"] (TrainingConfig.to_json())."""
    from core.training.lora import TrainingConfig, lora_config

    config = dict(metrics.get("config") or {})
    if not config:
        raise GenerationFailed("the adapter's record has no training configuration")
    known = set(TrainingConfig.__dataclass_fields__)
    config = {k: v for k, v in config.items() if k in known}
    config["target_modules"] = tuple(config.get("target_modules") or TrainingConfig().target_modules)
    return lora_config(TrainingConfig(**config))


class AdapterCache:
    """Up to `size` adapters loaded into one serving copy of the base model, by adapter id, LRU-evicted."""

    def __init__(self, base_model: Any, size: int = ADAPTER_CACHE_SIZE, lock: threading.RLock | None = None) -> None:
        if size < 1:
            raise ValueError("the adapter cache holds at least one adapter")
        self.size = size
        self._base = base_model
        self._model: Any = None  # the PeftModel over the serving copy, made with the first adapter
        self._loaded: OrderedDict[str, str] = OrderedDict()  # adapter id -> peft adapter name
        self.lock = lock or threading.RLock()  # held from choosing the adapter to the end of its generation
        self.loads = 0  # adapters loaded (a cache miss each): the tests and the benchmark read it

    @property
    def cached(self) -> list[str]:
        return list(self._loaded)

    def model_for(self, record: AdapterRecordLike, load_state: Callable[[AdapterRecordLike], dict[str, Any]]) -> Any:
        """The serving model with `record`'s adapter active (loaded if it is not cached). Call under `lock`."""
        from peft import get_peft_model, set_peft_model_state_dict

        name = self._loaded.get(record.adapter_id)
        if name is not None:
            self._loaded.move_to_end(record.adapter_id)
            self._model.set_adapter(name)
            return self._model
        config = rebuild_config(record.metrics)
        state = load_state(record)
        name = _peft_name(record.adapter_id)
        if self._model is None:
            self._model = get_peft_model(copy.deepcopy(self._base), config, adapter_name=name)
        else:
            if len(self._loaded) >= self.size:
                _, oldest = self._loaded.popitem(last=False)
                self._model.delete_adapter(oldest)
            self._model.add_adapter(name, config)
        try:
            result = set_peft_model_state_dict(self._model, state, adapter_name=name)
        except Exception:
            self._forget(name)
            raise
        if getattr(result, "unexpected_keys", None):
            self._forget(name)
            raise GenerationFailed("the adapter's weights do not fit its configuration")
        self._model.set_adapter(name)
        self._model.eval()
        self._loaded[record.adapter_id] = name
        self.loads += 1
        return self._model

    def _forget(self, name: str) -> None:
        if self._model is None:
            return
        if self._loaded:
            self._model.delete_adapter(name)
        else:  # the first adapter failed: drop the copy rather than leave a model with no adapter
            self._model = None


class Unfinished(GenerationFailed):
    """The model was still writing when it reached `max_new_tokens`: what it wrote is no note (measured: the adapters
    of docs/personalization.md's benchmark ran to the bound on every held-out dictation, echoing or looping)."""


class Unfaithful(GenerationFailed):
    """The note states numbers the dictation did not (core.training.faithfulness): an invented dose or vital sign
    must never reach a chart, whatever the note's form."""


def generate_text(
    model: Any,
    tokenizer: Any,
    transcript: str,
    *,
    max_new_tokens: int,
    require_end: bool = True,
    require_faithful: bool = True,
) -> tuple[str, int]:
    """(the note, new tokens): greedy generation of `note_prompt(transcript)`, cut where another prompt begins.
    Unfinished when it neither ended nor began another prompt within `max_new_tokens`; Unfaithful when the note
    states a number the transcript does not (each check off only to measure the model itself)."""
    import torch

    from core.training.faithfulness import invented_numbers
    from core.training.prompting import cut_generation, note_prompt

    encoded = tokenizer(note_prompt(transcript), return_tensors="pt", add_special_tokens=False)
    prompt_tokens = int(encoded["input_ids"].shape[1])
    if prompt_tokens > MAX_PROMPT_TOKENS:
        raise GenerationFailed(f"the dictation is longer than the model's {MAX_PROMPT_TOKENS}-token prompt")
    with torch.no_grad():
        output = model.generate(
            input_ids=encoded["input_ids"],
            attention_mask=encoded["attention_mask"],
            max_new_tokens=max_new_tokens,
            do_sample=False,
            num_beams=1,
            pad_token_id=tokenizer.pad_token_id,
            eos_token_id=tokenizer.eos_token_id,
        )
    new = output[0, prompt_tokens:]
    raw = tokenizer.decode(new, skip_special_tokens=True)
    note = cut_generation(raw)
    ended = int(new.shape[0]) < max_new_tokens or int(new[-1]) == tokenizer.eos_token_id or note != raw.strip()
    if require_end and not ended:
        raise Unfinished(f"the model did not finish a note within {max_new_tokens} tokens")
    if require_faithful and (invented := invented_numbers(note, transcript)):
        raise Unfaithful(f"the note states {len(invented)} number(s) the dictation does not")  # never which
    return note, int(new.shape[0])


def _why_not_used(exc: GenerationFailed) -> str:
    """The fixed phrase for a result's `skipped` (after "adapter" / "base model")."""
    if isinstance(exc, Unfinished):
        return "did not finish"
    if isinstance(exc, Unfaithful):
        return "stated numbers not in the dictation"
    return "failed"


# ------------------------------------------------------------------------------------------------ the generator


def _rules(transcript: str) -> Processed:
    from core.processors.soap import MedicalFormatter

    return MedicalFormatter().process(transcript)


def _training_available() -> bool:
    from core.training.model import missing_modules

    return not missing_modules()


def _load_base() -> Any:
    from core.training.model import load_base

    return load_base()


class NoteGenerator:
    """The three paths (see the module's docstring) with the models they share. One per process is enough
    (`shared_generator`); tests give fakes for `load_base`, `available`, `rules` and `generate`."""

    def __init__(
        self,
        *,
        cache_size: int = ADAPTER_CACHE_SIZE,
        available: Callable[[], bool] = _training_available,
        load_base: Callable[[], Any] = _load_base,
        rules: Callable[[str], Processed] = _rules,
        generate: Callable[..., tuple[str, int]] = generate_text,
        adapter_model: Callable[[AdapterRecordLike, AdapterStoreLike], Any] | None = None,
    ) -> None:
        self.cache_size = cache_size
        self._available = available
        self._load_base = load_base
        self._rules = rules
        self._generate = generate
        self._adapter_model = adapter_model or self._cached_adapter_model
        self._cache: AdapterCache | None = None
        self._cache_lock = threading.Lock()
        self.serving_lock = threading.RLock()

    def adapter_cache(self) -> AdapterCache:
        with self._cache_lock:
            if self._cache is None:
                self._cache = AdapterCache(self._load_base().model, self.cache_size, self.serving_lock)
            return self._cache

    def _cached_adapter_model(self, record: AdapterRecordLike, store: AdapterStoreLike) -> Any:
        return self.adapter_cache().model_for(record, store.load_state)

    def note(
        self,
        doctor_id: str | None,
        transcript: str,
        *,
        store: AdapterStoreLike | None,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    ) -> tuple[NoteResult, Processed | None]:
        """The note and (for the rules path) the formatter's sections; see `generate_note`."""
        started = time.monotonic()
        skipped: list[str] = []
        if not transcript or not transcript.strip():
            return NoteResult("", PATH_RULES, skipped=("empty dictation",)), Processed(text="")
        if max_new_tokens < 1:
            raise ValueError("max_new_tokens must be at least 1")
        if not self._available():
            skipped.append("training extra not installed")
        else:
            record = self._active(doctor_id, store, skipped)
            if record is not None and store is not None:
                text, tokens = self._try_adapter(record, store, transcript, max_new_tokens, skipped)
                if text:
                    return self._done(text, PATH_ADAPTER, record.adapter_id, skipped, started, tokens), None
            text, tokens = self._try_base(transcript, max_new_tokens, skipped)
            if text:
                return self._done(text, PATH_BASE, None, skipped, started, tokens), None
        processed = self._rules(transcript)
        return self._done(processed.text, PATH_RULES, None, skipped, started, 0), processed

    def _active(
        self, doctor_id: str | None, store: AdapterStoreLike | None, skipped: list[str]
    ) -> AdapterRecordLike | None:
        if not doctor_id:
            skipped.append("no doctor given")
            return None
        if store is None:
            skipped.append("no adapter store")
            return None
        try:
            record = store.active(doctor_id)
        except Exception as exc:  # noqa: BLE001 - a store outage must not lose the dictation
            log.warning("personal_formatter: adapter store failed (%s)", type(exc).__name__)
            skipped.append("adapter store failed")
            return None
        if record is None:
            skipped.append("no active adapter")
        return record

    def _try_adapter(
        self,
        record: AdapterRecordLike,
        store: AdapterStoreLike,
        transcript: str,
        max_new_tokens: int,
        skipped: list[str],
    ) -> tuple[str, int]:
        try:
            base = self._load_base()
            with self.serving_lock:
                model = self._adapter_model(record, store)
                text, tokens = self._generate(model, base.tokenizer, transcript, max_new_tokens=max_new_tokens)
        except GenerationFailed as exc:
            log.warning("personal_formatter: adapter %s not used: %s", record.adapter_id, exc)
            skipped.append(f"adapter {_why_not_used(exc)}")
            return "", 0
        except Exception as exc:  # noqa: BLE001 - any model error falls back; the type only (no text)
            log.warning("personal_formatter: adapter %s failed (%s)", record.adapter_id, type(exc).__name__)
            skipped.append("adapter failed")
            return "", 0
        text = text.strip()
        if not text:
            skipped.append("adapter wrote nothing")
        return text, tokens

    def _try_base(self, transcript: str, max_new_tokens: int, skipped: list[str]) -> tuple[str, int]:
        try:
            base = self._load_base()
            text, tokens = self._generate(base.model, base.tokenizer, transcript, max_new_tokens=max_new_tokens)
        except GenerationFailed as exc:
            log.warning("personal_formatter: base model not used: %s", exc)
            skipped.append(f"base model {_why_not_used(exc)}")
            return "", 0
        except Exception as exc:  # noqa: BLE001 - a missing model file or a torch error: the rules still write
            log.warning("personal_formatter: base model failed (%s)", type(exc).__name__)
            skipped.append("base model failed")
            return "", 0
        text = text.strip()
        if not text:
            skipped.append("base model wrote nothing")
        return text, tokens

    @staticmethod
    def _done(
        text: str, path: str, adapter_id: str | None, skipped: list[str], started: float, tokens: int
    ) -> NoteResult:
        result = NoteResult(text, path, adapter_id, tuple(skipped), time.monotonic() - started, tokens)
        log.info(
            "personal_formatter: path=%s adapter=%s tokens=%d seconds=%.2f skipped=%s",
            path,
            adapter_id or "-",
            tokens,
            result.seconds,
            ",".join(skipped) or "-",
        )
        return result


_shared: NoteGenerator | None = None
_shared_lock = threading.Lock()


def shared_generator() -> NoteGenerator:
    """The process's one generator (its serving model and adapter cache are shared by every caller)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = NoteGenerator()
        return _shared


def generate_note(
    doctor_id: str | None,
    transcript: str,
    *,
    store: AdapterStoreLike | None,
    max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
) -> NoteResult:
    """`transcript` as a note in `doctor_id`'s form: their active adapter, else the base model, else the rules."""
    return shared_generator().note(doctor_id, transcript, store=store, max_new_tokens=max_new_tokens)[0]


# ------------------------------------------------------------------------------------------------ the plugin


def store_from_environment() -> AdapterStoreLike | None:
    """The adapter store on the configured database (POSTGRES_URL); None without one (then: the base model)."""
    from core.config import Settings
    from core.db import Database
    from core.training.adapters import adapter_store

    settings = Settings.from_env()
    if not settings.postgres_url:
        return None
    return adapter_store(settings, Database(settings.postgres_url, minconn=1, maxconn=2), service="personal_formatter")


class PersonalFormatter:
    """The `personal_formatter` processor: `process(text, doctor_id=...)` -> the doctor's note, and the path used.

    Without a doctor id (the router's `process(text)`) the base model writes the note. The store is made on first
    use by `store_factory`; when that fails the processor goes on without it (base model, then rules)."""

    def __init__(
        self,
        *,
        store: AdapterStoreLike | None = None,
        store_factory: Callable[[], AdapterStoreLike | None] | None = store_from_environment,
        generator: NoteGenerator | None = None,
        max_new_tokens: int = DEFAULT_MAX_NEW_TOKENS,
    ) -> None:
        self._store = store
        self._store_factory = None if store is not None else store_factory
        self._generator = generator
        self.max_new_tokens = max_new_tokens
        self._lock = threading.Lock()

    def _store_or_none(self) -> AdapterStoreLike | None:
        with self._lock:
            if self._store is None and self._store_factory is not None:
                factory, self._store_factory = self._store_factory, None
                try:
                    self._store = factory()
                except Exception as exc:  # noqa: BLE001 - no store: the base model and the rules still work
                    log.warning("personal_formatter: no adapter store (%s)", type(exc).__name__)
            return self._store

    def process(self, text: str, *, doctor_id: str | None = None) -> PersonalProcessed:
        generator = self._generator or shared_generator()
        store = self._store_or_none() if doctor_id else None
        result, rules = generator.note(doctor_id, text, store=store, max_new_tokens=self.max_new_tokens)
        if rules is not None:
            sections = rules.sections
        else:
            from core.training.style import split_sections

            sections = tuple((h, body) for h, body in split_sections(result.text) if h is not None)
        return PersonalProcessed(
            text=result.text,
            sections=sections,
            path=result.path,
            adapter_id=result.adapter_id,
            skipped=result.skipped,
        )
