"""Writing Python source the project's ruff accepts as it stands (`ruff check`, `ruff format --check`).

The generator does not run a formatter afterwards: its output must be the same bytes on every machine, with or
without ruff installed. So the writer follows ruff's formatting rules for the few shapes it emits: double quotes
unless that needs more escapes, a call or literal on one line when it fits in 120 columns and otherwise one item a
line with a trailing comma (ruff keeps such "magic trailing comma" layouts), and a string too long for its line as
parenthesised implicit concatenation, one chunk a line.
"""

from __future__ import annotations

import keyword
import re

WIDTH = 120
INDENT = "    "

# Names a field of a pydantic model must not take (BaseModel's own attributes), nor the names the generated
# annotations use (a field called `str` would shadow the type in its own class body).
RESERVED = frozenset(
    {
        "Any", "Field", "Literal", "None", "bool", "construct", "copy", "dict", "float", "from_orm", "int", "json",
        "list", "parse_file", "parse_obj", "parse_raw", "schema", "schema_json", "str", "update_forward_refs",
        "validate",
    }
)  # fmt: skip


def words(text: str) -> list[str]:
    """The words of an identifier-ish text: camelCase, PascalCase, snake_case, kebab-case, dotted, with digits."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [w for w in re.split(r"[^A-Za-z0-9]+", spaced) if w]


def snake(text: str) -> str:
    """snake_case of a name (`listStudies` → `list_studies`, `query.cond` → `query_cond`); '' when nothing is left."""
    return "_".join(w.lower() for w in words(text))


def pascal(text: str) -> str:
    name = "".join(w[:1].upper() + w[1:] for w in words(text))
    return name if name and not name[0].isdigit() else f"N{name}"


def field_name(wire: str, taken: set[str]) -> str:
    """A pydantic field name for a JSON property or parameter, unique among `taken` (which it joins)."""
    name = snake(wire) or "field"
    if name[0].isdigit():
        name = f"n_{name}"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name in RESERVED or name.startswith("model_"):
        name += "_"
    return unique(name, taken, sep="_")


def unique(name: str, taken: set[str], sep: str = "") -> str:
    candidate, n = name, 2
    while candidate in taken:
        candidate, n = f"{name}{sep}{n}", n + 1
    taken.add(candidate)
    return candidate


def _escape(text: str, quote: str) -> str:
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == quote:
            out.append("\\" + quote)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x100:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "".join(out)


def _quote_for(text: str) -> str:
    # ruff prefers double quotes unless single ones need fewer escapes
    return "'" if text.count('"') > text.count("'") else '"'


def pystr(text: str) -> str:
    """One string literal, quoted as ruff would."""
    quote = _quote_for(text)
    return quote + _escape(text, quote) + quote


def _chunks(text: str, room: int) -> list[str]:
    """`text` cut into literals that fit in `room` columns: after spaces or line breaks where possible. Each chunk
    is quoted on its own, as ruff quotes each part of an implicit concatenation."""
    tokens = [t for t in re.findall(r"[^ \n]*(?: +|\n|$)", text) if t]
    pieces: list[str] = []
    current = ""
    for token in tokens:
        if len(pystr(current + token)) <= room:
            current += token
            continue
        if current:
            pieces.append(current)
            current = ""
        while len(pystr(token)) > room:  # a single word longer than the line: cut it
            cut = room - 2
            while len(pystr(token[:cut])) > room:
                cut -= 1
            pieces.append(token[:cut])
            token = token[cut:]
        current = token
    if current:
        pieces.append(current)
    return [pystr(p) for p in pieces]


def string_value(text: str, indent: int, used: int) -> str:
    """A string as the value at the end of a line that already holds `used` columns (indentation included) and
    ends with ',' or ')' — one literal when it fits, else parenthesised chunks below it at `indent` + 1 level."""
    literal = pystr(text)
    if used + len(literal) + 1 <= WIDTH:
        return literal
    inner = INDENT * (indent + 1)
    parts = _chunks(text, WIDTH - len(inner))
    return "(\n" + "".join(f"{inner}{p}\n" for p in parts) + INDENT * indent + ")"


def call(name: str, args: list[str], indent: int, used: int = 0, trailer: str = "") -> str:
    """`name(arg, ...)` on one line when it fits after `used` columns (with `trailer` after it), else one argument
    a line with a trailing comma. Arguments are already source text (they may span lines)."""
    flat = f"{name}({', '.join(args)})"
    if "\n" not in flat and used + len(flat) + len(trailer) <= WIDTH:
        return flat
    inner = INDENT * (indent + 1)
    return f"{name}(\n" + "".join(f"{inner}{a},\n" for a in args) + INDENT * indent + ")"


def sequence(opening: str, closing: str, items: list[str], indent: int, used: int = 0, trailer: str = "") -> str:
    """A tuple, list, dict or set literal laid out like `call` (a one-item tuple keeps its comma)."""
    body = ", ".join(items) + ("," if opening == "(" and len(items) == 1 else "")
    flat = f"{opening}{body}{closing}"
    if "\n" not in flat and used + len(flat) + len(trailer) <= WIDTH:
        return flat
    inner = INDENT * (indent + 1)
    return f"{opening}\n" + "".join(f"{inner}{item},\n" for item in items) + INDENT * indent + closing


def literal(value: object, indent: int = 0, used: int = 0, trailer: str = "") -> str:
    """A JSON-like value (None, bool, int, float, str, list, dict with str keys) as Python source."""
    if value is None or isinstance(value, bool | int):
        return repr(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return string_value(value, indent, used) if trailer in (",", ")", "") else pystr(value)
    if isinstance(value, list | tuple):
        items = [literal(v, indent + 1, (indent + 1) * 4, ",") for v in value]
        return sequence(
            "[" if isinstance(value, list) else "(",
            "]" if isinstance(value, list) else ")",
            items,
            indent,
            used,
            trailer,
        )
    if isinstance(value, dict):
        items = []
        for key in value:
            head = pystr(str(key)) + ": "
            items.append(head + literal(value[key], indent + 1, (indent + 1) * 4 + len(head), ","))
        return sequence("{", "}", items, indent, used, trailer)
    raise TypeError(f"cannot write {type(value).__name__} as a literal")
