"""OpenAPI schemas → pydantic models (as source text), and sample values that those models accept.

Two families of models come out of one schema, because the two directions want different things:
- arguments (`In`): `extra="forbid"` — what leaves for the API is exactly what the schema names, so an `ssn` the
  caller adds is refused by name; enums are `Literal`s; required properties are required.
- answers (`Out`): `extra="allow"` and every property optional — a server that adds a field or leaves one out
  still answers; types are checked, enums and requiredness are not (a new code from the payer is not an error).

JSON property names stay as the API spells them (an alias when the name is not a Python identifier), so the input
schema a caller reads and the structured content it gets use the API's own names. Named component schemas become
one class each per direction, referred to by name, so self-referring schemas (FHIR's Extension) are fine. 3.0's
`nullable` and 3.1's `type: [..., "null"]` both become `| None`.

`conforms` mirrors the type rules, so an example from the spec is used only when the generated model will accept
it; `sample` makes a value from the schema when there is none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.codegen.openapi import pointer
from core.codegen.pysource import INDENT, call, field_name, literal, pascal, pystr, sequence, string_value, unique

IN, OUT = "in", "out"
_PRIMITIVES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


def types_of(schema: dict[str, Any]) -> tuple[list[str], bool]:
    """The schema's JSON types (without null) and whether null is allowed."""
    declared = schema.get("type")
    nullable = schema.get("nullable") is True
    if isinstance(declared, list):
        nullable = nullable or "null" in declared
        names = [str(t) for t in declared if t != "null"]
    elif isinstance(declared, str):
        names = [] if declared == "null" else [declared]
        nullable = nullable or declared == "null"
    else:
        names = []
    if not names and ("properties" in schema or "additionalProperties" in schema):
        names = ["object"]
    return names, nullable


def is_object(schema: dict[str, Any]) -> bool:
    names, _ = types_of(schema)
    return names == ["object"] and isinstance(schema.get("properties"), dict) and bool(schema["properties"])


