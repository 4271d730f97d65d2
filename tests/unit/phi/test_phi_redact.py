import re
from datetime import date

import pytest

from core.phi import detect, redact, redact_with_spans
from core.phi._lexicon import names, places
from core.phi._validate import card_ok, dea_ok, ssn_kind

NOTE = (
    "Pt John Smith (DOB 03/14/1962), MRN 00123456, SSN 219-45-6789. Lives at 123 Main St, Springfield, IL 62704. "
    "Call (312) 555-0187 or email john.smith@gmail.com. Seen 04/01/2020 by Dr. Patel. Mr. Smith is 92 yo."
)
KEY = b"test-key-not-secret"


def test_placeholders() -> None:
    assert redact(NOTE) == (
        "Pt [NAME] (DOB [DATE_OF_BIRTH]), MRN [MEDICAL_RECORD], SSN [SSN]. Lives at [STREET_ADDRESS], [CITY], IL "
        "[ZIP_CODE]. Call [PHONE] or email [EMAIL]. Seen [DATE] by Dr. [NAME]. Mr. [NAME] is [AGE_OVER_89] yo."
    )


def test_text_without_phi_is_unchanged() -> None:
    text = "BP 142/88, 2/6 murmur, metoprolol 25 mg, E11.9, L4-L5, seen at 10:30."
    assert redact(text) == text
    assert redact(text, surrogate=True, key=KEY) == text


def test_surrogates_are_consistent_within_and_across_calls_with_one_key() -> None:
    first = redact(NOTE, surrogate=True, key=KEY)
    assert redact(NOTE, surrogate=True, key=KEY) == first
    # "John Smith" and "Mr. Smith" keep one surrogate surname.
    surname = re.search(r"Pt \w+ (\w+) \(DOB", first).group(1)
    assert f"Mr. {surname} is" in first
    assert surname != "Smith"
    # A second call with other text maps the same value to the same stand-in.
    assert surname in redact("Seen: Mr. Smith.", surrogate=True, key=KEY)


def test_a_possessive_keeps_the_names_surrogate() -> None:
    out = redact("Pt John Smith was seen. Mr. Smith's daughter called.", surrogate=True, key=KEY)
    surname = re.search(r"Pt \w+ (\w+) was", out).group(1)
    assert f"Mr. {surname}'s daughter" in out


def test_redact_with_spans_names_each_replacement_in_the_result() -> None:
    out, spans = redact_with_spans(NOTE, detect(NOTE), surrogate=True, key=KEY)
    assert out == redact(NOTE, surrogate=True, key=KEY)
    assert [kind for _, _, kind in spans] == [f.type for f in detect(NOTE)]
    placeholders, spans = redact_with_spans(NOTE, detect(NOTE))
    assert {placeholders[a:b] for a, b, _ in spans} >= {"[NAME]", "[SSN]", "[EMAIL]"}


def test_surrogates_differ_with_another_key() -> None:
    assert redact(NOTE, surrogate=True, key=KEY) != redact(NOTE, surrogate=True, key=b"another key")


def test_surrogates_replace_every_original_value() -> None:
    out = redact(NOTE, surrogate=True, key=KEY)
    for f in detect(NOTE):
        value = NOTE[f.start : f.end]
        if f.type != "age_over_89":
            assert value not in out, f"{f.type} {value!r} survived"
    assert "90+" in out


def test_surrogate_names_come_from_the_lists_and_keep_case() -> None:
    out = redact("PT JOHN SMITH SEEN BY DR PATEL", surrogate=True, key=KEY)
    m = re.fullmatch(r"PT ([A-Z]+) ([A-Z]+) SEEN BY DR ([A-Z]+)", out)
    assert m, out
    nl = names()
    assert m.group(1) in nl.pool_first
    assert m.group(2).upper() in {n.upper() for n in nl.pool_last}
    mixed = redact("Dr. Patel", surrogate=True, key=KEY)
    assert re.fullmatch(r"Dr\. [A-Z][a-z]+", mixed)


