"""270/271 (005010X279A1): our writer against x12sdk as a peer, and the 271 reading rules on hand-written files."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from x12sdk.io import X12ModelReader

from core.x12 import (
    Coverage,
    CoverageAnswer,
    EligibilityRequest,
    OutOfNetwork,
    Subscriber,
    X12ParseError,
    build_270,
    build_271,
    parse,
    read_270,
    read_271,
    read_eligibility,
)

FIXTURES = Path(__file__).parent / "fixtures"
NOW = datetime(2026, 1, 15, 9, 30)

REQUEST = EligibilityRequest(
    payer_id="87726",
    payer_name="ACME HEALTH",
    provider_npi="1234567893",
    provider_name="SMALL CLINIC",
    member_id="XYZ123456789",
    member_first_name="JANE",
    member_last_name="DOE",
    member_birth_date=date(1980, 1, 1),
    service_date=date(2026, 1, 15),
    service_type_codes=("30", "98"),
    procedure_codes=("70553", "72148"),
    trace_number="TRACE0001",
    sender_id="CLINIC01",
    receiver_id="ACMEHEALTH",
)

JANE = Subscriber("JANE", "DOE", date(1980, 1, 1), "F", "2 ELM ST", "SPRINGFIELD", "IL", "62702")


def _everyone(text: str) -> list[Coverage]:
    """Every person of every 271 in `text`; a transaction's own error raised."""
    out: list[Coverage] = []
    for read in read_eligibility(text):
        if read.error is not None:
            raise read.error
        out.extend(read.value or [])
    return out


def lines(text: str) -> list[str]:
    return [line.rstrip("~") for line in text.splitlines()]


def recount(segments: list[str]) -> str:
    """Join `segments` (one per line, with terminators) after fixing SE01 to the number of segments ST..SE."""
    st = next(i for i, s in enumerate(segments) if s.startswith("ST*"))
    se = next(i for i, s in enumerate(segments) if s.startswith("SE*"))
    control = segments[se].rstrip("~").split("*")[2]
    return "\n".join([*segments[:se], f"SE*{se - st + 1}*{control}~", *segments[se + 1 :]])


def wrap_271(body: str) -> str:
    """A 271 interchange around `body` (segments between ST and SE, one per line), counts computed here."""
    segments = [s for s in body.strip().splitlines() if s]
    return "".join(
        f"{s}~\n"
        for s in (
            "ISA*00*          *00*          *ZZ*ACMEHEALTH     *ZZ*CLINIC01       *260115*0931*^*00501*000000009*0*T*:",
            "GS*HB*ACMEHEALTH*CLINIC01*20260115*0931*9*X*005010X279A1",
            "ST*271*0009*005010X279A1",
            *segments,
            f"SE*{len(segments) + 2}*0009",
            "GE*1*9",
            "IEA*1*000000009",
        )
    )


HEADER = """
BHT*0022*11*17*20260115*0931
HL*1**20*1
NM1*PR*2*ACME HEALTH*****PI*87726
HL*2*1*21*1
NM1*1P*2*SMALL CLINIC*****XX*1234567893
"""

# ---------------------------------------------------------------------------------------------------------------------
# 270


def test_270_segments_and_control_numbers() -> None:
    text = build_270(REQUEST, control_number=17, now=NOW)
    segs = lines(text)
    assert len(segs[0]) == 105 and text.index("~") == 105  # fixed-width ISA, then the terminator
    assert segs[0].split("*")[11] == "^" and segs[0].split("*")[13] == "000000017" and segs[0].endswith("*:")
    assert segs[1] == "GS*HS*CLINIC01*ACMEHEALTH*20260115*0930*17*X*005010X279A1"
    assert segs[2] == "ST*270*0017*005010X279A1"
    assert segs[3:] == [
        "BHT*0022*13*17*20260115*0930",
        "HL*1**20*1",
        "NM1*PR*2*ACME HEALTH*****PI*87726",
        "HL*2*1*21*1",
        "NM1*1P*2*SMALL CLINIC*****XX*1234567893",
        "HL*3*2*22*0",
        "TRN*1*TRACE0001*9INTELLUXE",
        "NM1*IL*1*DOE*JANE****MI*XYZ123456789",
        "DMG*D8*19800101",
        "DTP*291*D8*20260115",
        "EQ*30",
        "EQ*98",
        "EQ**HC:70553",
        "EQ**HC:72148",
        "SE*16*0017",
        "GE*1*17",
        "IEA*1*000000017",
    ]
    assert text.endswith("~\n")
    other = build_270(REQUEST, control_number=18, now=NOW)
    assert lines(other)[0].split("*")[13] == "000000018" and "ST*270*0018*005010X279A1" in other