@dataclass
class ModelWriter:
    """Collects the classes a module needs while types are asked for; `source()` writes them in the order they
    were completed (dependencies first; a cycle is closed by the module's final `model_rebuild()` calls)."""

    raw: dict[str, Any]
    taken: set[str] = field(default_factory=set)  # class names in the module
    classes: list[tuple[str, str]] = field(default_factory=list)  # (name, source)
    _by_ref: dict[tuple[str, str], str] = field(default_factory=dict)
    _inlining: set[str] = field(default_factory=set)
    _literals: dict[str, str] = field(default_factory=dict)
    aliases: set[str] = field(default_factory=set)  # names in `classes` that are type aliases, not models

    # --- types ---------------------------------------------------------------------------------------------
    def type_of(self, schema: Any, direction: str, hint: str) -> str:
        if not isinstance(schema, dict) or not schema:
            return "Any"
        if isinstance(schema.get("$ref"), str):
            return self._ref_type(schema["$ref"], direction)
        if "allOf" in schema:
            merged = self.merge_all_of(schema)
            if merged is not None:
                return self.type_of(merged, direction, hint)
            return "Any"
        for key in ("oneOf", "anyOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                if direction == OUT:
                    return "Any"  # an answer is taken as it comes; the caller reads the API's own description
                members = [self.type_of(m, direction, f"{hint}Option{i + 1}") for i, m in enumerate(schema[key])]
                return _union(members, nullable=types_of(schema)[1])
        names, nullable = types_of(schema)
        if len(names) != 1:
            return _union([self._single(schema, n, direction, hint) for n in names], nullable) if names else "Any"
        return _union([self._single(schema, names[0], direction, hint)], nullable)

    def _single(self, schema: dict[str, Any], name: str, direction: str, hint: str) -> str:
        if name == "object":
            if is_object(schema):
                return self.object_class(schema, direction, hint)
            extra = schema.get("additionalProperties")
            value = self.type_of(extra, direction, f"{hint}Value") if isinstance(extra, dict) else "Any"
            return f"dict[str, {value}]"
        if name == "array":
            return f"list[{self.type_of(schema.get('items'), direction, f'{hint}Item')}]"
        base = _PRIMITIVES.get(name, "Any")
        if direction == IN and isinstance(schema.get("enum"), list):
            values = [v for v in schema["enum"] if _literal_ok(v, name)]
            if values and len(values) == len([v for v in schema["enum"] if v is not None]):
                return self.literal_alias(hint, values)
        if direction == IN and "const" in schema and _literal_ok(schema["const"], name):
            return self.literal_alias(hint, [schema["const"]])
        return base

    def literal_alias(self, hint: str, values: list[Any]) -> str:
        """A module-level `Name = Literal[...]` for an enum (one name however many fields use the same values):
        an annotation listing dozens of codes would not fit its line."""
        items = [pystr(v) if isinstance(v, str) else repr(v) for v in dict.fromkeys(values)]
        key = ", ".join(items)
        if key in self._literals:
            return self._literals[key]
        name = unique(pascal(hint) + "Code", self.taken)
        self._literals[key] = name
        self.aliases.add(name)
        expression = sequence("[", "]", items, 0, used=len(f"{name} = Literal"))
        self.classes.append((name, f"{name} = Literal{expression}\n"))
        return name

    def _ref_type(self, ref: str, direction: str) -> str:
        if (ref, direction) in self._by_ref:
            return self._by_ref[(ref, direction)]
        target = pointer(self.raw, ref)
        if not isinstance(target, dict):
            return "Any"
        resolved = self.merge_all_of(target) if "allOf" in target else target
        if resolved is not None and is_object(resolved):
            return self.object_class(resolved, direction, ref.rsplit("/", 1)[-1], ref=ref)
        if ref in self._inlining:  # a non-object schema that contains itself (an array of itself): untyped
            return "Any"
        self._inlining.add(ref)
        try:
            return self.type_of(target, direction, ref.rsplit("/", 1)[-1])
        finally:
            self._inlining.discard(ref)

    def merge_all_of(self, schema: dict[str, Any], seen: frozenset[str] = frozenset()) -> dict[str, Any] | None:
        """allOf's parts as one object schema (properties and required joined); None when a part is no object."""
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        parts = [*schema.get("allOf", []), {k: v for k, v in schema.items() if k != "allOf"}]
        for part in parts:
            if isinstance(part, dict) and isinstance(part.get("$ref"), str):
                if part["$ref"] in seen:
                    continue
                target = pointer(self.raw, part["$ref"])
                part = self.merge_all_of(target, seen | {part["$ref"]}) if "allOf" in target else target
            if not isinstance(part, dict) or not part:
                continue
            names, _ = types_of(part)
            if names and names != ["object"]:
                return None
            merged["properties"].update(part.get("properties") or {})
            merged["required"].extend(r for r in part.get("required") or [] if r not in merged["required"])
            if part.get("nullable") is True:
                merged["nullable"] = True
            for key in ("description", "title"):
                if key in part:
                    merged[key] = part[key]
        return merged

    # --- classes -------------------------------------------------------------------------------------------
    def object_class(self, schema: dict[str, Any], direction: str, hint: str, *, ref: str | None = None) -> str:
        name = unique(pascal(hint) + ("In" if direction == IN else "Out"), self.taken)
        if ref is not None:
            self._by_ref[(ref, direction)] = name
        required = set(schema.get("required") or [])
        fields_taken: set[str] = set()
        lines: list[str] = []
        for wire, prop in schema["properties"].items():
            wire = str(wire)
            python = field_name(wire, fields_taken)
            kind = self.type_of(prop, direction, f"{name}{pascal(wire)}")
            optional = direction == OUT or wire not in required
            description = _describe(prop) if direction == IN else ""
            limits = constraints(self.raw, prop) if direction == IN else []
            lines.append(
                field_line(python, wire, kind, optional=optional, description=description, indent=1, constraints=limits)
            )
        base = "_In" if direction == IN else "_Out"
        self.classes.append((name, f"class {name}({base}):\n" + "\n".join(lines) + "\n"))
        return name

    def add_class(self, name: str, base: str, lines: list[str], doc: str = "") -> None:
        head = f"class {name}({base}):\n"
        if doc:
            head += f'{INDENT}"""{doc}"""\n\n'
        body = "\n".join(lines) if lines else f"{INDENT}pass"
        self.classes.append((name, head + body + "\n"))

    def source(self) -> str:
        return "\n\n".join(text for _, text in self.classes)


def field_line(
    python: str,
    wire: str,
    kind: str,
    *,
    optional: bool,
    description: str,
    indent: int,
    constraints: list[str] | None = None,
) -> str:
    """`name: Type = Field(...)` as ruff formats it; `constraints` are Field keywords (`max_length=10`)."""
    annotation = kind if not optional or kind == "Any" or kind.endswith("| None") else f"{kind} | None"
    args: list[str] = []
    if optional:
        args.append("default=None")
    if wire != python:
        args.append(f"alias={pystr(wire)}")
    args.extend(constraints or [])
    pad = INDENT * indent
    head = f"{pad}{python}: {annotation}"
    if not args and not description:
        return head + (" = None" if optional else "")
    if description:
        used = len(pad) + len(INDENT) + len("description=")
        args.append("description=" + string_value(description, indent + 1, used))
    if not description and args == ["default=None"]:
        return head + " = None"
    return head + " = " + call("Field", args, indent, used=len(head) + 3)


def constraints(raw: dict[str, Any], schema: Any) -> list[str]:
    """The Field keywords that hold a primitive to its schema: lengths, bounds, and a pattern when a value that
    matches it can be made for the tests (else the pattern is left to the API, and the generator says so)."""
    if isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        schema = pointer(raw, schema["$ref"])
    if not isinstance(schema, dict) or schema.get("enum") is not None or "const" in schema:
        return []
    names, _ = types_of(schema)
    if len(names) != 1:
        return []
    found: list[str] = []
    if names[0] == "string":
        for key, keyword in (("minLength", "min_length"), ("maxLength", "max_length")):
            if isinstance(schema.get(key), int) and not isinstance(schema.get(key), bool):
                found.append(f"{keyword}={schema[key]}")
        pattern = schema.get("pattern")
        if isinstance(pattern, str) and pattern_sample(pattern) is not None:
            found.append(f"pattern={pystr(pattern)}")
    elif names[0] in ("integer", "number"):
        for key, keyword, strict in (("minimum", "ge", "gt"), ("maximum", "le", "lt")):
            bound = schema.get(key)
            exclusive = schema.get("exclusiveM" + key[1:])
            if isinstance(exclusive, int | float) and not isinstance(exclusive, bool):
                found.append(f"{strict}={exclusive!r}")  # 3.1: the exclusive bound is a number
            elif isinstance(bound, int | float) and not isinstance(bound, bool):
                found.append(f"{strict if exclusive is True else keyword}={bound!r}")  # 3.0: a flag beside it
    return found


def pattern_sample(pattern: str) -> str | None:
    """A string that `pattern` matches (searched, as JSON Schema patterns are), made from the pattern itself, or
    None when it uses what this does not follow (backreferences, lookarounds) or Python cannot compile it."""
    import re

    try:
        parsed = re._parser.parse(pattern)  # type: ignore[attr-defined]
        text = _sample_of(parsed)
    except (re.error, _CannotSample, RecursionError):
        return None
    return text if re.search(pattern, text) else None


class _CannotSample(Exception):
    pass


def _sample_of(items: Any) -> str:  # noqa: C901 - one branch per node kind of Python's regex parse tree
    import re

    c = re._constants  # type: ignore[attr-defined]
    out = []
    for op, arg in items:
        if op is c.LITERAL:
            out.append(chr(arg))
        elif op is c.NOT_LITERAL:
            out.append("a" if chr(arg) != "a" else "b")
        elif op is c.ANY:
            out.append("a")
        elif op is c.IN:
            out.append(_class_sample(arg, c))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, getattr(c, "POSSESSIVE_REPEAT", None)):
            low, _high, item = arg
            out.append(_sample_of(item) * low)
        elif op is c.SUBPATTERN:
            out.append(_sample_of(arg[-1]))
        elif op is c.BRANCH:
            out.append(_sample_of(arg[1][0]))
        elif op is c.AT:
            continue
        else:
            raise _CannotSample(str(op))
    return "".join(out)


