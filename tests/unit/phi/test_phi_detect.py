import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.phi import PHI_TYPES, Finding, detect, severity

ROOT = Path(__file__).resolve().parents[3]


def spans(text: str) -> set[tuple[str, str]]:
    return {(f.type, text[f.start : f.end]) for f in detect(text)}


# (text, the identifier's exact text, its type): each type, in several formats.
POSITIVE = [
    # names: titles, cues, First Last pairs, Last, First, credentials, names outside the census lists
    ("Seen at 10:30 by Dr. Patel.", "Patel", "name"),
    ("PT JOHN SMITH SEEN BY DR PATEL", "JOHN SMITH", "name"),
    ("PT JOHN SMITH SEEN BY DR PATEL", "PATEL", "name"),
    ("Called daughter Maria at home.", "Maria", "name"),
    ("Spoke with wife Priya Ross about the plan.", "Priya Ross", "name"),
    ("Patient: Kwame L. Szczepanski", "Kwame L. Szczepanski", "name"),
    ("Smith, John is the patient.", "Smith, John", "name"),
    ("Electronically signed by: Raj Patel, MD", "Raj Patel", "name"),
    ("Mrs. Eleanor Whitfield was admitted.", "Eleanor Whitfield", "name"),
    ("Seen with Mary-Kate Olsen today.", "Mary-Kate Olsen", "name"),
    ("Dr. O'Brien reviewed the films.", "O'Brien", "name"),
    ("Yusuf Gallagher (DOB 5/6/33) presents", "Yusuf Gallagher", "name"),
    # places
    ("Lives at 123 Main St, Springfield, IL 62704.", "123 Main St", "street_address"),
    ("Lives at 123 Main St, Springfield, IL 62704.", "Springfield", "city"),
    ("Lives at 123 Main St, Springfield, IL 62704.", "62704", "zip_code"),
    ("Lives in Springfield IL 62701.", "62701", "zip_code"),  # no comma after the city (was missed)
    ("Springfield IL 62701-1234", "62701-1234", "zip_code"),
    ("44 Elm St Apt 4B", "44 Elm St Apt 4B", "street_address"),
    ("Mail to PO Box 123.", "PO Box 123", "street_address"),
    ("1600 Pennsylvania Ave NW, Washington, DC 20500-0003", "20500-0003", "zip_code"),
    ("Zip: 60614", "60614", "zip_code"),
    ("She moved to Phoenix last year.", "Phoenix", "city"),
    ("Lives in Normal, IL with her son.", "Normal", "city"),
    ("A resident of Cook County.", "Cook County", "city"),
    ("Jackson, MS 39201", "Jackson", "city"),
    # dates
    ("Admitted 03/14/2021 for CHF.", "03/14/2021", "date"),
    ("Admitted 3-14-21.", "3-14-21", "date"),
    ("Admitted 2021-03-14.", "2021-03-14", "date"),
    ("Admitted 14 Mar 2021.", "14 Mar 2021", "date"),
    ("Admitted March 14th, 2021.", "March 14th, 2021", "date"),
    ("Next appointment Mar 14.", "Mar 14", "date"),
    ("Surgery in March 2019.", "March 2019", "date"),
    ("Follow up on 3/20.", "3/20", "date"),
    ("Seen 14-MAR-2021.", "14-MAR-2021", "date"),
    ("DOB: 03/14/1962", "03/14/1962", "date_of_birth"),
    ("Date of Birth: March 14, 1962", "March 14, 1962", "date_of_birth"),
    ("born on 14 March 1962 in Ohio", "14 March 1962", "date_of_birth"),
    ("D.O.B.: 14MAR1962", "14MAR1962", "date_of_birth"),
    # ages over 89, with a cue; the span is the number
    ("A 92 yo woman", "92", "age_over_89"),
    ("Pt is a 101-year-old man", "101", "age_over_89"),
    ("Age: 93", "93", "age_over_89"),
    ("a 95 y/o female", "95", "age_over_89"),
    ("ninety-two year old man", "ninety-two", "age_over_89"),
    # contact
    ("Call (312) 555-0187 today.", "(312) 555-0187", "phone"),
    ("Call 312.555.0187 ext. 204", "312.555.0187 ext. 204", "phone"),
    ("Cell: 3125550187", "3125550187", "phone"),
    ("Call +44 20 7946 0958", "+44 20 7946 0958", "phone"),
    ("Fax: (312) 555-0199", "(312) 555-0199", "fax"),
    ("Please fax records to 312-555-0199.", "312-555-0199", "fax"),
    ("email: j.doe+notes@mail.uchicago.edu", "j.doe+notes@mail.uchicago.edu", "email"),
    ("see https://portal.example.com/p/123.", "https://portal.example.com/p/123", "url"),
    ("see mychart.example.org/visit/123 for results", "mychart.example.org/visit/123", "url"),
    ("login from 192.168.1.25", "192.168.1.25", "ip_address"),
    ("login from 2001:0db8:85a3:0000:0000:8a2e:0370:7334", "2001:0db8:85a3:0000:0000:8a2e:0370:7334", "ip_address"),
    ("from fe80::1ff:fe23:4567:890a", "fe80::1ff:fe23:4567:890a", "ip_address"),
    # SSN and ITIN
    ("SSN 219-45-6789", "219-45-6789", "ssn"),
    ("219 45 6789 on file", "219 45 6789", "ssn"),
    ("SSN#: 219456789", "219456789", "ssn"),
    ("ITIN 912-70-1234", "912-70-1234", "ssn"),
    # ids after their cues
    ("MRN: 00123456", "00123456", "medical_record"),
    ("MRN#1234567", "1234567", "medical_record"),
    ("Medical Record No.: 12-34-567", "12-34-567", "medical_record"),
    ("Member ID: XYZ123456789", "XYZ123456789", "health_plan_id"),
    ("Policy # 998877665", "998877665", "health_plan_id"),
    ("Medicare MBI 1EG4TE5MK73", "1EG4TE5MK73", "health_plan_id"),
    ("Acct no. 4421-8890", "4421-8890", "account_number"),
    ("card 4111 1111 1111 1111 on file", "4111 1111 1111 1111", "account_number"),
    ("card 4111111111111111 on file", "4111111111111111", "account_number"),
    ("License #: A1234567", "A1234567", "license_number"),
    ("DEA# AB1234563", "AB1234563", "license_number"),
    ("Serial no. SN12345678", "SN12345678", "device_id"),
    ("UDI (01)00643169001763(17)160712(21)21A11F4855", "(01)00643169001763(17)160712(21)21A11F4855", "device_id"),
    ("IMEI 490154203237518", "490154203237518", "device_id"),
    ("Plate ABC 1234 on the car", "ABC 1234", "vehicle_id"),
    ("VIN 1HGCM82633A004352", "1HGCM82633A004352", "vehicle_id"),
    ("VIN: JH4KA7561PC008269", "JH4KA7561PC008269", "vehicle_id"),
    ("found 1HGCM82633A004352 on the dash", "1HGCM82633A004352", "vehicle_id"),
    ("Encounter # 55512345", "55512345", "other_id"),
    ("Claim # 2023-0001234", "2023-0001234", "other_id"),
]


