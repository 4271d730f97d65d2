"""Places without an address (core/phi/_places.py): facilities, named wards and units, employers, cities.

Every text here is made up. Each case sets a place next to clinical look-alikes that must stay, so each test fails
both when the place pass finds nothing and when it finds too much.
"""

from __future__ import annotations

import pytest

from core.phi import detect, redact, severity

PLACE_TYPES = {"facility", "organization", "city"}


def places_in(text: str) -> list[tuple[str, str]]:
    return [(f.type, text[f.start : f.end]) for f in detect(text) if f.type in PLACE_TYPES]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a type word after the name, in Title case, capitals and lower case
        ("Seen at Rockford Hospital in May for a fall.", [("facility", "Rockford Hospital")]),
        ("Discharge planning: a bed at the Baptist Clinic.", [("facility", "Baptist Clinic")]),
        ("PT WAS ADMITTED TO ELMWOOD HOSP FOR CHEST PAIN", [("facility", "ELMWOOD HOSP")]),
        ("plan is to go to sacred grove hospital tomorrow", [("facility", "sacred grove hospital")]),
        ("Came from Greater Fairview Med Ctr by helicopter.", [("facility", "Greater Fairview Med Ctr")]),
        # Saint + a first name
        ("Will return to St. Agnes after weaning.", [("facility", "St. Agnes")]),
    ],
)
def test_facility_with_a_type_word(text: str, expected: list[tuple[str, str]]) -> None:
    assert places_in(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Transferred to Methodist for cath.", [("facility", "Methodist")]),
        ("83 yo transferred from Hollister 3 this evening", [("facility", "Hollister 3")]),
        ("plan: transfer to hollister 3 in am", [("facility", "hollister 3")]),
        ("Taken to Harwick ER by ambulance.", [("facility", "Harwick ER")]),
        ("ARRIVED FROM RMH INTUBATED", [("facility", "RMH")]),
    ],
)
def test_facility_after_a_movement_verb(text: str, expected: list[tuple[str, str]]) -> None:
    assert places_in(text) == expected


def test_a_facility_found_once_is_found_again() -> None:
    text = "Transferred to Kestrel 2 overnight. Labs drawn on Kestrel were normal."
    assert places_in(text) == [("facility", "Kestrel 2"), ("facility", "Kestrel")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("He works at Dalton Mills as a foreman.", [("organization", "Dalton Mills")]),
        ("EMPLOYER: Ridgeway Foods", [("organization", "Ridgeway Foods")]),
        ("Retired from Consolidated Edison in 2010.", [("organization", "Consolidated Edison")]),
        ("she works at Brookline Memorial as an aide", [("facility", "Brookline Memorial")]),
    ],
)
def test_employer_after_a_cue(text: str, expected: list[tuple[str, str]]) -> None:
    assert places_in(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Social: has a bakery in Tuscaloosa.", [("city", "Tuscaloosa")]),
        ("daughter from Kalamazoo called for an update", [("city", "Kalamazoo")]),
        ("Wife returned to San Antonio today.", [("city", "San Antonio")]),
        ("social: lives alone in schenectady, son nearby", [("city", "schenectady")]),
        ("SON IN ALBUQUERQUE AWARE OF PLAN", [("city", "ALBUQUERQUE")]),
    ],
)
def test_city_without_a_state(text: str, expected: list[tuple[str, str]]) -> None:
    assert places_in(text) == expected


