"""The shape the code keeps (DESIGN.md): packages listed for install, no import cycles in core/, nothing in core/
importing a service, PHI detection not reaching into claims, and every service born the same way."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.parent.parent.name for p in (ROOT / "services" / "user").glob("*/app/__init__.py"))
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _package(service: str) -> str:
    return service.replace("-", "_")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at module level or inside functions (a cycle hidden in a function is one)."""
    found: set[str] = set()
    package = _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(
                    package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else [])
                )
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _core_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in (ROOT / "core").rglob("*.py")}
    # Importing a submodule always runs its package's __init__ first, so an edge to one's own package is no cycle.
    return {
        name: {m for m in _imports(path) if m in modules and m != name and not name.startswith(m + ".")}
        for name, path in modules.items()
    }


def test_every_package_is_listed_for_install() -> None:
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    core_packages = {_module_name(p.parent / "__init__.py") for p in (ROOT / "core").rglob("*.py")}
    assert core_packages | {_package(s) for s in SERVICES} == listed
    mapped = PYPROJECT["tool"]["setuptools"]["package-dir"]
    assert mapped == {_package(s): f"services/user/{s}/app" for s in SERVICES}


def test_core_has_no_import_cycle() -> None:
    graph = _core_graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while (member := stack.pop()) != node:
                component.append(member)
            component.append(node)
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    assert cycles == []


def test_core_imports_no_service() -> None:
    services = {_package(s) for s in SERVICES}
    offenders = {
        str(p.relative_to(ROOT)): sorted(m for m in _imports(p) if m.split(".")[0] in services)
        for p in (ROOT / "core").rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


@pytest.mark.parametrize(
    ("package", "forbidden"), [("core.phi", ("core.claims", "core.x12", "core.payers", "core.web"))]
)
def test_no_sideways_imports(package: str, forbidden: tuple[str, ...]) -> None:
    graph = _core_graph()
    sideways = {m: sorted(i for i in graph[m] if i.startswith(forbidden)) for m in graph if m.startswith(package)}
    assert {k: v for k, v in sideways.items() if v} == {}


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_has_the_same_shape(service: str) -> None:
    app = ROOT / "services" / "user" / service / "app"
    factory = "create_receiver" if service == "audio-receiver" else "create_app"
    init = ast.parse((app / "__init__.py").read_text())
    names = {n.name for n in init.body if isinstance(n, ast.FunctionDef)} | {
        alias.asname or alias.name for n in init.body if isinstance(n, ast.ImportFrom) for alias in n.names
    }
    assert factory in names
    assert (app / "settings.py").is_file() and (app / "README.md").is_file()
    conf = (app.parent / f"{service}.conf").read_text()
    command = re.search(r'^command="(.*)"$', conf, re.M).group(1)  # type: ignore[union-attr]
    assert _package(service) in command
    assert re.search(r'^health_cmd="python -m core\.healthcheck( --tls)?"$', conf, re.M)
    assert not list(app.glob("health_check.py"))
