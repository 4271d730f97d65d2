"""The terminal display: partials rewritten in place, finals on their own lines; finals only when not a terminal."""

from __future__ import annotations

import io

from intelluxe_audio_client import TerminalDisplay
from intelluxe_audio_client.display import CLEAR_LINE


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


def partial(text: str, segment_id: int = 0) -> dict:
    return {"type": "partial", "segment_id": segment_id, "text": text, "start": 0.3, "end": 2.0}


def final(text: str, segment_id: int = 0) -> dict:
    return {"type": "final", "segment_id": segment_id, "text": text, "start": 0.3, "end": 4.0, "confidence": 0.8}


def test_partials_are_rewritten_in_place_and_the_final_ends_the_line() -> None:
    out, err = FakeTTY(), io.StringIO()
    show = TerminalDisplay(out, err, width=80)
    assert show.tty
    for event in (
        partial("Patient is"),
        partial("Patient is a 54"),
        final("Patient is a 54-year-old male."),
        partial("Plan", 1),
        final("Plan: metformin.", 1),
    ):
        show(event, 0.0)
    assert out.getvalue() == (
        f"{CLEAR_LINE}Patient is{CLEAR_LINE}Patient is a 54{CLEAR_LINE}Patient is a 54-year-old male.\n"
        f"{CLEAR_LINE}Plan{CLEAR_LINE}Plan: metformin.\n"
    )
    assert err.getvalue() == ""


def test_not_a_terminal_gets_finals_only_one_line_each() -> None:
    out = io.StringIO()
    show = TerminalDisplay(out, io.StringIO())
    assert not show.tty
    for event in (partial("Patient is"), final("Patient is well."), partial("uh"), final(""), final("Next.", 2)):
        show(event, 0.0)
    assert out.getvalue() == "Patient is well.\nNext.\n"


def test_an_empty_final_removes_its_partial() -> None:
    out = FakeTTY()
    show = TerminalDisplay(out, io.StringIO(), width=80)
    show(partial("hmm"), 0.0)
    show(final(""), 0.0)
    assert out.getvalue() == f"{CLEAR_LINE}hmm{CLEAR_LINE}"


def test_a_long_partial_shows_its_end_within_the_width() -> None:
    out = FakeTTY()
    TerminalDisplay(out, io.StringIO(), width=20)(partial("one two three four five six seven"), 0.0)
    shown = out.getvalue().removeprefix(CLEAR_LINE)
    assert shown == "…our five six seven" and len(shown) == 19  # never wraps: one line to rewrite


def test_status_clears_the_partial_first_and_goes_to_stderr() -> None:
    out, err = FakeTTY(), io.StringIO()
    show = TerminalDisplay(out, err, width=80)
    show(partial("Patient is"), 0.0)
    show(
        {
            "type": "reconnecting",
            "reason": "connection lost (close code 1006)",
            "attempt": 1,
            "max_retries": 8,
            "delay": 0.5,
        },
        0.0,
    )
    assert out.getvalue() == f"{CLEAR_LINE}Patient is{CLEAR_LINE}"
    reason = "connection lost (close code 1006)"
    assert err.getvalue() == f"[{reason}; reconnecting in 0.5 s (attempt 1 of 8)]\n"
    show({"type": "connected", "session": 1, "backlog_seconds": 2.25}, 0.0)
    assert err.getvalue().endswith("[reconnected; sending the 2.2 s of audio not yet transcribed]\n")


def test_without_ansi_old_text_is_overwritten_with_spaces() -> None:
    out = FakeTTY()
    show = TerminalDisplay(out, io.StringIO(), ansi=False, width=80)
    show(partial("Patient is well"), 0.0)
    show(partial("Patient"), 0.0)
    show(final("Patient is well."), 0.0)
    pad = " " * len("Patient is well")
    assert out.getvalue() == f"\rPatient is well\r{pad}\rPatient\r{' ' * 7}\rPatient is well.\n"


def test_a_final_marked_for_review_says_so_on_stderr_and_leaves_the_transcript_alone() -> None:
    out, err = io.StringIO(), io.StringIO()
    show = TerminalDisplay(out, err, width=80)
    show({**final("Start sertraline 50 mg."), "review": True}, 0.0)
    show({**final("Follow up in four weeks.", 1), "review": False}, 0.0)
    assert out.getvalue() == "Start sertraline 50 mg.\nFollow up in four weeks.\n"
    assert err.getvalue() == "[check the line above: the transcription was unsure of it]\n"
