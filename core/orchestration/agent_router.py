"""The agent router: which transcriber hears a request, which processor writes a document, from the routing file.

Interface (small on purpose; everything else is the routing file's and the registry's):
- `AgentRouter.from_file(path, registry)` validates `config/agent_routing.yml` against the registry and raises
  `RoutingConfigError` (every problem, each naming its key) when it is wrong: a service builds its router at start,
  so a wrong file stops it there, not on the first dictation.
- `transcriber_name(request_class)` / `transcriber(request_class)`: the plugin name, and its working object (a
  `core.transcription.TranscriptionEngine`), for "sensitive", "non_sensitive" or None (not given: `default`,
  which validation holds to a local transcriber, because unclassified audio may be sensitive).
- `processor_name(document_type)` / `process(text, document_type)`: "medical_report" goes to
  `post_processing.medical_reports`, "general" to `post_processing.default`.
An unknown request class or document type is a caller's bug (ValueError), never quietly routed to a default: a
misspelt "sensitve" must not reach a non-local transcriber.

Majority voting, chain/tree of thought, agent selection and multi-agent orchestration are refused by the config
validation until they exist (routing_config.NOT_IMPLEMENTED), so the router has no code paths that pretend to do
them. The audio-receiver still creates its engine itself (`core.transcription.shared_engine`); the plugin
`whisper_local` wraps that same engine, so moving the receiver onto the router does not change what it runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from core.config import project_root
from core.orchestration.routing_config import RoutingConfig, load_routing, validate_routing
from core.plugins import PluginRegistry, Processed, plugin_registry

RequestClass = Literal["sensitive", "non_sensitive"]
DocumentType = Literal["general", "medical_report"]
REQUEST_CLASSES: tuple[str, ...] = ("sensitive", "non_sensitive")
DOCUMENT_TYPES: tuple[str, ...] = ("general", "medical_report")


def default_routing_path() -> Path:
    """`config/agent_routing.yml` under the project root (INTELLUXE_ROOT, else this checkout)."""
    return project_root() / "config" / "agent_routing.yml"


class AgentRouter:
    """Routes by a validated `RoutingConfig` over a `PluginRegistry` (see the module's docstring)."""

    def __init__(self, config: RoutingConfig, registry: PluginRegistry) -> None:
        self.config = validate_routing(config.model_dump(), registry, "routing config")
        self.registry = registry

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
        """The transcriber's working object (made once, then shared: a model is loaded once per process)."""
        return self.registry.create("transcriber", self.transcriber_name(request_class))

    def processor_name(self, document_type: DocumentType = "general") -> str:
        if document_type == "medical_report":
            return self.config.post_processing.medical_reports
        if document_type == "general":
            return self.config.post_processing.default
        raise ValueError(f"unknown document type {document_type!r} (one of {', '.join(DOCUMENT_TYPES)})")

    def process(self, text: str, document_type: DocumentType = "general") -> Processed:
        """`text` through the processor for `document_type`."""
        result = self.registry.create("processor", self.processor_name(document_type)).process(text)
        if not isinstance(result, Processed):
            raise TypeError(f"processor {self.processor_name(document_type)!r} returned {type(result).__name__}")
        return result

    def summary(self) -> str:
        """One line saying where each class and type goes (for logs and `intelluxe router check`)."""
        t, p = self.config.transcription, self.config.post_processing

        def where(name: str) -> str:
            plugin = self.registry.get("transcriber", name)
            return f"{name} ({'local' if plugin and plugin.local else 'NOT local'})"

        return (
            f"transcription: sensitive -> {where(t.sensitive)}, unclassified -> {where(t.default)}, "
            f"non_sensitive -> {where(t.non_sensitive)}; post-processing: general -> {p.default}, "
            f"medical_report -> {p.medical_reports}"
        )
