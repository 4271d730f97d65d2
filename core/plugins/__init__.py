"""The plugin registry: transcribers, processors and agents, found by name, with what each can do.

Theory of operation:
- A plugin is a `Plugin` declaration: `name`, `kind` (transcriber, processor, agent), `version`, `capabilities`
  (a model per kind: a transcriber says whether it is `local`, because sensitive audio must never leave the
  machine) and `factory`, a no-argument callable that makes the working object. Declaring is cheap: nothing heavy
  (a model, numpy) is loaded until the router asks for the object, so `intelluxe router check` stays fast.
- Plugins come from two places, read in this order (on a duplicate name the first one found stays and the later
  one is reported):
  1. Python entry points in the group `intelluxe.plugins`, so a clinic installs a plugin with `pip install`. The
     suite's own plugins are declared the same way in pyproject.toml (core.plugins.builtin). An entry point
     names a `Plugin` whose name is the entry point's name, or a list of `Plugin`s.
  2. `*.py` files in the plugins folder (`$INTELLUXE_HOME/plugins`, or `INTELLUXE_PLUGINS_DIR`), each holding a
     module-level `PLUGINS` list. These files run as code with the service's rights, so one that anybody may
     write to (or that sits in such a folder) is refused.
- A plugin that fails to import, or declares itself wrongly (not a `Plugin`, a capability missing or of the wrong
  type, a name that differs from its entry point), is kept in `problems` with the reason and skipped; the others
  load. Nothing is silently dropped: `intelluxe router check` prints the problems.
"""

from __future__ import annotations

import importlib.util
import re
import stat
import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator, model_validator

from core.config import Settings
from core.yaml_config import validation_problems

ENTRY_POINT_GROUP = "intelluxe.plugins"
Kind = Literal["transcriber", "processor", "agent"]
KINDS: tuple[Kind, ...] = ("transcriber", "processor", "agent")
# What the working object of each kind must have: the router calls this method and nothing else.
METHOD: dict[str, str] = {"transcriber": "transcribe", "processor": "process", "agent": "execute"}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
# PEP 440 release, pre-release, post and dev parts (enough to compare versions; no local "+..." labels).
_VERSION = re.compile(r"^\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?$")


class PluginSettings(Settings):
    """Where the plugins folder is: `INTELLUXE_PLUGINS_DIR`, else `plugins` under `INTELLUXE_HOME`."""

    plugins_dir: Path | None = Field(default=None, alias="INTELLUXE_PLUGINS_DIR")

    def plugin_folder(self) -> Path:
        return (self.plugins_dir or self.home / "plugins").expanduser().resolve()


