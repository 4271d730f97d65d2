"""The agent router: which transcriber hears a request, which processor writes a document, from the routing file.

Interface (small on purpose; everything else is the routing file's and the registry's):
- `AgentRouter.from_file(path, registry)` validates `config/agent_routing.yml` against the registry and raises
  `RoutingConfigError` (every problem, each naming its key) when it is wrong: a service builds its router at start,
  so a wrong file stops it there, not on the first dictation.
- `transcriber_name(request_class)` / `transcriber(request_class)`: the plugin name, and its working object (a
  `core.transcription.TranscriptionEngine`), for "sensitive", "non_sensitive" or None (not given: `default`,
  which validation holds to a local transcriber, because unclassified audio may be sensitive).
- `processor_name(document_type)` / `process(text, document_type, doctor_id=None)`: "medical_report" goes to
  `post_processing.medical_reports`, "general" to `post_processing.default`, "personal_note" (a dictation written
  in the dictating doctor's own form, by their adapter: docs/personalization.md) to `post_processing.personal_notes`.
  `doctor_id` reaches a processor whose `process` takes it (`personal_formatter`); one that writes the same for
  every doctor is called with the text alone.
An unknown request class or document type is a caller's bug (ValueError), never quietly routed to a default: a
misspelt "sensitve" must not reach a non-local transcriber.

With `transcription.voting_enabled`, `transcriber()` gives a `core.transcription.voting.VotingTranscriber`: the
routed transcriber first (partials, the vote's backbone) and the first `voting_threshold - 1` of
`transcription.voters`, each final decoded by all and voted. `on_member`, when set, hears each member's decode
(name, seconds, confidence): the performance tracking. Chain/tree of thought, agent selection and multi-agent
orchestration are refused by the config validation until they exist (routing_config.NOT_IMPLEMENTED), so the
router has no code paths that pretend to do them. The audio-receiver transcribes through `transcriber("sensitive")`.
"""

from __future__ import annotations

import inspect
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from core.config import project_root
from core.orchestration.routing_config import RoutingConfig, load_routing, validate_routing
from core.plugins import PluginRegistry, Processed, plugin_registry

RequestClass = Literal["sensitive", "non_sensitive"]
DocumentType = Literal["general", "medical_report", "personal_note"]
REQUEST_CLASSES: tuple[str, ...] = ("sensitive", "non_sensitive")
DOCUMENT_TYPES: tuple[str, ...] = ("general", "medical_report", "personal_note")


def _takes_doctor_id(processor: Any) -> bool:
    """Whether the processor's `process` has a `doctor_id` parameter (a per-doctor processor)."""
    try:
        return "doctor_id" in inspect.signature(processor.process).parameters
    except (TypeError, ValueError):
        return False


def default_routing_path() -> Path:
    """INTELLUXE_ROUTING_FILE, else `config/agent_routing.yml` under the project root (INTELLUXE_ROOT, else this
    checkout): a site keeps its own routing beside the shipped one, as with INTELLUXE_STACK_FILE."""
    named = os.environ.get("INTELLUXE_ROUTING_FILE")
    return Path(named) if named else project_root() / "config" / "agent_routing.yml"


class AgentRouter:
    """Routes by a validated `RoutingConfig` over a `PluginRegistry` (see the module's docstring)."""

    def __init__(self, config: RoutingConfig, registry: PluginRegistry) -> None:
        self.config = validate_routing(config.model_dump(), registry, "routing config")
        self.registry = registry
        self.on_member: Callable[[str, float, float], None] | None = None
        self._votes: dict[str, Any] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_file(cls, path: Path | None = None, registry: PluginRegistry | None = None) -> AgentRouter:
        registry = registry if registry is not None else plugin_registry()
        return cls(load_routing(path or default_routing_path(), registry), registry)

    def transcriber_name(self, request_class: RequestClass | None = None) -> str:
        routing = self.config.transcription
        if request_class is None:
            return routing.default
        if request_class == "sensitive":
            return routing.sensitive
        if request_class == "non_sensitive":
            return routing.non_sensitive
        raise ValueError(f"unknown request class {request_class!r} (one of {', '.join(REQUEST_CLASSES)}, or None)")

    def transcriber(self, request_class: RequestClass | None = None) -> Any:
        """The transcriber's working object (made once, then shared: a model is loaded once per process); with
        voting on, the vote of it and its voters."""
        name = self.transcriber_name(request_class)
        if not self.config.transcription.voting_enabled:
            return self.registry.create("transcriber", name)
        with self._lock:
            if name not in self._votes:
                from core.transcription.voting import VotingTranscriber

                members = [(n, self.registry.create("transcriber", n)) for n in self.voters(request_class)]
                self._votes[name] = VotingTranscriber(members, on_member=self._member_done)
            return self._votes[name]

    def voters(self, request_class: RequestClass | None = None) -> list[str]:
        """The transcribers that decode each final, the routed one first (it alone when voting is off)."""
        routing = self.config.transcription
        name = self.transcriber_name(request_class)
        if not routing.voting_enabled:
            return [name]
        return [name, *[v for v in routing.voters if v != name][: routing.voting_threshold - 1]]

    def _member_done(self, name: str, seconds: float, confidence: float) -> None:
        if self.on_member is not None:
            self.on_member(name, seconds, confidence)

    def processor_name(self, document_type: DocumentType = "general") -> str:
        if document_type == "medical_report":
            return self.config.post_processing.medical_reports
        if document_type == "general":
            return self.config.post_processing.default
        if document_type == "personal_note":
            return self.config.post_processing.personal_notes
        raise ValueError(f"unknown document type {document_type!r} (one of {', '.join(DOCUMENT_TYPES)})")

    def process(self, text: str, document_type: DocumentType = "general", *, doctor_id: str | None = None) -> Processed:
        """`text` through the processor for `document_type`; `doctor_id` to a processor that takes it."""
        processor = self.registry.create("processor", self.processor_name(document_type))
        if doctor_id is not None and _takes_doctor_id(processor):
            result = processor.process(text, doctor_id=doctor_id)
        else:
            result = processor.process(text)
        if not isinstance(result, Processed):
            raise TypeError(f"processor {self.processor_name(document_type)!r} returned {type(result).__name__}")
        return result

    def summary(self) -> str:
        """One line saying where each class and type goes (for logs and `intelluxe router check`)."""
        t, p = self.config.transcription, self.config.post_processing

        def where(name: str) -> str:
            plugin = self.registry.get("transcriber", name)
            return f"{name} ({'local' if plugin and plugin.local else 'NOT local'})"

        voting = f"voting {'+'.join(self.voters('sensitive'))}; " if t.voting_enabled else ""
        return (
            f"{voting}transcription: sensitive -> {where(t.sensitive)}, unclassified -> {where(t.default)}, "
            f"non_sensitive -> {where(t.non_sensitive)}; post-processing: general -> {p.default}, "
            f"medical_report -> {p.medical_reports}, personal_note -> {p.personal_notes}"
        )
