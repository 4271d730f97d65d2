"""The 278 health care services review (prior authorization), implementation guide 005010X217: the request we write
to a payer, the payer's response we read — and, for the payer sandbox, the reverse.

Shape (both directions): 2000A the reviewer (UMO, NM1*X3), 2000B the requester (NM1*1P), 2000C the subscriber
(NM1*IL, DMG), 2000E the patient event (TRN, UM, HCR in a response, DTP, HI diagnoses), then one 2000F per service
(HL…SS: TRN, UM, HCR, SV1). A request says BHT02 13; a response 11. The decision is HCR01 at the event level and,
when the payer decides per service, at each 2000F: A1 certified in total, A2 certified in part, A3 not certified,
A4 pended, A6 modified, C cancelled, CT contact the payer, NA no action required. HCR02 is the certification
(review) number, HCR03 the reason code; the certification's period is DTP*007 (effective) / 036 (expires), or a range.
A request the payer could not take comes back with AAA segments (valid flag, reason, follow-up) at the level at fault.

Free samples of 005010X217 are scarce and often wrong (HCR before UM, a response with BHT02 15); the reader
therefore takes segments by their loop (HL level), not by their order inside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from core.x12._common import SegmentWriter, control_numbers, d8, interchange, missing, read_period
from core.x12.reader import Segment, Transaction, X12ParseError, parse, read_each

VERSION = "005010X217"
TRACE_ORIGINATOR = "9INTELLUXE"

ACTIONS = {
    "A1": "certified",
    "A2": "partially_certified",
    "A3": "not_certified",
    "A4": "pended",
    "A6": "modified",
    "C": "cancelled",
    "CT": "contact_payer",
    "NA": "no_action_required",
}
# AAA03 reasons a 278 response gives (005010X217, 2000A-2010C); others are passed on as their code.
REJECT_REASONS = {
    "04": "authorized quantity exceeded",
    "15": "required application data missing",
    "33": "input errors",
    "41": "authorization or access restrictions",
    "42": "payer unable to respond now",
    "43": "invalid or missing provider identification",
    "44": "invalid or missing provider name",
    "51": "provider not on file",
    "57": "invalid or missing date of service",
    "58": "invalid or missing date of birth",
    "64": "invalid or missing patient id",
    "65": "invalid or missing patient name",
    "72": "invalid or missing member id",
    "73": "invalid or missing subscriber name",
    "75": "subscriber not found",
    "79": "invalid participant identification",
    "AF": "invalid or missing diagnosis code",
    "AG": "invalid or missing procedure code",
    "T5": "certification information missing",
}


@dataclass(frozen=True)
class ServiceRequest:
    """One service asked about (2000F): a CPT/HCPCS code, its modifiers and how many units."""

    procedure_code: str
    quantity: int = 1
    modifiers: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewRequest:
    payer_id: str
    payer_name: str
    provider_npi: str
    provider_name: str
    member_id: str
    member_first_name: str | None
    member_last_name: str | None
    member_birth_date: date | None
    diagnosis_codes: tuple[str, ...]  # ICD-10-CM without the dot; the first is the principal
    services: tuple[ServiceRequest, ...]
    service_date: date
    trace_number: str
    sender_id: str
    receiver_id: str
    service_end: date | None = None
    request_category: str = "HS"  # UM01: HS health services review, SC specialty care, AR admission
    service_type_code: str = "1"  # UM03: 1 medical care
    place_of_service: str = "11"  # UM04-1 with qualifier B: 11 office


@dataclass(frozen=True)
class Reject:
    """An AAA: the loop it was in (2000A payer, 2010B requester, 2010C subscriber, 2000E event, 2000F service), the
    reason code and its meaning, and the follow-up (C correct and resubmit, N do not resubmit, R resubmission
    allowed, Y do not resubmit, the payer will answer)."""

    loop: str
    reason_code: str
    reason: str
    follow_up: str


@dataclass(frozen=True)
class ServiceDecision:
    procedure_code: str
    action_code: str
    decision: str
    certification_number: str | None
    reason_code: str | None


@dataclass(frozen=True)
class ReviewResponse:
    """The payer's answer. `decision` is the event's (or, when the payer answered per service only, the first
    service's); an answer with rejects and no HCR has decision "rejected"."""

    trace_number: str | None
    action_code: str | None
    decision: str
    certification_number: str | None
    reason_code: str | None
    effective: date | None
    expires: date | None
    rejects: tuple[Reject, ...]
    services: tuple[ServiceDecision, ...]


# ----------------------------------------------------------------------------------------------------- request


def build_278(req: ReviewRequest, *, control_number: int, now: datetime, usage_indicator: str = "P") -> str:
    """The request as a whole interchange. ValueError: no service, no diagnosis, or a value holding a delimiter."""
    if not req.services:
        raise ValueError("a 278 request needs at least one service")
    if not req.diagnosis_codes:
        raise ValueError("a 278 request needs at least one diagnosis code")
    _, _, st02 = control_numbers(control_number)
    w = SegmentWriter("278", VERSION, st02)
    w.add("BHT", "0007", "13", req.trace_number, d8(now.date()), now.strftime("%H%M"))
    _parties(w, req.payer_name, req.payer_id, req.provider_name, req.provider_npi)
    w.add("HL", "3", "2", "22", "1")
    w.add("NM1", "IL", "1", req.member_last_name or "", req.member_first_name or "", "", "", "", "MI", req.member_id)
    if req.member_birth_date is not None:
        w.add("DMG", "D8", d8(req.member_birth_date))
    w.add("HL", "4", "3", "EV", "1")
    w.add("TRN", "1", req.trace_number, TRACE_ORIGINATOR)
    w.add("UM", req.request_category, "I", req.service_type_code, (req.place_of_service, "B"))
    w.add("DTP", "AAH", *_date_or_range(req.service_date, req.service_end))
    w.add("HI", *[("ABK" if i == 0 else "ABF", code.replace(".", "")) for i, code in enumerate(req.diagnosis_codes)])
    for n, service in enumerate(req.services, start=5):
        w.add("HL", str(n), "4", "SS", "0")
        w.add("TRN", "1", f"{req.trace_number}-{n - 4}", TRACE_ORIGINATOR)
        w.add("UM", req.request_category, "I")
        w.add("SV1", ("HC", service.procedure_code, *service.modifiers), "", "UN", str(service.quantity))
    return interchange(
        w,
        sender_id=req.sender_id,
        receiver_id=req.receiver_id,
        control_number=control_number,
        now=now,
        usage_indicator=usage_indicator,
    )


def _parties(w: SegmentWriter, payer_name: str, payer_id: str, provider_name: str, provider_npi: str) -> None:
    w.add("HL", "1", "", "20", "1")
    w.add("NM1", "X3", "2", payer_name, "", "", "", "", "PI", payer_id)
    w.add("HL", "2", "1", "21", "1")
    w.add("NM1", "1P", "2", provider_name, "", "", "", "", "XX", provider_npi)


def _date_or_range(start: date, end: date | None) -> tuple[str, str]:
    return ("RD8", f"{d8(start)}-{d8(end)}") if end and end != start else ("D8", d8(start))


def read_278_request(text: str) -> ReviewRequest:
    """The first 278 request in `text` (the payer sandbox's side). X12ParseError when a required part is missing."""
    for ich in parse(text):
        for _, transaction in ich.transactions("278"):
            return _request_from(transaction, sender_id=ich.sender_id, receiver_id=ich.receiver_id)
    raise X12ParseError("segment 1: the input holds no 278 transaction set", position=1)


def _request_from(transaction: Transaction, *, sender_id: str, receiver_id: str) -> ReviewRequest:
    loops = _by_loop(transaction)
    payer = _first(loops, "20", "NM1")
    provider = _first(loops, "21", "NM1")
    member = _first(loops, "22", "NM1")
    if payer is None or provider is None or member is None:
        raise missing(transaction, "the NM1 of the reviewer (2010A), requester (2010B) and subscriber (2010C)")
    trn, um, dtp = _first(loops, "EV", "TRN"), _first(loops, "EV", "UM"), _first(loops, "EV", "DTP")
    if trn is None or dtp is None:
        raise missing(transaction, "TRN and DTP in the patient event loop (2000E)")
    start, end = read_period(dtp, 2, 3)
    dmg = _first(loops, "22", "DMG")
    hi = _first(loops, "EV", "HI")
    services = tuple(
        ServiceRequest(
            procedure_code=sv1.component(1, 2),
            quantity=int(float(sv1.get(4) or "1")),
            modifiers=tuple(m for m in sv1.components(1)[2:] if m),
        )
        for level, segments in loops
        if level == "SS"
        for sv1 in segments
        if sv1.tag == "SV1" and sv1.component(1, 1) == "HC"
    )
    return ReviewRequest(
        payer_id=payer.get(9),
        payer_name=payer.get(3),
        provider_npi=provider.get(9),
        provider_name=provider.get(3),
        member_id=member.get(9),
        member_first_name=member.get(4) or None,
        member_last_name=member.get(3) or None,
        member_birth_date=read_period(dmg, 1, 2)[0] if dmg is not None else None,
        diagnosis_codes=tuple(hi.component(n, 2) for n in range(1, 13) if hi.component(n, 2)) if hi else (),
        services=services,
        service_date=start,
        service_end=end,
        trace_number=trn.get(2),
        sender_id=sender_id,
        receiver_id=receiver_id,
        request_category=um.get(1) if um is not None else "HS",
        service_type_code=um.get(3) if um is not None else "",
        place_of_service=um.component(4, 1) if um is not None else "",
    )


# ---------------------------------------------------------------------------------------------------- response


def read_278_response(text: str) -> ReviewResponse:
    """The payer's answer: the first 278 response in `text`. X12ParseError when there is none or it holds no
    decision and no reject."""
    reads = read_each(text, "278", _response_from)
    for read in reads:
        if read.value is not None:
            return read.value
    raise reads[0].error  # type: ignore[misc] - read_each gives an error for every value it could not read


def _response_from(transaction: Transaction) -> ReviewResponse:
    loops = _by_loop(transaction)
    bht = next((s for s in transaction.segments if s.tag == "BHT"), None)
    if bht is not None and bht.get(2) == "13":
        raise X12ParseError(f"{bht.label}: this 278 is a request (BHT02 13), not a response", position=bht.position)
    rejects = tuple(
        Reject(_LOOPS.get(level, level), seg.get(3), REJECT_REASONS.get(seg.get(3), "see the payer"), seg.get(4))
        for level, segments in loops
        for seg in segments
        if seg.tag == "AAA" and seg.get(1) == "N"
    )
    services = tuple(_service_decision(segments) for level, segments in loops if level == "SS")
    event_hcr = _first(loops, "EV", "HCR")
    service_hcrs = [seg for level, segments in loops if level == "SS" for seg in segments if seg.tag == "HCR"]
    deciding = event_hcr or (service_hcrs[0] if service_hcrs else None)
    if deciding is None and not rejects:
        raise missing(transaction, "an HCR decision or an AAA reject")
    trn = next((s for s in _segments(loops, "EV") if s.tag == "TRN" and s.get(1) == "2"), None)
    effective, expires = _certification_period(_segments(loops, "EV"))
    action = deciding.get(1) if deciding is not None else None
    return ReviewResponse(
        trace_number=trn.get(2) if trn is not None else None,
        action_code=action,
        decision=ACTIONS.get(action or "", "unknown") if action else "rejected",
        certification_number=(deciding.get(2) or None) if deciding is not None else None,
        reason_code=(deciding.get(3) or None) if deciding is not None else None,
        effective=effective,
        expires=expires,
        rejects=rejects,
        services=services,
    )


_LOOPS = {"20": "2000A", "21": "2000B", "22": "2000C", "23": "2000D", "EV": "2000E", "SS": "2000F"}


def _service_decision(segments: list[Segment]) -> ServiceDecision:
    sv = next((s for s in segments if s.tag in ("SV1", "SV2", "SV3")), None)
    code = ""
    if sv is not None:
        element = 2 if sv.tag == "SV2" else 1  # SV2 puts the revenue code first
        code = sv.component(element, 2)
    hcr = next((s for s in segments if s.tag == "HCR"), None)
    action = hcr.get(1) if hcr is not None else ""
    return ServiceDecision(
        procedure_code=code,
        action_code=action,
        decision=ACTIONS.get(action, "unknown") if action else "no_decision",
        certification_number=(hcr.get(2) or None) if hcr is not None else None,
        reason_code=(hcr.get(3) or None) if hcr is not None else None,
    )


def _certification_period(segments: list[Segment]) -> tuple[date | None, date | None]:
    dates = {s.get(1): s for s in segments if s.tag == "DTP"}
    effective = expires = None
    if "007" in dates:
        effective, end = read_period(dates["007"], 2, 3)
        expires = end
    elif "AAH" in dates:
        effective, expires = read_period(dates["AAH"], 2, 3)
    if "036" in dates:
        expires = read_period(dates["036"], 2, 3)[0]
    return effective, expires


# ------------------------------------------------------------------------------------------------ loop helpers

Loops = list[tuple[str, list[Segment]]]


def _by_loop(transaction: Transaction) -> Loops:
    """The segments of each HL, in order, tagged with the HL's level code (HL03: 20, 21, 22, 23, EV, SS)."""
    loops: Loops = [("", [])]
    for seg in transaction.segments:
        if seg.tag == "HL":
            loops.append((seg.get(3), []))
        else:
            loops[-1][1].append(seg)
    return loops


def _segments(loops: Loops, level: str) -> list[Segment]:
    return next((segments for lvl, segments in loops if lvl == level), [])


def _first(loops: Loops, level: str, tag: str) -> Segment | None:
    return next((s for s in _segments(loops, level) if s.tag == tag), None)


# ------------------------------------------------------------------------------- the payer sandbox's response


@dataclass(frozen=True)
class ServiceAnswer:
    procedure_code: str
    action_code: str
    certification_number: str | None = None
    reason_code: str | None = None


def build_278_response(
    req: ReviewRequest,
    *,
    services: tuple[ServiceAnswer, ...],
    event: ServiceAnswer | None,
    rejects: tuple[tuple[str, str, str], ...] = (),
    effective: date | None = None,
    expires: date | None = None,
    control_number: int,
    now: datetime,
) -> str:
    """A response to `req` (sender and receiver swapped): `rejects` as (level HL03, reason, follow-up) AAA
    segments at that level; else the event's HCR with the certification period and one 2000F per answered service."""
    _, _, st02 = control_numbers(control_number)
    w = SegmentWriter("278", VERSION, st02)
    w.add("BHT", "0007", "11", req.trace_number, d8(now.date()), now.strftime("%H%M"))
    aaa = {level: (reason, follow) for level, reason, follow in rejects}
    w.add("HL", "1", "", "20", "1")
    w.add("NM1", "X3", "2", req.payer_name, "", "", "", "", "PI", req.payer_id)
    if "20" in aaa:
        w.add("AAA", "N", "", *aaa["20"])
    w.add("HL", "2", "1", "21", "1")
    w.add("NM1", "1P", "2", req.provider_name, "", "", "", "", "XX", req.provider_npi)
    w.add("HL", "3", "2", "22", "1" if not rejects else "0")
    w.add("NM1", "IL", "1", req.member_last_name or "", req.member_first_name or "", "", "", "", "MI", req.member_id)
    if "22" in aaa:
        w.add("AAA", "N", "", *aaa["22"])
    if not rejects:
        w.add("HL", "4", "3", "EV", "1" if services else "0")
        w.add("TRN", "2", req.trace_number, TRACE_ORIGINATOR)
        w.add("UM", req.request_category, "I", req.service_type_code, (req.place_of_service, "B"))
        if event is not None:
            w.add("HCR", event.action_code, event.certification_number or "", event.reason_code or "")
        if effective is not None:
            w.add("DTP", "007", "D8", d8(effective))
        if expires is not None:
            w.add("DTP", "036", "D8", d8(expires))
        for n, answer in enumerate(services, start=5):
            w.add("HL", str(n), "4", "SS", "0")
            w.add("TRN", "2", f"{req.trace_number}-{n - 4}", TRACE_ORIGINATOR)
            w.add("UM", req.request_category, "I")
            w.add("HCR", answer.action_code, answer.certification_number or "", answer.reason_code or "")
            w.add("SV1", ("HC", answer.procedure_code), "", "UN", "1")
    return interchange(w, sender_id=req.receiver_id, receiver_id=req.sender_id, control_number=control_number, now=now)