def test_surrogate_ssn_is_neither_an_ssn_nor_an_itin() -> None:
    for value in ("219-45-6789", "078-05-1120", "912-70-1234", "001-01-0001"):
        fake = redact(f"SSN {value}", surrogate=True, key=KEY).removeprefix("SSN ")
        assert re.fullmatch(r"9\d\d-\d\d-\d{4}", fake)
        area, group, serial = fake.split("-")
        assert ssn_kind(area, group, serial) is None
        assert detect(f"SSN {fake}") == []


def test_surrogate_dates_shift_by_one_offset_and_keep_their_format() -> None:
    out = redact(
        "Admitted 03/14/2021, discharged 03/20/2021. Seen March 1st, 2021 and 2021-04-01.", surrogate=True, key=KEY
    )
    m = re.fullmatch(
        r"Admitted (\d\d)/(\d\d)/(\d{4}), discharged (\d\d)/(\d\d)/(\d{4})\. Seen ([A-Z][a-z]+) (\d+)(st|nd|rd|th), "
        r"(\d{4}) and (\d{4})-(\d\d)-(\d\d)\.",
        out,
    )
    assert m, out
    g = m.groups()
    admitted = date(int(g[2]), int(g[0]), int(g[1]))
    discharged = date(int(g[5]), int(g[3]), int(g[4]))
    assert (discharged - admitted).days == 6
    assert admitted != date(2021, 3, 14)
    shift = date(2021, 3, 14) - admitted
    assert date(int(g[10]), int(g[11]), int(g[12])) == date(2021, 4, 1) - shift


def test_surrogate_phone_and_email_are_fiction() -> None:
    out = redact("Call (312) 555-0187 or john@gmail.com", surrogate=True, key=KEY)
    assert re.fullmatch(r"Call \(\d{3}\) 555-01\d\d or user\d{6}@example\.org", out)


def test_surrogate_ids_keep_their_shape_and_fail_check_digits() -> None:
    out = redact("Member ID: XYZ123456789. Card 4111 1111 1111 1111. DEA AB1234563.", surrogate=True, key=KEY)
    m = re.fullmatch(r"Member ID: ([A-Z]{3}\d{9})\. Card (\d{4} \d{4} \d{4} \d{4})\. DEA ([A-Z]{2}\d{7})\.", out)
    assert m, out
    assert not card_ok(m.group(2).replace(" ", ""))
    assert not dea_ok(m.group(3))


def test_surrogate_city_comes_from_the_place_list() -> None:
    out = redact("Springfield, IL 62704", surrogate=True, key=KEY)
    city = out.split(",")[0]
    assert city in places().pool


def test_default_key_is_per_process_but_consistent() -> None:
    assert redact(NOTE, surrogate=True) == redact(NOTE, surrogate=True)


@pytest.mark.parametrize(
    ("area", "group", "serial", "kind"),
    [
        ("219", "45", "6789", "ssn"),
        ("000", "12", "3456", None),
        ("666", "12", "3456", None),
        ("123", "00", "4567", None),
        ("123", "45", "0000", None),
        ("078", "05", "1120", "sample"),
        ("123", "45", "6789", "sample"),
        ("912", "70", "1234", "itin"),
        ("912", "93", "1234", None),
        ("912", "40", "1234", None),
        ("999", "99", "9999", "itin"),
    ],
)
def test_ssn_rules(area: str, group: str, serial: str, kind: str | None) -> None:
    assert ssn_kind(area, group, serial) == kind


@pytest.mark.parametrize(
    ("value", "ok"), [("AB1234563", True), ("AB1234564", False), ("A91234563", True), ("IB1234563", False)]
)
def test_dea_check_digit(value: str, ok: bool) -> None:
    assert dea_ok(value) is ok


def test_vin_and_card_check_digits() -> None:
    from core.phi._validate import ipv4_ok, vin_ok

    assert vin_ok("1HGCM82633A004352") and not vin_ok("1HGCM82633A004353") and not vin_ok("1HGCM82633A00435")
    assert card_ok("4111111111111111") and not card_ok("4111111111111112") and not card_ok("1234567812345670")
    assert ipv4_ok("192.168.1.25") and not ipv4_ok("192.168.1.256") and not ipv4_ok("01.2.3.4")
