"""`config/agent_routing.yml`: its shape, and the checks that make every key mean what it says.

Theory of operation:
- The file has the plan's keys (docs/agent-orchestration-roadmap.md says what each does). Every section is a
  pydantic model with `extra="forbid"` and strict types: a misspelt key, or "yes" where true or false is meant, is
  an error naming the key's dotted path, never a default silently used.
- Some keys are switches for things that are not built yet (chain of thought, tree of thought, multi-agent
  orchestration, voting over agents, selection of agents by measured performance). `NOT_IMPLEMENTED` lists them with the
  value that is honest today and why; any other value is refused with that reason. The roadmap document lists the
  same keys (a test compares the two), so the file, the code and the document cannot drift apart.
- Plugin names are checked against the registry: each must be a registered plugin of the right kind, the
  transcriber for sensitive (and for unclassified: `default`) audio must be local, and processors must be local
  (dictation text is PHI). An unknown name says which plugins are registered, and why one of that name was
  skipped when it was.
- `validate_routing` collects the problems before raising, so one run of `intelluxe router check` shows them all:
  first the file's shape (unknown keys, wrong types); once that is right, every refused switch and plugin name.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.plugins import PluginRegistry
from core.shapes import field_message


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class TranscriptionRouting(_Section):
    default: str = "whisper_local"
    sensitive: str = "whisper_local"
    non_sensitive: str = "whisper_local"
    voting_enabled: bool = False
    voting_threshold: int = Field(default=3, ge=2, le=9)
    # The transcribers that vote beside the routed one (the first voting_threshold - 1 of them), in order.
    voters: list[str] = Field(
        default_factory=lambda: ["whisper_fp32", "whisper_greedy", "whisper_slow", "whisper_fast"]
    )


class PostProcessingRouting(_Section):
    default: str = "basic_formatter"
    medical_reports: str = "medical_formatter"
    personal_notes: str = "personal_formatter"
    chain_of_thought: bool = False
    tree_of_thought: bool = False


class AgentSelection(_Section):
    enabled: bool = False
    selection_strategy: Literal["performance", "cost", "accuracy"] = "performance"


class Orchestration(_Section):
    multi_agent_enabled: bool = False
    task_routing_enabled: bool = False
    memory_coordination: Literal["simple", "distributed", "advanced"] = "simple"


class Reasoning(_Section):
    chain_of_thought_enabled: bool = False
    majority_voting_enabled: bool = False
    tree_of_thought_enabled: bool = False
    confidence_threshold: float = Field(default=0.6, ge=0.0, le=1.0)


class RoutingConfig(_Section):
    """The whole file. Every section may be left out (its defaults are today's behaviour)."""

    transcription: TranscriptionRouting = TranscriptionRouting()
    post_processing: PostProcessingRouting = PostProcessingRouting()
    agent_selection: AgentSelection = AgentSelection()
    orchestration: Orchestration = Orchestration()
    reasoning: Reasoning = Reasoning()


@dataclass(frozen=True)
class Future:
    """A key whose other values have no implementation yet: `honest` is the value that is true today."""

    honest: Any
    why: str


# The keys that switch on something not built. docs/agent-orchestration-roadmap.md lists the same keys.
NOT_IMPLEMENTED: dict[str, Future] = {
    "reasoning.majority_voting_enabled": Future(
        False,
        "majority voting over agents' answers needs agent plugins, and none exist yet "
        "(voting over transcribers is transcription.voting_enabled)",
    ),
    "post_processing.chain_of_thought": Future(
        False, "chain-of-thought reasoning needs a reasoning language model, and none runs here"
    ),
    "reasoning.chain_of_thought_enabled": Future(
        False, "chain-of-thought reasoning needs a reasoning language model, and none runs here"
    ),
    "post_processing.tree_of_thought": Future(
        False, "tree-of-thought reasoning needs a reasoning language model, and none runs here"
    ),
    "reasoning.tree_of_thought_enabled": Future(
        False, "tree-of-thought reasoning needs a reasoning language model, and none runs here"
    ),
    "agent_selection.enabled": Future(
        False, "choosing an agent by measured performance needs agent plugins to choose between, and none exist yet"
    ),
    "orchestration.multi_agent_enabled": Future(
        False, "multi-agent orchestration is not built: no agent plugins exist yet to orchestrate"
    ),
    "orchestration.task_routing_enabled": Future(
        False, "routing tasks to agents is not built: no agent plugins exist yet to route to"
    ),
    "orchestration.memory_coordination": Future(
        "simple", "shared memory between agents is not built; 'simple' (each task runs alone) is what runs"
    ),
}

# Which plugin kind each name key holds, and whether it must be local (with the reason said when it is not).
_PLUGIN_KEYS: dict[str, tuple[str, str | None]] = {
    "transcription.default": ("transcriber", "audio whose class is not given is treated as sensitive"),
    "transcription.sensitive": ("transcriber", "sensitive audio must never leave this machine"),
    "transcription.non_sensitive": ("transcriber", None),
    "post_processing.default": ("processor", "dictation text is PHI and must never leave this machine"),
    "post_processing.medical_reports": ("processor", "dictation text is PHI and must never leave this machine"),
    "post_processing.personal_notes": ("processor", "dictation text is PHI and must never leave this machine"),
}


class RoutingConfigError(Exception):
    """The routing file is wrong; `problems` are its messages, one per key, each naming the key's dotted path."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def _value_at(config: RoutingConfig, dotted: str) -> Any:
    section, key = dotted.split(".")
    return getattr(getattr(config, section), key)


def _shape_problems(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors(include_url=False):
        path = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            problems.append(f"{path}: unknown key (the known ones are in docs/agent-orchestration-roadmap.md)")
        else:
            problems.append(f"{path}: {field_message(err)}")
    return problems


def _plugin_problems(config: RoutingConfig, registry: PluginRegistry) -> list[str]:
    problems = []
    for dotted, (kind, local_reason) in _PLUGIN_KEYS.items():
        name = _value_at(config, dotted)
        plugin = registry.get(kind, name)
        if plugin is None:
            registered = ", ".join(registry.names(kind)) or "none"
            skipped = registry.problem_for(name)
            why = f"; a plugin of that name was skipped: {skipped}" if skipped else ""
            problems.append(f"{dotted}: {name!r} is not a registered {kind} (registered: {registered}){why}")
        elif local_reason and not plugin.local:
            problems.append(f"{dotted}: {name!r} is not a local {kind}, and {local_reason}")
    return problems


def _voting_problems(config: RoutingConfig, registry: PluginRegistry) -> list[str]:
    """Voting runs on every final, sensitive dictation included: each voter must be a registered, local transcriber,
    distinct, and enough of them for voting_threshold."""
    routing = config.transcription
    problems = []
    for i, name in enumerate(routing.voters):
        plugin = registry.get("transcriber", name)
        where = f"transcription.voters[{i}]"
        if plugin is None:
            registered = ", ".join(registry.names("transcriber")) or "none"
            problems.append(f"{where}: {name!r} is not a registered transcriber (registered: {registered})")
        elif not plugin.local:
            problems.append(f"{where}: {name!r} is not a local transcriber, and voting runs on sensitive audio too")
        if name in routing.voters[:i] or name in (routing.sensitive, routing.default):
            problems.append(f"{where}: {name!r} is already voting (a transcriber votes once)")
    if routing.voting_enabled and len(routing.voters) < routing.voting_threshold - 1:
        problems.append(
            f"transcription.voters: voting_threshold {routing.voting_threshold} needs "
            f"{routing.voting_threshold - 1} voters beside the routed transcriber, {len(routing.voters)} are listed"
        )
    return problems


def validate_routing(raw: Any, registry: PluginRegistry, source: str = "agent_routing.yml") -> RoutingConfig:
    """`raw` (the parsed YAML) as a RoutingConfig; RoutingConfigError listing every problem otherwise."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise RoutingConfigError(source, [f"(top level): expected a mapping of sections, got {type(raw).__name__}"])
    try:
        config = RoutingConfig.model_validate(raw)
    except ValidationError as exc:
        raise RoutingConfigError(source, _shape_problems(exc)) from None
    problems = [
        f"{dotted}: {json.dumps(_value_at(config, dotted))} is refused: {future.why} "
        f"(only {json.dumps(future.honest)} is implemented)"
        for dotted, future in NOT_IMPLEMENTED.items()
        if _value_at(config, dotted) != future.honest
    ]
    problems += _plugin_problems(config, registry)
    problems += _voting_problems(config, registry)
    if problems:
        raise RoutingConfigError(source, problems)
    return config


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, except that a key given twice in one mapping is an error: PyYAML would keep the last
    one silently, so `voting_enabled: false` further down would hide a `true` above it (or the reverse)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} is given twice in one section", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_routing(path: Path, registry: PluginRegistry) -> RoutingConfig:
    """The routing file at `path`, validated against `registry`; RoutingConfigError naming the file otherwise."""
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader
    except OSError as exc:
        raise RoutingConfigError(str(path), [exc.strerror or str(exc)]) from None
    except yaml.YAMLError as exc:
        raise RoutingConfigError(str(path), [f"not YAML: {exc}"]) from None
    return validate_routing(raw, registry, str(path))