@pytest.mark.parametrize(
    "request_",
    [
        REQUEST,
        replace(REQUEST, procedure_codes=(), service_type_codes=("30",)),
        replace(REQUEST, member_first_name=None, member_last_name=None, member_birth_date=None),
        replace(REQUEST, service_type_codes=(), procedure_codes=("99213",)),
    ],
)
def test_270_round_trip(request_: EligibilityRequest) -> None:
    assert read_270(build_270(request_, control_number=5, now=NOW)) == request_


def test_270_without_birth_date_has_no_dmg() -> None:
    text = build_270(replace(REQUEST, member_birth_date=None), control_number=5, now=NOW)
    assert "DMG" not in text


def test_read_270_tolerates_other_delimiters() -> None:
    text = build_270(REQUEST, control_number=5, now=NOW)
    swapped = text.replace("*", "|").replace(":", ">").replace("~\n", "\r\n")
    swapped = swapped[:105] + "\n" + swapped[106:].replace("\r\n", "\n")  # ISA's terminator becomes a newline
    assert parse(swapped)[0].delimiters.segment == "\n"
    assert read_270(swapped) == REQUEST


def test_270_is_read_by_x12sdk() -> None:
    """x12sdk, an independent implementation, reads back the ids we wrote."""
    text = build_270(replace(REQUEST, procedure_codes=()), control_number=17, now=NOW)
    with X12ModelReader(text) as reader:
        [model] = list(reader.models())
    source = model.loop_2000a[0]
    receiver = source.loop_2000b[0]
    subscriber = receiver.loop_2000c[0]
    assert source.loop_2100a.nm1_segment.identification_code == "87726"
    assert receiver.loop_2100b.nm1_segment.identification_code == "1234567893"
    assert receiver.loop_2100b.nm1_segment.identification_code_qualifier == "XX"
    assert subscriber.loop_2100c.nm1_segment.identification_code == "XYZ123456789"
    assert subscriber.trn_segment[0].reference_identification_1 == "TRACE0001"
    assert [loop.eq_segment.service_type_code for loop in subscriber.loop_2100c.loop_2110c] == [["30"], ["98"]]
    assert model.footer.se_segment.transaction_segment_count == 14


@pytest.mark.xfail(strict=True, reason="x12sdk 2.2 reads the empty EQ01 of EQ**HC:<code> as [''] and rejects it")
def test_270_with_procedure_codes_is_read_by_x12sdk() -> None:
    """X279A1 sends EQ01 only when EQ02 is absent; x12sdk wants EQ01 always. Strict: tells us when it is fixed."""
    with X12ModelReader(build_270(REQUEST, control_number=17, now=NOW)) as reader:
        list(reader.models())


def test_270_refuses_values_holding_delimiters_without_quoting_them() -> None:
    with pytest.raises(ValueError, match=r"^NM104 contains a delimiter") as info:
        build_270(replace(REQUEST, member_first_name="JANE*X"), control_number=1, now=NOW)
    assert "JANE" not in str(info.value)
    with pytest.raises(ValueError, match="control_number"):
        build_270(REQUEST, control_number=0, now=NOW)
    with pytest.raises(ValueError, match="sender_id"):
        build_270(replace(REQUEST, sender_id="A" * 16), control_number=1, now=NOW)


def test_read_270_of_a_271_fails() -> None:
    with pytest.raises(X12ParseError, match="no 270") as info:
        read_270((FIXTURES / "271_active.x12").read_text())
    assert info.value.position == 1


# ---------------------------------------------------------------------------------------------------------------------
# 271 reading


