"""A stored claim as an 837P (005010X222A1) addressed to its payer: an original, or a replacement or void of it.

What the claim request could get wrong is refused when the claim is made (models.py); what the payer's 271 may
have left out — the patient's name, birth date, address — or sent too long for an 837 element is checked here and
makes the claim not exportable (422, naming what is missing). Anything else the 837 writer refuses is our bug and
surfaces as one (500).

The patient is the subscriber unless the payer's 271 answered for a dependent (kept with the claim as
`StoredClaim.dependent`): then the dependent is the 837's patient (2000C) and needs the demographics a subscriber
would, while the subscriber needs only a name.

A replacement (frequency 7) or void (8) is the same stored claim sent again, naming the payer's own number for it
(REF*F8). Why the payer's number defaults to the one its 835 gave (CLP07, kept with each posted payment): the billing
desk corrects or withdraws a claim after the payer has adjudicated it, and that number is on the remittance the
desk is looking at; the desk passes it only when the 835 did not come through us (a paper EOB, the payer's portal).
"""

from __future__ import annotations

import dataclasses
import re
import secrets
from datetime import UTC, datetime
from typing import TypeVar

from core.claims.codes import icd10_undotted
from core.clinic import Clinic
from core.errors import ApiError, invalid_value
from core.payers import PayerConfig, UnknownPayer, require_payer
from core.x12 import (
    RELATIONSHIPS,
    BillingProvider,
    Dependent,
    Party,
    Payer,
    ProfessionalClaim,
    ServiceLine,
    Subscriber,
    build_837p,
)
from core.x12._text import UnwritableText
from core.x12.x837p import FREQUENCIES, REFERENCE_ID

from .models import ClaimResponse, StoredClaim

P = TypeVar("P", bound=Subscriber)
_STATE = re.compile(r"^[A-Z]{2}$")
_ZIP = re.compile(r"^\d{5}(\d{4})?$")


class ClaimNotExportable(ApiError):
    """The stored claim lacks what an 837P needs (a diagnosis, subscriber demographics); says which."""

    code = "not_exportable"


_CONTROL_FIELD = "payer_claim_control_number"


def payer_claim_control_number(frequency: str, given: str | None, posted: list[str]) -> str | None:
    """REF*F8 for an export of `frequency` (1, 7, 8): the number the desk gave, else the one posted 835s gave
    (`posted`, from claim_store.payer_claim_numbers). 422 when an original is given one, or a replacement or void
    has none or several to choose from; the messages name the parameter, never the number."""
    if frequency not in FREQUENCIES:
        raise ValueError("frequency must be 1, 7 or 8")  # the view offers only these
    if frequency == "1":
        if given is not None:
            raise invalid_value(
                "payer_claim_control_number is only for a replacement or void",
                **{_CONTROL_FIELD: "only with frequency 7 (replacement) or 8 (void)"},
            )
        return None
    if given is not None:
        return given
    if not posted:
        raise ClaimNotExportable(
            "a replacement or void names the payer's claim control number, and no 835 posted for this claim gives "
            "one (CLP07): pass payer_claim_control_number",
            {_CONTROL_FIELD: "required: no posted 835 gives it"},
        )
    if len(posted) > 1:
        raise ClaimNotExportable(
            "the latest 835 for this claim gives several payer claim control numbers: pass the one to replace or void",
            {_CONTROL_FIELD: "required: the posted 835 gives several"},
        )
    if not REFERENCE_ID.match(posted[0]):
        raise ClaimNotExportable(
            "the payer claim control number of the posted 835 cannot be written in an 837 REF: pass it",
            {_CONTROL_FIELD: "required: the posted one cannot be written"},
        )
    return posted[0]


def export_837p(
    claim: ClaimResponse,
    stored: StoredClaim,
    *,
    clinic: Clinic,
    payers: dict[str, PayerConfig],
    frequency: str = "1",
    control_number: str | None = None,
) -> str:
    """The claim as an 837P; `frequency` 7 or 8 with the payer's `control_number` (see payer_claim_control_number).

    Raises:
        ClaimNotExportable: the payer is gone, or the 271 left out (or sent too long) what the 837 needs; says which.
    """
    try:
        payer = require_payer(payers, claim.payer_id)
    except UnknownPayer:
        raise ClaimNotExportable("the claim's payer is no longer configured") from None
    patient = None if stored.dependent is None else _patient(stored.dependent)
    subscriber = _subscriber(stored.subscriber, is_patient=patient is None)
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
        frequency_code=frequency,
        payer_claim_control_number=control_number,
    )
    contact = clinic.billing_contact
    try:
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
            patient=patient,
        )
    except UnwritableText as exc:  # a name or address from the 271 (or the clinic's config) that no element holds
        raise ClaimNotExportable(f"{exc}, which an 837P cannot carry", {exc.element: str(exc)}) from None


def _subscriber(sub: Subscriber | None, *, is_patient: bool) -> Subscriber:
    """The 2010BA subscriber from what the payer's 271 said, or ClaimNotExportable naming what it left out. When
    the patient is a dependent the subscriber needs only a name; an unusable address is then left out, not refused
    (the guide leaves it to the sender)."""
    if sub is None or not sub.first_name or not sub.last_name:
        raise ClaimNotExportable("the payer's 271 gave no subscriber name, which an 837P needs")
    if is_patient:
        return _demographics(sub, "subscriber")
    if not sub.address_line or not sub.city or not _STATE.match(sub.state) or not _ZIP.match(sub.zip.replace("-", "")):
        sub = dataclasses.replace(sub, address_line="", city="", state="", zip="")
    return sub if sub.gender in ("M", "F", "U") else dataclasses.replace(sub, gender="U")


def _patient(dependent: Dependent) -> Dependent:
    """The 2010CA patient from the 271's dependent loop: the demographics a subscriber-patient needs, else
    ClaimNotExportable naming what is missing. A relationship code the 837 does not take is sent as 21 (unknown)."""
    if not dependent.first_name or not dependent.last_name:
        raise ClaimNotExportable("the payer's 271 gave no name for the dependent (the patient), which an 837P needs")
    patient = _demographics(dependent, "dependent (patient)")
    return patient if patient.relationship in RELATIONSHIPS else dataclasses.replace(patient, relationship="21")


def _demographics(person: P, who: str) -> P:
    """The patient's birth date and address as an 837P needs them (2010BA or 2010CA), gender M, F or U."""
    if person.birth_date is None or not person.address_line:
        raise ClaimNotExportable(f"the payer's 271 gave no {who} birth date or address, which an 837P needs")
    if not person.city or not _STATE.match(person.state) or not _ZIP.match(person.zip.replace("-", "")):
        raise ClaimNotExportable(f"the payer's 271 gave no usable {who} city, state and ZIP, which an 837P needs")
    return person if person.gender in ("M", "F", "U") else dataclasses.replace(person, gender="U")
