"""The payer sandbox's own settings, beside the shared ones (core.config.Settings)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from core.config import Settings

MEMBERS = Path(__file__).resolve().parent / "members.yml"


class SandboxSettings(Settings):
    # A bearer credential the sandbox demands, as a real clearinghouse would (unset: none).
    sandbox_token: str | None = Field(default=None, alias="SANDBOX_TOKEN", repr=False)
    # The members fixture: who is covered by which plan (default: the plainly fake members.yml beside this file).
    sandbox_members: Path = Field(default=MEMBERS, alias="SANDBOX_MEMBERS")