def _class_sample(items: Any, c: Any) -> str:
    if any(op is c.NEGATE for op, _ in items):
        for candidate in "abcxyzABCXYZ019_-. ":
            point = ord(candidate)
            excluded = any(
                (op is c.LITERAL and arg == point) or (op is c.RANGE and arg[0] <= point <= arg[1]) for op, arg in items
            ) or any(op is c.CATEGORY for op, _ in items)
            if not excluded:
                return candidate
        raise _CannotSample("negated class")
    op, arg = items[0]
    if op is c.LITERAL:
        return chr(arg)
    if op is c.RANGE:
        return chr(arg[0])
    if op is c.CATEGORY:
        return {c.CATEGORY_DIGIT: "1", c.CATEGORY_WORD: "a", c.CATEGORY_SPACE: " "}.get(arg, "a")
    raise _CannotSample(str(op))


def _describe(schema: Any) -> str:
    if not isinstance(schema, dict):
        return ""
    return str(schema.get("description") or schema.get("title") or "").strip()


def _literal_ok(value: Any, json_type: str) -> bool:
    if json_type == "string":
        return isinstance(value, str)
    if json_type == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if json_type == "boolean":
        return isinstance(value, bool)
    return False


def _union(members: list[str], nullable: bool) -> str:
    unique_members = list(dict.fromkeys(members))
    if "Any" in unique_members:
        return "Any"
    text = " | ".join(unique_members)
    return f"{text} | None" if nullable else text


