"""The auto-loader: every generated tool module in the tools folder (MCP_TOOLS_DIR) is loaded at start.

A module offers its tools as `TOOLS` (a list of InsuranceTool instances) or `tools()` (returning one). A module
that fails — a syntax or import error, no TOOLS, a tool whose declaration or schema is wrong, a name already taken
— is logged with the reason and skipped; the others load. `LoadReport` says what loaded and what did not, for the
log at start and for the tests.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .tool_base import InsuranceTool

log = logging.getLogger("agentcare_mcp.loader")


@dataclass
class LoadReport:
    loaded: list[str] = field(default_factory=list)  # tool names
    skipped: dict[str, str] = field(default_factory=dict)  # module file or tool name -> reason


def load_generated(folder: Path, taken: set[str]) -> tuple[list[InsuranceTool], LoadReport]:
    """The tools of every `*.py` module directly in `folder` (sorted by file name), none named as one in `taken`."""
    report = LoadReport()
    tools: list[InsuranceTool] = []
    if not folder.is_dir():
        return tools, report
    names = set(taken)
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            offered = _module_tools(path)
        except Exception as exc:  # noqa: BLE001 - whatever a broken module raises, the others still load
            report.skipped[path.name] = f"{type(exc).__name__}: {exc}"
            log.warning("generated tools %s skipped: %s", path.name, report.skipped[path.name])
            continue
        for tool in offered:
            label = getattr(tool, "name", None) or f"{path.name}:{type(tool).__name__}"
            reason = _problem(tool, names)
            if reason:
                report.skipped[label] = reason
                log.warning("generated tool %s (%s) skipped: %s", label, path.name, reason)
                continue
            names.add(tool.name)
            tools.append(tool)
            report.loaded.append(tool.name)
    return tools, report


def _module_tools(path: Path) -> list[object]:
    module_name = f"intelluxe_generated_tools.{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError("not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pydantic look their module up while the class is built
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    offered = module.tools() if callable(getattr(module, "tools", None)) else getattr(module, "TOOLS", None)
    if not isinstance(offered, list | tuple):
        raise TypeError("the module defines neither TOOLS (a list) nor tools()")
    return list(offered)


def _problem(tool: object, names: set[str]) -> str | None:
    if not isinstance(tool, InsuranceTool):
        return f"{type(tool).__name__} is not an InsuranceTool"
    try:
        tool.check()
    except Exception as exc:  # noqa: BLE001 - a wrong declaration of any kind skips this tool only
        return f"{type(exc).__name__}: {exc}"
    if tool.name in names:
        return f"the name {tool.name} is already taken"
    return None
