"""837P writer validated by pyx12 against the 005010X222A1 map; 835 reading on a hand-written remittance."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from claim_samples import CLAIM, JANE, NOW, PARTIES  # this folder is on sys.path (conftest.py)

from core.x12 import (
    Adjustment,
    ClaimPayment,
    Party,
    Payer,
    PayerContact,
    ProfessionalClaim,
    Remittance,
    ServiceLine,
    ServicePayment,
    X12ParseError,
    build_835,
    build_837p,
    npi_is_valid,
    parse,
    read_remittances,
    validation,
)

FIXTURES = Path(__file__).parent / "fixtures"


def pyx12_validate(text: str, *, with_999: bool = True) -> tuple[list[str], str]:
    result = validation.pyx12_validate(text, with_999=with_999)
    return result.problems, result.ack_999


# ---------------------------------------------------------------------------------------------------------------------
# 837P


def test_837p_is_accepted_by_pyx12() -> None:
    text = build_837p(CLAIM, **PARTIES, control_number=42, now=NOW)
    problems, ack = pyx12_validate(text)
    assert problems == []
    assert "IK5*A~" in ack and "AK9*A*1*1*1~" in ack  # the 999 accepts the transaction set and the group


def test_pyx12_harness_does_report_errors() -> None:
    """The check above could fail: a bad gender code, a bad relationship code or a wrong SE01 are refused."""
    text = build_837p(CLAIM, **PARTIES, control_number=42, now=NOW)
    for old, new in (("DMG*D8*19800101*F~", "DMG*D8*19800101*Q~"), ("SBR*P*18*", "SBR*P*99*")):
        assert old in text
        problems, ack = pyx12_validate(text.replace(old, new))
        assert problems and "IK5*R" in ack and "AK9*R" in ack
    problems, _ = pyx12_validate(text.replace("SE*26*0042~", "SE*25*0042~"))
    assert problems


def test_837p_content() -> None:
    text = build_837p(CLAIM, **PARTIES, control_number=42, now=NOW)
    [ich] = parse(text)
    [group] = ich.groups
    assert group.version == "005010X222A1" and group.gs.get(1) == "HC"
    [transaction] = group.transactions
    segs = {s.tag: s for s in reversed(transaction.segments)}  # first of each tag
    clm = segs["CLM"]
    sv1s = [s for s in transaction.segments if s.tag == "SV1"]
    assert clm.get(1) == "PA1001"
    assert Decimal(clm.get(2)) == sum(Decimal(s.get(2)) for s in sv1s) == Decimal("160.50")
    assert clm.components(5) == ("11", "B", "1")
    assert segs["HI"].elements == ("ABK:J069", "ABF:R059")
    assert [s.components(1) for s in sv1s] == [("HC", "99213", "25"), ("HC", "87880")]
    assert [s.components(7) for s in sv1s] == [("1", "2"), ("1",)]
    assert segs["SBR"].get(1) == "P" and segs["SBR"].get(2) == "18"
    assert [s.get(3) for s in transaction.segments if s.tag == "HL"] == ["20", "22"]  # no 2000C patient loop
    assert [s.get(3) for s in transaction.segments if s.tag == "N4"] == ["627011234", "62702"]
    assert segs["REF"].elements == ("EI", "123456789")


def _error(claim: ProfessionalClaim = CLAIM, **changes: Any) -> str:
    with pytest.raises(ValueError) as info:
        build_837p(claim, **{**PARTIES, **changes}, control_number=42, now=NOW)
    message = str(info.value)
    for phi in ("JANE", "DOE", "XYZ123456789", "19800101", "1980-01-01"):
        assert phi not in message
    return message


def test_837p_pointer_past_the_diagnoses() -> None:
    bad = replace(CLAIM.lines[1], diagnosis_pointers=(1, 3))
    message = _error(replace(CLAIM, lines=(CLAIM.lines[0], bad)))
    assert message == "line 2: diagnosis pointer 3 points past the 2 diagnoses of the claim"
    assert _error(replace(CLAIM, lines=(replace(CLAIM.lines[0], diagnosis_pointers=(0,)),))).startswith("line 1:")
    five = replace(CLAIM.lines[0], diagnosis_pointers=(1, 2, 1, 2, 1))
    assert "pointers" in _error(replace(CLAIM, lines=(five,)))


def test_837p_too_many_diagnoses() -> None:
    codes = tuple(f"J0{n}" for n in range(10)) + ("R05", "R509", "Z0000")
    assert _error(replace(CLAIM, diagnosis_codes=codes)) == "a claim carries at most 12 diagnoses, got 13"
    # twelve is fine
    build_837p(replace(CLAIM, diagnosis_codes=codes[:12]), **PARTIES, control_number=42, now=NOW)


def test_837p_bad_npi() -> None:
    assert npi_is_valid("1234567893") and not npi_is_valid("1234567890") and not npi_is_valid("123456789")
    provider = replace(PARTIES["billing_provider"], npi="1234567890")
    assert _error(billing_provider=provider) == "billing provider NPI is not 10 digits with a valid check digit"


@pytest.mark.parametrize(
    ("claim", "fragment"),
    [
        (replace(CLAIM, place_of_service="00"), "place_of_service"),
        (replace(CLAIM, diagnosis_codes=("123.4",)), "diagnosis 1 is not shaped like an ICD-10-CM code"),
        (replace(CLAIM, diagnosis_codes=()), "at least one diagnosis"),
        (replace(CLAIM, lines=()), "service lines"),
        (replace(CLAIM, lines=(replace(CLAIM.lines[0], procedure_code="9921"),)), "line 1: procedure code"),
        (replace(CLAIM, lines=(replace(CLAIM.lines[0], charge=Decimal(0)),)), "line 1: charge must be positive"),
        (replace(CLAIM, lines=(replace(CLAIM.lines[0], service_date=date(2026, 1, 16)),)), "line 1: service date"),
        (replace(CLAIM, lines=(replace(CLAIM.lines[0], modifiers=("25", "X")),)), "line 1: at most 4 modifiers"),
    ],
)
def test_837p_refuses_bad_claims(claim: ProfessionalClaim, fragment: str) -> None:
    assert fragment in _error(claim)


def test_837p_refuses_bad_parties() -> None:
    assert "ZIP" in _error(billing_provider=replace(PARTIES["billing_provider"], zip="62701"))
    assert "birth date" in _error(subscriber=replace(JANE, birth_date=None))
    assert "contact phone" in _error(submitter=Party("SMALL CLINIC", "CLINIC01"))
    # an identifier with a delimiter is refused; names are transliterated instead (test_x837p.py)
    assert "NM109 contains a delimiter" in _error(payer=Payer("ACME HEALTH", "877*26"))
    assert "NM1*PR*2*ACME HEALTH*****PI*87726~" in build_837p(
        CLAIM, **{**PARTIES, "payer": Payer("ACME*HEALTH", "87726")}, control_number=42, now=NOW
    )


def test_837p_hcpcs_units_and_four_modifiers_validate() -> None:
    line = ServiceLine("J3301", ("RT", "59", "XS", "GA"), Decimal("40"), Decimal("2.5"), (2, 1), date(2026, 1, 10))
    claim = replace(CLAIM, lines=(*CLAIM.lines, line), place_of_service="22")
    text = build_837p(claim, **PARTIES, control_number=43, now=NOW)
    assert "SV1*HC:J3301:RT:59:XS:GA*40*UN*2.5***2:1~" in text
    assert "CLM*PA1001*200.5***22:B:1*Y*A*Y*Y~" in text
    problems, _ = pyx12_validate(text)
    assert problems == []


# ---------------------------------------------------------------------------------------------------------------------
# 835


def _read_835(text: str) -> Remittance:
    """The one 835 of `text`; its own error raised, as a single-payment reader would."""
    [read] = read_remittances(text)
    if read.error is not None:
        raise read.error
    assert read.value is not None
    return read.value


def test_835_fixture() -> None:
    remittance = _read_835((FIXTURES / "835_remittance.x12").read_text())
    assert remittance.payer_name == "ACME HEALTH"
    assert remittance.payee_name == "SMALL CLINIC LLC" and remittance.payee_npi == "1234567893"
    assert remittance.check_number == "EFT0004711"
    assert remittance.payment_date == date(2026, 2, 3)
    assert remittance.total_paid == Decimal("142.50")
    assert remittance.provider_adjustment_total == Decimal("-2.50")
    assert [c.claim_id for c in remittance.claims] == ["PA1001", "PA1003", "PA1002", "PA0999"]
    assert [c.status_code for c in remittance.claims] == ["1", "1", "4", "22"]
    # BPR02 balances with the claims and the PLB.
    assert sum(c.paid for c in remittance.claims) - remittance.provider_adjustment_total == remittance.total_paid

    first, second, denied, reversal = remittance.claims
    # Line-level CAS only: PR-3 copay, PR-2 coinsurance, CO-45 on line 1, PR-1 deductible on line 2.
    assert (first.billed, first.paid, first.patient_responsibility) == (Decimal("160.5"), Decimal(90), Decimal(45))
    assert first.payer_claim_number == "PCN0001" and first.adjustments == ()
    assert (first.deductible, first.coinsurance, first.copay, first.contractual) == (
        Decimal("15.50"),
        Decimal("4.50"),
        Decimal("25.00"),
        Decimal("25.50"),
    )
    assert first.deductible + first.coinsurance + first.copay == first.patient_responsibility
    line1, line2 = first.lines
    assert (line1.procedure_code, line1.modifiers, line1.billed, line1.paid, line1.units) == (
        "99213",
        ("25",),
        Decimal(125),
        Decimal(70),
        Decimal(1),
    )
    assert line1.service_date == date(2026, 1, 10)
    assert line1.adjustments == (
        Adjustment("CO", "45", Decimal("25.50")),
        Adjustment("PR", "3", Decimal("25.00")),
        Adjustment("PR", "2", Decimal("4.50")),
    )
    assert line2.adjustments == (Adjustment("PR", "1", Decimal("15.50")),)
    assert first.patient_member_id == "XYZ123456789"

    # Claim-level CAS only, two triplets in one segment (the first with a quantity).
    assert second.lines == ()
    assert second.adjustments == (
        Adjustment("PR", "1", Decimal("40"), Decimal("1")),
        Adjustment("PR", "2", Decimal("10")),
        Adjustment("CO", "45", Decimal("20")),
    )
    assert (second.deductible, second.coinsurance, second.copay, second.contractual) == (
        Decimal(40),
        Decimal(10),
        Decimal(0),
        Decimal(20),
    )

    assert denied.is_denied and denied.status == "denied" and denied.paid == 0
    assert denied.patient_responsibility == 0 and denied.contractual == 0
    assert denied.lines[0].adjustments == (Adjustment("CO", "50", Decimal(200)),)

    assert reversal.is_reversal and reversal.status == "reversal of previous payment"
    assert (reversal.billed, reversal.paid, reversal.copay) == (Decimal(-100), Decimal(-80), Decimal(-20))


def test_cas_with_six_triplets() -> None:
    text = (FIXTURES / "835_remittance.x12").read_text()
    text = text.replace("CAS*CO*45*20~", "CAS*OA*23*1*1*94*2**A1*3**B1*4**B22*5**B7*6*2~")
    claim = _read_835(text).claims[1]
    assert [(a.group, a.reason, a.amount, a.quantity) for a in claim.adjustments[2:]] == [
        ("OA", "23", Decimal(1), Decimal(1)),
        ("OA", "94", Decimal(2), None),
        ("OA", "A1", Decimal(3), None),
        ("OA", "B1", Decimal(4), None),
        ("OA", "B22", Decimal(5), None),
        ("OA", "B7", Decimal(6), Decimal(2)),
    ]


def test_835_delimiters_are_learned() -> None:
    text = (FIXTURES / "835_remittance.x12").read_text()
    swapped = text.replace("*", "|").replace(":", "^").replace("~\n", "~\r\n")
    assert _read_835(swapped) == _read_835(text)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("CLP*PA1003*1*200*130*", "CLP*PA1003*1*200*ABC*", "segment 27 (CLP): CLP04 is not a number"),
        ("CAS*CO*45*20~", "CAS*XX*45*20~", "segment 29 (CAS): CAS01 must be CO, CR, OA, PI or PR"),
        ("CAS*CO*45*20~", "CAS*CO*45~", "segment 29 (CAS): CAS03 is required"),
        ("DTM*472*20260112~", "DTM*472*20261301~", "segment 34 (DTM): DTM02 is not a CCYYMMDD date"),
        ("SE*38*0001~", "SE*37*0001~", "segment 40 (SE): SE01 says 37 segments, transaction has 38"),
        ("LX*1~\nCLP*PA1001", "LX*1~\nSVC*HC:99213*1*1~\nCLP*PA1001", "(SVC): SVC outside a claim"),
        ("BPR*I*142.5*", "BPR*I**", "(BPR): BPR02 is required"),
    ],
)
def test_malformed_835_raises_with_position(old: str, new: str, message: str) -> None:
    text = (FIXTURES / "835_remittance.x12").read_text()
    assert old in text
    bad = text.replace(old, new)
    if "SVC outside" in message:
        bad = bad.replace("SE*38*0001~", "SE*39*0001~")
    with pytest.raises(X12ParseError) as info:
        _read_835(bad)
    assert message in str(info.value)
    assert info.value.position > 0
    assert "DOE" not in str(info.value) and "XYZ" not in str(info.value)


def test_read_835_needs_an_835() -> None:
    with pytest.raises(X12ParseError, match="no 835"):
        _read_835(build_837p(CLAIM, **PARTIES, control_number=42, now=NOW))


PAYER = PayerContact("987654321", "PO BOX 100", "HARTFORD", "CT", "06101", "8005550199")
REMITTANCE = Remittance(
    payer_name="ACME HEALTH",
    payee_name="SMALL CLINIC LLC",
    payee_npi="1234567893",
    check_number="CHK000123",
    payment_date=date(2026, 2, 1),
    total_paid=Decimal("10.00"),
    claims=[
        ClaimPayment(
            "PA1001",
            "1",
            Decimal("160.50"),
            Decimal("90.00"),
            Decimal("45.00"),
            "PCN0001",
            adjustments=(Adjustment("PR", "1", Decimal("15.50")),),
            lines=(
                ServicePayment(
                    "99213",
                    Decimal("125.00"),
                    Decimal("70.00"),
                    Decimal(1),
                    (
                        Adjustment("CO", "45", Decimal("25.50")),
                        Adjustment("PR", "3", Decimal("25.00")),
                        Adjustment("PR", "2", Decimal("4.50")),
                    ),
                    ("25",),
                    date(2026, 1, 10),
                ),
                ServicePayment("87880", Decimal("35.50"), Decimal("20.00"), Decimal(2), (), (), date(2026, 1, 10)),
            ),
            patient_last_name="DOE",
            patient_first_name="JANE",
            patient_member_id="XYZ123456789",
        ),
        ClaimPayment(
            "PA1002",
            "4",
            Decimal("200.00"),
            Decimal("0.00"),
            Decimal("0.00"),
            "PCN0002",
            adjustments=(Adjustment("CO", "50", Decimal("200.00")),),
            patient_last_name="ROE",
            patient_member_id="XYZ000000001",
        ),
        ClaimPayment(
            "PA0999",
            "22",
            Decimal("-100.00"),
            Decimal("-80.00"),
            Decimal("0.00"),
            "PCN0003",
            adjustments=(Adjustment("CO", "45", Decimal("-20.00")),),
            patient_last_name="DOE",
            patient_first_name="JANE",
            patient_member_id="XYZ123456789",
        ),
    ],
)


def test_835_round_trip() -> None:
    text = build_835(REMITTANCE, payer=PAYER, sender_id="ACMEHEALTH", receiver_id="CLINIC01", control_number=7, now=NOW)
    assert "ST*835*0007~" in text and "GS*HP*ACMEHEALTH*CLINIC01*20260115*1000*7*X*005010X221A1~" in text
    assert "TRN*1*CHK000123*1987654321~" in text
    assert _read_835(text) == REMITTANCE


def test_835_is_accepted_by_pyx12() -> None:
    text = build_835(REMITTANCE, payer=PAYER, sender_id="ACMEHEALTH", receiver_id="CLINIC01", control_number=7, now=NOW)
    problems, _ = pyx12_validate(text, with_999=False)
    assert problems == []
    # and the harness sees a broken one: CLP02 is a required code
    problems, _ = pyx12_validate(text.replace("CLP*PA1002*4*", "CLP*PA1002**"), with_999=False)
    assert problems


def test_835_notice_without_payment_and_writer_checks() -> None:
    notice = replace(REMITTANCE, total_paid=Decimal(0), claims=[REMITTANCE.claims[1]])
    text = build_835(notice, payer=PAYER, sender_id="ACMEHEALTH", receiver_id="CLINIC01", control_number=8, now=NOW)
    assert "BPR*H*0*C*NON************20260201~" in text
    assert _read_835(text).claims == [REMITTANCE.claims[1]]
    with pytest.raises(ValueError, match="payee"):
        build_835(
            replace(REMITTANCE, payee_npi="1234567890"),
            payer=PAYER,
            sender_id="ACMEHEALTH",
            receiver_id="CLINIC01",
            control_number=8,
            now=NOW,
        )
    nameless = replace(REMITTANCE, claims=[replace(REMITTANCE.claims[0], patient_last_name=None)])
    with pytest.raises(ValueError, match=r"^claim 1: "):
        build_835(nameless, payer=PAYER, sender_id="ACMEHEALTH", receiver_id="CLINIC01", control_number=8, now=NOW)
