"""The simulated doctors' writing samples: deterministic, distinct, de-identification-proof, and four styles that
the style measure (core.training.style) tells apart — the data the adapters and the benchmark are built on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.training import deidentify
from core.training import style as style_
from core.training.simulated_doctors import STYLES, generate, main, write_samples

PER_DOCTOR = 60
SEED = 17


@pytest.fixture(scope="module")
def notes() -> dict[str, list[str]]:
    return {name: generate(name, PER_DOCTOR, SEED) for name in STYLES}


def test_the_same_seed_gives_the_same_notes_and_another_seed_others() -> None:
    assert generate("soap", 10, 3) == generate("soap", 10, 3)
    assert generate("soap", 10, 4) != generate("soap", 10, 3)
    assert generate("soap", 5, 3) == generate("soap", 10, 3)[:5]  # a longer run begins with the shorter one


def test_two_doctors_with_one_seed_see_different_visits() -> None:
    soap, apso = generate("soap", 20, SEED), generate("apso", 20, SEED)
    ages = [n.split(" yo ")[0].split()[-1] for n in soap]
    apso_ages = [n.split("S:\n- ")[1][:2].rstrip("FM") for n in apso]
    assert ages != apso_ages


def test_at_least_sixty_notes_per_doctor_and_none_repeated(notes: dict[str, list[str]]) -> None:
    for name, written in notes.items():
        assert len(written) == PER_DOCTOR, name
        assert len(set(written)) == PER_DOCTOR, name
    bigger = generate("letter", 200, SEED)
    assert len(set(bigger)) == 200


def test_the_content_varies_inside_a_style(notes: dict[str, list[str]]) -> None:
    """Not near-duplicates: a doctor's notes cover many conditions, so an adapter must learn the form."""
    from core.training.clinical_cases import CONDITIONS

    for name, written in notes.items():
        seen = {c.diagnosis for c in CONDITIONS for note in written if c.diagnosis.lower() in note.lower()}
        assert len(seen) >= 15, (name, len(seen))


def test_every_note_passes_deidentification_untouched(notes: dict[str, list[str]]) -> None:
    for name, written in notes.items():
        for note in written:
            out = deidentify(note)
            assert out.text == note, name
            assert out.redactions == {} and out.residual == (), name


@pytest.mark.parametrize("name", sorted(STYLES))
def test_each_doctor_matches_their_own_habit_and_no_other(name: str, notes: dict[str, list[str]]) -> None:
    own = style_.habit(notes[name])
    assert style_.fidelity(notes[name], own) >= 0.95
    for other in STYLES:
        if other != name:
            assert style_.fidelity(notes[other], own) < 0.10, other


def test_the_habits_are_the_styles_described(notes: dict[str, list[str]]) -> None:
    habits = {name: style_.habit(written) for name, written in notes.items()}
    assert habits["soap"] == style_.Structure(("subjective", "objective", "assessment", "plan"), "prose", "terse")
    assert habits["consult"] == style_.Structure(
        ("history of present illness", "physical examination", "impression", "recommendations"), "prose", "narrative"
    )
    assert habits["apso"] == style_.Structure(("a/p", "s", "o"), "bullets", "terse")
    assert habits["letter"] == style_.Structure((style_.SALUTATION, style_.CLOSING), "prose", "narrative")


def test_an_unknown_style_or_a_negative_count_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown style"):
        generate("haiku", 3)
    with pytest.raises(ValueError):
        generate("soap", -1)
    assert generate("soap", 0) == []


def test_write_samples_writes_one_note_per_file(tmp_path: Path) -> None:
    written = write_samples(tmp_path, 4, SEED, ("soap", "letter"))
    assert sorted(written) == ["sim-letter", "sim-soap"]
    files = sorted((tmp_path / "sim-soap").iterdir())
    assert [f.name for f in files] == [f"sim-soap-{i:03d}.txt" for i in range(1, 5)]
    assert [f.read_text(encoding="utf-8").strip() for f in files] == generate("soap", 4, SEED)


def test_the_cli_writes_the_files_and_a_json_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path), "--per-doctor", "3", "--styles", "apso,consult"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert set(summary) == {"sim-apso", "sim-consult"} and summary["sim-apso"]["files"] == 3
    assert len(list((tmp_path / "sim-consult").glob("*.txt"))) == 3
    with pytest.raises(SystemExit):
        main([str(tmp_path), "--styles", "soap,haiku"])
