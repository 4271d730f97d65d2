"""`personal_formatter` over the real adapter store (PostgreSQL rows, encrypted weights under $INTELLUXE_HOME): the
doctor's active adapter is the one served, with the weights it was saved with; after a rollback to no adapter the
base model writes; another doctor's adapter is never used. The base model here is a two-layer Llama made from a
config (no download) so that the store, not the model, is what is tested; the real SmolLM2 path is in
tests/unit/processors/test_personal_formatter.py and scripts/bench/bench_personalization.py."""

from __future__ import annotations

import copy
import importlib.util
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet

from core.config import Settings
from core.db import Database
from core.training import Actor

_MISSING = [m for m in ("torch", "transformers", "peft", "safetensors") if importlib.util.find_spec(m) is None]
pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(bool(_MISSING), reason=f"the training extra is not installed ({_MISSING})"),
]
ACTOR = Actor("test:personal-formatter")


@dataclass(frozen=True)
class TinyBase:
    model: Any
    tokenizer: Any = None


@pytest.fixture(scope="module")
def tiny() -> TinyBase:
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=4, max_position_embeddings=64,
    )  # fmt: skip
    model = LlamaForCausalLM(config).eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return TinyBase(model)


@pytest.fixture
def settings(migrated_url: str, tmp_path: Path) -> Settings:
    return Settings.from_env(
        {
            "POSTGRES_URL": migrated_url,
            "INTELLUXE_HOME": str(tmp_path),
            "INTELLUXE_MASTER_KEY": Fernet.generate_key().decode(),
        }
    )


@pytest.fixture
def doctors(db: Database) -> Iterator[tuple[str, str]]:
    ids = (f"dr-pf-{os.urandom(4).hex()}", f"dr-pf-{os.urandom(4).hex()}")
    yield ids
    for doctor_id in ids:
        db.execute("DELETE FROM model_adapter_activations WHERE user_id = %s", (doctor_id,))
        db.execute("DELETE FROM model_adapters WHERE user_id = %s", (doctor_id,))


def _trained(base: Any, seed: int) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """(state, metrics, reference logits) of an adapter with random non-zero weights, as a trained one has."""
    import torch
    from peft import get_peft_model, get_peft_model_state_dict

    from core.training.lora import TrainingConfig, lora_config

    config = TrainingConfig(rank=4, alpha=8, dropout=0.0)
    torch.manual_seed(seed)
    model = get_peft_model(copy.deepcopy(base), lora_config(config))
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if "lora_" in name:
                parameter.normal_(0, 0.5)
        reference = model.eval()(torch.arange(8).unsqueeze(0)).logits
    state = {k: v.clone() for k, v in get_peft_model_state_dict(model).items()}
    return state, {"config": config.to_json(), "perplexities": {}}, reference


def test_the_active_adapter_from_the_store_writes_and_rollback_returns_to_the_base(
    db: Database, settings: Settings, doctors: tuple[str, str], tiny: TinyBase
) -> None:
    import torch

    from core.processors.personal_note import PATH_ADAPTER, PATH_BASE, NoteGenerator, PersonalFormatter
    from core.training.adapters import adapter_store

    store = adapter_store(settings, db)
    doctor, other = doctors
    state, metrics, reference = _trained(tiny.model, 1)
    other_state, other_metrics, _ = _trained(tiny.model, 2)
    record = store.save(doctor, state, metrics, actor=ACTOR, base_model_id="tiny-llama", activate=True)
    store.save(other, other_state, other_metrics, actor=ACTOR, base_model_id="tiny-llama", activate=True)

    seen: list[Any] = []

    def generate(model: Any, tokenizer: Any, transcript: str, *, max_new_tokens: int) -> tuple[str, int]:
        with torch.no_grad():
            seen.append(model(torch.arange(8).unsqueeze(0)).logits)
        return ("ADAPTED NOTE" if model is not tiny.model else "BASE NOTE"), 2

    generator = NoteGenerator(available=lambda: True, load_base=lambda: tiny, generate=generate)
    formatter = PersonalFormatter(store=store, generator=generator)
    out = formatter.process("patient has a cough", doctor_id=doctor)
    assert (out.path, out.adapter_id, out.text) == (PATH_ADAPTER, record.adapter_id, "ADAPTED NOTE")
    assert torch.allclose(seen[-1], reference, atol=1e-5)  # decrypted from disk: the very weights saved

    store.rollback(doctor, actor=ACTOR)  # the only adapter: back to none
    out = formatter.process("patient has a cough", doctor_id=doctor)
    assert (out.path, out.text, out.skipped) == (PATH_BASE, "BASE NOTE", ("no active adapter",))
    assert generator.adapter_cache().cached == [record.adapter_id]  # kept for when it is active again

    other_out = formatter.process("patient has a cough", doctor_id=other)
    assert other_out.path == PATH_ADAPTER and other_out.adapter_id != record.adapter_id


def test_an_adapter_under_another_master_key_falls_back_to_the_base(
    db: Database, settings: Settings, doctors: tuple[str, str], tiny: TinyBase
) -> None:
    from core.processors.personal_note import PATH_BASE, NoteGenerator
    from core.training.adapters import adapter_store

    doctor, _ = doctors
    state, metrics, _ = _trained(tiny.model, 3)
    adapter_store(settings, db).save(doctor, state, metrics, actor=ACTOR, base_model_id="tiny-llama", activate=True)
    rekeyed = settings.model_copy(update={"master_key": Fernet.generate_key().decode()})
    generator = NoteGenerator(
        available=lambda: True,
        load_base=lambda: tiny,
        generate=lambda model, tokenizer, transcript, max_new_tokens: ("BASE NOTE", 2),
    )
    result, _ = generator.note(doctor, "patient has a cough", store=adapter_store(rekeyed, db))
    assert result.path == PATH_BASE and result.skipped == ("adapter failed",)
    assert generator.adapter_cache().cached == []
