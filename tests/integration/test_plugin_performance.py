"""Performance tracking on a real server: the tracker writes in batches (by size and by time), as the services'
least-privilege role, loses nothing on close, keeps rows while the server is away; the report's numbers over
inserted rows; `intelluxe router report` prints them and its recommendations."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from core.db import Database
from core.orchestration.performance import PerformanceTracker, report


def _name() -> str:
    return f"t{secrets.token_hex(4)}"


def _count(db: Database, table: str, plugin: str) -> int:
    row = db.fetchone(f"SELECT count(*) AS n FROM {table} WHERE plugin = %s", (plugin,))  # noqa: S608 - our names
    return int(row["n"]) if row else 0


def _until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


class Switchable:
    """A database that can be swapped under the tracker: one server down, then another up."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def run(self, work: Any, *, retries: int = 1) -> Any:
        return self.db.run(work, retries=retries)


@pytest.fixture
def service_db(service_url: str) -> Iterator[Database]:
    """The migrated database as the services reach it (intelluxe_service: INSERT and SELECT, nothing more)."""
    database = Database(service_url, maxconn=2)
    yield database
    database.close()


def test_a_full_batch_is_written_at_once_and_not_before(service_db: Database, db: Database) -> None:
    plugin = _name()
    tracker = PerformanceTracker(service_db, interval=3600, batch_size=5)
    for _ in range(4):
        tracker.record_call(plugin, "transcriber", 0.3, 0.8)
    time.sleep(0.3)
    assert _count(db, "plugin_calls", plugin) == 0  # under a batch, before the interval: still in memory
    tracker.record_call(plugin, "transcriber", 0.3, 0.8, review=True, voters=3)
    _until(lambda: _count(db, "plugin_calls", plugin) == 5)
    assert tracker.stats().written == 5
    row = db.fetchone(
        "SELECT latency_ms, confidence, review, voters, at FROM plugin_calls WHERE plugin = %s AND review", (plugin,)
    )
    assert row is not None and row["latency_ms"] == pytest.approx(300.0) and row["voters"] == 3
    assert row["confidence"] == pytest.approx(0.8) and abs(row["at"] - datetime.now(UTC)) < timedelta(minutes=1)
    tracker.close()


def test_a_lone_row_is_written_when_the_interval_passes(service_db: Database, db: Database) -> None:
    plugin = _name()
    tracker = PerformanceTracker(service_db, interval=0.2, batch_size=200)
    tracker.record_accuracy(plugin, "transcriber", 20, 3)
    _until(lambda: _count(db, "plugin_accuracy", plugin) == 1, timeout=5)
    tracker.close()


def test_close_writes_everything_waiting(service_db: Database, db: Database) -> None:
    plugin = _name()
    tracker = PerformanceTracker(service_db, interval=3600, batch_size=1000)
    for i in range(250):
        tracker.record_call(plugin, "processor", i / 1000, None)
    for _ in range(3):
        tracker.record_accuracy(plugin, "processor", 10, 1)
    assert _count(db, "plugin_calls", plugin) == 0
    tracker.close()
    assert (_count(db, "plugin_calls", plugin), _count(db, "plugin_accuracy", plugin)) == (250, 3)
    stats = tracker.stats()
    assert (stats.written, stats.pending, stats.lost, stats.failed_writes) == (253, 0, 0, 0)
    tracker.close()  # twice is fine


def test_rows_wait_for_a_server_that_comes_back(migrated_url: str, db: Database) -> None:
    """Rows of a write that could not reach the server are kept and written by a later flush."""
    plugin = _name()
    dead = Database("postgresql://postgres@127.0.0.1:1/nowhere", connect_timeout=1)
    server = Switchable(dead)
    tracker = PerformanceTracker(server, interval=3600)  # type: ignore[arg-type]
    tracker.record_call(plugin, "transcriber", 0.5, 0.7)
    assert tracker.flush() is False
    assert (tracker.stats().pending, tracker.stats().failed_writes) == (1, 1)
    server.db = Database(migrated_url)  # the server is back
    assert tracker.flush() is True
    assert _count(db, "plugin_calls", plugin) == 1
    tracker.close()
    server.db.close()


