"""The X12 tests' shared samples (claim_samples.py) are imported by name: pytest runs with --import-mode=importlib,
which puts no test folder on sys.path, so this one is added here."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = str(Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)
