"""medical_formatter: dictations into SOAP sections by their spoken cues; whatever it cannot place is kept, and the
parts it cuts always rebuild the dictation exactly."""

from __future__ import annotations

import pytest

from core.processors import MedicalFormatter, split_soap
from core.processors.soap import soap_sections

FOLLOW_UP = (
    "This is Dr. Patel dictating a follow-up visit. Subjective: the patient is a sixty two year old man with "
    "hypertension who reports occasional headaches, no chest pain. Medications lisinopril ten milligrams daily. "
    "On exam, blood pressure is one forty two over eighty eight, pulse seventy two. Lungs are clear. "
    "Assessment is uncontrolled hypertension. The plan is to increase lisinopril to twenty milligrams daily and "
    "recheck in two weeks. Medications reviewed with the patient."
)

HPI_STYLE = (
    "Chief complaint, cough for ten days. History of present illness. She is a thirty four year old nonsmoker with "
    "a productive cough, no fever. Review of systems otherwise negative. Physical examination. Temperature ninety "
    "nine point one, O2 sat ninety seven percent. Scattered rhonchi on the right. Impression: acute bronchitis, "
    "doubt pneumonia. Plan, supportive care, benzonatate one hundred milligrams three times a day as needed, "
    "return if fever develops."
)

RUN_ON = (
    "patient is a forty year old with low back pain for three weeks after lifting no bowel or bladder symptoms. "
    "objective straight leg raise negative strength five out of five. my impression is lumbar strain and "
    "the plan is physical therapy and naproxen five hundred milligrams twice daily"
)


def _sections(text: str) -> dict[str, str]:
    return dict(soap_sections(text))


def test_a_follow_up_visit() -> None:
    assert _sections(FOLLOW_UP) == {
        "Unplaced": "This is Dr. Patel dictating a follow-up visit.",
        "Subjective": "The patient is a 62-year-old man with hypertension who reports occasional headaches, no "
        "chest pain. Medications lisinopril 10 mg daily.",
        "Objective": "On exam, blood pressure is 142/88, pulse 72. Lungs are clear.",
        "Assessment": "Uncontrolled hypertension.",
        # "Medications reviewed" inside the plan is not a heading: sub-headings move the text only forward.
        "Plan": "Increase lisinopril to 20 mg daily and recheck in 2 weeks. Medications reviewed with the patient.",
    }


def test_sub_headings_stay_in_the_text_and_headings_go() -> None:
    assert _sections(HPI_STYLE) == {
        "Subjective": "Chief complaint, cough for 10 days. History of present illness. She is a 34-year-old "
        "nonsmoker with a productive cough, no fever. Review of systems otherwise negative.",
        "Objective": "Physical examination. Temperature 99.1, O2 sat 97%. Scattered rhonchi on the right.",
        "Assessment": "Acute bronchitis, doubt pneumonia.",
        "Plan": "Supportive care, benzonatate 100 mg three times a day as needed, return if fever develops.",
    }


def test_cues_in_the_middle_of_a_sentence() -> None:
    sections = _sections(RUN_ON)
    assert sections["Unplaced"].startswith("Patient is a 40-year-old with low back pain for 3 weeks")
    assert sections["Objective"] == "Straight leg raise negative strength 5/5."
    assert sections["Assessment"] == "Lumbar strain and."  # the "and" before "the plan is" is kept: nothing dropped
    assert sections["Plan"] == "Physical therapy and naproxen 500 mg twice daily."


@pytest.mark.parametrize(
    "dictation",
    [
        # words that look like cues but are not headings where they stand
        "She has a plan to lose weight before summer. Her assessment of the pain is that it is better.",
        "Her mother's impression is that she is more tired. Objectively she looks well.",
        "He planned a trip. The assessment of gait was deferred.",
    ],
)
def test_look_alike_words_are_not_cues(dictation: str) -> None:
    parts = split_soap(dictation)
    assert [p.section for p in parts] == ["Unplaced"]


def test_a_return_to_an_earlier_section_needs_a_heading_or_a_colon() -> None:
    text = (
        "Assessment: otitis media. Plan: amoxicillin. Allergies reviewed, none. Objective, right TM bulging. "
        "Labs: CBC normal."
    )
    sections = _sections(text)
    assert sections["Plan"] == "Amoxicillin. Allergies reviewed, none."
    assert sections["Objective"] == "Right TM bulging. Labs: CBC normal."


def test_repeated_sections_are_joined_in_order() -> None:
    text = "Plan: ibuprofen. Subjective: knee pain. Plan: ice and rest."
    assert soap_sections(text) == [("Subjective", "Knee pain."), ("Plan", "Ibuprofen. Ice and rest.")]


def test_a_heading_said_with_nothing_after_it_still_shows() -> None:
    assert soap_sections("Subjective: no complaints. Objective.") == [
        ("Subjective", "No complaints."),
        ("Objective", ""),
    ]


def test_a_dictation_without_cues_is_kept_whole() -> None:
    text = "patient doing well, continue current medications"
    assert soap_sections(text) == [("Unplaced", "Patient doing well, continue current medications.")]


@pytest.mark.parametrize("dictation", [FOLLOW_UP, HPI_STYLE, RUN_ON, "", "plan", "Plan: . Assessment"])
def test_the_parts_rebuild_the_dictation_exactly(dictation: str) -> None:
    assert "".join(p.cue + p.body for p in split_soap(dictation)) == dictation


def test_the_processor_renders_headed_sections() -> None:
    result = MedicalFormatter().process("subjective: sore throat. assessment: viral pharyngitis. plan: fluids")
    assert result.text == "Subjective:\nSore throat.\n\nAssessment:\nViral pharyngitis.\n\nPlan:\nFluids."
    assert [name for name, _ in result.sections] == ["Subjective", "Assessment", "Plan"]
