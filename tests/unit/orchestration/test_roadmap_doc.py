"""docs/agent-orchestration-roadmap.md says what the code does: its table of refused switches is exactly
routing_config.NOT_IMPLEMENTED (with the value that runs today), and it describes every key of the routing file."""

from __future__ import annotations

import json
import re
from pathlib import Path

from core.orchestration import NOT_IMPLEMENTED, RoutingConfig

DOC = Path(__file__).resolve().parents[3] / "docs" / "agent-orchestration-roadmap.md"


def _table_after(heading: str) -> dict[str, list[str]]:
    """The rows of the first table under `heading`: first column's `key` -> the other cells."""
    text = DOC.read_text(encoding="utf-8").split(heading, 1)[1]
    rows: dict[str, list[str]] = {}
    for line in text.splitlines():
        if rows and not line.startswith("|"):
            break
        m = re.match(r"\| `([a-z_.]+)` \|(.*)\|$", line)
        if m:
            rows[m.group(1)] = [c.strip() for c in m.group(2).split("|")]
    return rows


def test_the_refused_switches_in_the_doc_are_the_codes() -> None:
    rows = _table_after("## Refused switches")
    assert set(rows) == set(NOT_IMPLEMENTED)
    for key, cells in rows.items():
        honest = NOT_IMPLEMENTED[key].honest
        assert cells[0] == f"`{json.dumps(honest) if isinstance(honest, bool) else honest}`", key  # as YAML writes it


def test_every_key_of_the_file_is_described() -> None:
    keys = {
        f"{section}.{key}"
        for section, field in RoutingConfig.model_fields.items()
        for key in field.annotation.model_fields  # type: ignore[union-attr]
    }
    rows = _table_after("## Every key")
    assert set(rows) == keys
    for key in NOT_IMPLEMENTED:
        assert "refused" in rows[key][0] or "only" in rows[key][0], key
