"""The prompt an adapter is trained on and used with: a note's derived dictation carries none of the note's form
(headings, bullets, abbreviations), training pairs have the shape the trainer and the processor expect, and a
generated continuation is cut where the model starts another prompt."""

from __future__ import annotations

import re

import pytest

from core.training import style as style_
from core.training.abbreviations import PAIRS, abbreviate, expand
from core.training.prompting import (
    DICTATION_MARK,
    INSTRUCTION,
    NOTE_MARK,
    cut_generation,
    dictation_from_note,
    note_prompt,
    speech_form,
    training_example,
    training_examples,
)
from core.training.simulated_doctors import STYLES, generate

_SPOKEN = sorted((speech_form(spoken) for spoken, _ in PAIRS), key=len, reverse=True)
# One letter (T) and "pt" are left as written on purpose (abbreviations.expand says why).
_WRITTEN = {speech_form(short) for spoken, short in PAIRS if short not in {"T", "pt"}}


@pytest.fixture(scope="module")
def notes() -> dict[str, list[str]]:
    return {name: generate(name, 60, 17) for name in STYLES}


def _words(text: str, phrase: str) -> bool:
    return re.search(rf"(?<!\S){re.escape(phrase)}(?!\S)", text) is not None


def test_a_dictation_has_no_headings_bullets_or_line_breaks(notes: dict[str, list[str]]) -> None:
    for name, written in notes.items():
        for note in written:
            dictation = dictation_from_note(note)
            assert "\n" not in dictation and dictation == dictation.lower(), name
            assert style_.structure(dictation).headings == (), name
            assert not re.search(r"(?:^|\s)[-•*](?:\s|$)|[:;,]", dictation), name
            assert not any(_words(dictation, h) for h in ("subjective", "objective", "a p", "dear", "regards")), name


def test_a_dictation_says_abbreviations_as_words(notes: dict[str, list[str]]) -> None:
    for name, written in notes.items():
        for note in written:
            dictation = dictation_from_note(note)
            for spoken in _SPOKEN:  # "hemoglobin a1c" holds "a1c": what is said may contain the written form
                dictation = dictation.replace(spoken, " ")
            left = sorted(w for w in _WRITTEN if _words(dictation, w))
            assert not left, (name, left)


def test_abbreviate_and_expand_are_inverse_on_the_table() -> None:
    text = "complains of shortness of breath, past medical history hypertension, blood pressure 130/80 twice daily"
    short = abbreviate(text)
    assert short == "c/o SOB, PMH HTN, BP 130/80 BID"
    assert expand(short) == text
    assert expand("hemoglobin A1c 7.2") == "hemoglobin A1c 7.2"  # already said: not "hemoglobin hemoglobin A1c"


def test_shorthand_is_said_in_full() -> None:
    dictation = dictation_from_note("S:\n- 54F c/o cough x3d\n- + fevers\n\nO:\n- BP 132/84, SpO2 95% RA\n- f/u 2 wk")
    assert dictation == (
        "54 year old female complains of cough for 3 days positive for fevers blood pressure 132 over 84 oxygen "
        "saturation 95 percent room air follow-up 2 weeks"
    )


def test_a_training_example_is_the_derived_prompt_and_the_note(notes: dict[str, list[str]]) -> None:
    for written in notes.values():
        note = written[0]
        prompt, completion = training_example("\n" + note + "\n\n")
        assert completion == note
        assert prompt == note_prompt(dictation_from_note(note))
        assert prompt.startswith(INSTRUCTION) and prompt.endswith(f"{NOTE_MARK}\n")
        assert prompt.split(f"{DICTATION_MARK}\n")[1].split("\n\n")[0] == dictation_from_note(note)


def test_an_adapter_trains_on_each_note_given_its_dictation_and_alone(notes: dict[str, list[str]]) -> None:
    written = notes["soap"][:3]
    examples = training_examples(written)
    assert examples[:3] == [training_example(n) for n in written]
    assert examples[3:] == [(f"{NOTE_MARK}\n", n.strip()) for n in written]


def test_a_live_transcript_is_normalised_like_a_training_dictation() -> None:
    punctuated = "Patient is a 54-year-old woman. She has had a cough, for 3 days; temperature 38.5!"
    plain = "patient is a 54-year-old woman she has had a cough for 3 days temperature 38.5"
    assert note_prompt(punctuated) == note_prompt(plain)
    assert speech_form(speech_form(punctuated)) == speech_form(punctuated)
    assert "38.5" in note_prompt(punctuated)  # a decimal point is not punctuation


def test_cut_generation_stops_where_another_prompt_begins() -> None:
    note = "SUBJECTIVE:\nCough x 3d.\n\nPLAN:\nFluids."
    assert cut_generation(f"{note}\n\n{DICTATION_MARK}\nsomething else") == note
    assert cut_generation(f"  {note}\n{INSTRUCTION}\n\n{DICTATION_MARK}\nmore") == note
    assert cut_generation(f"\n{note}\n\n") == note
    assert cut_generation(f"{DICTATION_MARK}\nall of it a new prompt") == f"{DICTATION_MARK}\nall of it a new prompt"
    assert cut_generation("") == ""


def test_cut_generation_stops_where_the_note_starts_over_but_keeps_repeated_inner_headings() -> None:
    note = "SUBJECTIVE:\nCough x 3d.\n\nOBJECTIVE:\nT 98.6.\n\nPLAN:\nFluids."
    assert cut_generation(f"{note}\n\nSUBJECTIVE:\nCough x 3d.\n\nPLAN:\nFluids.") == note
    letter = "Dear Doctor,\n\nThank you for seeing him.\n\nWith kind regards,"
    assert cut_generation(f"{letter}\n\nDear Doctor,\n\nThank you") == letter
    problems = "Assessment:\n1. HTN.\nPlan:\nLisinopril.\n2. DM2.\nPlan:\nMetformin."
    assert cut_generation(problems) == problems
    assert cut_generation("No headings at all.\nSUBJECTIVE mentioned in text.") == (
        "No headings at all.\nSUBJECTIVE mentioned in text."
    )
