"""A generated note's numbers against its dictation: what counts as a number, spoken numbers, and the property the
processor relies on — a doctor's own note never "invents" a number of the dictation derived from it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.training.faithfulness import invented_numbers, number_recall, numbers
from core.training.prompting import dictation_from_note
from core.training.simulated_doctors import STYLES, generate


def test_numbers_are_values_not_parts_of_names() -> None:
    found = numbers("BP 132/84, SpO2 99% RA, T 98.60. Tamsulosin 0.4mg daily. Vitamin D3 2000 units, HbA1c 7.2.")
    assert found == {Decimal(v).normalize() for v in ("132", "84", "99", "98.6", "0.4", "2000", "7.2")}


def test_spoken_numbers_count_as_their_digits() -> None:
    said = "blood pressure one hundred thirty two over eighty four follow up in two weeks"
    assert numbers(said) == {Decimal("132"), Decimal("84"), Decimal("2")}
    assert invented_numbers("BP 132/84. F/u 2 weeks.", said) == set()


def test_a_number_the_dictation_did_not_state_is_invented() -> None:
    dictation = "heart rate 70 blood pressure 117 over 69 start amlodipine 5 mg daily"
    assert invented_numbers("HR 70, BP 117/69. Amlodipine 10 mg daily.", dictation) == {Decimal("10")}
    assert invented_numbers("HR 70, BP 117/69. Amlodipine 5 mg daily.", dictation) == set()


def test_recall_is_the_share_of_the_dictations_numbers_kept() -> None:
    dictation = "heart rate 70 blood pressure 117 over 69"
    assert number_recall("HR 70, BP 117/69.", dictation) == 1.0
    assert number_recall("HR 70.", dictation) == pytest.approx(1 / 3)
    assert number_recall("Well.", "no numbers said") == 1.0


@pytest.mark.parametrize("style", sorted(STYLES))
def test_a_doctors_own_note_invents_nothing_of_its_dictation(style: str) -> None:
    notes = generate(style, 60, 17)
    assert all(not invented_numbers(note, dictation_from_note(note)) for note in notes)
    assert all(numbers(note) for note in notes)  # the check has something to check
