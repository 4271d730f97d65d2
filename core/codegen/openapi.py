"""Reading an OpenAPI 3.0/3.1 document into what the generator needs: operations, their parameters, request body,
answer and security, with local `$ref`s resolved.

Only local references (`#/...`) are followed: a document that points at other files or URLs is refused with the
reference named, because generating from half a document would give tools that cannot be called. Schemas are not
inlined here (a schema may refer to itself, as FHIR's Extension does); the model writer follows their `$ref`s by
name, and `deref` below only walks chains of references to parameters, bodies, answers and examples.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import yaml

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
READ_ONLY_METHODS = frozenset({"get", "head", "options", "trace"})
# Headers OpenAPI says a parameter may not define (the client sets them itself).
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})


class SpecError(Exception):
    """The document cannot be generated from; the message says where (a JSON pointer or an operation)."""


@dataclass(frozen=True)
class Parameter:
    name: str  # as on the wire
    location: str  # path, query, header, cookie
    required: bool
    schema: dict[str, Any]
    description: str
    style: str
    explode: bool
    example: Any = None
    has_example: bool = False


@dataclass(frozen=True)
class Body:
    media_type: str
    schema: dict[str, Any]
    required: bool
    description: str
    example: Any = None
    has_example: bool = False


@dataclass(frozen=True)
class Reply:
    status: int
    media_type: str | None  # None: the answer has no body the client reads as JSON
    schema: dict[str, Any] | None
    example: Any = None
    has_example: bool = False


@dataclass(frozen=True)
class SecurityScheme:
    """A scheme the generated client can apply. `kind`: api_key, bearer, basic, oauth2_client_credentials, or
    token (an OAuth2 flow a server process cannot run itself — authorization code, implicit, password — or
    OpenID Connect: the operator supplies an access token)."""

    key: str  # the name under components.securitySchemes
    kind: str
    location: str = ""  # api_key: header, query or cookie
    parameter: str = ""  # api_key: the header/query/cookie name
    token_url: str = ""  # oauth2_client_credentials
    description: str = ""


@dataclass(frozen=True)
class Operation:
    operation_id: str | None
    method: str
    path: str
    summary: str
    description: str
    parameters: tuple[Parameter, ...]
    body: Body | None
    reply: Reply
    security: tuple[tuple[str, tuple[str, ...]], ...]  # the chosen requirement: (scheme key, scopes) pairs
    unsupported_security: tuple[str, ...] = ()  # schemes of a requirement no alternative of which could be used
    deprecated: bool = False


@dataclass
class Document:
    raw: dict[str, Any]
    version: str
    title: str
    api_version: str
    description: str
    servers: list[str]
    schemes: dict[str, SecurityScheme]
    operations: list[Operation] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the generator could not honour, for the README


def parse_text(text: str, origin: str = "the spec") -> dict[str, Any]:
    """The document as a mapping: JSON, else YAML (a superset of JSON, but slower and looser)."""
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise SpecError(f"{origin} is neither JSON nor YAML: {exc}") from None
    if not isinstance(data, dict):
        raise SpecError(f"{origin} is not an OpenAPI document (not a mapping)")
    return data


def pointer(doc: dict[str, Any], ref: str) -> Any:
    """The node a local `$ref` names (RFC 6901: ~1 is '/', ~0 is '~')."""
    if not ref.startswith("#"):
        raise SpecError(f"$ref {ref!r} points outside this document; only local references are supported")
    node: Any = doc
    for part in [p for p in ref[1:].split("/") if p != ""]:
        key = part.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        elif isinstance(node, dict) and key in node:
            node = node[key]
        else:
            raise SpecError(f"$ref {ref!r} does not resolve")
    return node


def deref(doc: dict[str, Any], node: Any) -> Any:
    """`node` with its chain of `$ref`s followed (a reference to a reference is allowed; a loop is an error)."""
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in seen:
            raise SpecError(f"$ref {ref!r} refers to itself")
        seen.add(ref)
        node = pointer(doc, ref)
    return node


def load(raw: dict[str, Any]) -> Document:
    """The generator's view of an OpenAPI 3.0/3.1 document."""
    version = str(raw.get("openapi", ""))
    if not re.match(r"^3\.[01]\.", version + "."):
        found = f"swagger {raw['swagger']}" if "swagger" in raw else f"openapi {version or '(missing)'}"
        raise SpecError(f"only OpenAPI 3.0 and 3.1 documents are supported, this one is {found}")
    info = raw.get("info") or {}
    doc = Document(
        raw=raw,
        version=version,
        title=str(info.get("title") or "API"),
        api_version=str(info.get("version") or ""),
        description=str(info.get("description") or ""),
        servers=_servers(raw.get("servers") or []),
        schemes={},
    )
    components = raw.get("components") or {}
    for key, scheme in sorted((components.get("securitySchemes") or {}).items()):
        parsed = _scheme(key, deref(raw, scheme), doc.notes)
        if parsed is not None:
            doc.schemes[key] = parsed
    default_security = raw.get("security")
    for path, item in sorted((raw.get("paths") or {}).items()):
        item = deref(raw, item)
        if not isinstance(item, dict):
            continue
        shared = item.get("parameters") or []
        for method in METHODS:
            if isinstance(item.get(method), dict):
                doc.operations.append(_operation(doc, path, method, item[method], shared, default_security))
    if not doc.operations:
        raise SpecError("the document has no operations under paths")
    return doc