def test_271_active_full() -> None:
    coverage = read_271((FIXTURES / "271_active.x12").read_text())
    assert coverage == Coverage(
        eligibility_status="active",
        member_id="XYZ123456789",
        payer_id="87726",
        plan_name="GOLD PPO 1500",
        effective_date=date(2026, 1, 1),
        termination_date=date(2026, 12, 31),
        deductible=Decimal("1500.00"),
        deductible_remaining=Decimal("1200.00"),
        family_deductible_remaining=Decimal("2500.00"),
        coinsurance_rate=Decimal("0.20"),
        copay_amount=Decimal("25.00"),
        out_of_pocket_max=Decimal("6000.00"),
        out_of_pocket_remaining=Decimal("5500.50"),
        authorization_required_codes=("70553", "72148"),
        subscriber=JANE,
        trace_number="TRACE0001",
        out_of_network=OutOfNetwork(
            deductible=Decimal("3000"),
            deductible_remaining=Decimal("2950"),
            out_of_pocket_max=Decimal("12000"),
            copay_amount=Decimal("50"),
            coinsurance_rate=Decimal("0.40"),
        ),
    )


def test_271_to_json_exact() -> None:
    assert read_271((FIXTURES / "271_active.x12").read_text()).to_json() == {
        "eligibility_status": "active",
        "member_id": "XYZ123456789",
        "payer_id": "87726",
        "plan_name": "GOLD PPO 1500",
        "effective_date": "2026-01-01",
        "termination_date": "2026-12-31",
        "deductible": "1500.00",
        "deductible_remaining": "1200.00",
        "family_deductible_remaining": "2500.00",
        "coinsurance_rate": "0.20",
        "copay_amount": "25.00",
        "out_of_pocket_max": "6000.00",
        "out_of_pocket_remaining": "5500.50",
        "authorization_required_codes": ["70553", "72148"],
        "out_of_network": {
            "deductible": "3000.00",
            "deductible_remaining": "2950.00",
            "out_of_pocket_max": "12000.00",
            "copay_amount": "50.00",
            "coinsurance_rate": "0.40",
        },
    }


def test_in_network_values_win_wherever_they_stand() -> None:
    """The fixture puts out-of-network EBs first; moving them last must change nothing, dropping the in-network
    ones must expose the out-of-network values (so the test can tell the two apart)."""
    text = (FIXTURES / "271_active.x12").read_text()
    segs = text.splitlines()
    oon = [s for s in segs if s.startswith("EB*") and s.endswith("*N~")]
    assert len(oon) == 5
    rest = [s for s in segs if s not in oon]
    se = next(i for i, s in enumerate(rest) if s.startswith("SE*"))
    assert read_271("\n".join(rest[:se] + oon + rest[se:])) == read_271(text)
    in_network = [s for s in segs if s.startswith("EB*") and s.endswith("*Y~") and "HC:" not in s]
    coverage = read_271(recount([s for s in segs if s not in in_network]))
    # never in place of the in-network values: reported apart, labelled
    assert (coverage.deductible, coverage.copay_amount, coverage.coinsurance_rate) == (None, None, None)
    assert coverage.out_of_network == OutOfNetwork(
        deductible=Decimal("3000.00"),
        deductible_remaining=Decimal("2950.00"),
        coinsurance_rate=Decimal("0.40"),
        copay_amount=Decimal("50.00"),
        out_of_pocket_max=Decimal("12000.00"),
    )


def test_271_family_plan_with_dependent_and_newline_terminator() -> None:
    subscriber, dependent = _everyone((FIXTURES / "271_family.x12").read_text())
    assert subscriber.eligibility_status == "active"
    assert subscriber.member_id == "FAM000111222"
    assert subscriber.plan_name == "FAMILY HMO"
    assert (subscriber.effective_date, subscriber.termination_date) == (date(2026, 2, 1), date(2027, 1, 31))
    assert subscriber.deductible == Decimal("2000.00")  # IND, although FAM comes first
    assert subscriber.deductible_remaining == Decimal("900.40")
    assert subscriber.family_deductible_remaining == Decimal("3100.00")  # in network, not the 8000 of EB12=N
    assert subscriber.out_of_pocket_max == Decimal("5000.00") and subscriber.out_of_pocket_remaining == Decimal("4100")
    assert subscriber.coinsurance_rate == Decimal("0.20")  # "20" sent as a whole percent
    assert subscriber.copay_amount == Decimal("30.00")
    assert subscriber.trace_number == "TRACE0002"
    assert subscriber.subscriber is not None and subscriber.subscriber.gender == "M"
    assert dependent.member_id == "FAM000111222"  # the dependent has no id of its own
    # a dependent's Coverage: the policy holder as `subscriber`, the patient as `dependent`
    assert dependent.subscriber == subscriber.subscriber and dependent.subscriber.first_name == "RICHARD"
    assert dependent.dependent is not None and dependent.dependent.first_name == "ROBIN"
    assert dependent.eligibility_status == "active" and dependent.deductible is None
    # the patient of an answer about a dependent is the dependent, unless the inquiry named the subscriber
    text = (FIXTURES / "271_family.x12").read_text()
    assert read_271(text) == dependent
    asked = replace(REQUEST, member_first_name="Richard", member_last_name="Roe", member_birth_date=None)
    assert read_271(text, asked=asked) == subscriber


