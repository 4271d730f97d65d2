"""Performance tracking without a database: the report's arithmetic, every recommendation rule (and its edges),
`--since`, and the tracker's promises when the database fails (never raises, bounded, counted, nothing logged but
counts and field names)."""

from __future__ import annotations

import argparse
import logging
import secrets
import time
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import psycopg2
import pytest
from prometheus_client import REGISTRY

from core.cli.router import parse_since
from core.db import DatabaseUnavailable
from core.orchestration.performance import (
    MIN_CALLS,
    AccuracyStats,
    CallStats,
    NullTracker,
    PerformanceTracker,
    PluginReport,
    combine,
    recommendations,
)

SINCE = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _row(plugin: str = "whisper_local", kind: str = "transcriber", **values: Any) -> PluginReport:
    base: dict[str, Any] = {
        "calls": 100,
        "latency_p50_ms": 400.0,
        "latency_p90_ms": 800.0,
        "mean_confidence": 0.75,
        "review_share": 0.05,
        "voters": (1,),
        "corrected": 0,
        "words": 0,
        "errors": 0,
    }
    return PluginReport(plugin=plugin, kind=kind, **{**base, **values})


# ------------------------------------------------------------------------------------------------ report math


def test_combine_joins_calls_and_accuracy_per_plugin() -> None:
    calls = [
        CallStats("whisper_local", "transcriber", 40, 410.0, 900.0, 0.71, 10, (1, 3)),
        CallStats("basic_formatter", "processor", 12, 1.0, 2.0, None, 0, (1,)),
    ]
    accuracy = [
        AccuracyStats("whisper_local", "transcriber", 3, 250, 15),
        AccuracyStats("whisper_fp32", "transcriber", 1, 40, 4),
    ]
    rows = combine(calls, accuracy)
    assert [(r.plugin, r.kind) for r in rows] == [
        ("whisper_fp32", "transcriber"),
        ("whisper_local", "transcriber"),
        ("basic_formatter", "processor"),
    ]
    fp32, local, formatter = rows
    assert local.review_share == 0.25 and local.voters == (1, 3) and local.corrected == 3
    assert local.wer == pytest.approx(15 / 250)
    assert fp32.calls == 0 and fp32.latency_p90_ms is None and fp32.review_share is None and fp32.voters == ()
    assert fp32.wer == pytest.approx(0.1)
    assert formatter.wer is None and formatter.mean_confidence is None
    assert local.to_json()["wer"] == pytest.approx(0.06) and local.to_json()["voters"] == [1, 3]


def test_wer_is_total_errors_over_total_words_not_a_mean_of_rates() -> None:
    # A 2-word final with 1 error and a 98-word final with 1 error: 2 %, not the 25.5 % a mean of rates would say.
    (row,) = combine([], [AccuracyStats("whisper_local", "transcriber", 2, 100, 2)])
    assert row.wer == pytest.approx(0.02)


def test_combine_of_nothing_is_nothing() -> None:
    assert combine([], []) == []


# ------------------------------------------------------------------------------------------------ recommendations


def test_no_data_says_so_with_its_start() -> None:
    assert recommendations([], 0.6, False, since=SINCE) == ["no calls recorded since 2026-03-01 08:00 UTC"]
    assert recommendations([], 0.6, False) == ["no calls recorded yet"]


def test_a_healthy_report_recommends_nothing() -> None:
    assert recommendations([_row(), _row("basic_formatter", "processor", latency_p90_ms=3.0)], 0.6, False) == []


def test_review_share_over_a_fifth_with_voting_off_suggests_voting() -> None:
    (advice,) = recommendations([_row(review_share=0.34)], 0.85, False)
    assert advice.startswith("whisper_local: finals under the confidence threshold (0.85): 34 % — consider")
    assert "transcription.voting_enabled" in advice