@pytest.mark.parametrize(
    "look_alike",
    [
        "DOUGLAS POUCH with fluid.",
        "Blake drain to bulb suction.",
        "closed with #0 Vicryl.",
        "RUSSIAN SPEAKING, daughter translates.",
        "Pelvic floor exercises taught.",
        "Given 10 units of insulin.",
        "Transferred to CCU from the floor.",
        "Went to cath lab, returned to the unit.",
        "Plan to go to rehab; cardiac rehab referral.",
        "Records from outside hospital reviewed.",
        "Follows in pain clinic.",
        "Clots in foley, irrigated.",
        "Can converse in English.",
        "went into rapid afib",
        "He is going to die, he says.",
        "TRANSFER TO MICU FOR CLOSER MONITORING",
    ],
)
def test_clinical_look_alikes_are_not_places(look_alike: str) -> None:
    text = f"Transferred to Methodist for cath. {look_alike}"
    assert places_in(text) == [("facility", "Methodist")]


def test_places_are_redacted_with_their_type_and_a_surrogate_keeps_the_type_word() -> None:
    text = "Seen at Rockford Hospital; works at Dalton Mills; son in Tuscaloosa."
    assert redact(text) == "Seen at [FACILITY]; works at [ORGANIZATION]; son in [CITY]."
    fake = redact(text, surrogate=True, key=b"k")
    assert "Rockford" not in fake and "Dalton" not in fake and "Tuscaloosa" not in fake
    assert " Hospital;" in fake and " Company;" in fake
    assert fake == redact(text, surrogate=True, key=b"k")


def test_place_severities() -> None:
    assert severity("facility") == "low"
    assert severity("organization") == "low"


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("plan to transfer to brannigan 4 when bed available", "brannigan 4"),
        ("FOUND UNRESPONSIVE ON ZELLWEGER 6; CODE CALLED", "ZELLWEGER 6"),
        ("PLAN: ZELLWEGER 2 WHEN BED AVAIL.", "ZELLWEGER 2"),
        ("UO low for 2 hrs per Brannigan 3 RN", "Brannigan 3"),
        ("PT ADMITTED FROM UNIVERSITY OF VERMONT MEDICAL YESTERDAY", "UNIVERSITY OF VERMONT MEDICAL"),
        ("insulin per U Vermont scale", "U Vermont"),
        ("89 yo woman, Albertson House NH resident, admitted", "Albertson House NH"),
        ("plans to go to sacred heart hospital at 4pm", "sacred heart hospital"),
        ("daughter Grace of Reisterstown visited tonight", "Reisterstown"),
    ],
)
def test_named_wards_universities_and_homes(text: str, span: str) -> None:
    found = [text[f.start : f.end] for f in detect(text) if f.type in ("facility", "city")]
    assert span in found, (text, found)


@pytest.mark.parametrize(
    "text",
    [
        "RESPONDED WELL TO LASIX 80 MG GIVEN LAST EVE",
        "REMAINS ON LOPRESSOR 12.5 MG BID",
        "excellent response to lasix 20 iv as ordered",
        "order to transfuse 2 additional units",
        "titrated per fingersticks 1-2u/hr",
        "ABG PRIOR TO INTUBATION 7.23/115/38",
    ],
)
def test_a_drug_and_its_dose_is_no_ward(text: str) -> None:
    assert [f for f in detect(text) if f.type == "facility"] == [], text


def test_a_state_is_no_city() -> None:
    """Safe Harbor keeps states: 'lives in California' names no town (the cue pass read the town of that name)."""
    assert detect("Niece lives in California, phone on file") == []


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.type, text[f.start : f.end]) for f in detect(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("She trained at Baylor College of Medicine.", [("facility", "Baylor College of Medicine")]),
        ("Lives on Juniper Hollow Lane with her husband.", [("street_address", "Juniper Hollow Lane")]),
        ("The farm is off Cutter Ridge Road.", [("street_address", "Cutter Ridge Road")]),
    ],
)
def test_schools_and_streets_without_a_number(text: str, expected: list[tuple[str, str]]) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Taught at a college of medicine for years.",
        "Wound on the left side; drains to the Way station of the tube.",
        "An appointment was made at PM&R Spine Clinic.",  # a department, named by its specialty
    ],
)
def test_no_school_or_street_without_its_shape(text: str) -> None:
    assert _found(text) == []
