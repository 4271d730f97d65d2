"""Writing samples before they reach the database: shape checks, de-identification with surrogates consistent
inside one sample, and refusal when the second scan still finds identifiers outside the stand-ins."""

from __future__ import annotations

import re

import pytest

from core.phi import Finding, detect
from core.training import MAX_CHARACTERS, MIN_WORDS, InvalidSample, deidentify
from core.training.data_collector import check_doctor_id, check_sample

LETTER = (
    "Dear Dr. Healey, thank you for referring Mr. John Smith (MRN 8675309), a pleasant man seen on 3/4/2024 at "
    "Holy Cross Hospital for exertional chest pain. Mr. Smith's daughter Suzette was present and can be reached at "
    "217-555-0147. Echo showed preserved function; I started aspirin and a statin. Sincerely, Dr. Alan Grant"
)
SECRETS = ("Healey", "John", "Smith", "8675309", "3/4/2024", "Holy Cross", "Suzette", "217-555-0147", "Grant")


def test_every_identifier_is_replaced_and_counted() -> None:
    out = deidentify(LETTER)
    # As words: a surrogate may be "Johnson" or "Grantham", which hides "John" and "Grant" as well as any other.
    assert not [s for s in SECRETS if re.search(rf"\b{re.escape(s)}\b", out.text)]
    assert out.residual == ()
    assert out.redactions["name"] >= 4 and out.redactions["medical_record"] == 1 and out.redactions["phone"] == 1
    assert "Echo showed preserved function" in out.text  # the doctor's own words stay


def test_surrogates_are_consistent_within_a_sample_and_unlinked_across_samples() -> None:
    text = "Pt John Smith seen today. " + " ".join(["Stable."] * 20) + " Mr. Smith will return in two weeks."
    first = deidentify(text).text
    surname = re.match(r"Pt \w+ (\w+) seen", first).group(1)  # type: ignore[union-attr]
    assert surname != "Smith" and f"Mr. {surname} will return" in first
    # A key per sample: the same patient in many samples does not keep one stand-in that links them.
    others = {re.match(r"Pt \w+ (\w+) seen", deidentify(text).text).group(1) for _ in range(8)}  # type: ignore[union-attr]
    assert len(others) > 1


def test_a_sample_without_identifiers_is_kept_word_for_word() -> None:
    note = "SUBJECTIVE: 54 yo F with T2DM, good adherence to metformin. OBJECTIVE: BP 128/76, A1c 7.1. PLAN: recheck."
    assert deidentify(note).text == note and deidentify(note).redactions == {}


def test_what_the_second_scan_finds_outside_the_stand_ins_is_residual() -> None:
    text = "Seen by Dr. Healey today; call 217-555-0147 with questions about the plan."
    calls: list[str] = []

    def detector(t: str) -> list[Finding]:
        calls.append(t)
        found = detect(t)
        if len(calls) == 2:  # the second scan: something the first one missed, outside every stand-in
            start = t.index("questions")
            found = [*found, Finding("other_id", start, start + 9, 0.9, "test")]
        return found

    out = deidentify(text, detector=detector)
    assert out.residual == ("other_id",)
    assert len(calls) == 2 and "Healey" not in calls[1]


def test_a_finding_inside_a_stand_in_is_not_residual() -> None:
    # Surrogate names are names: the second scan finds them, and that is no reason to refuse.
    out = deidentify("Pt Jane Doe reports chest pain since Monday; Mrs. Doe is anxious about it.")
    assert any(f.type == "name" for f in detect(out.text)) and out.residual == ()


def test_a_stand_in_that_merges_with_a_missed_neighbour_is_residual() -> None:
    text = "Referred by Dr. Healey for follow up."

    def detector(t: str) -> list[Finding]:
        found = detect(t)
        if "Healey" not in t:  # the second scan: a name running from the stand-in into the next word
            start = t.index("Dr. ") + 4
            return [Finding("name", start, t.index(" follow"), 0.9, "test")]
        return found

    assert deidentify(text, detector=detector).residual == ("name",)


@pytest.mark.parametrize(
    ("content", "content_type", "field"),
    [
        ("zebulon " * 30, "prescription", "content_type"),
        ("", "note", "text"),
        ("   \n\t ", "note", "text"),
        ("zebulon too short to show a style", "note", "text"),
        ("zebulon " * (MAX_CHARACTERS // 8 + 1), "note", "text"),
        ("zebulon \x00" * 30, "note", "text"),
    ],
)
def test_bad_samples_are_refused_naming_the_field(content: str, content_type: str, field: str) -> None:
    with pytest.raises(InvalidSample) as refused:
        check_sample(content, content_type)
    assert refused.value.field == field
    assert "zebulon" not in refused.value.message


def test_a_sample_of_enough_words_passes_stripped() -> None:
    text = " ".join(["stable"] * MIN_WORDS)
    assert check_sample(f"  {text}\n", "corrected_dictation") == text


@pytest.mark.parametrize("doctor_id", ["", "Dr Smith", "dr/smith", "x" * 129, "-dr"])
def test_doctor_ids_have_the_enrollment_shape(doctor_id: str) -> None:
    with pytest.raises(InvalidSample) as refused:
        check_doctor_id(doctor_id)
    assert refused.value.field == "doctor_id"


def test_the_api_and_the_cli_offer_the_collectors_content_types() -> None:
    import typing

    from compliance.personalization import SampleRequest
    from core.cli.personalize import CONTENT_TYPES as CLI_TYPES
    from core.training import CONTENT_TYPES

    assert CLI_TYPES == CONTENT_TYPES
    assert typing.get_args(SampleRequest.model_fields["content_type"].annotation) == CONTENT_TYPES
