"""The router picks the transcriber per request class and the processor per document type; an unknown class or
type is refused, never routed to a default; `whisper_local` is the audio-receiver's own engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.orchestration import AgentRouter, RoutingConfig, RoutingConfigError
from core.plugins import Plugin, Processed, load_registry

ROOT = Path(__file__).resolve().parents[3]


class _Engine:
    def __init__(self, name: str) -> None:
        self.name = name

    def transcribe(self, audio: object, **options: object) -> list[object]:
        return []


def _router(**transcription: str) -> AgentRouter:
    registry = load_registry(folder=ROOT / "no-such-folder")
    for name, local in (("local_a", True), ("local_b", True), ("remote", False)):
        registry.add(
            Plugin(
                name=name,
                kind="transcriber",
                version="1",
                capabilities={"local": local},
                factory=lambda name=name: _Engine(name),
            ),
            "test",
        )
    config = RoutingConfig.model_validate({"transcription": transcription})
    return AgentRouter(config, registry)


def test_each_request_class_gets_its_transcriber() -> None:
    router = _router(default="local_a", sensitive="local_b", non_sensitive="remote")
    assert router.transcriber("sensitive").name == "local_b"
    assert router.transcriber("non_sensitive").name == "remote"
    assert router.transcriber(None).name == "local_a"
    assert router.transcriber("sensitive") is router.transcriber("sensitive")  # made once


def test_an_unknown_request_class_is_refused_not_defaulted() -> None:
    router = _router(non_sensitive="remote")
    with pytest.raises(ValueError, match="unknown request class 'sensitve'"):
        router.transcriber("sensitve")  # type: ignore[arg-type]


def test_a_router_built_from_a_config_object_is_validated_too() -> None:
    with pytest.raises(RoutingConfigError, match="transcription.sensitive: 'remote' is not a local transcriber"):
        _router(sensitive="remote")


def test_documents_go_to_their_processor() -> None:
    router = AgentRouter.from_file(ROOT / "config" / "agent_routing.yml", load_registry(folder=ROOT / "none"))
    assert router.processor_name("general") == "basic_formatter"
    assert router.processor_name("medical_report") == "medical_formatter"
    general = router.process("blood pressure one twenty over eighty")
    assert general == Processed(text="Blood pressure 120/80.")
    report = router.process("subjective no complaints. plan recheck in six weeks", "medical_report")
    assert report.sections == (("Subjective", "No complaints."), ("Plan", "Recheck in 6 weeks."))
    with pytest.raises(ValueError, match="unknown document type 'discharge'"):
        router.process("x", "discharge")  # type: ignore[arg-type]


class _PerDoctor:
    def process(self, text: str, *, doctor_id: str | None = None) -> Processed:
        return Processed(text=f"{doctor_id}: {text}")


class _Plain:
    def process(self, text: str) -> Processed:
        return Processed(text=text.upper())


def test_a_personal_note_goes_to_personal_notes_with_the_doctor_id_when_the_processor_takes_one() -> None:
    shipped = AgentRouter.from_file(ROOT / "config" / "agent_routing.yml", load_registry(folder=ROOT / "none"))
    assert shipped.processor_name("personal_note") == "personal_formatter"
    registry = load_registry(folder=ROOT / "no-such-folder")
    for name, factory in (("per_doctor", _PerDoctor), ("plain", _Plain)):
        registry.add(Plugin(name=name, kind="processor", version="1", capabilities={"local": True}, factory=factory),
                     "test")  # fmt: skip
    router = AgentRouter(RoutingConfig.model_validate({"post_processing": {"personal_notes": "per_doctor"}}), registry)
    assert router.process("cough", "personal_note", doctor_id="dr-a") == Processed(text="dr-a: cough")
    assert router.process("cough", "personal_note") == Processed(text="None: cough")
    plain = AgentRouter(RoutingConfig.model_validate({"post_processing": {"personal_notes": "plain"}}), registry)
    assert plain.process("cough", "personal_note", doctor_id="dr-a") == Processed(text="COUGH")  # no doctor_id
    assert "personal_note -> plain" in plain.summary()


def test_whisper_local_is_the_receivers_shared_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    """The plugin hands out `core.transcription.shared_engine()` (the engine the audio-receiver creates), so the
    next part can route the receiver through it without changing what it runs. The model itself is not loaded
    here: the transcription tests cover it."""
    import core.transcription

    engine = _Engine("shared")
    monkeypatch.setattr(core.transcription, "shared_engine", lambda: engine)
    registry = load_registry(folder=ROOT / "none")
    router = AgentRouter.from_file(ROOT / "config" / "agent_routing.yml", registry)
    assert router.transcriber_name("sensitive") == "whisper_local"
    assert router.transcriber("sensitive") is engine
    assert registry.get("transcriber", "whisper_local").local is True  # type: ignore[union-attr]
