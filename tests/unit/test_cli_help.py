"""The CLI explains itself: every option and argument has a help text, and `billing estimate --help` shows an
input that works (issue 10: it showed no format, and the README's guess was refused)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

from core.claims.estimate import estimate_from_json
from core.cli import build_parser
from core.cli.tools import ESTIMATE_EXAMPLE

ROOT = Path(__file__).resolve().parents[2]


def _parsers(parser: argparse.ArgumentParser, path: str = "intelluxe") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from _parsers(child, f"{path} {name}")


def test_every_option_and_argument_says_what_it_is_for() -> None:
    bare = [
        f"{path}: {action.option_strings or action.dest}"
        for path, parser in _parsers(build_parser())
        for action in parser._actions
        if not isinstance(action, argparse._SubParsersAction | argparse._HelpAction) and not action.help
    ]
    assert bare == []


def test_the_estimate_example_is_the_shipped_file_and_it_estimates() -> None:
    shipped = json.loads((ROOT / "config" / "estimate.example.json").read_text(encoding="utf-8"))
    shown = ESTIMATE_EXAMPLE.split(":", 1)[1].rsplit("intelluxe billing estimate", 1)[0]
    assert json.loads(shown) == shipped
    result = estimate_from_json(shipped).to_json()
    assert result["patient_responsibility"] == "85.00" and result["insurance_responsibility"] == "95.00"