def test_271_inactive() -> None:
    text = wrap_271(
        HEADER
        + """
HL*3*2*22*0
TRN*2*TRACE0003*9INTELLUXE
NM1*IL*1*DOE*JANE****MI*XYZ123456789
DTP*291*RD8*20250101-20251231
EB*6*IND*30**SILVER HMO
"""
    )
    coverage = read_271(text)
    assert coverage.eligibility_status == "inactive"
    assert coverage.reject_reason_code is None
    assert coverage.to_json() == {
        "eligibility_status": "inactive",
        "member_id": "XYZ123456789",
        "payer_id": "87726",
        "plan_name": "SILVER HMO",
        "effective_date": "2025-01-01",
        "termination_date": "2025-12-31",
    }


@pytest.mark.parametrize("code", ["72", "75"])
def test_271_rejected_in_the_subscriber_loop(code: str) -> None:
    text = wrap_271(
        HEADER
        + f"""
HL*3*2*22*0
TRN*2*TRACE0004*9INTELLUXE
NM1*IL*1*DOE*JANE****MI*XYZ999
AAA*N**{code}*C
DMG*D8*19800101
"""
    )
    coverage = read_271(text)
    assert coverage.eligibility_status == "rejected"
    assert coverage.reject_reason_code == code
    assert coverage.to_json() == {
        "eligibility_status": "rejected",
        "member_id": "XYZ999",
        "payer_id": "87726",
        "reject_reason_code": code,
    }


def test_a_rejection_is_never_inactive_even_with_an_inactive_eb() -> None:
    text = wrap_271(
        HEADER
        + """
HL*3*2*22*0
NM1*IL*1*DOE*JANE****MI*XYZ999
AAA*N**75*C
EB*6*IND*30
"""
    )
    assert read_271(text).eligibility_status == "rejected"


def test_271_rejected_at_the_payer_level_without_subscriber() -> None:
    text = wrap_271(
        """
BHT*0022*11*17*20260115*0931
HL*1**20*0
NM1*PR*2*ACME HEALTH*****PI*87726
AAA*Y**42*R
"""
    )
    [coverage] = _everyone(text)
    assert coverage.to_json() == {"eligibility_status": "rejected", "payer_id": "87726", "reject_reason_code": "42"}


def test_271_rejected_at_the_provider_level_rejects_its_subscribers() -> None:
    text = wrap_271(
        """
BHT*0022*11*17*20260115*0931
HL*1**20*1
NM1*PR*2*ACME HEALTH*****PI*87726
HL*2*1*21*1
NM1*1P*2*SMALL CLINIC*****XX*1234567893
AAA*N**43*C
HL*3*2*22*0
NM1*IL*1*DOE*JANE****MI*XYZ123456789
EB*1*IND*30
"""
    )
    coverage = read_271(text)
    assert (coverage.eligibility_status, coverage.reject_reason_code) == ("rejected", "43")
    assert coverage.member_id == "XYZ123456789"


def test_271_benefit_level_aaa_only_rejects_without_a_status() -> None:
    body = (
        HEADER
        + """
HL*3*2*22*0
NM1*IL*1*DOE*JANE****MI*XYZ123456789
EB*1*IND*30
EB*C*IND*98
AAA*Y**T4*C
"""
    )
    assert read_271(wrap_271(body)).eligibility_status == "active"
    no_status = body.replace("EB*1*IND*30\n", "")
    coverage = read_271(wrap_271(no_status))
    assert (coverage.eligibility_status, coverage.reject_reason_code) == ("rejected", "T4")