class _Capabilities(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TranscriberCapabilities(_Capabilities):
    """`local`: the audio never leaves this machine. Required, never defaulted: a plugin must say it."""

    kind: Literal["transcriber"] = "transcriber"
    local: StrictBool
    languages: tuple[str, ...] = ("en",)


class ProcessorCapabilities(_Capabilities):
    """`local`: the text never leaves this machine (dictation text is PHI, so the router takes only local ones);
    `model`: whether it runs a model (the built-in formatters are plain text rules)."""

    kind: Literal["processor"] = "processor"
    local: StrictBool
    model: StrictBool = False


class AgentCapabilities(_Capabilities):
    """`tasks`: the task types the agent executes; `local` as for processors."""

    kind: Literal["agent"] = "agent"
    local: StrictBool
    tasks: tuple[str, ...] = ()


Capabilities = Annotated[
    TranscriberCapabilities | ProcessorCapabilities | AgentCapabilities, Field(discriminator="kind")
]


class Plugin(BaseModel):
    """One plugin's declaration. Build it with `Plugin(name=..., kind=..., version=..., capabilities={...},
    factory=...)`; a wrong field raises pydantic's ValidationError at import, which the registry reports."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    name: str
    kind: Kind
    version: str
    capabilities: Capabilities
    factory: Callable[[], Any] = Field(repr=False)
    summary: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _NAME.match(value):
            raise ValueError("must be lower-case letters, digits and _ (starting with a letter), at most 64")
        return value

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not _VERSION.match(value):
            raise ValueError(f"{value!r} is not a version such as 1.0 or 2.1.3")
        return value

    @model_validator(mode="before")
    @classmethod
    def _capabilities_kind(cls, data: Any) -> Any:
        """The capabilities are read as the plugin's kind says (a plugin writes `{"local": True}`, not the kind
        twice); a mismatch is an error, not a guess."""
        if isinstance(data, Mapping) and isinstance(data.get("capabilities"), Mapping):
            caps = dict(data["capabilities"])
            caps.setdefault("kind", data.get("kind"))
            data = {**data, "capabilities": caps}
        return data

    @model_validator(mode="after")
    def _kinds_agree(self) -> Plugin:
        if self.capabilities.kind != self.kind:
            raise ValueError(f"capabilities are a {self.capabilities.kind}'s, but kind is {self.kind}")
        return self

    @property
    def local(self) -> bool:
        return self.capabilities.local


@runtime_checkable
class Processor(Protocol):
    """A text processor: dictation text in, `Processed` out. Pure: same text, same result; thread-safe."""

    def process(self, text: str) -> Processed: ...


@dataclass(frozen=True)
class Processed:
    """A processor's result: the text to show, and (for a structuring processor) its sections in order, each
    `(heading, body)`; `sections` is empty when the processor does not structure."""

    text: str
    sections: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PluginProblem:
    """A plugin that was skipped: `source` is where it came from (an entry point or a file), `reason` why."""

    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


class PluginError(LookupError):
    """A plugin asked for by name does not exist, or its factory made something that cannot do the job."""


@dataclass
class PluginRegistry:
    """Plugins by kind and name, the problems met while loading them, and the objects made so far (one per
    plugin: a transcriber holds a model, made once per process)."""

    plugins: dict[tuple[str, str], Plugin] = field(default_factory=dict)
    sources: dict[tuple[str, str], str] = field(default_factory=dict)
    problems: list[PluginProblem] = field(default_factory=list)
    _objects: dict[tuple[str, str], Any] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, plugin: Plugin, source: str) -> None:
        """Register `plugin` from `source`; a second plugin of the same kind and name is a problem, not a swap."""
        key = (plugin.kind, plugin.name)
        if key in self.plugins:
            self.problems.append(
                PluginProblem(source, f"{plugin.kind} {plugin.name!r} is already registered by {self.sources[key]}")
            )
            return
        self.plugins[key] = plugin
        self.sources[key] = source

    def get(self, kind: str, name: str) -> Plugin | None:
        return self.plugins.get((kind, name))

    def names(self, kind: str) -> list[str]:
        return sorted(name for k, name in self.plugins if k == kind)

    def problem_for(self, name: str) -> PluginProblem | None:
        """The load problem of a plugin called `name`, when one was skipped (to say why a name is unknown)."""
        for problem in self.problems:
            if re.search(rf"(?<![a-z0-9_]){re.escape(name)}(?![a-z0-9_])", problem.source):
                return problem
        return None

    def create(self, kind: str, name: str) -> Any:
        """The working object of plugin `name` (made by its factory on first use, then reused); PluginError when
        there is no such plugin or the object lacks the method the router calls."""
        plugin = self.get(kind, name)
        if plugin is None:
            raise PluginError(f"no {kind} plugin named {name!r} (registered: {', '.join(self.names(kind)) or 'none'})")
        key = (kind, name)
        with self._lock:
            if key not in self._objects:
                obj = plugin.factory()
                if not callable(getattr(obj, METHOD[kind], None)):
                    raise PluginError(
                        f"{kind} {name!r}: its factory made a {type(obj).__name__}, which has no {METHOD[kind]}()"
                    )
                self._objects[key] = obj
            return self._objects[key]


def load_registry(
    *, folder: Path | None = None, eps: Iterable[EntryPoint] | None = None, use_entry_points: bool = True
) -> PluginRegistry:
    """Every plugin from the entry points (`eps`, default: the installed ones in the group) and from `folder`
    (default: the configured plugins folder); problems are collected, never raised."""
    registry = PluginRegistry()
    if use_entry_points:
        found = list(entry_points(group=ENTRY_POINT_GROUP) if eps is None else eps)
        for ep in sorted(found, key=_entry_point_order):
            _load_entry_point(registry, ep)
        if eps is None and not any(ep.value.startswith("core.") for ep in found):
            # Entry points are install metadata: a checkout installed before they were declared has none.
            registry.problems.append(
                PluginProblem(
                    f"entry points {ENTRY_POINT_GROUP}",
                    "the suite's own plugins (whisper_local, basic_formatter, medical_formatter) are not installed: "
                    "re-run `pip install -e .` (or `pip install .`) so the package's entry points are written",
                )
            )
    if folder is None:
        folder = PluginSettings.from_env().plugin_folder()
    _load_folder(registry, folder)
    return registry


def _entry_point_order(ep: EntryPoint) -> tuple[int, str]:
    """The suite's own plugins first (a pip-installed one cannot take a built-in's name), then by name."""
    return (0 if ep.value.startswith("core.") else 1, ep.name)


def _load_entry_point(registry: PluginRegistry, ep: EntryPoint) -> None:
    dist = getattr(ep, "dist", None)
    source = f"entry point {ep.name} = {ep.value}" + (f" ({dist.name} {dist.version})" if dist else "")
    try:
        declared = ep.load()
    except ValidationError as exc:
        registry.problems.append(PluginProblem(source, f"declares itself wrongly: {validation_problems(exc)}"))
        return
    except Exception as exc:  # noqa: BLE001 - a third-party module may raise anything on import; report, go on
        registry.problems.append(PluginProblem(source, f"failed to import: {type(exc).__name__}: {exc}"))
        return
    if isinstance(declared, Plugin) and declared.name != ep.name:
        registry.problems.append(
            PluginProblem(
                source, f"declares itself wrongly: the entry point is {ep.name!r}, the plugin {declared.name!r}"
            )
        )
        return
    _add_declared(registry, declared, source)


def _add_declared(registry: PluginRegistry, declared: Any, source: str) -> None:
    plugins = [declared] if isinstance(declared, Plugin) else declared
    if not isinstance(plugins, list | tuple) or not plugins or not all(isinstance(p, Plugin) for p in plugins):
        registry.problems.append(
            PluginProblem(
                source,
                f"declares itself wrongly: expected a core.plugins.Plugin or a list of them, got "
                f"{type(declared).__name__}",
            )
        )
        return
    for plugin in plugins:
        registry.add(plugin, source)


def _load_folder(registry: PluginRegistry, folder: Path) -> None:
    if not folder.is_dir():
        return  # no folder, no folder plugins: the default $INTELLUXE_HOME/plugins need not exist
    unsafe = _writable_by_others(folder)
    for path in sorted(folder.glob("*.py")):
        source = f"plugin file {path}"
        if unsafe or _writable_by_others(path):
            registry.problems.append(
                PluginProblem(
                    source, "refused: it (or its folder) may be written by any user, and it would run as code"
                )
            )
            continue
        _load_file(registry, path, source)


def _writable_by_others(path: Path) -> bool:
    return bool(path.stat().st_mode & stat.S_IWOTH)


def _load_file(registry: PluginRegistry, path: Path, source: str) -> None:
    module_name = f"intelluxe_plugins.{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        registry.problems.append(PluginProblem(source, "failed to import: not a loadable Python file"))
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pydantic look a module up while it runs
    try:
        spec.loader.exec_module(module)
    except ValidationError as exc:
        sys.modules.pop(module_name, None)
        registry.problems.append(PluginProblem(source, f"declares itself wrongly: {validation_problems(exc)}"))
        return
    except Exception as exc:  # noqa: BLE001 - a clinic's plugin may raise anything on import; report, go on
        sys.modules.pop(module_name, None)
        registry.problems.append(PluginProblem(source, f"failed to import: {type(exc).__name__}: {exc}"))
        return
    if not hasattr(module, "PLUGINS"):
        registry.problems.append(PluginProblem(source, "declares itself wrongly: the file has no PLUGINS list"))
        return
    _add_declared(registry, module.PLUGINS, source)


_default: PluginRegistry | None = None
_default_lock = threading.Lock()


def plugin_registry() -> PluginRegistry:
    """The process's registry, loaded on first use from the installed entry points and the plugins folder."""
    global _default
    with _default_lock:
        if _default is None:
            _default = load_registry()
        return _default


__all__ = [
    "ENTRY_POINT_GROUP",
    "KINDS",
    "AgentCapabilities",
    "Plugin",
    "PluginError",
    "PluginProblem",
    "PluginRegistry",
    "PluginSettings",
    "Processed",
    "Processor",
    "ProcessorCapabilities",
    "TranscriberCapabilities",
    "load_registry",
    "plugin_registry",
]
