"""Payer configuration: `config/payers/<payer>.yml`, one file per payer.

Each names the payer, its clearinghouse endpoint and credential (by environment variable, never the secret itself),
the cache lifetime of its answers and the procedure codes its medical policy sends to prior authorization.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.claims.codes import ProcedureCodes
from core.config import Settings
from core.errors import ApiError
from core.yaml_config import ConfigFileError, load_model

_PLACEHOLDER = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")


class PayerConfigError(ConfigFileError):
    """A payer file is missing, malformed or refers to an unset variable; the message names file and field."""


class _Auth(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Literal["none", "bearer", "basic"] = "none"
    credential_env: str | None = None


class _Clearinghouse(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str
    auth: _Auth = _Auth()
    timeout_seconds: float = Field(default=10, gt=0, le=120)
    retries: int = Field(default=2, ge=0, le=5)
    submitter_id: str = Field(min_length=2, max_length=15)
    receiver_id: str = Field(min_length=2, max_length=15)


class _PriorAuth(BaseModel):
    model_config = ConfigDict(extra="forbid")

    procedure_codes: ProcedureCodes = []
    # Where the payer takes X12 278 review requests (`{NAME}` placeholders as in the clearinghouse url); unset: this
    # payer is asked no prior authorization from here.
    x12_278_url: str | None = None


class _Formulary(BaseModel):
    """Where the payer publishes its drug list in the CMS QHP format (`drugs.json`): public, no credential."""

    model_config = ConfigDict(extra="forbid")

    url: str
    cache_ttl_seconds: int = Field(default=86400, ge=0)
    timeout_seconds: float = Field(default=30, gt=0, le=300)


class _PayerFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    payer_id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,63}$")
    name: str
    x12_payer_id: str = Field(min_length=2, max_length=80)
    clearinghouse: _Clearinghouse
    cache_ttl_seconds: int = Field(default=3600, ge=0)
    prior_authorization: _PriorAuth = _PriorAuth()
    formulary: _Formulary | None = None


@dataclass(frozen=True)
class PayerConfig:
    payer_id: str
    name: str
    x12_payer_id: str
    url_template: str
    auth_type: str
    credential_env: str | None
    timeout_seconds: float
    retries: int
    submitter_id: str
    receiver_id: str
    cache_ttl_seconds: int
    prior_auth_codes: frozenset[str]
    formulary_url: str | None = None  # the QHP drugs.json, `{NAME}` placeholders as in url_template
    review_url: str | None = None  # where X12 278 prior-authorization requests go
    formulary_ttl_seconds: int = 86400
    formulary_timeout_seconds: float = 30

    def endpoint(self, environ: Mapping[str, str]) -> str:
        """The clearinghouse URL with `{NAME}` placeholders filled from the environment (Settings.environ)."""
        return self._filled(self.url_template, "clearinghouse url", environ)

    def formulary_endpoint(self, environ: Mapping[str, str]) -> str | None:
        """The drugs.json URL, placeholders filled; None when the payer publishes none here."""
        return self._filled(self.formulary_url, "formulary url", environ) if self.formulary_url else None

    def review_endpoint(self, environ: Mapping[str, str]) -> str | None:
        """The 278 URL, placeholders filled; None when this payer takes no review requests from here."""
        return self._filled(self.review_url, "x12_278_url", environ) if self.review_url else None

    def _filled(self, template: str, what: str, environ: Mapping[str, str]) -> str:
        def fill(match: re.Match[str]) -> str:
            value = environ.get(match.group(1))
            if not value:
                raise PayerConfigError(f"payer {self.payer_id}: {what} needs {match.group(1)}, which is not set")
            return value.rstrip("/")

        return _PLACEHOLDER.sub(fill, template)

    def credential(self, environ: Mapping[str, str]) -> str | None:
        """The secret from the variable the payer file names (Settings.environ); never stored in the file."""
        if self.auth_type == "none" or not self.credential_env:
            return None
        value = environ.get(self.credential_env)
        if not value:
            raise PayerConfigError(f"payer {self.payer_id}: credential variable {self.credential_env} is not set")
        return value


class UnknownPayer(ApiError):
    """A request named a payer that has no file in config/payers (a 422 naming the field: the id is well formed,
    the clinic just has no such payer)."""

    code = "invalid_value"


def require_payer(payers: Mapping[str, PayerConfig], payer_id: str, *, field: str = "payer_id") -> PayerConfig:
    """The payer's config, or UnknownPayer naming `field` and the payers that are configured."""
    config = payers.get(payer_id)
    if config is None:
        raise UnknownPayer(fields={field: f"unknown payer; configured: {', '.join(sorted(payers))}"})
    return config


def load_payers(directory: Path | None = None) -> dict[str, PayerConfig]:
    """Every `*.yml` in the folder (default Settings.payers_dir), keyed by payer_id; any bad file is an error naming
    it (never skipped)."""
    if directory is None:
        directory = Settings.from_env().payers_dir
    if not directory.is_dir():
        raise PayerConfigError(f"payer folder {directory} does not exist")
    payers: dict[str, PayerConfig] = {}
    for path in sorted(directory.glob("*.yml")):
        parsed = load_model(path, _PayerFile, PayerConfigError)
        if parsed.payer_id in payers:
            raise PayerConfigError(f"{path}: payer_id {parsed.payer_id!r} is also used by another file")
        ch = parsed.clearinghouse
        payers[parsed.payer_id] = PayerConfig(
            payer_id=parsed.payer_id,
            name=parsed.name,
            x12_payer_id=parsed.x12_payer_id,
            url_template=ch.url,
            auth_type=ch.auth.type,
            credential_env=ch.auth.credential_env,
            timeout_seconds=ch.timeout_seconds,
            retries=ch.retries,
            submitter_id=ch.submitter_id,
            receiver_id=ch.receiver_id,
            cache_ttl_seconds=parsed.cache_ttl_seconds,
            prior_auth_codes=frozenset(parsed.prior_authorization.procedure_codes),
            review_url=parsed.prior_authorization.x12_278_url,
            **(
                {
                    "formulary_url": parsed.formulary.url,
                    "formulary_ttl_seconds": parsed.formulary.cache_ttl_seconds,
                    "formulary_timeout_seconds": parsed.formulary.timeout_seconds,
                }
                if parsed.formulary
                else {}
            ),
        )
    if not payers:
        raise PayerConfigError(f"no payer files (*.yml) in {directory}")
    return payers
