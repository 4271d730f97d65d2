"""The clinic's own identity (`config/clinic.yml`): billing provider, rendering providers, default payer."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.claims.codes import npi_is_valid
from core.yaml_config import ConfigFileError, load_model, project_file


class ClinicConfigError(ConfigFileError):
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


@cache
def load_clinic(path: Path | None = None) -> Clinic:
    path = path or project_file("config", "clinic.yml", override_env="INTELLUXE_CLINIC_FILE")
    return load_model(path, Clinic, ClinicConfigError)