# --- values the models accept ------------------------------------------------------------------------------
def conforms(raw: dict[str, Any], value: Any, schema: Any, direction: str, seen: frozenset[str] = frozenset()) -> bool:
    """Whether the generated model for `schema` accepts `value` (the same rules as `ModelWriter.type_of`)."""
    if not isinstance(schema, dict) or not schema:
        return True
    if isinstance(schema.get("$ref"), str):
        ref = schema["$ref"]
        return True if ref in seen else conforms(raw, value, pointer(raw, ref), direction, seen | {ref})
    names, nullable = types_of(schema)
    if value is None:
        return nullable or direction == OUT
    if "allOf" in schema:
        return all(conforms(raw, value, part, direction, seen) for part in schema["allOf"]) and _extras_ok(
            raw, value, schema, direction, seen
        )
    for key in ("oneOf", "anyOf"):
        if isinstance(schema.get(key), list) and schema[key]:
            return direction == OUT or any(conforms(raw, value, m, direction, seen) for m in schema[key])
    if not names:
        return True
    return any(_conforms_type(raw, value, schema, name, direction, seen) for name in names)


def _extras_ok(raw: dict[str, Any], value: Any, schema: dict[str, Any], direction: str, seen: frozenset[str]) -> bool:
    if direction == OUT or not isinstance(value, dict):
        return True
    merged = ModelWriter(raw).merge_all_of(schema)
    return merged is None or set(value) <= set(merged["properties"])


def _conforms_type(
    raw: dict[str, Any], value: Any, schema: dict[str, Any], name: str, direction: str, seen: frozenset[str]
) -> bool:
    if name == "object":
        return _conforms_object(raw, value, schema, direction, seen)
    if name == "array":
        return isinstance(value, list) and all(conforms(raw, v, schema.get("items"), direction, seen) for v in value)
    checks = {
        "string": lambda v: isinstance(v, str),
        "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        "boolean": lambda v: isinstance(v, bool),
    }
    if name not in checks or not checks[name](value):
        return name not in checks
    enum = schema.get("enum")
    if direction == IN and isinstance(enum, list) and enum and all(_literal_ok(v, name) for v in enum if v is not None):
        return value in enum
    return True


