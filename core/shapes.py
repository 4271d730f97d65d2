"""Malformed or unusable: which of a validator's refusals break the documented shape of a field.

The API answers 400 when a request does not have the shape its OpenAPI document gives (a type, a pattern, an enum,
a bound) and 422 when it has that shape but a value cannot be used (an ICD-10 code that does not exist, an NPI
whose check digit is wrong, a date in the future). pydantic's own checks are all of the first kind; a validator of
ours is of the second kind unless it raises `off_shape(...)`: it does so where it re-checks what the document
already states (a procedure code's pattern), so both answers agree with the document a client reads.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import PydanticCustomError

SHAPE_ERROR = "shape_error"
_VALUE_CHECKS = frozenset({"value_error", "assertion_error"})  # pydantic's types for errors our validators raise


def off_shape(message: str) -> PydanticCustomError:
    """The error for a validator to raise when the value breaks the shape the OpenAPI document states."""
    return PydanticCustomError(SHAPE_ERROR, message)


def shape_is_ok(errors: list[Any]) -> bool:
    """True when only our validators refused (pydantic checks types, patterns and bounds before them, and runs
    them only on values that passed): the input has the documented shape and a value is unusable."""
    return all(err["type"] in _VALUE_CHECKS for err in errors)


def field_message(err: Any) -> str:
    """A pydantic error's message as a field error: what is wrong, without pydantic's "Value error, " preamble."""
    return str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
