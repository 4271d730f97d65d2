"""A payer's drug list in the CMS QHP format (`drugs.json`, github.com/CMSgov/QHP-provider-formulary-APIs): which
plans cover a drug, on which tier, and with prior authorization, step therapy or a quantity limit.

Issuers publish the file on their own sites (CMS's Machine-Readable URL PUF lists them); it is public and carries no
patient data, so asking about a drug sends nothing about a patient anywhere. Files run to tens of megabytes and are
written by many hands: an entry that does not read (a missing flag, a wrong type) is skipped and counted, never the
whole file; extra fields (`years`, issuer additions) are ignored; tiers are compared upper-case, and the two
spellings of the preventive tier seen in published files are read as one.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import requests
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

MAX_BYTES = 256 * 1024 * 1024  # the largest drugs.json read; real ones are tens of MB
# Spellings seen in published files for the CMS tier ZERO-COST-SHARE-PREVENTIVE.
_TIER_ALIASES = {"ZERO-COST-SHARE-PREVENTATIVE": "ZERO-COST-SHARE-PREVENTIVE"}


class FormularyError(Exception):
    """The drug list could not be fetched or is not a QHP drugs.json; the message names the URL's host, not data."""


class DrugPlan(BaseModel):
    model_config = ConfigDict(extra="ignore")

    plan_id_type: str | None = None
    plan_id: str = Field(min_length=1)
    drug_tier: str = Field(min_length=1)
    prior_authorization: bool
    step_therapy: bool
    quantity_limit: bool
    years: list[int] = Field(default_factory=list)

    @field_validator("drug_tier", mode="after")
    @classmethod
    def _tier(cls, value: str) -> str:
        tier = value.strip().upper()
        return _TIER_ALIASES.get(tier, tier)


class Drug(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    rxnorm_id: str = Field(min_length=1)
    drug_name: str = Field(min_length=1)
    plans: list[DrugPlan]


@dataclass
class Formulary:
    drugs: list[Drug]
    skipped: int = 0  # entries that did not read
    _by_rxnorm: dict[str, list[Drug]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for drug in self.drugs:
            self._by_rxnorm.setdefault(drug.rxnorm_id, []).append(drug)

    @classmethod
    def from_json(cls, payload: bytes | str) -> Formulary:
        try:
            entries = json.loads(payload)
        except ValueError as exc:
            raise FormularyError(f"not JSON ({exc.__class__.__name__})") from None
        if not isinstance(entries, list):
            raise FormularyError("not a QHP drugs.json (expected a JSON array of drugs)")
        drugs: list[Drug] = []
        skipped = 0
        for entry in entries:
            try:
                drugs.append(Drug.model_validate(entry))
            except ValidationError:
                skipped += 1
        if entries and not drugs:
            raise FormularyError(f"none of the {len(entries)} entries reads as a QHP drug")
        return cls(drugs=drugs, skipped=skipped)

    def lookup(
        self, *, rxnorm_id: str | None = None, drug_name: str | None = None, plan_id: str | None = None, limit: int = 25
    ) -> list[Drug]:
        """Drugs by RxCUI, or whose name contains `drug_name` (any case); with `plan_id`, only that plan's entries
        (a drug the plan does not list is left out: not on this formulary)."""
        if rxnorm_id:
            found: Iterable[Drug] = self._by_rxnorm.get(rxnorm_id.strip(), [])
        elif drug_name:
            needle = drug_name.strip().casefold()
            found = (d for d in self.drugs if needle in d.drug_name.casefold())
        else:
            raise ValueError("give rxnorm_id or drug_name")
        matches: list[Drug] = []
        for drug in found:
            if plan_id:
                plans = [p for p in drug.plans if p.plan_id == plan_id]
                if not plans:
                    continue
                drug = drug.model_copy(update={"plans": plans})
            matches.append(drug)
            if len(matches) >= limit:
                break
        return matches


class FormularySource:
    """One payer's drug list, fetched when first asked and again after `ttl_seconds`; a failed refresh keeps
    answering from the copy it has (saying how old), since a formulary changes a few times a year."""

    def __init__(
        self,
        url: str,
        *,
        ttl_seconds: float,
        timeout_seconds: float,
        verify: str | bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self.ttl = ttl_seconds
        self.timeout = timeout_seconds
        self.verify = verify
        self._clock = clock
        self._lock = threading.Lock()
        self._copy: tuple[float, Formulary] | None = None

    def get(self) -> tuple[Formulary, float]:
        """The formulary and its age in seconds."""
        with self._lock:
            now = self._clock()
            if self._copy is not None and now - self._copy[0] < self.ttl:
                return self._copy[1], now - self._copy[0]
            try:
                formulary = Formulary.from_json(self._fetch())
            except FormularyError:
                if self._copy is None:
                    raise
                return self._copy[1], now - self._copy[0]
            self._copy = (now, formulary)
            return formulary, 0.0

    def _fetch(self) -> bytes:
        host = requests.utils.urlparse(self.url).netloc
        try:
            with requests.get(self.url, timeout=self.timeout, verify=self.verify, stream=True) as reply:
                if reply.status_code != 200:
                    raise FormularyError(f"the drug list at {host} answered HTTP {reply.status_code}")
                body = bytearray()
                for chunk in reply.iter_content(1 << 20):
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise FormularyError(f"the drug list at {host} is larger than {MAX_BYTES >> 20} MB")
                return bytes(body)
        except requests.RequestException as exc:
            raise FormularyError(f"the drug list at {host} is unreachable ({type(exc).__name__})") from None