def _conforms_object(
    raw: dict[str, Any], value: Any, schema: dict[str, Any], direction: str, seen: frozenset[str]
) -> bool:
    if not isinstance(value, dict):
        return False
    properties = schema.get("properties") or {}
    if not properties:
        extra = schema.get("additionalProperties")
        return not isinstance(extra, dict) or all(conforms(raw, v, extra, direction, seen) for v in value.values())
    if direction == IN:
        if not set(value) <= set(properties) or not set(schema.get("required") or []) <= set(value):
            return False
    return all(conforms(raw, value[k], properties[k], direction, seen) for k in value if k in properties)


@dataclass
class Sampler:
    """Values made from schemas, for the mock's answers and the tests' arguments: the schema's own example when
    the model accepts it, else its default, first enum value, or a plain value of its type and format."""

    raw: dict[str, Any]
    max_depth: int = 4

    def sample(self, schema: Any, direction: str, depth: int = 0, seen: frozenset[str] = frozenset()) -> Any:
        if not isinstance(schema, dict) or not schema:
            return "value"
        if isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            if ref in seen or depth > self.max_depth:
                return None
            return self.sample(pointer(self.raw, ref), direction, depth, seen | {ref})
        for candidate in self._given(schema):
            if conforms(self.raw, candidate, schema, direction, seen):
                return candidate
        if "allOf" in schema:
            merged = ModelWriter(self.raw).merge_all_of(schema)
            return (
                self.sample(merged, direction, depth, seen)
                if merged
                else self.sample(schema["allOf"][0], direction, depth, seen)
            )
        for key in ("oneOf", "anyOf"):
            if isinstance(schema.get(key), list) and schema[key]:
                return self.sample(schema[key][0], direction, depth, seen)
        names, _ = types_of(schema)
        return self._of_type(schema, names[0] if names else "string", direction, depth, seen)

    def _given(self, schema: dict[str, Any]) -> list[Any]:
        given = []
        if "example" in schema:
            given.append(schema["example"])
        if isinstance(schema.get("examples"), list):
            given.extend(schema["examples"][:1])
        if "default" in schema:
            given.append(schema["default"])
        if "const" in schema:
            given.append(schema["const"])
        if isinstance(schema.get("enum"), list):
            given.extend(v for v in schema["enum"] if v is not None)
        return given

    def _of_type(self, schema: dict[str, Any], name: str, direction: str, depth: int, seen: frozenset[str]) -> Any:
        if name == "object":
            properties = schema.get("properties") or {}
            required = set(schema.get("required") or [])
            value = {}
            for key, prop in properties.items():
                if direction == IN and key not in required:
                    continue
                if direction == OUT and depth >= self.max_depth:
                    break
                item = self.sample(prop, direction, depth + 1, seen)
                if item is not None or key in required:
                    value[str(key)] = item
            return value
        if name == "array":
            item = self.sample(schema.get("items"), direction, depth + 1, seen)
            return [] if item is None else [item]
        if name == "integer":
            low = schema.get("minimum")
            return int(low) if isinstance(low, int | float) and not isinstance(low, bool) else 1
        if name == "number":
            low = schema.get("minimum")
            return float(low) if isinstance(low, int | float) and not isinstance(low, bool) else 1.5
        if name == "boolean":
            return True
        return _string_sample(schema)


def _string_sample(schema: dict[str, Any]) -> str:
    formats = {
        "date": "2025-01-15",
        "date-time": "2025-01-15T09:30:00Z",
        "time": "09:30:00",
        "uuid": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "email": "someone@example.org",
        "uri": "https://example.org/",
        "url": "https://example.org/",
        "byte": "U3dhZ2dlciByb2Nrcw==",
    }
    text = formats.get(str(schema.get("format", "")), "string")
    pattern = schema.get("pattern")
    made = pattern_sample(pattern) if isinstance(pattern, str) else None
    if made is not None:
        text = made
    low = schema.get("minLength")
    if isinstance(low, int) and len(text) < low:
        text = text + "x" * (low - len(text))
    return text


__all__ = ["IN", "OUT", "ModelWriter", "Sampler", "conforms", "field_line", "literal"]