@pytest.mark.parametrize(
    ("share", "voting", "calls", "fires"),
    [
        (0.20, False, MIN_CALLS, True),  # the threshold itself counts
        (0.199, False, 100, False),
        (0.50, False, MIN_CALLS - 1, False),  # too few calls to judge
    ],
)
def test_review_rule_edges(share: float, voting: bool, calls: int, fires: bool) -> None:
    advice = recommendations([_row(review_share=share, calls=calls)], 0.6, voting)
    assert any("finals under the confidence threshold" in a for a in advice) is fires


def test_review_share_with_voting_on_says_the_voters_may_share_the_mistakes() -> None:
    (advice,) = recommendations([_row("vote", voters=(3,), review_share=0.25)], 0.6, True, routed="whisper_local")
    assert advice.startswith("vote: finals under the confidence threshold (0.60): 25 % with voting on — the voters")


def test_review_rule_is_for_transcribers_only() -> None:
    assert recommendations([_row("basic_formatter", "processor", review_share=0.9)], 0.6, False) == []


def test_too_few_calls_are_named_not_judged() -> None:
    advice = recommendations([_row(calls=5, review_share=1.0, latency_p90_ms=9000.0)], 0.6, False, since=SINCE)
    assert advice == [f"whisper_local: 5 calls since 2026-03-01 08:00 UTC, too few to judge (at least {MIN_CALLS})"]


def _voting_rows(voter_wer: float, *, voter_words: int = 400, routed_words: int = 400) -> list[PluginReport]:
    return [
        _row("whisper_local", voters=(3,), corrected=10, words=routed_words, errors=round(0.10 * routed_words)),
        _row("whisper_slow", voters=(3,), corrected=10, words=voter_words, errors=round(voter_wer * voter_words)),
    ]


def test_a_voter_worse_than_the_routed_transcriber_is_named_with_both_wers() -> None:
    (advice,) = recommendations(_voting_rows(0.15), 0.6, True, routed="whisper_local")
    assert advice == (
        "whisper_slow: WER 15.0% against whisper_local's 10.0% on the corrected finals — it outvotes better words; "
        "drop it from transcription.voters"
    )


def test_a_voter_better_than_the_routed_transcriber_is_named_too() -> None:
    (advice,) = recommendations(_voting_rows(0.05), 0.6, True, routed="whisper_local")
    assert advice.startswith("whisper_slow: WER 5.0% against whisper_local's 10.0%")
    assert "consider routing dictation to it" in advice


@pytest.mark.parametrize(
    ("voter_wer", "voting", "routed", "voter_words", "routed_words"),
    [
        (0.115, True, "whisper_local", 400, 400),  # within the margin
        (0.30, False, "whisper_local", 400, 400),  # voting off: no voters to drop
        (0.30, True, None, 400, 400),  # the routed transcriber not given
        (0.30, True, "whisper_local", 100, 400),  # too few words for the voter
        (0.30, True, "whisper_local", 400, 100),  # too few words for the routed one
        (0.30, True, "whisper_fast", 400, 400),  # the routed one has no measurements
    ],
)
def test_voter_rule_edges(
    voter_wer: float, voting: bool, routed: str | None, voter_words: int, routed_words: int
) -> None:
    rows = _voting_rows(voter_wer, voter_words=voter_words, routed_words=routed_words)
    assert not [a for a in recommendations(rows, 0.6, voting, routed=routed) if "WER" in a]


def test_slow_finals_say_the_p90_and_why_by_voting() -> None:
    (off,) = recommendations([_row(latency_p90_ms=2140.0)], 0.6, False)
    assert off.startswith("whisper_local: finals are slow: latency p90 2.14 s (over 1.5 s) — the server may lack")
    (on,) = recommendations([_row(latency_p90_ms=2140.0, voters=(3,))], 0.6, True)
    assert "voting decodes each final several times" in on
    assert recommendations([_row(latency_p90_ms=1500.0)], 0.6, False) == []  # at the threshold is not over it
    assert recommendations([_row("medical_formatter", "processor", latency_p90_ms=9000.0)], 0.6, False) == []


# ------------------------------------------------------------------------------------------------ --since


