"""Dates and phones as clinical notes write them, and the clinical look-alikes that must stay in the text.

Hand-written cases (issue 12): month/day dates with no cue word, month-year forms, apostrophe years, lower-case
months; pagers, split and local phone numbers; ventilator settings, fluids, fractions, pain scores and strengths.
"""

import pytest

from core.phi import detect


def spans(text: str) -> set[tuple[str, str]]:
    return {(f.type, text[f.start : f.end]) for f in detect(text)}


DATES = [
    # month/day with no cue word, in telegraphic and all-caps text
    ("PMH: S/P CABG 4/19, HTN, DM", "4/19"),
    ("11/3 NOTED TO BE MORE CONFUSED", "11/3"),
    ("blood cx from 6/14 no growth", "6/14"),
    ("ECHO 2/27 WITH EF 30%", "2/27"),
    ("transferred to the unit.5/22 started on heparin", "5/22"),
    ("ACCESS-L IJ-4/11. GI: TF at goal", "4/11"),
    ("intubated 3/29-4/2 for pneumonia", "3/29-4/2"),
    # month/year and day/month/year forms
    ("s/p appendectomy 6/93, no other surgery", "6/93"),
    ("last colonoscopy 04/2011 was normal", "04/2011"),
    ("Stroke in August of 2014 without deficits", "August of 2014"),
    ("knee replaced in april of 2003", "april of 2003"),
    # apostrophe years
    ("PMH: TIA '88, CHF", "'88"),
    ("'07 PCI to RCA", "'07"),
    # lower-case months: with a year, or after a preposition
    ("she was seen in oct. 2018 for the same", "oct. 2018"),
    ("planned for may 9, 2021", "may 9, 2021"),
    ("last drink was in march 12", "march 12"),
    ("symptoms began in sept. and got worse", "sept."),
    # a dash month-day right after a date cue
    ("returned to the cath lab on 6-9 for a stent", "6-9"),
]


@pytest.mark.parametrize(("text", "value"), DATES)
def test_dates_by_shape_and_context(text: str, value: str) -> None:
    assert ("date", value) in spans(text)


LOOK_ALIKES = [
    # ventilator modes and settings
    "weaned to CPAP 5/5 this morning, tolerating well",
    "on PSV 10/5 with FiO2 40%",
    "vent settings SIMV 500x10, 40%, & 8/5",
    "placed on bipap 12/6 overnight",
    "cpap/ps (10/5) with good sats",
    "continued to wean down to 10/5",
    # fluids, doses, fractions, strengths, counts
    "IVF changed to 1/2 NS at 100cc/hr",
    "D5 1/2 with 20 KCL at 75/hr",
    "tube feeds at 3/4 strength",
    "crackles 1/3 up bilaterally",
    "slept 2 1/2 hrs",
    "grips 5/5 bilaterally, PERRLA 3/3",
    "blood cx 4/4 bottles positive",
    "2/6 SEM at LUSB",
    "on 5/5 since noon",
    # pain scores
    "c/o incisional pain 6/10, medicated",
    "CP 4/10 relieved with NTG",
    "rates discomfort #3/10",
    # ranges and heights are not dates; nor is a bare year
    "wheezing 2-3 days, on 2-4 L NC",
    "Ht 5'11\", wt 80 kg",
    "quit smoking in 2009",
    "it may 2 be ok",
]


@pytest.mark.parametrize("text", LOOK_ALIKES)
def test_clinical_ratios_are_not_dates(text: str) -> None:
    # Each note line starts with a bare date: it is found, the look-alike after it is not.
    line = f"9/14: {text}"
    assert [(f.type, line[f.start : f.end]) for f in detect(line)] == [("date", "9/14")]


PHONES = [
    # pagers: a 5-digit number right after a pager word
    ("Pager #54321 for questions", "54321"),
    ("can be paged at beeper number 61234", "61234"),
    ("PT/OT: PG 23456", "23456"),
    # split, odd and local formats
    ("son: CELLULAR-443 219-7780", "443 219-7780"),
    ("dtr Ann Cole- 718- 392- 6640", "718- 392- 6640"),
    ("wife (917/448/2031) aware of plan", "917/448/2031"),
    ("HOME-384-2210 and WORK-443 219-7780", "384-2210"),
    ("can be reached at 617 4429310", "617 4429310"),
    # an area code not in service is still a phone in a phone context
    ("tel 376-392-0123", "376-392-0123"),
    ("call 376 392 0123 today", "376 392 0123"),
]


@pytest.mark.parametrize(("text", "value"), PHONES)
def test_phones_by_shape_and_context(text: str, value: str) -> None:
    assert ("phone", value) in spans(text)


def test_assist_control_settings_are_not_account_numbers() -> None:
    assert spans("9/14: vented on A/C 600x12, 40%, 5 PEEP; a/c 12x650") == {("date", "9/14")}
    assert spans("A/C # 00123456789") == {("account_number", "00123456789")}


def test_doses_and_tubes_in_capitals_are_not_streets() -> None:
    text = "9/14: BS COVER W 4U REG SQ. 2 MEDIASTINAL CT TO SX. MOVES X 4 EXTREMITIES. HEAD CT NEG"
    assert spans(text) == {("date", "9/14")}
    assert spans("LIVES AT 12 OAK CT") == {("street_address", "12 OAK CT")}


def test_phone_shapes_without_a_phone_context_are_not_phones() -> None:
    # an unassigned area code with nothing saying "phone"; a time range; a volume range
    text = "9/14: result 376-392-0123 noted; DTV 930-1130PM; UO 250-1200 cc/hr"
    assert spans(text) == {("date", "9/14")}
