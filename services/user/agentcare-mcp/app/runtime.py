"""How every tool call runs, built-in or generated: caller, role, arguments, deadline, audit row, answer.

Order of a call: the caller (the bearer token the HTTP transport verified, or the stdio session's token) → the role
check → the arguments validated against the tool's input model (errors name the field and the rule, never the
value) → `run` under the deadline → one audit row on the hash chain (tool, payer, capability, procedure codes,
outcome, duration; never a name, member id, date of birth or free text) → the answer: structured content and a
one-line summary, or a tool error (`is_error`). The audit row is written before the caller hears anything; when it
cannot be written the answer is withheld, as the REST services do.
"""

from __future__ import annotations

import json
import logging
import time
import traceback
import uuid
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase, FuncMetadata
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ValidationError

from core import audit
from core.auth import Role
from core.db import Database
from core.web.money_json import MoneyJSONProvider

from .settings import McpSettings
from .suite_client import SuiteClient
from .tool_base import Caller, InsuranceTool, ToolCall, redacted_free_text
from .tool_errors import ToolFailure

log = logging.getLogger("agentcare_mcp")

SERVICE = "agentcare-mcp"


@dataclass
class ToolRuntime:
    settings: McpSettings
    db: Database
    suite: SuiteClient
    stdio_caller: Caller | None = None  # set for a stdio session; HTTP callers come from their verified token

    async def invoke(self, tool: InsuranceTool, arguments: dict[str, Any]) -> CallToolResult:
        started = time.monotonic()
        request_id = uuid.uuid4().hex
        caller = self._caller()
        args: BaseModel | None = None
        redacted = 0
        try:
            if caller is None:
                raise ToolFailure("no authenticated caller", kind="unauthenticated", outcome="denied")
            if caller.role not in tool.roles and caller.role is not Role.ADMIN:
                allowed = ", ".join(sorted(role.value for role in tool.roles))
                raise ToolFailure(
                    f"role {caller.role.value} may not call {tool.name} (allowed: {allowed})",
                    kind="forbidden",
                    outcome="denied",
                )
            args, redacted = _redacted(tool, _validated(tool, arguments))
            ceiling = self.settings.tool_timeout_seconds
            deadline = min(tool.timeout_seconds or ceiling, ceiling)
            try:
                with anyio.fail_after(deadline):
                    result = await tool.run(args, ToolCall(caller=caller, request_id=request_id, suite=self.suite))
            except TimeoutError:
                raise ToolFailure(f"{tool.name} did not finish within {deadline:g} s", kind="timeout") from None
            if not isinstance(result, tool.output_model):
                raise TypeError(f"{tool.name} returned {type(result).__name__}, not {tool.output_model.__name__}")
        except ToolFailure as failure:
            await self._audit(tool, caller, args, request_id, started, failure.outcome, error=failure.kind)
            return _error_result(failure.text())
        except Exception as exc:  # noqa: BLE001 - any crash is a tool error for the caller and a log line here
            log.error("tool %s crashed (request %s): %s", tool.name, request_id, _where(exc))
            await self._audit(tool, caller, args, request_id, started, "error", error="crash")
            return _error_result(f"{tool.name} failed unexpectedly (request {request_id}); the error is logged")
        if not await self._audit(tool, caller, args, request_id, started, "success", redacted=redacted):
            return _error_result("the call could not be written to the audit log, so its answer is withheld")
        return CallToolResult(
            content=[TextContent(type="text", text=tool.summary(result))],
            structured_content=_as_json(result),
        )

    def _caller(self) -> Caller | None:
        if self.stdio_caller is not None:
            return self.stdio_caller
        token = get_access_token()
        if token is None or not token.scopes:
            return None
        return Caller(name=token.client_id, role=Role(token.scopes[0]), token=token.token)

    async def _audit(
        self,
        tool: InsuranceTool,
        caller: Caller | None,
        args: BaseModel | None,
        request_id: str,
        started: float,
        outcome: str,
        *,
        error: str | None = None,
        redacted: int = 0,
    ) -> bool:
        details: dict[str, Any] = {
            "capability": tool.capability,
            "duration_ms": round((time.monotonic() - started) * 1000),
        }
        if tool.payer_id:
            details["payer_id"] = tool.payer_id
        if args is not None and (codes := tool.service_codes(args)):
            details["service_codes"] = codes[:50]
        if error:
            details["error"] = error
        if redacted:
            details["free_text_identifiers_redacted"] = redacted
        event = audit.AuditEvent(
            service=SERVICE,
            user_id=caller.name if caller else "anonymous",
            actor_role=caller.role.value if caller else None,
            action=f"tool:{tool.name}",
            resource_type="mcp_tool",
            outcome=outcome,
            request_id=request_id,
            details=details,
        )
        try:
            await anyio.to_thread.run_sync(audit.append, self.db, event)
        except Exception as exc:  # noqa: BLE001 - any failure to write the row withholds the answer
            log.error(
                "audit row for tool %s (request %s) could not be written: %s", tool.name, request_id, type(exc).__name__
            )
            return False
        return True


