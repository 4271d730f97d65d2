"""837P writer, issue 11: the total is the sum of the lines as written, replacements and voids carry the payer's
claim control number, a dependent patient gets the 2000C loop, names are written in the X12 character set and never
over-length. Each written file is checked by pyx12 against the 005010X222A1 map."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from claim_samples import CLAIM, JANE, NOW, PARTIES  # this folder is on sys.path (conftest.py)

from core.x12 import (
    Dependent,
    Payer,
    ProfessionalClaim,
    ServiceLine,
    Subscriber,
    build_837p,
    parse,
)
from core.x12._text import UnwritableText, address_lines, x12_text

KID = Dependent("SAM", "DOE", date(2015, 6, 1), "M", "2 ELM ST", "SPRINGFIELD", "IL", "62702", relationship="19")
PHI = ("JANE", "DOE", "SAM", "XYZ123456789", "19800101", "20150601", "MULLER", "MÜLLER", "PCN-77")


def _write(claim: ProfessionalClaim = CLAIM, **changes: Any) -> str:
    return build_837p(claim, **{**PARTIES, **changes}, control_number=42, now=NOW)


def _segments(text: str) -> list[Any]:
    [ich] = parse(text)
    [transaction] = ich.groups[0].transactions
    return list(transaction.segments)


def _error(claim: ProfessionalClaim = CLAIM, error: type[ValueError] = ValueError, **changes: Any) -> str:
    with pytest.raises(error) as info:
        _write(claim, **changes)
    message = str(info.value)
    assert not [phi for phi in PHI if phi in message]
    return message


# --------------------------------------------------------------------------------------------------- 1. the total


def test_the_total_is_the_sum_of_the_lines_as_written(pyx12_errors: Callable[[str], list[str]]) -> None:
    line = ServiceLine("99213", (), Decimal("10.005"), Decimal("1"), (1,), date(2026, 1, 10))
    text = _write(replace(CLAIM, lines=(line, line, line)))
    segments = _segments(text)
    sv1s = [s.get(2) for s in segments if s.tag == "SV1"]
    [clm] = [s for s in segments if s.tag == "CLM"]
    assert sv1s == ["10.01", "10.01", "10.01"]
    assert clm.get(2) == "30.03" == str(sum(Decimal(a) for a in sv1s))
    assert pyx12_errors(text) == []


def test_a_charge_that_rounds_to_nothing_is_refused() -> None:
    line = replace(CLAIM.lines[0], charge=Decimal("0.004"))
    assert _error(replace(CLAIM, lines=(line,))).startswith("line 1: charge must be positive")


# --------------------------------------------------------------------------------------- 2. replacement and void


@pytest.mark.parametrize("frequency", ["7", "8"])
def test_replacement_and_void_carry_the_payer_claim_control_number(
    frequency: str, pyx12_errors: Callable[[str], list[str]]
) -> None:
    text = _write(replace(CLAIM, frequency_code=frequency, payer_claim_control_number="PCN-77"))
    tags = [s.tag for s in _segments(text)]
    ref = [s for s in _segments(text) if s.tag == "REF" and s.get(1) == "F8"]
    assert [s.elements for s in ref] == [("F8", "PCN-77")]
    assert tags.index("CLM") < tags.index("REF", tags.index("CLM")) < tags.index("HI")  # 2300: REFs come before HI
    assert f"11:B:{frequency}*" in text
    assert pyx12_errors(text) == []


def test_an_original_claim_has_no_ref_f8() -> None:
    assert "REF*F8" not in _write()


@pytest.mark.parametrize(
    ("frequency", "number", "fragment"),
    [
        ("7", None, "payer_claim_control_number is required with frequency_code 7 or 8"),
        ("8", None, "payer_claim_control_number is required with frequency_code 7 or 8"),
        ("1", "PCN-77", "payer_claim_control_number is only for a replacement or void"),
        ("7", "PCN*77", "payer_claim_control_number must be 1 to 50"),
        ("7", "P" * 51, "payer_claim_control_number must be 1 to 50"),
        ("7", "", "payer_claim_control_number must be 1 to 50"),
    ],
)
def test_frequency_and_payer_claim_control_number_must_agree(frequency: str, number: str | None, fragment: str) -> None:
    assert fragment in _error(replace(CLAIM, frequency_code=frequency, payer_claim_control_number=number))


# ----------------------------------------------------------------------------------------------- 3. a dependent


def test_a_dependent_patient_gets_the_2000c_loop(pyx12_errors: Callable[[str], list[str]]) -> None:
    text = _write(patient=KID)
    segments = _segments(text)
    hls = [s.elements for s in segments if s.tag == "HL"]
    assert hls == [("1", "", "20", "1"), ("2", "1", "22", "1"), ("3", "2", "23", "0")]
    [sbr] = [s for s in segments if s.tag == "SBR"]
    assert sbr.get(1) == "P" and sbr.get(2) == "" and sbr.get(9) == "CI"
    tags = [s.tag for s in segments]
    start = tags.index("PAT")
    assert [s.elements for s in segments[start : start + 5]] == [
        ("19",),
        ("QC", "1", "DOE", "SAM"),
        ("2 ELM ST",),
        ("SPRINGFIELD", "IL", "62702"),
        ("D8", "20150601", "M"),
    ]
    assert tags[start - 1] == "HL" and tags[start + 5] == "CLM"  # the claim hangs from the patient's HL
    assert pyx12_errors(text) == []


def test_a_subscriber_who_is_not_the_patient_needs_only_a_name(pyx12_errors: Callable[[str], list[str]]) -> None:
    holder = Subscriber("JANE", "DOE")
    text = _write(subscriber=holder, patient=KID)
    segments = _segments(text)
    nm1 = [i for i, s in enumerate(segments) if s.tag == "NM1" and s.get(1) == "IL"][0]
    assert segments[nm1 + 1].tag == "NM1" and segments[nm1 + 1].get(1) == "PR"  # no N3/N4/DMG without them
    assert pyx12_errors(text) == []


@pytest.mark.parametrize(
    ("patient", "fragment"),
    [
        (replace(KID, birth_date=None), "patient needs a birth date"),
        (replace(KID, address_line=""), "patient needs a birth date (DMG), an address line and a city"),
        (replace(KID, last_name=""), "patient needs a last name"),
        (replace(KID, zip="123"), "patient ZIP code"),
        (replace(KID, relationship="18"), "patient relationship must be one of"),
    ],
)
def test_a_dependent_needs_full_demographics(patient: Dependent, fragment: str) -> None:
    assert fragment in _error(patient=patient)


def test_without_a_dependent_the_subscriber_still_needs_full_demographics() -> None:
    assert "subscriber needs a birth date" in _error(subscriber=Subscriber("JANE", "DOE"))


# ------------------------------------------------------------------------------------- 4. characters and lengths


def test_x12_text_transliterates_to_the_basic_character_set() -> None:
    assert x12_text("Müller-Ñúñez") == "MULLER-NUNEZ"
    assert x12_text("Strauß Ærøskøbing Łódź O’Brien") == "STRAUSS AEROSKOBING LODZ O'BRIEN"
    assert x12_text(" a*b:c~d^e\tf  ") == "A B C D E F"  # delimiters and controls become single spaces
    assert x12_text("李") == ""


def test_non_ascii_names_are_written_so_pyx12_accepts_them(pyx12_errors: Callable[[str], list[str]]) -> None:
    subscriber = replace(JANE, first_name="Zoë", last_name="MÜLLER-ÑÚÑEZ", address_line="Straße 5", city="Köln")
    patient = replace(KID, first_name="Ægir", last_name="Østergård")
    text = _write(subscriber=subscriber, patient=patient, payer=Payer("Krankenkasse Süd", "87726"))
    assert "NM1*IL*1*MULLER-NUNEZ*ZOE*" in text
    assert "N3*STRASSE 5~" in text and "N4*KOLN*IL*62702~" in text
    assert "NM1*QC*1*OSTERGARD*AEGIR~" in text
    assert "NM1*PR*2*KRANKENKASSE SUD*" in text
    assert text.isascii()
    assert pyx12_errors(text) == []


@pytest.mark.parametrize(
    ("changes", "element"),
    [
        ({"subscriber": replace(JANE, last_name="A" * 61)}, "2010BA NM103 (subscriber last name)"),
        ({"subscriber": replace(JANE, first_name="B" * 36)}, "2010BA NM104 (subscriber first name)"),
        ({"subscriber": replace(JANE, city="C" * 31)}, "2010BA N401 (subscriber city)"),
        ({"subscriber": replace(JANE, address_line="D" * 56)}, "2010BA N301 (subscriber address)"),
        ({"patient": replace(KID, last_name="É" * 61)}, "2010CA NM103 (patient last name)"),
        ({"patient": replace(KID, last_name="李")}, "2010CA NM103 (patient last name)"),
        ({"payer": Payer("P" * 61, "87726")}, "2010BB NM103 (payer name)"),
    ],
)
def test_over_length_or_unwritable_text_is_refused_naming_the_element(changes: dict[str, Any], element: str) -> None:
    message = _error(error=UnwritableText, **changes)
    assert message.startswith(element)


def test_a_long_address_goes_on_two_lines(pyx12_errors: Callable[[str], list[str]]) -> None:
    line = "1234 NORTH SOUTHWESTERN BOULEVARD APARTMENT 1234 BUILDING C WEST WING"
    text = _write(subscriber=replace(JANE, address_line=line))
    assert "N3*1234 NORTH SOUTHWESTERN BOULEVARD APARTMENT 1234*BUILDING C WEST WING~" in text
    assert pyx12_errors(text) == []
    assert address_lines("A" * 55, "2010BA", "x") == ("A" * 55,)
    with pytest.raises(UnwritableText, match="does not fit in N301 and N302"):
        address_lines("A" * 56, "2010BA", "x")


def test_every_name_element_in_a_valid_file_is_within_its_length() -> None:
    """The lengths the guide sets, checked on what is written: a 60-letter name passes, and fits."""
    text = _write(subscriber=replace(JANE, last_name="Ü" * 60, first_name="é" * 35, city="ö" * 30))
    [nm1] = [s for s in _segments(text) if s.tag == "NM1" and s.get(1) == "IL"]
    assert (len(nm1.get(3)), len(nm1.get(4))) == (60, 35)
