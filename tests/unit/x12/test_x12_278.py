"""The 278 prior-authorization request and response (005010X217): written, read back, and read in the layouts
payers and published examples use — HCR before or after UM, per-service decisions only, a 4010-era referral, AAA
rejects at the subscriber loop. Every document here is written for this test."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from core.x12 import X12ParseError
from core.x12.x278 import (
    ReviewRequest,
    ServiceAnswer,
    ServiceRequest,
    build_278,
    build_278_response,
    read_278_request,
    read_278_response,
)

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
REQUEST = ReviewRequest(
    payer_id="62308",
    payer_name="CIGNA",
    provider_npi="1234567893",
    provider_name="MAIN STREET CLINIC",
    member_id="CIG300000001",
    member_first_name="SAM",
    member_last_name="TESTER",
    member_birth_date=date(1969, 3, 3),
    diagnosis_codes=("M5450", "G8929"),
    services=(ServiceRequest("72148"), ServiceRequest("97110", quantity=6, modifiers=("GP",))),
    service_date=date(2026, 12, 10),
    trace_number="TRACE0001",
    sender_id="INTELLUXE",
    receiver_id="62308",
)


def _wrap(*segments: str) -> str:
    body = ["ST*278*0001*005010X217", *segments]
    body.append(f"SE*{len(body) + 1}*0001")
    isa = "ISA*00*          *00*          *ZZ*62308          *ZZ*INTELLUXE      *261201*0800*^*00501*000000001*0*P*:"
    return (
        "~".join([isa, "GS*HI*62308*INTELLUXE*20261201*0800*1*X*005010X217", *body, "GE*1*1", "IEA*1*000000001"]) + "~"
    )


PARTIES = (
    "HL*1**20*1",
    "NM1*X3*2*CIGNA*****PI*62308",
    "HL*2*1*21*1",
    "NM1*1P*2*CLINIC*****XX*1234567893",
    "HL*3*2*22*1",
    "NM1*IL*1*TESTER*SAM****MI*CIG300000001",
)


def test_the_request_is_read_back_as_written() -> None:
    text = build_278(REQUEST, control_number=42, now=NOW)
    assert "ST*278*0042*005010X217~" in text and "GS*HI*INTELLUXE*62308*" in text
    assert "BHT*0007*13*TRACE0001*20261201*0800~" in text
    assert "UM*HS*I*1*11:B~" in text and "HI*ABK:M5450*ABF:G8929~" in text
    assert "SV1*HC:97110:GP**UN*6~" in text
    assert read_278_request(text) == REQUEST


def test_a_request_needs_a_service_and_a_diagnosis() -> None:
    from dataclasses import replace

    with pytest.raises(ValueError, match="at least one service"):
        build_278(replace(REQUEST, services=()), control_number=1, now=NOW)
    with pytest.raises(ValueError, match="at least one diagnosis"):
        build_278(replace(REQUEST, diagnosis_codes=()), control_number=1, now=NOW)


def test_the_sandbox_response_is_read_per_service() -> None:
    text = build_278_response(
        REQUEST,
        services=(ServiceAnswer("72148", "A4"), ServiceAnswer("97110", "A1", "CERT77")),
        event=ServiceAnswer("", "A4"),
        control_number=43,
        now=NOW,
    )
    answer = read_278_response(text)
    assert answer.decision == "pended" and answer.trace_number == "TRACE0001"
    assert [(s.procedure_code, s.decision, s.certification_number) for s in answer.services] == [
        ("72148", "pended", None),
        ("97110", "certified", "CERT77"),
    ]


def test_hcr_before_um_and_a_certification_range() -> None:
    answer = read_278_response(
        _wrap(
            "BHT*0007*11*TRACE0001*20261201*0800",
            *PARTIES,
            "HL*4*3*EV*0",
            "TRN*2*TRACE0001*9INTELLUXE",
            "HCR*A1*AUTH-9*",
            "UM*HS*I*1",
            "DTP*AAH*RD8*20261210-20270309",
        )
    )
    assert (answer.decision, answer.certification_number) == ("certified", "AUTH-9")
    assert (answer.effective, answer.expires) == (date(2026, 12, 10), date(2027, 3, 9))


def test_decisions_given_per_service_only_decide_the_request() -> None:
    answer = read_278_response(
        _wrap(
            "BHT*0007*11*X*20261201*0800",
            *PARTIES,
            "HL*4*3*EV*1",
            "TRN*2*X*9INTELLUXE",
            "UM*HS*I",
            "HL*5*4*SS*0",
            "SV1*HC:64483",
            "HCR*A3**0B",
        )
    )
    assert answer.decision == "not_certified" and answer.reason_code == "0B"
    assert answer.services[0].procedure_code == "64483"


def test_a_referral_in_the_older_layout_is_read() -> None:
    # 4010 (X094) put the service under a provider level (HL 19) and had no patient event loop.
    answer = read_278_response(
        _wrap(
            "BHT*0007*11*R1*20030101*1200",
            *PARTIES,
            "HL*4*3*19*1",
            "NM1*SJ*1*PROVIDER*SERVICE",
            "HL*5*4*SS*0",
            "TRN*2*TRACE*ORIG",
            "UM*SC*I*1*11:B",
            "HCR*A1*REFERRAL-1",
            "DTP*102*D8*20030101",
            "DTP*036*D8*20030630",
            "DTP*007*D8*20030101",
        )
    )
    assert (answer.decision, answer.certification_number) == ("certified", "REFERRAL-1")


def test_a_rejected_request_names_the_loop_and_reason() -> None:
    answer = read_278_response(
        _wrap("BHT*0007*11*X*20261201*0800", *PARTIES[:5], "NM1*IL*1*TESTER*SAM****MI*NOPE1", "AAA*N**75*C")
    )
    assert answer.decision == "rejected"
    assert [(r.loop, r.reason_code, r.reason, r.follow_up) for r in answer.rejects] == [
        ("2000C", "75", "subscriber not found", "C")
    ]


@pytest.mark.parametrize(
    ("segments", "message"),
    [
        (("BHT*0007*13*X*20261201*0800", *PARTIES), "is a request"),
        (("BHT*0007*11*X*20261201*0800", *PARTIES, "HL*4*3*EV*0", "UM*HS*I"), "HCR decision or an AAA"),
    ],
)
def test_what_is_no_answer_is_refused_by_name(segments: tuple[str, ...], message: str) -> None:
    with pytest.raises(X12ParseError, match=message):
        read_278_response(_wrap(*segments))
