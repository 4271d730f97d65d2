"""The 270 eligibility inquiry, implementation guide 005010X279A1: written to ask a payer, read by the payer
sandbox (the first subscriber of the first 270)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from core.x12._common import (
    PROCEDURE_QUALIFIERS,
    SegmentWriter,
    control_numbers,
    d8,
    interchange,
    missing,
    read_date,
    read_period,
)
from core.x12.reader import Segment, Transaction, X12ParseError, parse

VERSION = "005010X279A1"
# TRN03 of our traces: "9" + a user-assigned id, 10 characters as the guide requires.
TRACE_ORIGINATOR = "9INTELLUXE"


@dataclass(frozen=True)
class EligibilityRequest:
    """What a 270 asks: is this member covered on `service_date`, for these service types and procedures."""

    payer_id: str
    payer_name: str
    provider_npi: str
    provider_name: str
    member_id: str
    member_first_name: str | None
    member_last_name: str | None
    member_birth_date: date | None
    service_date: date
    trace_number: str
    sender_id: str
    receiver_id: str
    service_type_codes: tuple[str, ...] = ("30",)
    procedure_codes: tuple[str, ...] = ()


def build_270(req: EligibilityRequest, *, control_number: int, now: datetime, usage_indicator: str = "P") -> str:
    """Write a 270 inquiry for one subscriber (who is the patient) as a whole interchange.

    Raises:
        ValueError: a control number out of range, an interchange id of the wrong size, or a value holding a
            delimiter character.
    """
    _, _, st02 = control_numbers(control_number)
    w = SegmentWriter("270", VERSION, st02)
    w.add("BHT", "0022", "13", str(control_number), d8(now.date()), now.strftime("%H%M"))
    add_source_and_receiver(w, req)
    w.add("HL", "3", "2", "22", "0")
    w.add("TRN", "1", req.trace_number, TRACE_ORIGINATOR)
    w.add("NM1", "IL", "1", req.member_last_name or "", req.member_first_name or "", "", "", "", "MI", req.member_id)
    if req.member_birth_date is not None:
        w.add("DMG", "D8", d8(req.member_birth_date))
    w.add("DTP", "291", "D8", d8(req.service_date))
    for code in req.service_type_codes:
        w.add("EQ", code)
    for code in req.procedure_codes:
        w.add("EQ", "", ("HC", code))
    return interchange(
        w,
        sender_id=req.sender_id,
        receiver_id=req.receiver_id,
        control_number=control_number,
        now=now,
        usage_indicator=usage_indicator,
    )


def add_source_and_receiver(w: SegmentWriter, req: EligibilityRequest) -> None:
    """Loops 2000A/2100A (the payer) and 2000B/2100B (the provider asking), alike in a 270 and its 271."""
    w.add("HL", "1", "", "20", "1")
    w.add("NM1", "PR", "2", req.payer_name, "", "", "", "", "PI", req.payer_id)
    w.add("HL", "2", "1", "21", "1")
    w.add("NM1", "1P", "2", req.provider_name, "", "", "", "", "XX", req.provider_npi)


def read_270(text: str) -> EligibilityRequest:
    """Read the first subscriber inquiry of the first 270 in `text` (any delimiters).

    Raises:
        X12ParseError: not well-formed X12, no 270, or a required part missing.
    """
    for ich in parse(text):
        for _, transaction in ich.transactions("270"):
            return _request_from(transaction, sender_id=ich.sender_id, receiver_id=ich.receiver_id)
    raise X12ParseError("segment 1: the input holds no 270 transaction set", position=1)


def _first_subscriber_inquiry(transaction: Transaction) -> tuple[dict[str, Segment], list[str], list[str]]:
    """The first of each segment the reader uses, up to the first subscriber's loop (names keyed "NM1/<HL03>": the
    payer's (20), ours (21), the subscriber's NM1*IL (22)); the EQ service types and procedures."""
    first: dict[str, Segment] = {}
    service_types: list[str] = []
    procedures: list[str] = []
    level = ""
    for seg in transaction.segments:
        tag = seg.tag
        if tag == "HL":
            if level in ("22", "23") and "NM1/22" in first:
                break  # only the first subscriber
            level = seg.get(3)
        elif tag == "NM1":
            if level in ("20", "21") or (level == "22" and seg.get(1) == "IL"):
                first.setdefault(f"NM1/{level}", seg)
        elif tag == "EQ":
            service_types.extend(code for code in seg.repeats(1) if code)
            if seg.component(2, 1) in PROCEDURE_QUALIFIERS and seg.component(2, 2):
                procedures.append(seg.component(2, 2))
        elif tag in ("BHT", "TRN", "DMG") or (tag == "DTP" and seg.get(1) == "291"):
            first.setdefault(tag, seg)
    return first, service_types, procedures


def _request_from(transaction: Transaction, *, sender_id: str, receiver_id: str) -> EligibilityRequest:
    first, service_types, procedures = _first_subscriber_inquiry(transaction)
    payer, provider, member = first.get("NM1/20"), first.get("NM1/21"), first.get("NM1/22")
    if payer is None:
        raise missing(transaction, "NM1 in the information source loop (2100A)")
    if provider is None:
        raise missing(transaction, "NM1 in the information receiver loop (2100B)")
    if member is None:
        raise missing(transaction, "NM1*IL in the subscriber loop (2100C)")
    dtp, bht, dmg, trn = first.get("DTP"), first.get("BHT"), first.get("DMG"), first.get("TRN")
    if dtp is not None:
        service_date, _ = read_period(dtp, 2, 3)
    elif bht is not None:
        service_date = read_date(bht, 4)  # no DTP: the inquiry is about the day it was made
    else:
        raise missing(transaction, "DTP*291 or BHT04")
    return EligibilityRequest(
        payer_id=payer.get(9),
        payer_name=payer.get(3),
        provider_npi=provider.get(9),
        provider_name=provider.get(3),
        member_id=member.get(9),
        member_first_name=member.get(4) or None,
        member_last_name=member.get(3) or None,
        member_birth_date=read_date(dmg, 2) if dmg is not None and dmg.get(2) else None,
        service_date=service_date,
        service_type_codes=tuple(service_types),
        procedure_codes=tuple(procedures),
        trace_number=trn.get(2) if trn is not None else "",
        sender_id=sender_id,
        receiver_id=receiver_id,
    )
