"""compliance's own settings, beside the shared ones (core.config.Settings)."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field

from core.config import Settings


class ComplianceSettings(Settings):
    # The rules: clinic hours and time zone, thresholds, severities (default config/compliance.yml).
    compliance_file: Path = Field(default=None, alias="INTELLUXE_COMPLIANCE_FILE")  # type: ignore[assignment]

    _PROJECT_FILES: ClassVar[dict[str, tuple[str, ...]]] = {"compliance_file": ("config", "compliance.yml")}
