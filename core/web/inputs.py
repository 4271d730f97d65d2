"""Reading a request's input: the JSON body as a pydantic model, query parameters, headers — each failure a 400
that names the field and never echoes its value (it may be PHI).

Text with a NUL character is refused wherever it comes from (body, query, path): PostgreSQL cannot store it, so it
would fail the handler's write or, worse, the request's audit row."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from flask import current_app, request
from pydantic import BaseModel, ValidationError

from core.errors import api_error
from core.shapes import field_message, shape_is_ok
from core.web.markers import doc_of

M = TypeVar("M", bound=BaseModel)
_NUL = "\x00"
_NO_NUL = "must not contain a NUL character"


def parse_body(model: type[M]) -> M:
    """The request's JSON body as `model`, or a 400 naming each bad field."""
    try:
        payload = request.get_json(silent=True)
    except RecursionError:  # nested deeper than Python's parser recurses (~1,000 levels)
        raise api_error("invalid_json", "request body is nested too deeply") from None
    if payload is None:
        raise api_error("invalid_json")
    refuse_nul(_strings_in(payload), where="body")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        errors = exc.errors(include_input=False, include_url=False)
        fields: dict[str, str] = {}
        for err in errors:
            where = ".".join(str(part) for part in err["loc"]) or "body"
            fields.setdefault(where, field_message(err))
        raise api_error("invalid_value" if shape_is_ok(errors) else "validation_error", None, fields) from None


def query_int(name: str) -> int | None:
    """A whole-number query parameter within the bounds its `param(...)` documents (its default when absent), or a
    400 naming it. The bounds are written once, in the view's `@documented(query=...)`."""
    schema = _documented(name)
    raw = request.args.get(name)
    if raw is None:
        return schema.get("default")
    low, high = schema["minimum"], schema["maximum"]
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise api_error("validation_error", "invalid query", {name: f"a whole number from {low} to {high}"})
    return int(raw)


def query_choice(name: str) -> str | None:
    """A query parameter that must be one of the values its `param(...)` documents (`enum`; its `default` when
    absent, else None), or a 400 naming it."""
    schema = _documented(name)
    raw = request.args.get(name)
    if raw is None:
        return schema.get("default")
    choices = schema["enum"]
    if raw not in choices:
        raise api_error("validation_error", "invalid query", {name: f"one of {', '.join(choices)}"})
    return raw


def _documented(name: str) -> dict[str, Any]:
    """The JSON schema the current view documents for query parameter `name` (a KeyError is our bug: a handler
    reading a parameter its documentation does not give)."""
    view = current_app.view_functions[request.endpoint or ""]
    return doc_of(view).query[name].schema  # type: ignore[union-attr]


def refuse_nul(named: Iterable[tuple[str, str]], *, where: str) -> None:
    """A 400 naming the first of the (name, text) pairs whose name or text holds a NUL."""
    for name, text in named:
        if _NUL in name or _NUL in text:
            raise api_error("validation_error", f"invalid {where}", {name.replace(_NUL, "") or where: _NO_NUL})


def _strings_in(payload: Any) -> Iterable[tuple[str, str]]:
    """(dotted path, string) for every key and string value of a parsed JSON document, without recursion (the
    document may be nested as deeply as the parser allows)."""
    stack: list[tuple[str, Any]] = [("", payload)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            yield path or "body", value
        elif isinstance(value, Mapping):
            for key, item in value.items():
                child = f"{path}.{key}" if path else str(key)
                yield child, str(key)
                stack.append((child, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
