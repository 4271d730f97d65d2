"""The clinic's own identity (`config/clinic.yml`): billing provider, its billing contact, rendering providers and
the default payer."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from core.checksums import npi_is_valid
from core.claims.codes import Npi
from core.yaml_config import ConfigFileError, load_model


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
    npi: Npi
    name: str


class _Contact(BaseModel):
    """Whom a payer calls about a claim: the 837's submitter contact (PER*IC)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=60)
    phone: str = Field(pattern=r"^\d{10}$", description="ten digits, no punctuation (X12 TE)")


class Clinic(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    npi: Npi
    tax_id: str = Field(pattern=r"^\d{9}$")
    address: _Address
    billing_contact: _Contact
    default_payer: str
    providers: dict[str, _Provider] = {}

    def provider(self, provider_id: str) -> tuple[str, str] | None:
        """(NPI, name) for a provider_id: a configured provider, or a valid NPI used as is (the clinic's name)."""
        if provider_id in self.providers:
            entry = self.providers[provider_id]
            return entry.npi, entry.name
        if npi_is_valid(provider_id):
            return provider_id, self.name
        return None


@cache
def load_clinic(path: Path) -> Clinic:
    """The clinic file at `path` (Settings.clinic_file: config/clinic.yml unless INTELLUXE_CLINIC_FILE says)."""
    return load_model(path, Clinic, ClinicConfigError)