@pytest.mark.parametrize(("text", "value", "kind"), POSITIVE)
def test_identifier_found_with_type_and_exact_span(text: str, value: str, kind: str) -> None:
    assert (kind, value) in spans(text)


# Clinical look-alikes and non-PHI: nothing may be found in these.
NEGATIVE = [
    "BP 142/88, HR 92, RR 18, T 98.6F, SpO2 94% on 2L NC.",
    "2/6 systolic murmur at RUSB",
    "metoprolol 25 mg PO BID; levothyroxine 0.05 mg daily; 0.5 mg q4h PRN",
    "ABG 7.36/25/-1, lactate 2.1",
    "Dx E11.9, I50.9, N18.3; CPT 99213",
    "MRI: L4-L5 disc herniation, C5-6 stenosis, T12 compression fracture",
    "Seen at 10:30 and again at 14:45",
    "SHIFT.PR completed",
    "Ht 5'10\", Wt 82 kg, BMI 27.1",
    "cough x3 days; 2 tabs x7 days",
    "Former smoker, quit in 2010. Diagnosed in 2019.",
    "A 67 yo man, age 45, 89 year old",
    "pain 7/10, improved to 3/10; 1/2 tab at bedtime",
    "Vaccine lot 4471123. Order set 2201. 1234567. 12345678.",
    "NPI: 1234567893",
    "NPI 1234567893 on the claim",
    "SSN 000-12-3456 and 666-12-3456 and 123-00-4567 and 123-45-0000",
    "Call 123-456-7890",
    "Dates 02/30/2020 and 13/13/2020 do not exist",
    "Allen test negative. Murphy sign negative. Graves disease. Foley catheter removed. Bell palsy.",
    "Parkinson's disease. Hodgkin lymphoma. Crohn disease. Down syndrome. Glasgow Coma Scale 15.",
    "Will follow up. May return PRN. Brown sputum. White count up. Hope to discharge.",
    "Patient: Alert and oriented x3",
    "Mother: breast cancer. Father: MI at 60.",
    "HTN, COPD, CHF, CKD, PRN, BID, NKDA, PERRLA, EOMI, CTAB, RRR",
    "Gleason 3+4=7. T2N0M0. G2P1. QTc 452 ms. EF 35-40%.",
    "Version 2.1.12 of the protocol",
    "Room 412B, bed 3.",
    "in 2/6 patients",
    "QTc 432 ms. BP 110/76",
]