def _validated(tool: InsuranceTool, arguments: dict[str, Any]) -> BaseModel:
    try:
        return tool.input_model.model_validate(arguments)
    except ValidationError as exc:
        fields = {}
        for err in exc.errors(include_input=False, include_url=False):
            name = ".".join(str(part) for part in err["loc"]) or "(arguments)"
            fields.setdefault(
                name,
                "not accepted (send only the fields of the input schema)"
                if err["type"] == "extra_forbidden"
                else err["msg"],
            )
        raise ToolFailure(f"invalid arguments for {tool.name}", kind="invalid_arguments", fields=fields) from None


def _where(exc: BaseException) -> str:
    """The exception's type and where it was raised, frame by frame — never its message: a validation error or a
    KeyError quotes the values it met, and those are a member's data."""
    frames = traceback.extract_tb(exc.__traceback__)
    return (
        type(exc).__name__
        + " at "
        + " < ".join(f"{f.filename.rsplit('/', 1)[-1]}:{f.lineno} {f.name}" for f in reversed(frames))
    )


def _as_json(result: BaseModel) -> dict[str, Any]:
    """The answer as the REST services write it (core.web.money_json): money a JSON number, as the output schema
    says, dates ISO 8601."""
    return json.loads(json.dumps(result.model_dump(by_alias=True), default=MoneyJSONProvider.default))


def _redacted(tool: InsuranceTool, args: BaseModel) -> tuple[BaseModel, int]:
    """The arguments with identifiers in the tool's free-text fields (dotted paths) replaced, and how many were."""
    found = 0
    for path in tool.free_text_fields:
        args, count = _redact_path(args, path.split("."))
        found += count
    return args, found


def _redact_path(model: BaseModel, path: list[str]) -> tuple[BaseModel, int]:
    value = getattr(model, path[0], None)
    if len(path) > 1:
        if not isinstance(value, BaseModel):
            return model, 0
        inner, count = _redact_path(value, path[1:])
    elif isinstance(value, str) and value:
        inner, count = redacted_free_text(value)
    else:
        return model, 0
    return (model.model_copy(update={path[0]: inner}) if count else model), count


def _error_result(text: str) -> CallToolResult:
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=True)


class BoundTool(Tool):
    """An InsuranceTool as the SDK's tool manager holds it: the tool's own schemas, and `run` routed through the
    runtime (the SDK's own validation would echo rejected values in its error text)."""

    tool: Any = None
    runtime: Any = None

    async def run(self, arguments: dict[str, Any], context: Any, convert_result: bool = False) -> Any:
        return await self.runtime.invoke(self.tool, arguments)


def bind(tool: InsuranceTool, runtime: ToolRuntime) -> BoundTool:
    tool.check()
    metadata = FuncMetadata(arg_model=ArgModelBase, output_model=tool.output_model)

    async def unused(**_: Any) -> None:  # the SDK's Tool needs a callable; BoundTool.run never calls it
        raise NotImplementedError

    return BoundTool(
        fn=unused,
        name=tool.name,
        title=tool.title,
        description=tool.description,
        parameters=tool.input_model.model_json_schema(),
        fn_metadata=metadata,
        is_async=True,
        annotations=ToolAnnotations(
            title=tool.title, read_only_hint=tool.read_only, open_world_hint=tool.payer_id is not None
        ),
        meta={"intelluxe/capability": tool.capability, "intelluxe/payer": tool.payer_id},
        tool=tool,
        runtime=runtime,
    )
