"""The plan's codegen-dev: OpenAPI 3.0/3.1 documents → MCP tools for agentcare-mcp (`intelluxe codegen mcp-tool`).

`generate(document, name)` returns the files of one tools module — pydantic models, a typed `requests` client run
in a worker thread, one InsuranceTool per operation — with a mock server made from the document's examples and
schemas, tests that run every tool through agentcare-mcp's runtime against it, and a README. `template.py` drives
it for several payers at once from the plan's `templates/insurance-api.yaml`.

Nothing here imports agentcare-mcp (core never imports a service): the generated *text* imports
`agentcare_mcp.tool_base` when the server loads it.
"""

from __future__ import annotations

from core.codegen.generate import Generated, GenerateError, generate
from core.codegen.openapi import SpecError, parse_text

__all__ = ["GenerateError", "Generated", "SpecError", "generate", "parse_text"]
