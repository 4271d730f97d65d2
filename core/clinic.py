"""The clinic's own identity (`config/clinic.yml`): billing provider, rendering providers, default payer."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.claims.codes import npi_is_valid


class ClinicConfigError(Exception):
    """config/clinic.yml is missing or wrong; the message names the field."""


class _Address(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line: str
    city: str
    state: str = Field(pattern=r"^[A-Z]{2}$")
    zip: str = Field(pattern=r"^\d{5}(\d{4})?$")


class _Provider(BaseModel):
    model_config = ConfigDict(extra="forbid")
    npi: str
    name: str

    @field_validator("npi")
    @classmethod
    def _npi(cls, value: str) -> str:
        if not npi_is_valid(value):
            raise ValueError("is not a valid NPI (10 digits with a correct check digit)")
        return value


class Clinic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    npi: str
    tax_id: str = Field(pattern=r"^\d{9}$")
    address: _Address
    default_payer: str
    providers: dict[str, _Provider] = {}

    @field_validator("npi")
    @classmethod
    def _npi(cls, value: str) -> str:
        return _Provider._npi(value)

    def provider(self, provider_id: str) -> tuple[str, str] | None:
        """(NPI, name) for a provider_id: a configured provider, or a valid NPI used as is (the clinic's name)."""
        if provider_id in self.providers:
            entry = self.providers[provider_id]
            return entry.npi, entry.name
        if npi_is_valid(provider_id):
            return provider_id, self.name
        return None


def clinic_file() -> Path:
    root = Path(os.environ.get("INTELLUXE_ROOT") or Path(__file__).resolve().parent.parent)
    return Path(os.environ.get("INTELLUXE_CLINIC_FILE") or root / "config" / "clinic.yml")


@cache
def load_clinic(path: Path | None = None) -> Clinic:
    path = path or clinic_file()
    try:
        return Clinic.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError) as exc:
        raise ClinicConfigError(f"{path}: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False))
        raise ClinicConfigError(f"{path}: {problems}") from exc