def _servers(servers: list[Any]) -> list[str]:
    urls = []
    for server in servers:
        if not isinstance(server, dict) or not isinstance(server.get("url"), str):
            continue
        url = server["url"]
        for name, variable in (server.get("variables") or {}).items():
            url = url.replace("{" + name + "}", str((variable or {}).get("default", "")))
        urls.append(url)
    return urls


def _scheme(key: str, scheme: Any, notes: list[str]) -> SecurityScheme | None:
    if not isinstance(scheme, dict):
        return None
    kind = str(scheme.get("type", "")).lower()
    description = str(scheme.get("description") or "")
    if kind == "apikey":
        where = str(scheme.get("in", "header"))
        return SecurityScheme(
            key, "api_key", location=where, parameter=str(scheme.get("name", "")), description=description
        )
    if kind == "http":
        http = str(scheme.get("scheme", "")).lower()
        if http == "bearer":
            return SecurityScheme(key, "bearer", description=description)
        if http == "basic":
            return SecurityScheme(key, "basic", description=description)
        notes.append(f"security scheme {key}: HTTP {http or '(none)'} authentication is not supported")
        return None
    if kind == "oauth2":
        flows = scheme.get("flows") or {}
        credentials = flows.get("clientCredentials")
        if isinstance(credentials, dict) and credentials.get("tokenUrl"):
            return SecurityScheme(
                key, "oauth2_client_credentials", token_url=str(credentials["tokenUrl"]), description=description
            )
        return SecurityScheme(key, "token", description=description)
    if kind == "openidconnect":
        return SecurityScheme(key, "token", description=description)
    notes.append(f"security scheme {key}: type {kind or '(none)'} is not supported")
    return None


def _operation(
    doc: Document, path: str, method: str, op: dict[str, Any], shared: list[Any], default_security: Any
) -> Operation:
    raw = doc.raw
    label = f"{method.upper()} {path}"
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for param in [*shared, *(op.get("parameters") or [])]:  # the operation's own override the path's
        param = deref(raw, param)
        if isinstance(param, dict) and "name" in param and "in" in param:
            merged[(str(param["in"]), str(param["name"]))] = param
    parameters = []
    for (location, name), param in sorted(merged.items()):
        if location == "header" and name.lower() in IGNORED_HEADERS:
            continue
        if location not in ("path", "query", "header", "cookie"):
            raise SpecError(f"{label}: parameter {name} is in {location!r}, not path/query/header/cookie")
        schema = param.get("schema")
        if schema is None and isinstance(param.get("content"), dict) and param["content"]:
            schema = next(iter(param["content"].values())).get("schema")
        example, has_example = _example(raw, param)
        style = str(param.get("style") or ("simple" if location in ("path", "header") else "form"))
        parameters.append(
            Parameter(
                name=name,
                location=location,
                required=bool(param.get("required")) or location == "path",
                schema=schema if isinstance(schema, dict) else {},
                description=str(param.get("description") or ""),
                style=style,
                explode=bool(param.get("explode", style == "form")),
                example=example,
                has_example=has_example,
            )
        )
    for placeholder in re.findall(r"\{([^}]+)\}", path):
        if ("path", placeholder) not in merged:
            raise SpecError(f"{label}: the path names {{{placeholder}}} but no path parameter declares it")
    security, unsupported = _security(doc, op.get("security", default_security))
    return Operation(
        operation_id=str(op["operationId"]) if op.get("operationId") else None,
        method=method,
        path=path,
        summary=str(op.get("summary") or "").strip(),
        description=str(op.get("description") or "").strip(),
        parameters=tuple(parameters),
        body=_body(raw, op.get("requestBody")),
        reply=_reply(raw, op.get("responses") or {}),
        security=security,
        unsupported_security=unsupported,
        deprecated=bool(op.get("deprecated")),
    )