@pytest.mark.parametrize("text", NEGATIVE)
def test_look_alikes_are_not_findings(text: str) -> None:
    assert detect(text) == []
    assert detect(text.upper()) == [], "the ALL-CAPS version must not be flagged either"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "PT JOHN SMITH SEEN BY DR PATEL. HTN, COPD, BP 142/88, CHF, PRN SHIFT.PR",
            {("name", "JOHN SMITH"), ("name", "PATEL")},
        ),
        (
            "PATIENT NAME: MARIA LOPEZ  DOB: 03/14/1962  MRN: 00123456\nCALLED DAUGHTER ANA AT (312) 555-0187.",
            {
                ("name", "MARIA LOPEZ"),
                ("date_of_birth", "03/14/1962"),
                ("medical_record", "00123456"),
                ("name", "ANA"),
                ("phone", "(312) 555-0187"),
            },
        ),
        (
            "LIVES AT 123 MAIN ST, SPRINGFIELD, IL 62704. SON AGREES WITH PLAN. WIFE AT BEDSIDE.",
            {("street_address", "123 MAIN ST"), ("city", "SPRINGFIELD"), ("zip_code", "62704")},
        ),
        ("QTC 432 MS. BP 110/76, HR 74. PATIENT WILL FOLLOW UP. MAY RETURN PRN.", set()),
    ],
)
def test_all_caps_notes(text: str, expected: set[tuple[str, str]]) -> None:
    assert spans(text) == expected


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Mrs. Will", "Will"),  # a common word is a name after a title
        ("Ms. May Brown", "May Brown"),
        ("Dr. Bush", "Bush"),
        ("John Smith was seen", "John Smith"),  # an unambiguous first name carries an ambiguous-or-not surname
    ],
)
def test_ambiguous_words_are_names_with_help(text: str, value: str) -> None:
    assert ("name", value) in spans(text)


@pytest.mark.parametrize("text", ["Will Brown", "WILL BROWN", "May Green", "brown discharge noted", "Bush"])
def test_ambiguous_words_alone_are_not_names(text: str) -> None:
    assert detect(text) == []


def test_name_is_found_again_after_it_was_established() -> None:
    text = "Mrs. Whitfield was seen. Later Whitfield asked about discharge."
    found = [text[f.start : f.end] for f in detect(text) if f.type == "name"]
    assert found == ["Whitfield", "Whitfield"]


def test_date_after_a_name_is_not_swallowed_by_the_name() -> None:
    text = "Electronically signed by: Dr. Hill June 3rd, 2018"
    assert spans(text) == {("name", "Hill"), ("date", "June 3rd, 2018")}


def test_sample_ssns_are_found_with_a_low_score() -> None:
    found = {t: f.score for f in detect("SSN 078-05-1120, real 219-45-6789") for t in [f.type]}
    scores = sorted(f.score for f in detect("SSN 078-05-1120, real 219-45-6789"))
    assert found.keys() == {"ssn"}
    assert scores == [0.5, 0.95]