def test_the_service_role_may_not_change_or_delete_rows(service_db: Database) -> None:
    import psycopg2

    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        service_db.execute("DELETE FROM plugin_calls")
    with pytest.raises(psycopg2.errors.InsufficientPrivilege):
        service_db.execute("UPDATE plugin_accuracy SET errors = 0")


def test_the_table_refuses_text_where_a_plugin_name_goes(db: Database) -> None:
    import psycopg2

    with pytest.raises(psycopg2.errors.CheckViolation):
        db.execute("INSERT INTO plugin_calls (plugin, kind, latency_ms) VALUES ('Jane Doe, DOB 1970', 'agent', 1)")


# ------------------------------------------------------------------------------------------------ the report


def _insert_call(db: Database, plugin: str, latency_ms: float, **values: Any) -> None:
    row = {"kind": "transcriber", "confidence": None, "review": False, "voters": 1, "at": datetime.now(UTC), **values}
    db.execute(
        "INSERT INTO plugin_calls (at, plugin, kind, latency_ms, confidence, review, voters) "
        "VALUES (%(at)s, %(plugin)s, %(kind)s, %(latency_ms)s, %(confidence)s, %(review)s, %(voters)s)",
        {**row, "plugin": plugin, "latency_ms": latency_ms},
    )


def _insert_accuracy(db: Database, plugin: str, words: int, errors: int, at: datetime | None = None) -> None:
    db.execute(
        "INSERT INTO plugin_accuracy (at, plugin, kind, words, errors) VALUES (%s, %s, 'transcriber', %s, %s)",
        (at or datetime.now(UTC), plugin, words, errors),
    )


def _percentile(values: list[float], q: float) -> float:
    """percentile_cont: linear between the two nearest of the sorted values."""
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _seed(db: Database) -> list[float]:
    """whisper_local: 30 recent finals (10 for review), one voted; a week-old one that --since 24h leaves out;
    corrected finals; basic_formatter: 3 quick calls without confidence."""
    latencies = [100.0 + 37.0 * i for i in range(30)]
    for i, latency in enumerate(latencies):
        review = i % 3 == 0
        _insert_call(
            db, "whisper_local", latency, confidence=0.5 if review else 0.8, review=review, voters=3 if i == 0 else 1
        )
    old = datetime.now(UTC) - timedelta(days=7)
    _insert_call(db, "whisper_local", 99999.0, confidence=0.1, review=True, at=old)
    _insert_accuracy(db, "whisper_local", 120, 6)
    _insert_accuracy(db, "whisper_local", 80, 4)
    _insert_accuracy(db, "whisper_local", 100, 50, at=old)
    for latency in (1.0, 2.0, 4.0):
        _insert_call(db, "basic_formatter", latency, kind="processor")
    return latencies


def test_report_over_inserted_rows(fresh_db: Database) -> None:
    latencies = _seed(fresh_db)
    rows = report(fresh_db, datetime.now(UTC) - timedelta(hours=24))
    assert [(r.plugin, r.kind) for r in rows] == [("whisper_local", "transcriber"), ("basic_formatter", "processor")]
    local, formatter = rows
    assert local.calls == 30 and local.voters == (1, 3)
    assert local.latency_p50_ms == pytest.approx(_percentile(latencies, 0.5))
    assert local.latency_p90_ms == pytest.approx(_percentile(latencies, 0.9))
    assert local.review_share == pytest.approx(10 / 30)
    assert local.mean_confidence == pytest.approx((10 * 0.5 + 20 * 0.8) / 30)
    assert (local.corrected, local.words, local.errors) == (2, 200, 10) and local.wer == pytest.approx(0.05)
    assert formatter.mean_confidence is None and formatter.latency_p50_ms == pytest.approx(2.0)
    assert formatter.wer is None and formatter.review_share == 0

    everything = {r.plugin: r for r in report(fresh_db, None)}
    assert everything["whisper_local"].calls == 31 and everything["whisper_local"].corrected == 3
    assert report(fresh_db, datetime.now(UTC) + timedelta(minutes=1)) == []


