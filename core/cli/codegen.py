"""`intelluxe codegen mcp-tool`: MCP tools for agentcare-mcp from an OpenAPI document (core.codegen). Offline: no
settings, no database — it reads a document and writes files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from core.cli.common import fail

if TYPE_CHECKING:
    from core.config import Settings


def cmd_codegen_mcp_tool(args: argparse.Namespace, settings: Settings | None) -> int:
    import yaml

    from core.codegen import GenerateError, SpecError, generate, parse_text
    from core.codegen.template import generate_template

    roles = [r.strip() for r in args.roles.split(",") if r.strip()] if args.roles else None
    output = Path(args.output)
    if bool(args.spec) == bool(args.template):
        return fail("give --spec SPEC with --name NAME, or --template TEMPLATE")
    try:
        if args.template:
            path = Path(args.template)
            template = yaml.safe_load(path.read_text(encoding="utf-8"))
            report = generate_template(template if isinstance(template, dict) else {}, path.parent, roles)
            made = report.generated
        else:
            if not args.name:
                return fail("--spec needs --name (the tools' prefix, e.g. anthem-bcbs)")
            raw = parse_text(Path(args.spec).read_text(encoding="utf-8"), args.spec)
            made = [generate(raw, args.name, roles=roles, base_url=args.base_url, spec_label=Path(args.spec).name)]
            report = None
    except OSError as exc:
        return fail(f"{exc.filename}: {exc.strerror}")
    except (SpecError, GenerateError, yaml.YAMLError) as exc:
        return fail(str(exc))
    for generated in made:
        generated.write(output)
        print(f"{output / (generated.module + '.py')}: {len(generated.tools)} tools")
        for note in sorted(set(generated.notes)):
            print(f"  note: {note}")
    for name, reason in sorted((report.skipped if report else {}).items()):
        print(f"{name}: not generated: {reason}")
    return 0 if made else 1


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    codegen = sub.add_parser("codegen", help="generate MCP tools").add_subparsers(dest="codegen_command", required=True)
    p = codegen.add_parser(
        "mcp-tool",
        help="MCP tools (with a mock server, tests and a README) from an OpenAPI 3.0/3.1 document",
        description="Writes OUTPUT/NAME.py (one tool per operation, loaded by agentcare-mcp from MCP_TOOLS_DIR) and "
        "OUTPUT/NAME/ (README, mock server, tests). The same document and options give the same bytes.",
    )
    p.add_argument("--spec", help="the OpenAPI document (YAML or JSON)")
    p.add_argument("--name", help="the tools' prefix: NAME_<operationId in snake_case>")
    p.add_argument("--output", required=True, help="the folder to write into (agentcare-mcp's MCP_TOOLS_DIR)")
    p.add_argument("--template", help="a templates/insurance-api.yaml: every provider at once, instead of --spec")
    p.add_argument("--roles", help="comma-separated roles for every tool (default: by HTTP method)")
    p.add_argument("--base-url", help="the API's base URL instead of the document's servers")
    p.set_defaults(needs_settings=False, func=cmd_codegen_mcp_tool)