def test_npi_is_not_read_as_a_phone() -> None:
    assert detect("NPI 1234567893") == []
    assert spans("Cell 3125550187") == {("phone", "3125550187")}


def test_bare_numbers_need_a_cue() -> None:
    assert detect("Result 00123456 noted") == []
    assert spans("MRN 00123456 noted") == {("medical_record", "00123456")}
    assert detect("CPT 99213") == []
    assert spans("Springfield, IL 99213") == {("city", "Springfield"), ("zip_code", "99213")}


def test_findings_are_sorted_non_overlapping_and_typed() -> None:
    text = (
        "Pt John Smith (DOB 03/14/1962), MRN 00123456, SSN 219-45-6789, lives at 123 Main St, Springfield, IL 62704; "
        "email john.smith@gmail.com; phone (312) 555-0187; fax 312-555-0199; member ID XYZ123456789."
    )
    found = detect(text)
    assert len(found) >= 10
    names = {name for name, _ in PHI_TYPES}
    for a, b in zip(found, found[1:], strict=False):
        assert a.end <= b.start
    for f in found:
        assert isinstance(f, Finding)
        assert f.type in names
        assert 0.0 < f.score <= 1.0
        assert 0 <= f.start < f.end <= len(text)


def test_offsets_are_code_points_with_non_ascii_text() -> None:
    text = "Café é naïve — İstanbul: Dr. Patel, tel (312) 555-0187"
    found = {f.type: (f.start, f.end) for f in detect(text)}
    start, end = found["phone"]
    assert text[start:end] == "(312) 555-0187"
    start, end = found["name"]
    assert text[start:end] == "Patel"


def test_empty_text() -> None:
    assert detect("") == []


def test_detection_is_deterministic_across_processes() -> None:
    script = (
        "from core.phi import detect\n"
        "t = 'PT JOHN SMITH SEEN BY DR PATEL; Mrs. Will; daughter Maria Lopez at (312) 555-0187; DOB 3/14/62'\n"
        "print([(f.type, f.start, f.end, f.score) for f in detect(t)])\n"
    )
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_phi_types_cover_the_contract() -> None:
    names = [name for name, _ in PHI_TYPES]
    required = {
        "name",
        "street_address",
        "city",
        "facility",
        "organization",
        "zip_code",
        "date",
        "date_of_birth",
        "age_over_89",
        "phone",
        "fax",
        "email",
        "ssn",
        "medical_record",
        "health_plan_id",
        "account_number",
        "license_number",
        "vehicle_id",
        "device_id",
        "url",
        "ip_address",
        "other_id",
    }
    assert set(names) == required
    assert len(names) == len(set(names))
    assert all(description for _, description in PHI_TYPES)


@pytest.mark.parametrize(
    ("kind", "level"),
    [
        ("ssn", "high"),
        ("name", "high"),
        ("medical_record", "high"),
        ("health_plan_id", "high"),
        ("date", "medium"),
        ("zip_code", "medium"),
        ("device_id", "medium"),
        ("city", "low"),
    ],
)
def test_severity(kind: str, level: str) -> None:
    assert severity(kind) == level


def test_severity_of_every_type_and_unknown() -> None:
    assert {severity(name) for name, _ in PHI_TYPES} <= {"high", "medium", "low"}
    with pytest.raises(ValueError, match="unknown PHI type"):
        severity("SSN")


def test_every_finding_says_what_found_it() -> None:
    """Explainable (issue 12): the rule or list behind each span, for a reviewer deciding whether it was right."""
    text = (
        "MRN 4471234. dtr rosalind called 410-555-0199 on 3/14. Transferred to Holy Cross Hospital. "
        "Seen by Dr. Okafor. E-mail j.doe@example.org"
    )
    rules = {text[f.start : f.end]: f.rule for f in detect(text)}
    assert rules["4471234"] == "cue:mrn"
    assert rules["rosalind"] == "names:context"
    assert rules["410-555-0199"] == "shape:phone"
    assert rules["Holy Cross Hospital"] == "place:type"
    assert rules["j.doe@example.org"] == "shape:email"
    assert all(rules.values()), rules
