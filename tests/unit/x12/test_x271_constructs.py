"""The 271 constructs real payers send that the reader got wrong (issue 11), one hand-written case each, shaped after
the 005010X279A1 guide's examples: a dependent as the patient, plan totals without a time period, which EB is the
office copay, the payer in 2100A (not a related entity in 2120C), the plan name, batches of 271s, 4010."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from decimal import Decimal

import pytest

from core.x12 import X12ParseError, read_271, read_eligibility

JANE = "HL*3*2*22*0\nNM1*IL*1*DOE*JANE****MI*XYZ1\n"
SOURCE = """
BHT*0022*11*17*20260115*0931
HL*1**20*1
NM1*PR*2*ACME HEALTH*****PI*87726
HL*2*1*21*1
NM1*1P*2*SMALL CLINIC*****XX*1234567893
"""


def wrap(*bodies: str, version: str = "005010X279A1") -> str:
    """One interchange and group holding a 271 transaction set per body (segments one per line, counts computed)."""
    out = [
        "ISA*00*          *00*          *ZZ*ACMEHEALTH     *ZZ*CLINIC01       *260115*0931*^*00501*000000009*0*T*:",
        f"GS*HB*ACMEHEALTH*CLINIC01*20260115*0931*9*X*{version}",
    ]
    for n, body in enumerate(bodies, start=1):
        segments = [s.strip() for s in body.strip().splitlines() if s.strip()]
        out += [f"ST*271*{n:04d}*{version}", *segments, f"SE*{len(segments) + 2}*{n:04d}"]
    out += [f"GE*{len(bodies)}*9", "IEA*1*000000009"]
    return "".join(f"{s}~\n" for s in out)


DEPENDENT = (
    SOURCE
    + """
HL*3*2*22*1
TRN*2*TRACE0101*9INTELLUXE
NM1*IL*1*SMITH*JOHN****MI*W123456789
N3*15 SUNSET DR
N4*SPRINGFIELD*IL*62701
DMG*D8*19700101*M
HL*4*3*23*0
TRN*2*TRACE0101*9INTELLUXE
NM1*03*1*SMITH*MARY
N3*15 SUNSET DR
N4*SPRINGFIELD*IL*62701
DMG*D8*20150519*F
INS*N*19
DTP*346*D8*20260101
EB*1**30**GOLD 123 PLAN
EB*C*IND*30***23*500*****Y
EB*C*IND*30***29*125*****Y
EB*B*IND*98***27*20*****Y
"""
)


def test_a_dependent_is_the_patient_not_the_subscriber_without_benefits() -> None:
    """The subscriber's loop carries no EB when the answer is about a dependent: it was reported 'inactive'."""
    coverage = read_271(wrap(DEPENDENT))
    assert coverage.eligibility_status == "active"
    assert coverage.member_id == "W123456789"  # the dependent is known by the subscriber's id
    assert coverage.dependent is not None and coverage.dependent.first_name == "MARY"
    assert coverage.dependent.relationship == "19" and coverage.dependent.birth_date == date(2015, 5, 19)
    assert coverage.subscriber is not None and coverage.subscriber.first_name == "JOHN"
    assert (coverage.deductible, coverage.deductible_remaining, coverage.copay_amount) == (
        Decimal("500.00"),
        Decimal("125.00"),
        Decimal("20.00"),
    )
    assert coverage.plan_name == "GOLD 123 PLAN" and coverage.effective_date == date(2026, 1, 1)
    assert coverage.to_json()["relationship"] == "19"


def test_every_person_is_read_and_the_subscriber_without_benefits_is_not_active() -> None:
    [read] = read_eligibility(wrap(DEPENDENT))
    subscriber, dependent = read.value or []
    assert subscriber.dependent is None and subscriber.eligibility_status == "unknown"  # not "inactive"
    assert dependent.dependent is not None and dependent.eligibility_status == "active"


def test_the_patient_asked_about_is_answered() -> None:
    class Asked:
        member_first_name = "John"
        member_last_name = "Smith"
        member_birth_date = None

    assert read_271(wrap(DEPENDENT), asked=Asked()).dependent is None  # the subscriber, as asked


@pytest.mark.parametrize(
    ("benefits", "expected"),
    [
        ("EB*C*IND*30****3000*****Y\nEB*G*IND*30****6000", {"deductible": "3000.00", "out_of_pocket_max": "6000.00"}),
        (
            "EB*C*IND*30***23*1500*****Y\nEB*C*IND*30***29*200*****Y",
            {"deductible": "1500.00", "deductible_remaining": "200.00"},
        ),
    ],
)
def test_plan_totals_with_a_blank_time_period_are_read(benefits: str, expected: dict[str, str]) -> None:
    body = SOURCE + "HL*3*2*22*0\nNM1*IL*1*DOE*JANE****MI*XYZ1\nEB*1*IND*30\n" + benefits
    got = read_271(wrap(body)).to_json()
    assert {k: got.get(k) for k in expected} == expected