def test_271_several_subscribers_and_status_defaults() -> None:
    text = wrap_271(
        HEADER
        + """
HL*3*2*22*0
NM1*IL*1*DOE*JANE****MI*XYZ000000001
EB*1*IND*30
HL*4*2*22*0
NM1*IL*1*DOE*JOHN****MI*XYZ000000002
AAA*N**75*C
HL*5*2*22*0
NM1*IL*1*DOE*JILL****MI*XYZ000000003
"""
    )
    first, second, third = _everyone(text)
    assert [c.member_id for c in (first, second, third)] == ["XYZ000000001", "XYZ000000002", "XYZ000000003"]
    assert [c.eligibility_status for c in (first, second, third)] == ["active", "rejected", "unknown"]
    assert read_271(text) == first


def test_prior_auth_codes_sorted_unique_and_only_when_required() -> None:
    text = wrap_271(
        HEADER
        + """
HL*3*2*22*0
NM1*IL*1*DOE*JANE****MI*XYZ123456789
EB*1*IND*30
EB*CB*IND*********Y*Y*HC:97110
EB*1*IND*********Y*Y*HC:70553
EB*1*IND*********U*Y*HC:72148
EB*1*IND*********N*Y*HC:99213
EB*1*IND*********Y*N*HC:70553
EB*1*IND*********Y*Y*HC:27447:RT
"""
    )
    assert read_271(text).authorization_required_codes == ("27447", "70553", "97110")


def test_bad_dates_and_amounts_raise_with_position() -> None:
    body = HEADER + "HL*3*2*22*0\nNM1*IL*1*DOE*JANE****MI*XYZ123456789\nDTP*291*RD8*20260101\nEB*1*IND*30\n"
    with pytest.raises(X12ParseError) as info:
        read_271(wrap_271(body))
    assert str(info.value) == "segment 11 (DTP): DTP03 is not a CCYYMMDD-CCYYMMDD range"
    assert info.value.position == 11
    body = HEADER + "HL*3*2*22*0\nNM1*IL*1*DOE*JANE****MI*XYZ123456789\nEB*1*IND*30\nEB*C*IND*30***23*ABC\n"
    with pytest.raises(X12ParseError, match=r"^segment 12 \(EB\): EB07 is not a number of at most 18 digits$"):
        read_271(wrap_271(body))
    body = HEADER + "HL*3*2*22*0\nNM1*IL*1*DOE*JANE****MI*XYZ123456789\nDMG*D8*19801399\n"
    with pytest.raises(X12ParseError, match=r"^segment 11 \(DMG\): DMG02 is not a CCYYMMDD date$") as info:
        read_271(wrap_271(body))
    assert "1980" not in str(info.value)


def test_read_271_of_a_270_fails() -> None:
    with pytest.raises(X12ParseError, match="no 271"):
        read_271(build_270(REQUEST, control_number=1, now=NOW))
    with pytest.raises(X12ParseError, match="no 271"):
        _everyone(build_270(REQUEST, control_number=1, now=NOW))


# ---------------------------------------------------------------------------------------------------------------------
# 271 writing (payer sandbox)

ANSWER = CoverageAnswer(
    plan_name="GOLD PPO",
    plan_begin=date(2026, 1, 1),
    plan_end=date(2026, 12, 31),
    subscriber=JANE,
    deductible=Decimal("1500"),
    deductible_remaining=Decimal("1200"),
    family_deductible=Decimal("3000"),
    family_deductible_remaining=Decimal("2500"),
    coinsurance_rate=Decimal("0.2"),
    copay=Decimal("25"),
    out_of_pocket_max=Decimal("6000"),
    out_of_pocket_remaining=Decimal("5500.50"),
    family_out_of_pocket_max=Decimal("12000"),
    family_out_of_pocket_remaining=Decimal("11000"),
    authorization_required_codes=("72148", "70553", "72148"),
)


