"""basic_formatter on dictation as doctors say it: clinical spoken numbers become digits, ordinary words stay
words, punctuation and sentence case are tidied, and no word is lost."""

from __future__ import annotations

import re

import pytest

from core.processors import BasicFormatter, format_text, write_numbers


@pytest.mark.parametrize(
    ("said", "written"),
    [
        # blood pressure, colloquial and formal
        ("blood pressure is one forty two over eighty eight", "blood pressure is 142/88"),
        ("BP one twenty over eighty", "BP 120/80"),
        ("pressure was one oh five over sixty", "pressure was 105/60"),
        ("one hundred and ten over seventy millimeters of mercury", "110/70 mmHg"),
        ("ninety over sixty", "90/60"),
        ("142 over eighty eight", "142/88"),
        # decimals
        ("temperature ninety eight point six", "temperature 98.6"),
        ("creatinine came back at one point two", "creatinine came back at 1.2"),
        ("an A1c of seven point four", "an A1c of 7.4"),
        # doses
        ("metformin five hundred milligrams twice daily", "metformin 500 mg twice daily"),
        ("lisinopril two point five milligrams daily", "lisinopril 2.5 mg daily"),
        ("lorazepam point five milligrams at bedtime", "lorazepam 0.5 mg at bedtime"),
        ("vitamin D fifty thousand units weekly", "vitamin D 50000 units weekly"),
        ("levothyroxine eighty eight micrograms", "levothyroxine 88 mcg"),
        ("ceftriaxone one gram IV", "ceftriaxone 1 g IV"),
        ("enoxaparin one milligram per kilogram", "enoxaparin 1 mg/kg"),
        ("take one to two tablets every four to six hours", "take 1 to 2 tablets every 4 to 6 hours"),
        ("take one twenty milligram tablet", "take one 20 mg tablet"),
        ("two puffs of albuterol", "2 puffs of albuterol"),
        # vitals by name
        ("pulse seventy two, respirations sixteen", "pulse 72, respirations 16"),
        ("heart rate of one ten", "heart rate of 110"),
        ("weight is one eighty five pounds", "weight is 185 pounds"),
        ("saturating ninety four percent on room air", "saturating 94% on room air"),
        ("pain is seven out of ten", "pain is 7/10"),
        ("motor strength five out of five in all extremities", "motor strength 5/5 in all extremities"),
        # ages and durations
        ("a fifty two year old man", "a 52-year-old man"),
        ("a sixty-seven-year-old woman", "a 67-year-old woman"),
        ("symptoms for three weeks", "symptoms for 3 weeks"),
        # dates
        ("seen on march third twenty twenty six", "seen on March 3, 2026"),
        ("last colonoscopy on the twenty first of june twenty nineteen", "last colonoscopy on June 21, 2019"),
        ("surgery on January fifteenth, two thousand and five", "surgery on January 15, 2005"),
        ("follow up on May first", "follow up on May 1"),
        ("born october ninth nineteen eighty five", "born October 9, 1985"),
    ],
)
def test_clinical_spoken_numbers_are_written_as_digits(said: str, written: str) -> None:
    assert write_numbers(said) == written


@pytest.mark.parametrize(
    "said",
    [
        "one of the nurses called",
        "she would like a second opinion",
        "no one at home smokes",
        "she has two children and one sister",
        "at one point he felt dizzy",
        "the first time it happened",
        "on second thought we will wait",
        "one day she noticed a lump",
        "you may first try ice",
        "he has been there one or two times",
        "we went over the results",
        "one more thing",
        "the patient is one of four siblings",
        "over the past year",
        "take one at night",
        "a few days ago",
        "three out of ten patients improve",
    ],
)
def test_ordinary_words_stay_words(said: str) -> None:
    assert write_numbers(said) == said


def test_only_the_number_changes_in_a_sentence() -> None:
    said = (
        "Patient (Mr. X) reports, quote, pain; BP one thirty over eighty five -- and Tylenol five hundred milligrams."
    )
    assert write_numbers(said) == "Patient (Mr. X) reports, quote, pain; BP 130/85 -- and Tylenol 500 mg."


def test_an_implausible_pressure_is_not_a_pressure() -> None:
    assert write_numbers("eighty over one twenty") == "eighty over one twenty"
    assert write_numbers("two over three") == "two over three"


DICTATION = (
    "this is a fifty eight year old woman here for follow up of hypertension and diabetes , she reports "
    "no chest pain or shortness of breath.. blood pressure today is one forty two over eighty eight , pulse "
    "seventy two , temperature ninety eight point six. her A1c came back at seven point nine. i will increase "
    "metformin to one thousand milligrams b.i.d. with meals and start lisinopril two point five milligrams daily. "
    "dr. jones will see her on march third twenty twenty six,no one else needs to be involved"
)


def test_a_whole_dictation() -> None:
    assert format_text(DICTATION) == (
        "This is a 58-year-old woman here for follow up of hypertension and diabetes, she reports no chest pain or "
        "shortness of breath. Blood pressure today is 142/88, pulse 72, temperature 98.6. Her A1c came back at "
        "7.9. I will increase metformin to 1000 mg b.i.d. with meals and start lisinopril 2.5 mg daily. Dr. jones "
        "will see her on March 3, 2026, no one else needs to be involved."
    )


def test_no_word_is_lost() -> None:
    """Every word of the dictation that is not a number word is in the note, in order."""
    number_words = set(
        "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen "
        "eighteen nineteen twenty thirty forty fifty sixty seventy eighty ninety hundred thousand point over "
        "milligrams first second third year old".split()
    )

    def words(text: str) -> list[str]:
        return [w for w in re.findall(r"[a-z]+", text.lower()) if w not in number_words and w not in {"mg", "b"}]

    assert words(format_text(DICTATION)) == words(DICTATION)


def test_punctuation_and_case() -> None:
    assert format_text("  no fever , no chills ;no cough ") == "No fever, no chills; no cough."
    assert format_text("what brings you in ?? knee pain") == "What brings you in? Knee pain."
    assert format_text("take it p.r.n. for pain. i'm ok") == "Take it p.r.n. for pain. I'm ok."
    assert format_text("i.e. stable") == "I.e. stable."
    assert format_text("Plan: continue HbA1c checks") == "Plan: continue HbA1c checks."
    assert format_text("") == ""


def test_the_processor_returns_the_text_without_sections() -> None:
    result = BasicFormatter().process("pulse sixty")
    assert result.text == "Pulse 60." and result.sections == ()