def test_the_office_copay_never_comes_from_another_service_type() -> None:
    """Chiropractic (33), inpatient psychiatric (A7) and a Part A hospital day (48) copays are not the office one."""
    others = """
EB*1*IND*30
EB*B*IND*33***27*40*****Y
EB*B*IND*A7***27*300*****Y
EB*B*IND*48***7*1600
EB*A*IND*33*****0.5****Y
"""
    coverage = read_271(wrap(SOURCE + JANE + others))
    assert coverage.copay_amount is None and coverage.coinsurance_rate is None
    office = read_271(wrap(SOURCE + JANE + others + "EB*B*IND*30^98***27*25*****Y"))
    assert office.copay_amount == Decimal("25.00")


def test_office_visit_before_the_plan_and_out_of_network_reported_apart() -> None:
    benefits = """
EB*1*IND*30
EB*B*IND*98***27*60*****N
EB*B*IND*30***27*35*****Y
EB*B*IND*98***27*25*****Y
EB*A*IND*98*****0.4****N
EB*A*IND*98*****0.2****Y
"""
    coverage = read_271(wrap(SOURCE + JANE + benefits))
    assert (coverage.copay_amount, coverage.coinsurance_rate) == (Decimal("25.00"), Decimal("0.20"))
    assert coverage.out_of_network is not None
    assert (coverage.out_of_network.copay_amount, coverage.out_of_network.coinsurance_rate) == (
        Decimal("60.00"),
        Decimal("0.40"),
    )
    only_out = read_271(wrap(SOURCE + JANE + "EB*1*IND*30\nEB*B*IND*98***27*60*****N"))
    assert only_out.copay_amount is None and only_out.out_of_network is not None


def test_no_network_split_means_in_network() -> None:
    coverage = read_271(wrap(SOURCE + "HL*3*2*22*0\nNM1*IL*1*DOE*JANE****MI*XYZ1\nEB*1*IND*30\nEB*B*IND*98***27*15"))
    assert coverage.copay_amount == Decimal("15.00") and coverage.out_of_network is None


def test_the_payer_is_the_information_source_not_a_related_entity() -> None:
    """2120C inside LS/LE names another payer (here Medicare as primary); its NM1 is never the payer id, and an
    EB*F limitation's text is never the plan name."""
    body = (
        SOURCE
        + """
HL*3*2*22*0
NM1*IL*1*DOE*JANE****MI*XYZ1
EB*F*IND*33**VISIT LIMIT TEXT*23
EB*R**30
LS*2120
NM1*PR*2*MEDICARE PART B*****PI*CMSMEDB
LE*2120
EB*1*IND*30
REF*18*PLN100*ACME SILVER 2026
"""
    )
    coverage = read_271(wrap(body))
    assert coverage.payer_id == "87726"
    assert coverage.plan_name == "ACME SILVER 2026"  # the plan REF, not the limitation's text


def test_the_plan_ref_names_the_plan_when_no_eb_does() -> None:
    body = SOURCE + "HL*3*2*22*0\nNM1*IL*1*DOE*JANE****MI*XYZ1\nREF*18*PLN100*ACME SILVER 2026\nEB*1*IND*30"
    assert read_271(wrap(body)).plan_name == "ACME SILVER 2026"


def test_a_batch_of_271s_is_read_each_with_its_own_error() -> None:
    good = SOURCE + "HL*3*2*22*0\nNM1*IL*1*DOE*JANE****MI*XYZ1\nEB*1*IND*30"
    bad = SOURCE + "HL*3*2*22*0\nNM1*IL*1*ROE*RICH****MI*XYZ2\nDTP*346*D8*20261340\nEB*1*IND*30"
    reads = read_eligibility(wrap(good, bad, good.replace("XYZ1", "XYZ3")))
    assert [r.error is None for r in reads] == [True, False, True]
    assert [c.member_id for r in reads for c in (r.value or [])] == ["XYZ1", "XYZ3"]
    assert "(DTP): DTP03 is not a CCYYMMDD date" in str(reads[1].error) and "ROE" not in str(reads[1].error)


def test_a_4010_271_is_read() -> None:
    assert read_271(wrap(DEPENDENT, version="004010X092A1")).eligibility_status == "active"


def test_an_unknown_version_is_named() -> None:
    with pytest.raises(X12ParseError, match="version '003051' is not supported"):
        read_271(wrap(DEPENDENT, version="003051"))


def test_read_271_all_prints_every_person() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "core.cli", "x12", "read-271", "--all", "-"],
        input=wrap(DEPENDENT, SOURCE + "HL*3*2*22*0\nNM1*IL*1*DOE*JANE****MI*XYZ1\nEB*6*IND*30"),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    first, second = json.loads(done.stdout)["transactions"]
    assert [p["eligibility_status"] for p in first["patients"]] == ["unknown", "active"]
    assert first["patients"][1]["relationship"] == "19"
    assert [p["member_id"] for p in second["patients"]] == ["XYZ1"]
    assert "MARY" not in done.stdout and "SMITH" not in done.stdout
