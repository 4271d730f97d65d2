"""Each adjudication rule of the patient-responsibility estimate, with hand-computed figures."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal as D

import pytest
from pydantic import ValidationError

from core.claims.estimate import CoverageTerms, LineInput, estimate, estimate_from_json, is_office_visit

PLAN = CoverageTerms(
    deductible_remaining=D("500.00"),
    coinsurance_rate=D("0.20"),
    copay_amount=D("25.00"),
    out_of_pocket_remaining=D("3000.00"),
)


def test_allowed_not_billed_is_what_the_patient_shares() -> None:
    est = estimate(PLAN, [LineInput("80053", billed=D("300.00"), allowed=D("120.00"))])
    line = est.lines[0]
    assert line.allowed == D("120.00")
    assert line.contractual_adjustment == D("180.00")
    assert line.deductible == D("120.00")
    assert est.patient_responsibility == D("120.00")
    assert est.insurance_responsibility == D("0.00")


def test_allowed_above_billed_is_capped_at_billed() -> None:
    line = estimate(PLAN, [LineInput("80053", billed=D("100.00"), allowed=D("150.00"))]).lines[0]
    assert line.allowed == D("100.00") and line.contractual_adjustment == D("0.00")


def test_copay_skips_the_deductible_for_an_office_visit() -> None:
    line = estimate(PLAN, [LineInput("99213", billed=D("150.00"), allowed=D("100.00"))]).lines[0]
    assert (line.copay, line.deductible, line.coinsurance) == (D("25.00"), D("0.00"), D("0.00"))
    assert line.insurance_responsibility == D("75.00")


def test_copay_that_does_not_waive_the_deductible() -> None:
    terms = CoverageTerms(
        deductible_remaining=D("50.00"),
        coinsurance_rate=D("0.20"),
        copay_amount=D("25.00"),
        copay_waives_deductible=False,
    )
    line = estimate(terms, [LineInput("99213", billed=D("100.00"))]).lines[0]
    # 25 copay, then 50 deductible, then 20% of the remaining 25 = 5
    assert (line.copay, line.deductible, line.coinsurance) == (D("25.00"), D("50.00"), D("5.00"))
    assert line.patient_responsibility == D("80.00")


def test_copay_is_capped_at_allowed() -> None:
    line = estimate(PLAN, [LineInput("99211", billed=D("20.00"), allowed=D("18.00"))]).lines[0]
    assert line.copay == D("18.00") and line.insurance_responsibility == D("0.00")


def test_copay_flag_overrides_the_office_visit_rule() -> None:
    no_copay = estimate(PLAN, [LineInput("99213", billed=D("100.00"), copay=False)]).lines[0]
    assert no_copay.copay == D("0.00") and no_copay.deductible == D("100.00")
    with_copay = estimate(PLAN, [LineInput("90834", billed=D("100.00"), copay=True)]).lines[0]
    assert with_copay.copay == D("25.00")


@pytest.mark.parametrize(
    ("code", "visit"),
    [
        ("99202", True),
        ("99205", True),
        ("99211", True),
        ("99215", True),
        ("99201", False),
        ("99206", False),
        ("99216", False),
        ("80053", False),
    ],
)
def test_office_visit_codes(code: str, visit: bool) -> None:
    assert is_office_visit(code) is visit


def test_the_deductible_is_spread_across_lines() -> None:
    est = estimate(
        PLAN,
        [
            LineInput("80053", billed=D("300.00")),
            LineInput("85025", billed=D("300.00")),
            LineInput("81001", billed=D("100.00")),
        ],
    )
    assert [line.deductible for line in est.lines] == [D("300.00"), D("200.00"), D("0.00")]
    # second line: 100 left after the deductible at 20% = 20; third: 20% of 100 = 20
    assert [line.coinsurance for line in est.lines] == [D("0.00"), D("20.00"), D("20.00")]
    assert est.remaining.deductible_remaining == D("0.00")
    assert est.patient_responsibility == D("540.00")


def test_the_family_deductible_limits_the_individual_one() -> None:
    terms = CoverageTerms(
        deductible_remaining=D("500.00"), family_deductible_remaining=D("100.00"), coinsurance_rate=D("0.10")
    )
    line = estimate(terms, [LineInput("80053", billed=D("300.00"))]).lines[0]
    assert line.deductible == D("100.00")
    assert line.coinsurance == D("20.00")


def test_coinsurance_after_the_deductible_is_met() -> None:
    terms = CoverageTerms(deductible_remaining=D("0.00"), coinsurance_rate=D("0.30"))
    line = estimate(terms, [LineInput("70553", billed=D("2500.00"), allowed=D("1500.00"))]).lines[0]
    assert line.coinsurance == D("450.00") and line.insurance_responsibility == D("1050.00")


def test_the_out_of_pocket_cap_stops_the_patient_share() -> None:
    terms = CoverageTerms(
        deductible_remaining=D("1000.00"), coinsurance_rate=D("0.20"), out_of_pocket_remaining=D("700.00")
    )
    est = estimate(
        terms,
        [
            LineInput("70553", billed=D("2000.00")),
            LineInput("80053", billed=D("100.00")),
        ],
    )
    first, second = est.lines
    # uncapped: 1000 deductible + 20% of 1000 = 1200; the cap leaves 700, taken off coinsurance then deductible
    assert first.patient_responsibility == D("700.00")
    assert first.out_of_pocket_cap_applied == D("500.00")
    assert (first.deductible, first.coinsurance) == (D("700.00"), D("0.00"))
    assert second.patient_responsibility == D("0.00") and second.insurance_responsibility == D("100.00")
    assert est.remaining.out_of_pocket_remaining == D("0.00")


def test_rounding_is_half_up_to_cents_per_line() -> None:
    terms = CoverageTerms(deductible_remaining=D("0"), coinsurance_rate=D("0.15"))
    # 0.15 × 33.33 = 4.9995 → 5.00; 0.15 × 10.10 = 1.515 → 1.52 (half-up, not banker's 1.52/1.51)
    est = estimate(terms, [LineInput("80053", billed=D("33.33")), LineInput("85025", billed=D("10.10"))])
    assert [line.coinsurance for line in est.lines] == [D("5.00"), D("1.52")]
    assert [line.insurance_responsibility for line in est.lines] == [D("28.33"), D("8.58")]


def test_a_non_covered_line_is_the_patients_and_skips_the_cap() -> None:
    terms = CoverageTerms(out_of_pocket_remaining=D("10.00"))
    est = estimate(terms, [LineInput("97810", billed=D("80.00"), covered=False)])
    assert est.lines[0].non_covered == D("80.00")
    assert est.patient_responsibility == D("80.00")
    assert est.remaining.out_of_pocket_remaining == D("10.00")


def test_nothing_known_means_the_plan_pays_allowed() -> None:
    est = estimate(CoverageTerms(), [LineInput("80053", billed=D("100.00"), allowed=D("60.00"))])
    assert est.patient_responsibility == D("0.00") and est.insurance_responsibility == D("60.00")


def test_patient_plus_insurance_is_allowed_on_every_line() -> None:
    est = estimate(
        PLAN,
        [
            LineInput(c, billed=D(b), allowed=D(a))
            for c, b, a in [("99214", "180.00", "130.07"), ("80053", "44.44", "33.33"), ("70553", "999.99", "777.77")]
        ],
    )
    for line in est.lines:
        assert line.patient_responsibility + line.insurance_responsibility == line.allowed
        assert line.copay + line.deductible + line.coinsurance == line.patient_responsibility


def test_json_input_is_validated_field_by_field() -> None:
    with pytest.raises(ValidationError) as info:
        estimate_from_json({"coverage": {"coinsurance_rate": "1.5"}, "lines": [{"code": "1", "billed": "-1"}]})
    locations = {tuple(err["loc"]) for err in info.value.errors()}
    assert ("coverage", "coinsurance_rate") in locations and ("lines", 0, "billed") in locations


def test_cli_reads_stdin_and_prints_money_as_strings() -> None:
    payload = {
        "coverage": {
            "deductible_remaining": "500.00",
            "coinsurance_rate": "0.20",
            "copay_amount": "25.00",
            "out_of_pocket_remaining": "1000.00",
        },
        "lines": [
            {"code": "99213", "billed": "150.00", "allowed": "100.00"},
            {"code": "70553", "billed": 2500, "allowed": "1500.00"},
        ],
    }
    done = subprocess.run(
        [sys.executable, "-m", "core.cli", "billing", "estimate"],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["patient_responsibility"] == "725.00"  # 25 copay; then 500 deductible + 20% of the other 1000
    assert out["insurance_responsibility"] == "875.00"
    assert [line["patient_responsibility"] for line in out["lines"]] == ["25.00", "700.00"]


def test_cli_refuses_bad_input_with_the_field() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "core.cli", "billing", "estimate"],
        input='{"coverage": {}, "lines": [{"code": "99213", "billed": "1.001"}]}',
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "lines.0.billed: must have at most two decimal places" in done.stderr
