"""A stored claim as an 837P (005010X222A1) addressed to its payer.

What the claim request could get wrong is refused when the claim is made (models.py); what the payer's 271 may
have left out — the subscriber's name, birth date, address — is checked here and makes the claim not exportable
(422, saying what is missing). Anything the 837 writer still refuses is our bug and surfaces as one (500).
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from datetime import UTC, datetime

from core.claims.codes import icd10_undotted
from core.clinic import Clinic
from core.errors import ApiError
from core.payers import PayerConfig, UnknownPayer, require_payer
from core.x12 import BillingProvider, Party, Payer, ProfessionalClaim, ServiceLine, Subscriber, build_837p

from .models import ClaimResponse, StoredClaim

_STATE = re.compile(r"^[A-Z]{2}$")
_ZIP = re.compile(r"^\d{5}(\d{4})?$")


class ClaimNotExportable(ApiError):
    """The stored claim lacks what an 837P needs (a diagnosis, subscriber demographics); says which."""

    code = "not_exportable"


def export_837p(claim: ClaimResponse, stored: StoredClaim, *, clinic: Clinic, payers: dict[str, PayerConfig]) -> str:
    try:
        payer = require_payer(payers, claim.payer_id)
    except UnknownPayer:
        raise ClaimNotExportable("the claim's payer is no longer configured") from None
    subscriber = _subscriber(stored.subscriber)
    diagnoses = list(dict.fromkeys(code for line in claim.lines for code in line.diagnosis_codes))
    if not diagnoses:
        raise ClaimNotExportable("no line carries a diagnosis code; an 837P needs at least one")
    lines = tuple(
        ServiceLine(
            procedure_code=line.code,
            modifiers=tuple(line.modifiers),
            charge=line.amount,
            units=line.units,
            diagnosis_pointers=tuple(diagnoses.index(c) + 1 for c in line.diagnosis_codes) or (1,),
            service_date=line.service_date,
        )
        for line in claim.lines
    )
    places = {line.place_of_service for line in claim.lines}
    professional = ProfessionalClaim(
        claim_id=claim.claim_id,
        place_of_service=places.pop() if len(places) == 1 else "11",
        diagnosis_codes=tuple(icd10_undotted(c) for c in diagnoses),
        lines=lines,
    )
    contact = clinic.billing_contact
    return build_837p(
        professional,
        submitter=Party(clinic.name, payer.submitter_id, contact_name=contact.name, contact_phone=contact.phone),
        receiver=Party(payer.name, payer.receiver_id),
        billing_provider=BillingProvider(
            organization_name=clinic.name,
            npi=stored.billing_npi or clinic.npi,
            tax_id=clinic.tax_id,
            address_line=clinic.address.line,
            city=clinic.address.city,
            state=clinic.address.state,
            zip=clinic.address.zip,
        ),
        subscriber=subscriber,
        member_id=claim.member_id,
        payer=Payer(payer.name, payer.x12_payer_id),
        control_number=secrets.randbelow(999_999_999) + 1,
        now=datetime.now(UTC),
    )


def _subscriber(sub: Subscriber | None) -> Subscriber:
    """The 2010BA subscriber from what the payer's 271 said, or ClaimNotExportable naming what it left out."""
    if sub is None or not sub.first_name or not sub.last_name:
        raise ClaimNotExportable("the payer's 271 gave no subscriber name, which an 837P needs")
    if sub.birth_date is None or not sub.address_line:
        raise ClaimNotExportable("the payer's 271 gave no subscriber birth date or address, which an 837P needs")
    if not sub.city or not _STATE.match(sub.state) or not _ZIP.match(sub.zip.replace("-", "")):
        raise ClaimNotExportable("the payer's 271 gave no usable subscriber city, state and ZIP, which an 837P needs")
    return sub if sub.gender in ("M", "F", "U") else dataclasses.replace(sub, gender="U")
