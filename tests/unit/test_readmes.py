"""The READMEs' commands name files that exist: a newcomer copies them word for word (issue 10 found `terms.txt`,
which did not)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READMES = [
    ROOT / "README.md",
    ROOT / "services" / "user" / "audio-receiver" / "app" / "README.md",
    ROOT / "clients" / "windows" / "intelluxe-audio-client" / "README.md",
]


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_vocabulary_file_a_readme_names_exists(readme: Path) -> None:
    named = re.findall(r"--vocabulary\s+(\S+)", readme.read_text(encoding="utf-8"))
    assert named, "the README shows no enroll-doctor --vocabulary example"
    assert [name for name in named if not (ROOT / name).is_file()] == []


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_doctor_configs_are_written_where_git_ignores_them(readme: Path) -> None:
    outs = re.findall(r"enroll-doctor[^\n]*?--out\s+(\S+)", readme.read_text(encoding="utf-8").replace("\\\n", " "))
    assert outs and all(out.startswith(".intelluxe/") for out in outs), outs