def test_router_report_prints_the_table_and_what_to_change(
    fresh_db: Database, intelluxe: Callable[..., Any], tmp_path: Path
) -> None:
    latencies = _seed(fresh_db)
    env = {"POSTGRES_URL": fresh_db.url}
    shown = intelluxe(tmp_path, "router", "report", "--since", "24h", **env)
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].startswith("plugin performance, since ")
    assert "(routed: whisper_local; voting off; confidence_threshold 0.60)" in lines[0]
    assert lines[1].split() == "PLUGIN KIND CALLS P50 MS P90 MS CONF REVIEW VOTERS WER CORRECTED".split()
    local = lines[2].split()
    assert local[:3] == ["whisper_local", "transcriber", "30"]
    assert local[-7:] == ["0.70", "33", "%", "1,3", "5.0", "%", "2"]  # conf, review, voters, WER, corrected
    assert lines[3].split()[:3] == ["basic_formatter", "processor", "3"]
    assert lines[4] == "recommendations:"
    assert lines[5] == (
        "- whisper_local: finals under the confidence threshold (0.60): 33 % — consider transcription.voting_enabled "
        "(with voters that hear differently; measure with scripts/bench/bench_voting.py first), or check that "
        "reasoning.confidence_threshold suits the model"
    )
    assert "- basic_formatter: 3 calls since" in shown.stdout and "too few to judge" in shown.stdout

    as_json = intelluxe(tmp_path, "router", "report", "--since", "all", "--json", **env)
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["since"] is None and data["voting_enabled"] is False and data["confidence_threshold"] == 0.6
    local_json = next(p for p in data["plugins"] if p["plugin"] == "whisper_local")
    assert local_json["calls"] == 31 and local_json["wer"] == pytest.approx(60 / 300) and local_json["voters"] == [1, 3]
    assert local_json["latency_p90_ms"] == pytest.approx(_percentile([*latencies, 99999.0], 0.9))  # the old one too


def test_router_report_with_nothing_recorded_says_so(
    fresh_db: Database, intelluxe: Callable[..., Any], tmp_path: Path
) -> None:
    shown = intelluxe(tmp_path, "router", "report", **{"POSTGRES_URL": fresh_db.url})
    assert shown.returncode == 0, shown.stderr
    assert "(no plugin calls or corrected finals recorded)" in shown.stdout
    assert shown.stdout.splitlines()[-1].startswith("- no calls recorded since ")


def test_router_report_reads_the_routing_file_it_is_given(
    fresh_db: Database, intelluxe: Callable[..., Any], tmp_path: Path
) -> None:
    routing = tmp_path / "routing.yml"
    routing.write_text("transcription:\n  voting_enabled: true\nreasoning:\n  confidence_threshold: 0.85\n")
    _seed(fresh_db)
    for _ in range(30):
        _insert_call(fresh_db, "whisper_slow", 2000.0, confidence=0.6, voters=3)
    _insert_accuracy(fresh_db, "whisper_slow", 200, 30)
    shown = intelluxe(tmp_path, "router", "report", "--routing", str(routing), **{"POSTGRES_URL": fresh_db.url})
    assert shown.returncode == 0, shown.stderr
    assert "voting on; confidence_threshold 0.85" in shown.stdout
    assert "33 % with voting on — the voters may share its mistakes" in shown.stdout
    assert (
        "- whisper_slow: WER 15.0% against whisper_local's 5.0% on the corrected finals — it outvotes better words; "
        "drop it from transcription.voters" in shown.stdout
    )
    assert (
        "- whisper_slow: finals are slow: latency p90 2.00 s (over 1.5 s) — voting decodes each final" in shown.stdout
    )
    wrong = tmp_path / "wrong.yml"
    wrong.write_text("transcription:\n  voting: yes\n")
    refused = intelluxe(tmp_path, "router", "report", "--routing", str(wrong), **{"POSTGRES_URL": fresh_db.url})
    assert refused.returncode == 1 and "transcription.voting: unknown key" in refused.stderr
