"""Malformed or unusable: which of a validator's refusals break the documented shape of a field.

The API answers 400 when a request does not have the shape its OpenAPI document gives (a type, a pattern, an enum,
a bound) and 422 when it has that shape but a value cannot be used (an ICD-10 code that does not exist, an NPI
whose check digit is wrong, a date in the future). pydantic's own checks are all of the first kind; a validator of
ours is of the second kind unless it raises `off_shape(...)`: it does so where it re-checks what the document
already states (a procedure code's pattern), so both answers agree with the document a client reads.
"""

from __future__ import annotations

import re
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
    """A pydantic error's message as a field error: what is wrong, without pydantic's "Value error, " preamble; a
    pattern a person can read in words is said in words (a billing clerk reads these in the console)."""
    if err.get("type") == "string_pattern_mismatch":
        words = pattern_in_words(str((err.get("ctx") or {}).get("pattern", "")))
        if words:
            return words
    return str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")


# ^[class]+$, ^[class]*$ or ^[class]{m}$ / {m,n}$: one character class repeated, the usual shape of an id's pattern.
_ONE_CLASS = re.compile(r"^\^\[(?P<cls>(?:[^\]\\]|\\.)+)\](?P<rep>\+|\*|\{\d+\}|\{\d+,\d*\})\$$")
_RANGES = {"A-Z": "capital letters", "a-z": "small letters", "0-9": "digits"}
_NAMED = {"-": "hyphens", ".": "dots", "_": "underscores", " ": "spaces", "/": "slashes", ":": "colons"}


def pattern_in_words(pattern: str) -> str | None:
    """A pattern said in words — `^[A-Za-z0-9-]+$` as "letters, digits and hyphens only", `^[0-9]{1,10}$` as "1 to
    10 digits" — or None when it is not one character class of letters, digits and a few named characters."""
    m = _ONE_CLASS.match(pattern)
    if not m:
        return None
    parts = _class_in_words(m.group("cls"))
    if not parts:
        return None
    things = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    rep = m.group("rep")
    if rep in ("+", "*"):
        return f"{things} only"
    low, comma, high = rep.strip("{}").partition(",")
    if not comma:
        return f"exactly {low} {things}" if len(parts) == 1 else f"exactly {low} characters: {things} only"
    if not high:
        return f"at least {low} characters: {things} only"
    return f"{low} to {high} {things}" if len(parts) == 1 else f"{low} to {high} characters: {things} only"


def _class_in_words(cls: str) -> list[str] | None:
    """The members of a character class, read left to right as the regex engine does: "X-Y" between two characters
    is a range (only A-Z, a-z and 0-9 are said in words; "[.-_]" is the range from "." to "_", not three
    characters), a backslash makes the next character literal, a hyphen first or last is itself. None for any other
    member."""
    parts: list[str] = []
    i = 0
    while i < len(cls):
        if cls[i] == "\\" and i + 1 < len(cls):
            char, i = cls[i + 1], i + 2
        elif i + 2 < len(cls) and cls[i + 1] == "-":
            name = _RANGES.get(cls[i : i + 3])
            if name is None:
                return None
            parts.append(name)
            i += 3
            continue
        else:
            char, i = cls[i], i + 1
        if char not in _NAMED:
            return None
        parts.append(_NAMED[char])
    if "capital letters" in parts and "small letters" in parts:
        parts = ["letters"] + [p for p in parts if not p.endswith("letters")]
    return parts