def test_build_271_answers_the_request() -> None:
    text = build_271(REQUEST, ANSWER, control_number=18, now=NOW)
    [ich] = parse(text)
    assert (ich.sender_id, ich.receiver_id) == ("ACMEHEALTH", "CLINIC01")
    assert "TRN*2*TRACE0001*9INTELLUXE~" in text
    assert "EB*C*IND*30***23*3000*****N~" in text and "EB*A*IND*98*****0.4****N~" in text
    assert "EB*1*IND*********Y*Y*HC:70553~" in text
    assert read_271(text) == Coverage(
        eligibility_status="active",
        member_id="XYZ123456789",
        payer_id="87726",
        plan_name="GOLD PPO",
        effective_date=date(2026, 1, 1),
        termination_date=date(2026, 12, 31),
        deductible=Decimal("1500"),
        deductible_remaining=Decimal("1200"),
        family_deductible_remaining=Decimal("2500"),
        coinsurance_rate=Decimal("0.20"),
        copay_amount=Decimal("25"),
        out_of_pocket_max=Decimal("6000"),
        out_of_pocket_remaining=Decimal("5500.50"),
        authorization_required_codes=("70553", "72148"),
        subscriber=JANE,
        trace_number="TRACE0001",
        out_of_network=OutOfNetwork(deductible=Decimal("3000"), coinsurance_rate=Decimal("0.40")),
    )


def test_build_271_is_read_by_x12sdk() -> None:
    answer = replace(ANSWER, authorization_required_codes=())
    with X12ModelReader(build_271(REQUEST, answer, control_number=18, now=NOW)) as reader:
        [model] = list(reader.models())
    subscriber = model.loop_2000a[0].loop_2000b[0].loop_2000c[0]
    assert subscriber.loop_2100c.nm1_segment.identification_code == "XYZ123456789"
    benefits = [loop.eb_segment for loop in subscriber.loop_2100c.loop_2110c]
    in_network_deductible = [b for b in benefits if b.eligibility_benefit_information == "C"]
    assert [(b.benefit_amount, b.inplan_network_indicator) for b in in_network_deductible][:2] == [
        (Decimal("3000"), "N"),
        (Decimal("1500"), "Y"),
    ]


@pytest.mark.parametrize("code", ["72", "75"])
def test_build_271_rejection(code: str) -> None:
    text = build_271(REQUEST, CoverageAnswer(reject_reason_code=code), control_number=19, now=NOW)
    assert f"AAA*N**{code}*C~" in text and "EB*" not in text
    coverage = read_271(text)
    assert coverage.to_json() == {
        "eligibility_status": "rejected",
        "member_id": "XYZ123456789",
        "payer_id": "87726",
        "reject_reason_code": code,
    }
    assert coverage.trace_number == "TRACE0001"


def test_build_271_inactive() -> None:
    answer = CoverageAnswer(
        status="inactive", plan_name="OLD PLAN", plan_begin=date(2025, 1, 1), plan_end=date(2025, 12, 31)
    )
    coverage = read_271(build_271(REQUEST, answer, control_number=20, now=NOW))
    assert (coverage.eligibility_status, coverage.plan_name, coverage.termination_date) == (
        "inactive",
        "OLD PLAN",
        date(2025, 12, 31),
    )
    with pytest.raises(ValueError, match="status"):
        CoverageAnswer(status="rejected")


def test_to_json_rates_keep_precision_beyond_cents() -> None:
    assert Coverage("active", coinsurance_rate=Decimal("0.125")).to_json() == {
        "eligibility_status": "active",
        "coinsurance_rate": "0.125",
    }
    assert Coverage("active", coinsurance_rate=Decimal("0.2"), copay_amount=Decimal("7.5")).to_json() == {
        "eligibility_status": "active",
        "coinsurance_rate": "0.20",
        "copay_amount": "7.50",
    }


def test_read_271_all_over_several_interchanges() -> None:
    active = (FIXTURES / "271_active.x12").read_text()
    family = (FIXTURES / "271_family.x12").read_text()
    coverages = _everyone(active + family)
    assert [c.member_id for c in coverages] == ["XYZ123456789", "FAM000111222", "FAM000111222"]
    assert read_271(family + active).member_id == "FAM000111222"


def test_read_270_without_subscriber_names_the_st() -> None:
    text = build_270(REQUEST, control_number=5, now=NOW)
    segs = [s for s in text.splitlines() if not s.startswith("NM1*IL")]
    segs = [s if not s.startswith("SE*") else "SE*15*0005~" for s in segs]
    with pytest.raises(X12ParseError) as info:
        read_270("\n".join(segs))
    assert str(info.value) == "segment 3 (ST): transaction set 270 has no NM1*IL in the subscriber loop (2100C)"
    assert info.value.position == 3
