"""Reading a request's input: the JSON body as a pydantic model, query parameters, headers — each failure a 400
that names the field and never echoes its value (it may be PHI)."""

from __future__ import annotations

from typing import TypeVar

from flask import request
from pydantic import BaseModel, ValidationError

from core.errors import api_error

M = TypeVar("M", bound=BaseModel)


def parse_body(model: type[M]) -> M:
    """The request's JSON body as `model`, or a 400 naming each bad field."""
    payload = request.get_json(silent=True)
    if payload is None:
        raise api_error("invalid_json")
    try:
        return model.model_validate(payload)
    except ValidationError as exc:
        fields: dict[str, str] = {}
        for err in exc.errors(include_input=False, include_url=False):
            where = ".".join(str(part) for part in err["loc"]) or "body"
            fields.setdefault(where, err["msg"])
        raise api_error("validation_error", None, fields) from None


def query_int(name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter within [low, high], or a 400 naming it."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise api_error("validation_error", "invalid query", {name: f"a whole number from {low} to {high}"})
    return int(raw)


def query_choice(
    name: str, choices: tuple[str, ...], default: str | None = None, *, hint: str | None = None
) -> str | None:
    """A query parameter that must be one of `choices` (None or `default` when absent), or a 400 naming it."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if raw not in choices:
        raise api_error("validation_error", "invalid query", {name: hint or f"one of {', '.join(choices)}"})
    return raw