def is_json(media_type: str) -> bool:
    base = media_type.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json")


def _pick_media(content: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """The JSON media type of a content map if it has one, else the first (sorted) other."""
    if not content:
        return None
    for media_type in sorted(content):
        if is_json(media_type):
            return media_type, content[media_type] or {}
    media_type = sorted(content)[0]
    return media_type, content[media_type] or {}


def _body(raw: dict[str, Any], body: Any) -> Body | None:
    body = deref(raw, body)
    if not isinstance(body, dict):
        return None
    picked = _pick_media(body.get("content") or {})
    if picked is None:
        return None
    media_type, media = picked
    example, has_example = _example(raw, media)
    schema = media.get("schema")
    return Body(
        media_type=media_type,
        schema=schema if isinstance(schema, dict) else {},
        required=bool(body.get("required")),
        description=str(body.get("description") or ""),
        example=example,
        has_example=has_example,
    )


def _reply(raw: dict[str, Any], responses: dict[str, Any]) -> Reply:
    """The first 2xx answer (by status); its JSON body's schema, or no body the client reads as JSON."""
    codes = sorted(str(code) for code in responses if re.fullmatch(r"2\d\d|2XX", str(code)))
    if not codes:
        return Reply(status=200, media_type=None, schema=None)
    code = codes[0]
    status = 200 if code == "2XX" else int(code)
    answer = deref(raw, responses.get(code, responses.get(int(code)) if code.isdigit() else None))
    content = (answer or {}).get("content") or {}
    picked = _pick_media(content)
    if picked is None:
        return Reply(status=status, media_type=None, schema=None)
    media_type, media = picked
    example, has_example = _example(raw, media)
    if not is_json(media_type) and not (media_type == "*/*" and media.get("schema")):
        return Reply(status=status, media_type=None, schema=None, example=example, has_example=has_example)
    schema = media.get("schema")
    return Reply(
        status=status,
        media_type="application/json" if media_type == "*/*" else media_type,
        schema=schema if isinstance(schema, dict) else {},
        example=example,
        has_example=has_example,
    )


def _example(raw: dict[str, Any], node: dict[str, Any]) -> tuple[Any, bool]:
    """A parameter's or media type's own example: `example`, else the first of `examples` (by name)."""
    if "example" in node:
        return node["example"], True
    examples = node.get("examples")
    if isinstance(examples, dict):
        for name in sorted(examples):
            example = deref(raw, examples[name])
            if isinstance(example, dict) and "value" in example:
                return example["value"], True
    return None, False


def _security(doc: Document, requirements: Any) -> tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[str, ...]]:
    """The first alternative of a security requirement whose every scheme the client can apply; an empty
    requirement (`{}`) means the operation may be called without credentials."""
    if not requirements:
        return (), ()
    unsupported: list[str] = []
    for requirement in requirements:
        if not isinstance(requirement, dict):
            continue
        if not requirement:
            return (), ()
        missing = [key for key in requirement if key not in doc.schemes]
        if missing:
            unsupported.extend(missing)
            continue
        return tuple((key, tuple(str(s) for s in requirement[key] or ())) for key in sorted(requirement)), ()
    return (), tuple(sorted(set(unsupported)))