def test_since_accepts_spans_all_and_iso() -> None:
    now = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)
    assert parse_since("7d", now) == now - timedelta(days=7)
    assert parse_since("24h", now) == now - timedelta(hours=24)
    assert parse_since("30m", now) == now - timedelta(minutes=30)
    assert parse_since("all", now) is None
    assert parse_since("2026-03-01T08:00+01:00", now) == datetime(2026, 3, 1, 7, 0, tzinfo=UTC)
    local = parse_since("2026-03-01", now)
    assert local is not None and local.tzinfo is not None  # the machine's zone, made explicit
    assert local.replace(tzinfo=None) == datetime(2026, 3, 1)


@pytest.mark.parametrize("text", ["bogus", "7w", "-1d", "d", "7 d", ""])
def test_since_refuses_anything_else(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="is not 7d, 24h, 30m, all"):
        parse_since(text)


# ------------------------------------------------------------------------------------------------ the tracker


class FailingDb:
    """A database whose every write raises `exc`."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc
        self.writes = 0

    def run(self, work: Any, *, retries: int = 1) -> Any:
        self.writes += 1
        raise self.exc


def _name() -> str:
    return f"t{secrets.token_hex(4)}"


def _sample(metric: str, plugin: str, kind: str = "transcriber") -> float | None:
    return REGISTRY.get_sample_value(metric, {"plugin": plugin, "kind": kind})


def test_an_unreachable_database_keeps_rows_within_the_bound_and_never_raises() -> None:
    db = FailingDb(DatabaseUnavailable("down"))
    tracker = PerformanceTracker(db, interval=3600, batch_size=10, max_buffer=10)  # type: ignore[arg-type]
    plugin = _name()
    for i in range(15):
        tracker.record_call(plugin, "transcriber", 0.1 * i, 0.9)
    _until(lambda: tracker.stats().failed_writes >= 1)  # counted with the rows put back, under one lock
    stats = tracker.stats()
    assert (stats.recorded, stats.pending, stats.dropped, stats.written) == (15, 10, 5, 0)
    assert stats.failed_writes >= 1 and stats.lost == 0
    assert tracker.flush() is False  # an explicit flush fails the same way, quietly
    tracker.close()
    stats = tracker.stats()
    assert (stats.pending, stats.lost, stats.written) == (0, 10, 0)  # the closing write failed too: counted
    tracker.record_call(plugin, "transcriber", 0.1, 0.9)  # after close: counted, not raised
    assert tracker.stats().lost == 11
    assert _sample("intelluxe_plugin_calls_total", plugin) == 16  # Prometheus counted every call


def test_a_write_the_server_refuses_loses_its_rows_counted(caplog: pytest.LogCaptureFixture) -> None:
    db = FailingDb(psycopg2.errors.UndefinedTable("relation plugin_calls does not exist"))
    tracker = PerformanceTracker(db, interval=3600)  # type: ignore[arg-type]
    tracker.record_accuracy(_name(), "transcriber", 12, 1)
    tracker.record_call(_name(), "processor", 0.001, None)
    with caplog.at_level(logging.WARNING, logger="core.orchestration.performance"):
        assert tracker.flush() is False
    stats = tracker.stats()
    assert (stats.pending, stats.lost, stats.failed_writes) == (0, 2, 1)  # not retried: it would fail again
    assert "writing 2 rows failed (UndefinedTable); dropped" in caplog.text
    assert "does not exist" not in caplog.text  # the type, never the message
    tracker.close()


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("Mrs Jane Doe", "transcriber", 0.1, 0.5), "plugin"),
        (("whisper_local", "transcribers", 0.1, 0.5), "kind"),
        (("whisper_local", "transcriber", -0.1, 0.5), "latency_seconds"),
        (("whisper_local", "transcriber", float("nan"), 0.5), "latency_seconds"),
        (("whisper_local", "transcriber", 0.1, 1.5), "confidence"),
        (("whisper_local", "transcriber", True, 0.5), "latency_seconds"),
    ],
)
def test_an_invalid_call_is_dropped_counted_and_named_by_field_only(
    args: tuple[Any, ...], field: str, caplog: pytest.LogCaptureFixture
) -> None:
    tracker = PerformanceTracker(FailingDb(DatabaseUnavailable("down")), interval=3600)  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING, logger="core.orchestration.performance"):
        tracker.record_call(*args)
        tracker.record_call(*args)
    stats = tracker.stats()
    assert (stats.invalid, stats.recorded, stats.pending) == (2, 0, 0)
    assert caplog.text.count(f"invalid {field} was dropped") == 1  # said once, counted always
    assert "Jane" not in caplog.text
    tracker.close()


def test_invalid_voters_and_accuracy_are_refused() -> None:
    tracker = PerformanceTracker(FailingDb(DatabaseUnavailable("down")), interval=3600)  # type: ignore[arg-type]
    tracker.record_call("whisper_local", "transcriber", 0.1, 0.5, voters=0)
    tracker.record_accuracy("whisper_local", "transcriber", 0, 0)  # a reference has words
    tracker.record_accuracy("whisper_local", "transcriber", 10, -1)
    tracker.record_accuracy("whisper_local", "agent", 10, 12)  # more errors than words is a WER over 1: fine
    stats = tracker.stats()
    assert (stats.invalid, stats.recorded) == (3, 1)
    tracker.close()


def test_numpy_numbers_are_numbers() -> None:
    np = pytest.importorskip("numpy")
    tracker = PerformanceTracker(FailingDb(DatabaseUnavailable("down")), interval=3600)  # type: ignore[arg-type]
    tracker.record_call("whisper_local", "transcriber", np.float64(0.2), np.float32(0.7), voters=np.int64(3))
    tracker.record_accuracy("whisper_local", "transcriber", np.int32(10), np.int64(1))
    assert (tracker.stats().invalid, tracker.stats().recorded) == (0, 2)
    tracker.close()


def test_prometheus_counts_calls_reviews_and_latency_by_plugin_and_kind() -> None:
    plugin = _name()
    tracker = PerformanceTracker(FailingDb(DatabaseUnavailable("down")), interval=3600)  # type: ignore[arg-type]
    tracker.record_call(plugin, "transcriber", 0.2, 0.5, review=True, voters=3)
    tracker.record_call(plugin, "transcriber", 2.0, 0.9)
    tracker.close()
    assert _sample("intelluxe_plugin_calls_total", plugin) == 2
    assert _sample("intelluxe_plugin_review_total", plugin) == 1
    assert _sample("intelluxe_plugin_latency_seconds_count", plugin) == 2
    assert _sample("intelluxe_plugin_latency_seconds_sum", plugin) == pytest.approx(2.2)
    assert (
        REGISTRY.get_sample_value(
            "intelluxe_plugin_latency_seconds_bucket", {"plugin": plugin, "kind": "transcriber", "le": "1.5"}
        )
        == 1
    )


def test_the_tracker_refuses_a_nonsensical_configuration() -> None:
    with pytest.raises(ValueError, match="max_buffer >= batch_size"):
        PerformanceTracker(FailingDb(DatabaseUnavailable("down")), batch_size=10, max_buffer=5)  # type: ignore[arg-type]


def test_the_null_tracker_has_the_same_methods_and_does_nothing() -> None:
    tracker = NullTracker()
    tracker.record_call("whisper_local", "transcriber", 0.1, 0.5, review=True, voters=3)
    tracker.record_accuracy("whisper_local", "transcriber", 10, 1)
    assert tracker.flush() is True
    tracker.close()
    for method in ("record_call", "record_accuracy", "flush", "close"):
        assert callable(getattr(PerformanceTracker, method)) and callable(getattr(NullTracker, method))


def test_since_text_keeps_the_zone_it_was_given() -> None:
    cet = datetime(2026, 3, 1, 9, 0, tzinfo=timezone(timedelta(hours=1), "CET"))
    assert recommendations([], 0.6, False, since=cet) == ["no calls recorded since 2026-03-01 09:00 CET"]


def _until(condition: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
