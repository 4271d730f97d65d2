"""The plan's `InsuranceTool`: what every tool of this server is, built-in or generated.

A tool declares its name (`<payer>_<capability>` in snake_case, or a suite tool's plain name), the roles that may
call it, an input model (pydantic; its JSON Schema is the tool's input schema and what the arguments are validated
against), an output model (the structured content every answer carries), and `run`. The runtime (runtime.py) does
the rest the same way for every tool: who is calling and may they, argument validation with errors that name
fields and never echo values, the deadline, the one audit row, the one-line text summary.

What leaves for a payer is the input model itself: models forbid extra fields, so an `ssn` or `full_name` the
caller adds is refused by name instead of being carried along (the plan deletes such keys; an allow-list cannot
forget one). Free text (`free_text_fields`: a note, a reason) is scanned with core.phi and redacted by the runtime
before the tool sees it (`redacted_free_text`).
"""

from __future__ import annotations

import re
import typing
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import BaseModel

from core.auth import Role
from core.phi import detect, redact_findings

from .suite_client import SuiteClient

TOOL_NAME = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")


@dataclass(frozen=True)
class Caller:
    """Who is calling: the token's name (the audit actor), its role, and the token itself (forwarded to the suite)."""

    name: str
    role: Role
    token: str


@dataclass(frozen=True)
class ToolCall:
    """What a tool's `run` gets beside its validated arguments."""

    caller: Caller
    request_id: str
    suite: SuiteClient

    async def suite_json(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
        """A suite service's JSON answer to this caller (see SuiteClient.call)."""
        reply = await self.suite.call(
            service, method, path, token=self.caller.token, request_id=self.request_id, **kwargs
        )
        return reply.json()


class InsuranceTool(ABC):
    """One MCP tool. Subclasses set the class attributes (or `__init__` sets them per instance, as the payer tools
    do for each payer) and implement `run` and `summary`."""

    name: str
    title: str
    description: str
    capability: str
    payer_id: str | None = None
    roles: frozenset[Role] = frozenset({Role.ADMIN})
    input_model: type[BaseModel]
    output_model: type[BaseModel]
    timeout_seconds: float | None = None  # None: the server's MCP_TOOL_TIMEOUT_SECONDS
    read_only: bool = True
    # The argument fields whose values are procedure codes (CPT/HCPCS): counted and listed in the audit row.
    code_fields: ClassVar[tuple[str, ...]] = ()
    # Arguments that are free text bound for a payer or an outside API (a note, a reason), as dotted paths into the
    # input model: the runtime replaces every identifier core.phi finds in them with its [TYPE] placeholder before
    # `run` sees them. Generated tools find theirs by name (free_text_fields_of).
    free_text_fields: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    async def run(self, args: Any, call: ToolCall) -> BaseModel:
        """The answer (an instance of output_model), or raise ToolFailure."""

    @abstractmethod
    def summary(self, result: Any) -> str:
        """One line of text for clients that read no structured content; no PHI beyond what the caller sent."""

    def service_codes(self, args: Any) -> list[str]:
        """The procedure codes of a call, for its audit row (codes are not PHI)."""
        codes: list[str] = []
        for name in self.code_fields:
            value = getattr(args, name, None) or []
            codes.extend(str(code) for code in (value if isinstance(value, list | tuple) else [value]))
        return codes

    def check(self) -> None:
        """Raise ValueError when the declaration itself is wrong (the loader skips such a tool with the reason)."""
        if not TOOL_NAME.fullmatch(getattr(self, "name", "") or ""):
            raise ValueError(f"tool name {getattr(self, 'name', '')!r} is not snake_case")
        for attribute in ("title", "description", "capability"):
            if not isinstance(getattr(self, attribute, None), str) or not getattr(self, attribute):
                raise ValueError(f"tool {self.name}: {attribute} must be a non-empty string")
        for attribute in ("input_model", "output_model"):
            model = getattr(self, attribute, None)
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                raise ValueError(f"tool {self.name}: {attribute} must be a pydantic model class")
        if not self.roles or not all(isinstance(role, Role) for role in self.roles):
            raise ValueError(f"tool {self.name}: roles must be a non-empty set of core.auth.Role")
        self.input_model.model_json_schema()  # raises when the schema cannot be written
        self.output_model.model_json_schema()


# The last word of a field name that says it holds prose (a generated tool's `clinical_notes`, `appeal_reason`).
FREE_TEXT_WORDS = frozenset(
    "note notes comment comments description reason reasons narrative text message remarks summary instructions "
    "history justification details explanation".split()
)


def free_text_fields_of(model: type[BaseModel], prefix: str = "", depth: int = 0) -> tuple[str, ...]:
    """Dotted paths of the string fields of `model` (and its nested models) that hold prose by their name and are
    not constrained to a shape (no pattern, no fixed values): what the runtime redacts for a generated tool, whose
    author never listed them."""
    found: list[str] = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        nested = _model_in(annotation)
        if nested is not None and depth < 3:
            found += free_text_fields_of(nested, f"{prefix}{name}.", depth + 1)
            continue
        if not _is_text(annotation) or any(getattr(m, "pattern", None) for m in info.metadata):
            continue
        word = (info.alias or name).replace("-", "_").lower().rsplit("_", 1)[-1]
        if word in FREE_TEXT_WORDS:
            found.append(prefix + name)
    return tuple(found)


def _model_in(annotation: Any) -> type[BaseModel] | None:
    candidates = typing.get_args(annotation) or (annotation,)
    return next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)


def _is_text(annotation: Any) -> bool:
    return annotation is str or (str in typing.get_args(annotation) and typing.get_origin(annotation) is not Literal)


def redacted_free_text(text: str) -> tuple[str, int]:
    """`text` with every identifier core.phi finds replaced by its [TYPE] placeholder, and how many were found:
    what a payer may be sent of a clinician's free text."""
    findings = detect(text)
    return (redact_findings(text, findings) if findings else text), len(findings)
