"""The parts of adapter training that need no model and no database: the gate's decision, the split, the training
configuration's JSON, the training rows, the progress line, the private file writer, and `personalize train`'s input
checks."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest

from core.cli import main
from core.training.adapters import doctor_dir_name, write_private
from core.training.gate import DEFAULT_GATE, GateConfig, Perplexities, decide, general_clinical_texts, split
from core.training.lora import DEFAULT, TINY, Row, TrainingConfig, rows
from core.training.progress import Progress


def test_the_gate_keeps_only_a_real_drop_without_general_harm() -> None:
    assert decide(Perplexities(10.0, 9.4, 20.0, 20.9)).kept  # -6 %, +4.5 %
    useless = decide(Perplexities(10.0, 10.0, 20.0, 20.0))  # what lr 0 or zero steps gives
    assert not useless.kept and useless.reasons == ("held-out perplexity changed by +0.0%; at least -5.0% is needed",)
    harmful = decide(Perplexities(10.0, 8.0, 20.0, 21.2))
    assert not harmful.kept and "general clinical perplexity changed by +6.0%" in harmful.reasons[0]
    assert decide(Perplexities(10.0, 8.0, 20.0, 21.2), GateConfig(0.05, 0.10)).kept
    assert DEFAULT_GATE.to_json() == {"min_heldout_improvement": 0.05, "max_general_regression": 0.05}


def test_the_split_is_by_id_deterministic_and_stable_when_samples_are_added() -> None:
    ids = [f"s{i}" for i in range(20)]
    train, held = split(ids, ids, seed=17, held_out_fraction=0.2)
    assert len(held) == 4 and sorted(train + held) == sorted(ids)
    shuffled = list(reversed(ids))
    assert sorted(split(shuffled, shuffled, seed=17, held_out_fraction=0.2)[1]) == sorted(held)
    more = ids + [f"t{i}" for i in range(20)]
    _, held_more = split(more, more, seed=17, held_out_fraction=0.2)
    assert {h for h in held_more if h.startswith("s")} <= set(held)  # a sample never moves from held-out to train
    assert split(["a", "b"], ["a", "b"], seed=1, held_out_fraction=0.9)[0]  # one is always trained on
    with pytest.raises(ValueError, match="at least 2"):
        split(["a"], ["a"], seed=1, held_out_fraction=0.2)


def test_a_training_config_survives_its_json() -> None:
    for config in (DEFAULT, TINY):
        assert TrainingConfig.from_json(config.to_json()) == config
    assert TrainingConfig.from_json({**TINY.to_json(), "added_later": 1}) == TINY  # an unknown key is ignored
    assert TINY.steps_for(1000) == 3 and DEFAULT.steps_for(10_000) == 200
    assert DEFAULT.steps_for(96) == 30  # 48 training notes (each given its dictation, and alone): the benchmark's
    assert DEFAULT.steps_for(10) == 4


class CharTokenizer:
    """One token per character, end-of-text 0: enough to see which positions a row scores."""

    eos_token_id = 0

    def __call__(self, text: str, add_special_tokens: bool = False) -> dict[str, list[int]]:
        return {"input_ids": [ord(c) for c in text]}


def test_a_row_scores_the_completion_and_its_end_never_the_prompt() -> None:
    (row,) = rows(CharTokenizer(), [("Dx:", "ok")], max_seq_len=16)
    assert row == Row([68, 120, 58, 111, 107, 0], [-100, -100, -100, 111, 107, 0])
    (plain,) = rows(CharTokenizer(), [("", "ok")], max_seq_len=16)
    assert plain == Row([111, 107, 0], [111, 107, 0])


def test_an_example_longer_than_a_row_is_its_completion_alone_in_windows() -> None:
    got = rows(CharTokenizer(), [("a long prompt:", "abcdefg")], max_seq_len=4)
    assert [r.ids for r in got] == [[97, 98, 99, 100], [101, 102, 103, 0]]  # no prompt; the end still scored
    assert all(r.labels == r.ids for r in got)
    assert rows(CharTokenizer(), [("p", "abcd")], max_seq_len=4) == [Row([97, 98, 99, 100], [97, 98, 99, 100])]
    # "abcd" + end is 5 tokens: a window of the end alone predicts nothing and is left out


def test_general_clinical_texts_are_paragraphs() -> None:
    texts = general_clinical_texts()
    assert len(texts) >= 6 and all(len(t.split()) >= 20 for t in texts)


def test_the_progress_line_has_an_eta_and_prints_sparingly_off_a_terminal() -> None:
    out = io.StringIO()
    bar = Progress("training dr-x", 4, stream=out, interval=3600)
    for step in range(1, 5):
        bar.update(step, 2.5)
    lines = out.getvalue().splitlines()
    assert len(lines) == 2 and lines[-1].startswith("training dr-x [########################] 4/4  loss 2.500")
    assert "s/step, ETA " in lines[0]


def test_private_files_are_0600_under_a_hashed_directory(tmp_path: Path) -> None:
    name = doctor_dir_name("dr-smith")
    assert len(name) == 16 and "smith" not in name and name == doctor_dir_name("dr-smith")
    path = tmp_path / "adapters" / name / "a.safetensors.enc"
    write_private(path, b"first")
    write_private(path, b"second")
    assert path.read_bytes() == b"second" and stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700 and [p.name for p in path.parent.iterdir()] == [path.name]


@pytest.mark.parametrize(
    "argv",
    [
        ["personalize", "train"],
        ["personalize", "train", "dr-x", "--pending"],
        ["personalize", "train", "Not A Doctor"],
        ["personalize", "train", "dr-x", "--min-improvement", "1.5"],
        ["personalize", "train", "dr-x", "--max-regression", "-0.1"],
    ],
)
def test_train_refuses_bad_input_with_exit_2_before_touching_anything(argv, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("INTELLUXE_HOME", str(tmp_path))
    monkeypatch.setenv("POSTGRES_URL", "postgresql://nobody@127.0.0.1:1/none")  # never reached
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("intelluxe: ")
    assert list(tmp_path.iterdir()) == []
