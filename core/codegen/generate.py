"""An OpenAPI document → one module of MCP tools for agentcare-mcp, with its mock server, tests and README.

Layout of what is written into the output folder (the folder agentcare-mcp's MCP_TOOLS_DIR points at):

    <module>.py                      the tools (TOOLS): models, operations table, client, one tool per operation
    <module>/README.md               tools, environment variables, how it was generated, what could not be honoured
    <module>/test_<module>.py        pytest: every tool through the runtime against the mock
    <module>/mock_<module>.py        the mock server; its answers in mock_<module>.json
    <module>/cases_<module>.json     each tool's sample arguments, role and credentials, for the tests

The loader reads only `*.py` directly in the folder, so the support files sit in a subfolder. Everything is
written in a fixed order from sorted inputs, with no dates or paths of this machine: the same document and options
give the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.codegen import client_template, test_templates
from core.codegen.openapi import READ_ONLY_METHODS, Document, Operation, SecurityScheme, load
from core.codegen.pysource import INDENT, WIDTH, call, field_name, pascal, pystr, sequence, snake, string_value, unique
from core.codegen.schemas import IN, OUT, ModelWriter, Sampler, conforms, constraints, field_line

DEFAULT_READ_ROLES = ("billing", "clinician", "service")
DEFAULT_WRITE_ROLES = ("billing", "service")
ROLES = ("admin", "billing", "clinician", "compliance", "service")
MAX_DESCRIPTION = 2000


class GenerateError(Exception):
    """The options cannot be used (a bad name or role); document problems are openapi.SpecError."""


@dataclass
class Generated:
    module: str
    files: dict[str, str]  # path relative to the output folder → text
    tools: list[str]
    notes: list[str] = field(default_factory=list)

    def write(self, output: Path) -> list[Path]:
        written = []
        for relative, text in sorted(self.files.items()):
            path = output / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            written.append(path)
        return written


@dataclass
class _Tool:
    operation: Operation
    key: str
    tool: str
    method_name: str
    input_class: str
    output_class: str
    wrapped: bool
    params: list[tuple[str, Any]]  # (field name, Parameter)
    body_field: str | None
    roles: tuple[str, ...]


def generate(
    raw: dict[str, Any],
    name: str,
    *,
    roles: list[str] | None = None,
    base_url: str | None = None,
    spec_label: str = "SPEC",
    extra_scheme: SecurityScheme | None = None,
) -> Generated:
    """The files for the API `raw` under the tool prefix `name` (`anthem-bcbs` → `anthem_bcbs_*`). `roles`
    replaces the defaults (reading operations: billing, clinician, service; writing ones: billing, service);
    `base_url` replaces the document's servers; `extra_scheme` is a security scheme applied to every operation
    that declares none (a template's `auth` for a document that does not say)."""
    prefix = snake(name)
    if not prefix or not prefix[0].isalpha():
        raise GenerateError(f"--name {name!r} must start with a letter")
    for role in roles or []:
        if role not in ROLES:
            raise GenerateError(f"role {role!r} is not one of {', '.join(ROLES)}")
    doc = load(raw)
    if extra_scheme is not None:
        _add_scheme(doc, extra_scheme)
    if base_url:
        doc.servers = [base_url]
    writer = ModelWriter(raw, taken={"ApiClient", "GeneratedTool", "Operation", "Param", "Scheme", "RawAnswer"})
    tools = _tools(doc, prefix, writer, roles)
    env_prefix = prefix.upper()
    module = prefix
    files = {
        f"{module}.py": _module_source(doc, name, module, env_prefix, writer, tools),
        f"{module}/mock_{module}.py": _fill(test_templates.MOCK, TITLE=_one_line(doc.title), MODULE=module),
        f"{module}/mock_{module}.json": _json(_routes(doc, env_prefix, tools)),
        f"{module}/cases_{module}.json": _json(_cases(doc, env_prefix, tools)),
        f"{module}/test_{module}.py": _fill(
            test_templates.TESTS,
            MODULE=module,
            MODULE_LITERAL=pystr(module),
            PREFIX_LITERAL=pystr(env_prefix),
            CREDENTIALS=_list_literal(_credential_variables(doc, env_prefix, tools)),
            TOKEN_URLS=_list_literal(_token_url_variables(doc, env_prefix, tools)),
        ),
    }
    files[f"{module}/README.md"] = _readme(doc, raw, name, module, env_prefix, tools, spec_label, roles)
    return Generated(module=module, files=files, tools=[t.tool for t in tools], notes=list(doc.notes))


def _add_scheme(doc: Document, scheme: SecurityScheme) -> None:
    doc.schemes.setdefault(scheme.key, scheme)
    for index, op in enumerate(doc.operations):
        if not op.security:
            doc.operations[index] = Operation(**{**op.__dict__, "security": ((scheme.key, ()),)})


def _fill(template: str, **values: str) -> str:
    for key, value in values.items():
        template = template.replace(f"__{key}__", value)
    return template


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _list_literal(items: list[str]) -> str:
    return sequence("[", "]", [pystr(i) for i in items], 0, used=40)


def _one_line(text: str) -> str:
    return " ".join(text.split()).replace('"""', "'''").replace("\\", "/")


# --- per operation --------------------------------------------------------------------------------------------
def _tools(doc: Document, prefix: str, writer: ModelWriter, roles: list[str] | None) -> list[_Tool]:
    tool_names: set[str] = set()
    method_names: set[str] = {"call", "send"}
    keys: set[str] = set()
    tools = []
    for op in doc.operations:
        stem = snake(op.operation_id or "") or _path_stem(op)
        tool = unique(f"{prefix}_{stem}", tool_names, sep="_")
        key = unique(op.operation_id or tool, keys, sep="_")
        class_stem = pascal(op.operation_id or stem)
        input_class, params, body_field = _input_model(doc, op, writer, class_stem)
        output_class, wrapped = _output_model(op, writer, class_stem)
        default = DEFAULT_READ_ROLES if op.method in READ_ONLY_METHODS else DEFAULT_WRITE_ROLES
        tools.append(
            _Tool(
                operation=op,
                key=key,
                tool=tool,
                method_name=unique(stem, method_names, sep="_"),
                input_class=input_class,
                output_class=output_class,
                wrapped=wrapped,
                params=params,
                body_field=body_field,
                roles=tuple(sorted(roles or default)),
            )
        )
        for scheme in op.unsupported_security:
            doc.notes.append(f"{tool}: security scheme {scheme} is not supported; the tool calls without it")
    return tools


def _path_stem(op: Operation) -> str:
    parts = [op.method]
    for part in op.path.strip("/").split("/"):
        if part.startswith("{") and part.endswith("}"):
            parts.append(f"by_{snake(part[1:-1])}")
        elif part:
            parts.append(snake(part))
    return "_".join(p for p in parts if p)


def _input_model(
    doc: Document, op: Operation, writer: ModelWriter, stem: str
) -> tuple[str, list[tuple[str, Any]], str | None]:
    name = unique(f"{stem}Input", writer.taken)
    taken: set[str] = set()
    lines = []
    params = []
    for param in op.parameters:
        python = field_name(param.name, taken)
        kind = writer.type_of(param.schema, IN, f"{stem}{pascal(param.name)}")
        description = param.description.strip() or f"{param.location} parameter {param.name}"
        limits = constraints(writer.raw, param.schema)
        lines.append(
            field_line(
                python,
                python,
                kind,
                optional=not param.required,
                description=description,
                indent=1,
                constraints=limits,
            )
        )
        params.append((python, param))
    body_field = None
    if op.body is not None:
        body_field = "body" if "body" not in taken else field_name("request_body", taken)
        taken.add(body_field)
        from core.codegen.openapi import is_json

        media = op.body.media_type.split(";")[0].strip().lower()
        if is_json(media) or media == "application/x-www-form-urlencoded":
            kind = writer.type_of(op.body.schema, IN, f"{stem}Body")
        else:
            kind = "str"
        description = op.body.description.strip() or f"the request body ({op.body.media_type})"
        lines.append(
            field_line(body_field, body_field, kind, optional=not op.body.required, description=description, indent=1)
        )
    writer.add_class(name, "_In", lines, doc=f"The arguments of {op.method.upper()} {_one_line(op.path)}.")
    return name, params, body_field


def _output_model(op: Operation, writer: ModelWriter, stem: str) -> tuple[str, bool]:
    if op.reply.media_type is None:
        if "RawAnswer" not in {name for name, _ in writer.classes}:
            writer.add_class(
                "RawAnswer",
                "_Out",
                [
                    f"{INDENT}status_code: int | None = None",
                    f"{INDENT}content_type: str | None = None",
                    f"{INDENT}text: str | None = None",
                ],
                doc="An answer that is not JSON: its status, media type and text.",
            )
        return "RawAnswer", False
    kind = writer.type_of(op.reply.schema, OUT, f"{stem}Output")
    if kind.isidentifier() and kind not in ("Any", "str", "int", "float", "bool"):
        return kind, False
    name = unique(f"{stem}Output", writer.taken)
    writer.add_class(name, "_Out", [field_line("result", "result", kind, optional=True, description="", indent=1)])
    return name, True


# --- the module -------------------------------------------------------------------------------------------------
def _module_source(
    doc: Document, name: str, module: str, env_prefix: str, writer: ModelWriter, tools: list[_Tool]
) -> str:
    models = writer.source()
    base = doc.servers[0] if doc.servers and doc.servers[0].startswith(("http://", "https://")) else None
    typing_names = ["Any", *(["Literal"] if "Literal[" in models else [])]
    pydantic_names = ["BaseModel", "ConfigDict", *(["Field"] if "Field(" in models else []), "ValidationError"]
    header = _fill(
        client_template.HEADER,
        TITLE=_one_line(f"{doc.title} {doc.api_version}".strip())[:80],
        OPENAPI=doc.version,
        NAME=module,
        NAME_LITERAL=pystr(name),
        PREFIX_LITERAL=pystr(env_prefix),
        BASE_URL_LITERAL=pystr(base) if base else "None",
        TYPING=f"from typing import {', '.join(typing_names)}",
        PYDANTIC=f"from pydantic import {', '.join(pydantic_names)}",
    )
    parts = [
        header.rstrip("\n"),
        models.rstrip("\n") if models else "",
        client_template.RUNTIME.strip("\n"),
        _schemes_source(doc, env_prefix, tools),
        _operations_source(tools),
        _client_source(module, tools),
        _tools_source(tools),
        _rebuild_source(writer),
    ]
    return "\n\n\n".join(p for p in parts if p) + "\n"


def _used_schemes(doc: Document, tools: list[_Tool]) -> list[SecurityScheme]:
    keys = sorted({key for t in tools for key, _ in t.operation.security})
    return [doc.schemes[k] for k in keys]


def _variable(env_prefix: str, scheme: SecurityScheme) -> str:
    return f"{env_prefix}_{snake(scheme.key).upper() or 'AUTH'}"


def _schemes_source(doc: Document, env_prefix: str, tools: list[_Tool]) -> str:
    items = []
    for scheme in _used_schemes(doc, tools):
        args = [
            f"key={pystr(scheme.key)}",
            f"kind={pystr(scheme.kind)}",
            f"variable={pystr(_variable(env_prefix, scheme))}",
        ]
        if scheme.location:
            args.append(f"location={pystr(scheme.location)}")
        if scheme.parameter:
            args.append(f"parameter={pystr(scheme.parameter)}")
        if scheme.token_url:
            args.append(f"grant_url={pystr(scheme.token_url)}")
        head = f"{INDENT}{pystr(scheme.key)}: "
        items.append(head.strip() + " " + call("Scheme", args, 1, used=len(head), trailer=","))
    body = sequence("{", "}", items, 0, used=len("SCHEMES: dict[str, Scheme] = "))
    return f"SCHEMES: dict[str, Scheme] = {body}"


def _operations_source(tools: list[_Tool]) -> str:
    items = []
    for t in tools:
        op = t.operation
        params = []
        for python, param in t.params:
            args = [pystr(python), pystr(param.name), pystr(param.location)]
            if param.location == "query" and (param.style != "form" or not param.explode):
                args += [f"style={pystr(param.style)}", f"explode={param.explode}"]
            params.append(call("Param", args, 3, used=12, trailer=","))
        security = [
            "(" + pystr(key) + ", " + sequence("(", ")", [pystr(s) for s in scopes], 0, used=0) + ")"
            for key, scopes in op.security
        ]
        args = [
            f"operation_id={pystr(t.key)}",
            f"tool={pystr(t.tool)}",
            f"method={pystr(op.method)}",
            f"path={string_value(op.path, 2, 8 + 5)}",
            "params=" + sequence("(", ")", params, 2, used=15, trailer=","),
            f"body_media_type={pystr(op.body.media_type) if op.body else 'None'}",
            f"reply_media_type={pystr(op.reply.media_type) if op.reply.media_type else 'None'}",
            f"output={t.output_class}",
            f"wrapped={t.wrapped}",
            "security=" + sequence("(", ")", security, 2, used=17, trailer=","),
        ]
        head = f"{INDENT}{pystr(t.key)}: "
        items.append(pystr(t.key) + ": " + call("Operation", args, 1, used=WIDTH, trailer=","))
        del head
    return "OPERATIONS: dict[str, Operation] = " + sequence("{", "}", items, 0, used=WIDTH)


def _client_source(module: str, tools: list[_Tool]) -> str:
    class_name = pascal(module) + "Client"
    lines = [f"class {class_name}(ApiClient):", f'{INDENT}"""One typed method per operation of the API."""']
    for t in tools:
        flat = f"{INDENT}async def {t.method_name}(self, args: {t.input_class}) -> {t.output_class}:"
        if len(flat) <= WIDTH:
            signature = flat
        else:
            middle = f"{INDENT * 2}self, args: {t.input_class}"
            if len(middle) <= WIDTH:
                signature = f"{INDENT}async def {t.method_name}(\n{middle}\n{INDENT}) -> {t.output_class}:"
            else:
                signature = (
                    f"{INDENT}async def {t.method_name}(\n{INDENT * 2}self,\n{INDENT * 2}args: {t.input_class},\n"
                    f"{INDENT}) -> {t.output_class}:"
                )
        lines += ["", signature, f"{INDENT * 2}return await self.call(OPERATIONS[{pystr(t.key)}], args)"]
    return "\n".join(lines) + f"\n\n\nCLIENT = {class_name}()"


def _description(op: Operation) -> str:
    text = "\n\n".join(p for p in (op.summary, op.description) if p) or f"{op.method.upper()} {op.path}"
    if len(text) > MAX_DESCRIPTION:
        text = text[: MAX_DESCRIPTION - 1].rstrip() + "…"
    if op.deprecated:
        text = "Deprecated by the API. " + text
    return text + f"\n\n({op.method.upper()} {op.path})"


def _tools_source(tools: list[_Tool]) -> str:
    items = []
    for t in tools:
        op = t.operation
        title = op.summary.split("\n")[0].strip() or op.operation_id or f"{op.method.upper()} {op.path}"
        roles = "frozenset(" + sequence("{", "}", [f"Role.{r.upper()}" for r in t.roles], 2, used=24) + ")"
        args = [
            f"OPERATIONS[{pystr(t.key)}]",
            "title=" + string_value(title[:200], 2, 8 + 6),
            "description=" + string_value(_description(op), 2, 8 + 12),
            f"input_model={t.input_class}",
            "roles=" + roles,
            f"read_only={op.method in READ_ONLY_METHODS}",
        ]
        items.append(call("GeneratedTool", args, 1, used=WIDTH, trailer=","))
    return "TOOLS: list[InsuranceTool] = " + sequence("[", "]", items, 0, used=WIDTH)


def _rebuild_source(writer: ModelWriter) -> str:
    names = [name for name, _ in writer.classes if name not in writer.aliases]
    if not names:
        return ""
    models = sequence("(", ")", names, 0, used=len("for _model in "), trailer=":")
    return (
        "# Models that name each other (or themselves) are complete once all exist.\n"
        f"for _model in {models}:\n{INDENT}_model.model_rebuild()"
    )


# --- mock, cases, README ------------------------------------------------------------------------------------------
def _scheme_entries(doc: Document, env_prefix: str, op: Operation) -> list[dict[str, str]]:
    entries = []
    for key, _ in op.security:
        scheme = doc.schemes[key]
        entries.append(
            {
                "key": key,
                "kind": scheme.kind,
                "location": scheme.location,
                "parameter": scheme.parameter,
                "variable": _variable(env_prefix, scheme),
            }
        )
    return entries


def _routes(doc: Document, env_prefix: str, tools: list[_Tool]) -> list[dict[str, Any]]:
    sampler = Sampler(doc.raw)
    routes = []
    for t in tools:
        op = t.operation
        pattern, params = "", 0
        for piece in _path_pieces(op.path):
            if piece.startswith("{"):
                pattern += "[^/]+"
                params += 1
            else:
                pattern += _regex_escape(piece)
        reply = op.reply
        if reply.media_type is None:
            answer: Any = reply.example if isinstance(reply.example, str) else ""
        elif reply.has_example and conforms(doc.raw, reply.example, reply.schema, OUT) and not t.wrapped:
            answer = reply.example if isinstance(reply.example, dict) else sampler.sample(reply.schema, OUT)
        elif reply.has_example and conforms(doc.raw, reply.example, reply.schema, OUT):
            answer = reply.example
        else:
            if reply.has_example:
                doc.notes.append(
                    f"{t.tool}: the example answer does not match its schema; the mock answers a value made from it"
                )
            answer = sampler.sample(reply.schema, OUT)
            if not t.wrapped and not isinstance(answer, dict):
                answer = {}
        routes.append(
            (
                params,
                -len(op.path),
                {
                    "operation_id": t.key,
                    "method": op.method,
                    "pattern": pattern,
                    "status": reply.status,
                    "media_type": reply.media_type,
                    "answer": answer,
                    "body_is_json": op.body is not None and _json_media(op.body.media_type),
                    "body_required": op.body is not None and op.body.required,
                    "required_query": sorted(p.name for p in op.parameters if p.location == "query" and p.required),
                    "security": _scheme_entries(doc, env_prefix, op),
                },
            )
        )
    return [route for _, _, route in sorted(routes, key=lambda r: (r[0], r[1], r[2]["operation_id"]))]


def _json_media(media_type: str) -> bool:
    from core.codegen.openapi import is_json

    return is_json(media_type)


def _path_pieces(path: str) -> list[str]:
    import re

    return [p for p in re.split(r"(\{[^}]+\})", path) if p]


def _regex_escape(text: str) -> str:
    import re

    return re.escape(text)


def _cases(doc: Document, env_prefix: str, tools: list[_Tool]) -> dict[str, Any]:
    sampler = Sampler(doc.raw)
    cases = {}
    for t in tools:
        op = t.operation
        arguments: dict[str, Any] = {}
        for python, param in t.params:
            if not (param.required or param.has_example):
                continue
            if param.has_example and conforms(doc.raw, param.example, param.schema, IN):
                arguments[python] = param.example
            else:
                arguments[python] = sampler.sample(param.schema, IN)
        if op.body is not None and t.body_field and (op.body.required or op.body.has_example):
            body = op.body
            if not _json_media(body.media_type) and body.media_type != "application/x-www-form-urlencoded":
                arguments[t.body_field] = body.example if isinstance(body.example, str) else "text"
            elif body.has_example and conforms(doc.raw, body.example, body.schema, IN):
                arguments[t.body_field] = body.example
            else:
                arguments[t.body_field] = sampler.sample(body.schema, IN)
        required = _op_variables(doc, env_prefix, op)
        cases[t.tool] = {
            "operation_id": t.key,
            "label": f"{op.method.upper()} {op.path}",
            "role": t.roles[0],
            "arguments": arguments,
            "credentials": required,
            "oauth2": any(doc.schemes[k].kind == "oauth2_client_credentials" for k, _ in op.security),
        }
    return cases


def _scheme_variables(env_prefix: str, scheme: SecurityScheme) -> list[str]:
    stem = _variable(env_prefix, scheme)
    return {
        "api_key": [f"{stem}_KEY"],
        "basic": [f"{stem}_USERNAME", f"{stem}_PASSWORD"],
        "oauth2_client_credentials": [f"{stem}_CLIENT_ID", f"{stem}_CLIENT_SECRET"],
    }.get(scheme.kind, [f"{stem}_TOKEN"])


def _op_variables(doc: Document, env_prefix: str, op: Operation) -> list[str]:
    return [v for key, _ in op.security for v in _scheme_variables(env_prefix, doc.schemes[key])]


def _credential_variables(doc: Document, env_prefix: str, tools: list[_Tool]) -> list[str]:
    return sorted({v for s in _used_schemes(doc, tools) for v in _scheme_variables(env_prefix, s)})


def _token_url_variables(doc: Document, env_prefix: str, tools: list[_Tool]) -> list[str]:
    return sorted(
        f"{_variable(env_prefix, s)}_TOKEN_URL"
        for s in _used_schemes(doc, tools)
        if s.kind == "oauth2_client_credentials"
    )


_KIND_TEXT = {
    "api_key": "API key",
    "bearer": "HTTP bearer token",
    "basic": "HTTP basic (user name and password)",
    "oauth2_client_credentials": "OAuth2 client credentials (the token is fetched and cached until it expires)",
    "token": "OAuth2/OpenID Connect access token obtained outside the tool (a server process cannot log a user in)",
}


def _readme(
    doc: Document,
    raw: dict[str, Any],
    name: str,
    module: str,
    env_prefix: str,
    tools: list[_Tool],
    spec_label: str,
    roles: list[str] | None,
) -> str:
    digest = hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()[:16]
    command = f"intelluxe codegen mcp-tool --spec {spec_label} --name {name} --output DIR"
    if roles:
        command += " --roles " + ",".join(sorted(roles))
    base = doc.servers[0] if doc.servers else None
    lines = [
        f"# {module}: MCP tools for {_one_line(doc.title)} {doc.api_version}".rstrip(),
        "",
        f"Generated by `{command}` from an OpenAPI {doc.version} document (content sha256 {digest}…).",
        "Do not edit: regenerate. agentcare-mcp loads `../" + module + ".py` at start from its `MCP_TOOLS_DIR`.",
        "",
        "## Environment",
        "",
        "| variable | what |",
        "| --- | --- |",
        f"| `{env_prefix}_BASE_URL` | the API's base URL" + (f" (default `{base}`)" if base else " (required)") + " |",
        f"| `{env_prefix}_TIMEOUT_SECONDS` | seconds a request may take (default 20) |",
    ]
    for scheme in _used_schemes(doc, tools):
        for variable in _scheme_variables(env_prefix, scheme):
            lines.append(f"| `{variable}` | {scheme.key}: {_KIND_TEXT[scheme.kind]} |")
        if scheme.kind == "oauth2_client_credentials":
            lines.append(
                f"| `{_variable(env_prefix, scheme)}_TOKEN_URL` | {scheme.key}: token URL "
                f"(default `{scheme.token_url}`) |"
            )
    lines += [
        "",
        "Credentials are read when a tool is called and never written into the code; a missing one is a tool error",
        "naming the variable. Errors name the tool, the method, the path template and the HTTP status — never the",
        "values sent.",
        "",
        "## Tools",
        "",
        "| tool | operation | roles | read-only |",
        "| --- | --- | --- | --- |",
    ]
    for t in tools:
        op = t.operation
        path = op.path.replace("|", "\\|")
        lines.append(
            f"| `{t.tool}` | `{op.method.upper()} {path}` | {', '.join(t.roles)} | {op.method in READ_ONLY_METHODS} |"
        )
    lines += [
        "",
        "Arguments are the operation's path, query, header and cookie parameters (snake_case) and `body` (the request",
        "body, with the API's own property names); anything else is refused by name. Structured content is the JSON",
        "answer (`result` when it is not an object).",
        "",
        "## Tests",
        "",
        f"`python -m pytest {module}/` runs every tool through agentcare-mcp's runtime against `mock_{module}.py`,",
        "which answers each operation with the spec's example (or a value made from its schema) and refuses requests",
        "without the credentials the operation requires. Audit rows go to a fresh database on `POSTGRES_URL`'s server",
        "(or an embedded PostgreSQL).",
    ]
    if doc.notes:
        lines += ["", "## Not honoured", ""] + [f"- {note}" for note in sorted(set(doc.notes))]
    return "\n".join(lines) + "\n"


__all__ = ["GenerateError", "Generated", "generate"]
