"""Per-plugin performance (issue 16, the plan's `_track_performance`): each call's latency, confidence and review
mark, and corrected finals' word errors, kept in PostgreSQL (postgres/init/09-plugin-performance.sql) and counted
in Prometheus; `report` and `recommendations` read them back for `intelluxe router report`.

Theory of operation:
- A caller of a plugin (the audio-receiver, after each decode) calls `record_call`, and `record_accuracy` when a
  doctor corrected a final. Both only append to an in-memory buffer and update Prometheus, so a dictation never
  waits on the database. One background thread writes the buffer in batches (one transaction, multi-row INSERTs)
  every `interval` seconds (5) or as soon as `batch_size` rows (200) wait, and `close()` writes what is left.
- Nothing here raises into the caller. A row the table would refuse (an unknown kind, a negative latency, a
  confidence outside 0-1) is dropped and counted before it can spoil a batch. A write that failed because the
  server could not be reached keeps its rows for the next try; a write the server refused loses its rows (retrying
  would fail the same way). Both are logged by the exception's type only, and counted. The buffer is bounded
  (`max_buffer`, 10,000 rows): past it the oldest rows go, counted, so a database down for hours costs memory
  once, not without end.
- Numbers and plugin names only. A plugin name must look like one (core.plugins' rule), so neither a Prometheus
  label nor a row can carry free text; logs hold counts, field names and exception types.
- `report(db, since)` aggregates in SQL (percentile_cont for latency, sums for WER); `combine` (pure) joins the
  call and accuracy aggregates per plugin; `recommendations` (pure) turns them into advice, each rule with why.

What a row means (the receiver's side of the contract): one `record_call` per call of one plugin, with its
latency and confidence; `review` is true when what the call produced was a final sent for review (its confidence
under `reasoning.confidence_threshold`; a voter's own decode is no final, so false); `voters` is how many
transcribers decoded the final (1: it alone). With voting on, the receiver records each member's decode under the
member's name and the voted final under a label of its own (`vote`, core.orchestration.tracked).
"""

from __future__ import annotations

import logging
import math
import numbers
import re
import threading
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import psycopg2
import psycopg2.extensions
import psycopg2.extras
from prometheus_client import Counter, Histogram

from core.db import Database, DatabaseUnavailable

log = logging.getLogger(__name__)

KINDS: tuple[str, ...] = ("transcriber", "processor", "agent")
# core.plugins' rule for a plugin's name (and the table's CHECK): it can never be free text.
_PLUGIN_NAME = re.compile(r"^[a-z][a-z0-9_]{0,63}$")

LATENCY = Histogram(
    "intelluxe_plugin_latency_seconds",
    "Time one plugin took for one call (a transcriber: one decode), by plugin name and kind.",
    ["plugin", "kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0),
)
CALLS = Counter("intelluxe_plugin_calls_total", "Calls of a plugin, by plugin name and kind.", ["plugin", "kind"])
REVIEWS = Counter(
    "intelluxe_plugin_review_total",
    "Finals sent for review (confidence under reasoning.confidence_threshold), by plugin name and kind.",
    ["plugin", "kind"],
)
LOST = Counter(
    "intelluxe_plugin_tracking_lost_total",
    "Performance rows that never reached the database, by reason (invalid, overflow, refused, closed).",
    ["reason"],
)


# --------------------------------------------------------------------------------------------------- recording


class Tracker(Protocol):
    """What a service holds: a `PerformanceTracker`, or a `NullTracker` when it has no database."""

    def record_call(
        self,
        plugin: str,
        kind: str,
        latency_seconds: float,
        confidence: float | None,
        *,
        review: bool = False,
        voters: int = 1,
    ) -> None: ...

    def record_accuracy(self, plugin: str, kind: str, words: int, errors: int) -> None: ...

    def flush(self) -> bool: ...

    def close(self) -> None: ...


class NullTracker:
    """The tracker of a service without a database (and of tests): the same methods, and nothing recorded."""

    def record_call(
        self,
        plugin: str,
        kind: str,
        latency_seconds: float,
        confidence: float | None,
        *,
        review: bool = False,
        voters: int = 1,
    ) -> None:
        return None

    def record_accuracy(self, plugin: str, kind: str, words: int, errors: int) -> None:
        return None

    def flush(self) -> bool:
        return True

    def close(self) -> None:
        return None


@dataclass(frozen=True, slots=True)
class _Call:
    at: datetime
    plugin: str
    kind: str
    latency_ms: float
    confidence: float | None
    review: bool
    voters: int


@dataclass(frozen=True, slots=True)
class _Accuracy:
    at: datetime
    plugin: str
    kind: str
    words: int
    errors: int


_Row = _Call | _Accuracy


@dataclass(frozen=True)
class TrackerStats:
    """Counts since the tracker was made: `recorded` rows accepted, `written` to the database, `pending` waiting;
    `invalid` refused before buffering, `dropped` pushed out of the full buffer, `lost` in writes the server refused
    (or left when closing failed); `failed_writes` writes that raised."""

    recorded: int
    written: int
    pending: int
    invalid: int
    dropped: int
    lost: int
    failed_writes: int


def _is_number(value: object) -> bool:
    """A finite real number (numpy's too: a decoder's confidence may be a numpy float32), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool) and math.isfinite(value)


def _is_count(value: object, low: int, high: int) -> bool:
    """An integer (numpy's too), not a bool, within low..high."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and low <= value <= high


def _call_problem(plugin: str, kind: str, latency_seconds: float, confidence: float | None, voters: int) -> str | None:
    """The first field the table would refuse (its name: never its value, which could be anything), else None."""
    if not isinstance(plugin, str) or not _PLUGIN_NAME.match(plugin):
        return "plugin"
    if kind not in KINDS:
        return "kind"
    if not _is_number(latency_seconds) or latency_seconds < 0:
        return "latency_seconds"
    if confidence is not None and (not _is_number(confidence) or not 0 <= confidence <= 1):
        return "confidence"
    if not _is_count(voters, 1, 32767):
        return "voters"
    return None


def _accuracy_problem(plugin: str, kind: str, words: int, errors: int) -> str | None:
    if not isinstance(plugin, str) or not _PLUGIN_NAME.match(plugin):
        return "plugin"
    if kind not in KINDS:
        return "kind"
    if not _is_count(words, 1, 2**31 - 1):
        return "words"
    if not _is_count(errors, 0, 2**31 - 1):
        return "errors"
    return None


def _insert(cur: psycopg2.extensions.cursor, rows: Sequence[_Row]) -> None:
    """Every row in one transaction: calls and accuracy each in multi-row INSERTs."""
    calls = [
        (r.at, r.plugin, r.kind, r.latency_ms, r.confidence, r.review, r.voters) for r in rows if isinstance(r, _Call)
    ]
    accuracy = [(r.at, r.plugin, r.kind, r.words, r.errors) for r in rows if isinstance(r, _Accuracy)]
    if calls:
        psycopg2.extras.execute_values(
            cur,
            "INSERT INTO plugin_calls (at, plugin, kind, latency_ms, confidence, review, voters) VALUES %s",
            calls,
            page_size=1000,
        )
    if accuracy:
        psycopg2.extras.execute_values(
            cur, "INSERT INTO plugin_accuracy (at, plugin, kind, words, errors) VALUES %s", accuracy, page_size=1000
        )


# A write that failed for one of these may succeed later (the server restarted, the network came back).
_TRANSIENT = (DatabaseUnavailable, psycopg2.OperationalError, psycopg2.InterfaceError)


class PerformanceTracker:
    """Buffers plugin calls and accuracy and writes them from one background thread (see the module's docstring).

    `db` is shared with the service (the tracker takes one connection for a moment per batch, and never closes
    it). `interval`, `batch_size` and `max_buffer` are the flush period in seconds, the batch that triggers an
    early write, and the buffer's bound."""

    def __init__(self, db: Database, *, interval: float = 5.0, batch_size: int = 200, max_buffer: int = 10_000) -> None:
        if interval <= 0 or batch_size < 1 or max_buffer < batch_size:
            raise ValueError("interval > 0, batch_size >= 1 and max_buffer >= batch_size are needed")
        self._db = db
        self._interval = interval
        self._batch_size = batch_size
        self._max_buffer = max_buffer
        self._buffer: deque[_Row] = deque()
        self._cond = threading.Condition()
        self._write_lock = threading.Lock()  # one write at a time: the thread's, or an explicit flush()
        self._closing = False
        self._warned: set[str] = set()
        self._counts = {"recorded": 0, "written": 0, "invalid": 0, "dropped": 0, "lost": 0, "failed_writes": 0}
        self._thread = threading.Thread(target=self._run, name="plugin-performance", daemon=True)
        self._thread.start()

    # -- the caller's side: never blocks on the database, never raises

    def record_call(
        self,
        plugin: str,
        kind: str,
        latency_seconds: float,
        confidence: float | None,
        *,
        review: bool = False,
        voters: int = 1,
    ) -> None:
        """One call of `plugin` (`kind`: transcriber, processor or agent) that took `latency_seconds`, with the
        plugin's `confidence` (0-1, None when it gives none); `review`: it produced a final sent for review;
        `voters`: transcribers that decoded the final (1: it alone)."""
        problem = _call_problem(plugin, kind, latency_seconds, confidence, voters)
        if problem:
            self._refuse("plugin_calls", problem)
            return
        CALLS.labels(plugin, kind).inc()
        LATENCY.labels(plugin, kind).observe(latency_seconds)
        if review:
            REVIEWS.labels(plugin, kind).inc()
        confidence = None if confidence is None else float(confidence)
        row = _Call(_now(), plugin, kind, float(latency_seconds) * 1000.0, confidence, bool(review), int(voters))
        self._append(row)

    def record_accuracy(self, plugin: str, kind: str, words: int, errors: int) -> None:
        """A corrected final: its reference had `words` words and `plugin`'s output was `errors` word-level edits
        (substitutions, insertions, deletions) away from it."""
        problem = _accuracy_problem(plugin, kind, words, errors)
        if problem:
            self._refuse("plugin_accuracy", problem)
            return
        self._append(_Accuracy(_now(), plugin, kind, int(words), int(errors)))

    def _refuse(self, table: str, field: str) -> None:
        with self._cond:
            self._counts["invalid"] += 1
            first = field not in self._warned
            self._warned.add(field)
        LOST.labels("invalid").inc()
        if first:  # a caller's bug repeats on every call: said once per field, counted always
            log.warning("plugin performance: a %s row with an invalid %s was dropped (counted)", table, field)

    def _append(self, row: _Row) -> None:
        with self._cond:
            if self._closing:
                self._counts["lost"] += 1
                LOST.labels("closed").inc()
                return
            self._counts["recorded"] += 1
            self._buffer.append(row)
            self._trim()
            if len(self._buffer) >= self._batch_size:
                self._cond.notify()

    def _trim(self) -> None:
        """Drop the oldest rows beyond the bound (the lock is held)."""
        over = len(self._buffer) - self._max_buffer
        for _ in range(max(over, 0)):
            self._buffer.popleft()
        if over > 0:
            self._counts["dropped"] += over
            LOST.labels("overflow").inc(over)

    # -- the writer's side

    def flush(self) -> bool:
        """Write every waiting row now, in the caller's thread; False when the write failed (rows kept or lost as
        the module's docstring says). The background thread calls this; tests and a shutdown may too."""
        with self._write_lock:
            with self._cond:
                rows = list(self._buffer)
                self._buffer.clear()
            if not rows:
                return True
            try:
                self._db.run(lambda cur: _insert(cur, rows))
            except _TRANSIENT as exc:
                self._failed(rows, exc, keep=True)
                return False
            except Exception as exc:  # noqa: BLE001 - the writer must never die, nor raise into a dictation
                self._failed(rows, exc, keep=False)
                return False
            with self._cond:
                self._counts["written"] += len(rows)
            return True

    def _failed(self, rows: list[_Row], exc: BaseException, *, keep: bool) -> None:
        with self._cond:
            self._counts["failed_writes"] += 1
            if keep:
                self._buffer.extendleft(reversed(rows))
                self._trim()
            else:
                self._counts["lost"] += len(rows)
                LOST.labels("refused").inc(len(rows))
        what = "kept for the next try" if keep else "dropped"
        log.warning("plugin performance: writing %d rows failed (%s); %s", len(rows), type(exc).__name__, what)

    def _run(self) -> None:
        failed = False
        while True:
            with self._cond:
                self._wait(patient=failed)
                closing = self._closing
            failed = not self.flush()
            if closing:
                self._abandon()
                return

    def _wait(self, *, patient: bool) -> None:
        """Until the interval has passed, a batch is full (unless the last write failed: then a full interval,
        so a server that is down is not asked again at once), or the tracker closes. The lock is held."""
        deadline = time.monotonic() + self._interval
        while not self._closing and (patient or len(self._buffer) < self._batch_size):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._cond.wait(remaining)

    def _abandon(self) -> None:
        """Rows still waiting once the closing write failed: counted as lost, said once."""
        with self._cond:
            left = len(self._buffer)
            self._buffer.clear()
            self._counts["lost"] += left
        if left:
            LOST.labels("closed").inc(left)
            log.warning("plugin performance: %d rows could not be written before closing; dropped", left)

    def close(self, timeout: float = 30.0) -> None:
        """Write what is waiting and stop the thread (at most `timeout` seconds); later records are counted as lost.
        Safe to call twice."""
        with self._cond:
            self._closing = True
            self._cond.notify_all()
        self._thread.join(timeout)

    def stats(self) -> TrackerStats:
        with self._cond:
            return TrackerStats(pending=len(self._buffer), **self._counts)


def _now() -> datetime:
    return datetime.now(UTC)


# --------------------------------------------------------------------------------------------------- the report


@dataclass(frozen=True)
class CallStats:
    """One plugin's calls since the report's start, as SQL aggregates them."""

    plugin: str
    kind: str
    calls: int
    latency_p50_ms: float
    latency_p90_ms: float
    mean_confidence: float | None
    reviews: int
    voters: tuple[int, ...]


@dataclass(frozen=True)
class AccuracyStats:
    """One plugin's corrected finals since the report's start: how many, their reference words and its errors."""

    plugin: str
    kind: str
    corrected: int
    words: int
    errors: int


@dataclass(frozen=True)
class PluginReport:
    """One plugin in `intelluxe router report`. Latency and confidence are None without calls; `wer` is None
    without corrected finals. `voters` lists the voter counts seen (1: decoded alone; several: voting changed)."""

    plugin: str
    kind: str
    calls: int
    latency_p50_ms: float | None
    latency_p90_ms: float | None
    mean_confidence: float | None
    review_share: float | None
    voters: tuple[int, ...]
    corrected: int
    words: int
    errors: int

    @property
    def wer(self) -> float | None:
        """Word error rate over the corrected finals: total edits over total reference words (not a mean of
        per-final rates, which would weigh a two-word final like a long one)."""
        return self.errors / self.words if self.words else None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "voters": list(self.voters), "wer": self.wer}


def combine(calls: Iterable[CallStats], accuracy: Iterable[AccuracyStats]) -> list[PluginReport]:
    """The report's rows: each plugin with calls or corrected finals (or both), transcribers first, then by name."""
    by_call = {(c.plugin, c.kind): c for c in calls}
    by_accuracy = {(a.plugin, a.kind): a for a in accuracy}
    rows = [_row(key, by_call.get(key), by_accuracy.get(key)) for key in by_call.keys() | by_accuracy.keys()]
    return sorted(rows, key=lambda r: (KINDS.index(r.kind) if r.kind in KINDS else len(KINDS), r.plugin))


def _row(key: tuple[str, str], call: CallStats | None, acc: AccuracyStats | None) -> PluginReport:
    plugin, kind = key
    return PluginReport(
        plugin=plugin,
        kind=kind,
        calls=call.calls if call else 0,
        latency_p50_ms=call.latency_p50_ms if call else None,
        latency_p90_ms=call.latency_p90_ms if call else None,
        mean_confidence=call.mean_confidence if call else None,
        review_share=call.reviews / call.calls if call and call.calls else None,
        voters=call.voters if call else (),
        corrected=acc.corrected if acc else 0,
        words=acc.words if acc else 0,
        errors=acc.errors if acc else 0,
    )


_CALLS_SQL = """
SELECT plugin, kind, count(*) AS calls,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY latency_ms) AS p90,
       avg(confidence) AS mean_confidence,
       count(*) FILTER (WHERE review) AS reviews,
       array_agg(DISTINCT voters ORDER BY voters) AS voters
FROM plugin_calls WHERE at >= %(since)s::timestamptz GROUP BY plugin, kind
"""
_ACCURACY_SQL = """
SELECT plugin, kind, count(*) AS corrected, sum(words) AS words, sum(errors) AS errors
FROM plugin_accuracy WHERE at >= %(since)s::timestamptz GROUP BY plugin, kind
"""


def report(db: Database, since: datetime | None) -> list[PluginReport]:
    """Every plugin's calls and accuracy recorded since `since` (None: all of them). Percentiles are
    percentile_cont's (linear between the two nearest calls)."""
    params = {"since": since if since is not None else "-infinity"}
    calls = [
        CallStats(
            r["plugin"],
            r["kind"],
            r["calls"],
            r["p50"],
            r["p90"],
            r["mean_confidence"],
            r["reviews"],
            tuple(r["voters"]),
        )
        for r in db.fetchall(_CALLS_SQL, params)
    ]
    accuracy = [
        AccuracyStats(r["plugin"], r["kind"], r["corrected"], int(r["words"]), int(r["errors"]))
        for r in db.fetchall(_ACCURACY_SQL, params)
    ]
    return combine(calls, accuracy)


# --------------------------------------------------------------------------------------------- recommendations

# Fewer calls than this are not judged: with 19 calls one final moves a share by more than 5 points.
MIN_CALLS = 20
# Fewer corrected reference words than this are not compared: on 200 words, the margin below is 4 words.
MIN_WORDS = 200
# One final in five sent back for review makes review the rule, not the exception it is meant to be.
REVIEW_SHARE = 0.20
# Decodes of one model differed by one or two words in a hundred on scripts/bench/bench_voting.py's sets; 2 points
# (on at least MIN_WORDS words) is a difference beyond that.
WER_MARGIN = 0.02
# A final more than 1.5 s after the doctor stops speaking is felt as lag; whisper_local's decode p90 was 0.44 s at
# one stream and 1.01 s at four (2 cores), so past 1.5 s the server is short of something.
SLOW_P90_MS = 1500.0


def recommendations(
    report_rows: Sequence[PluginReport],
    confidence_threshold: float,
    voting_enabled: bool,
    *,
    routed: str | None = None,
    since: datetime | None = None,
) -> list[str]:
    """What the numbers suggest changing, each line computed from `report_rows` (never a canned tip); empty when
    nothing does. `routed` is the transcriber dictation goes to (transcription.sensitive): without it the voters
    are not compared with it. The rules, and why their thresholds (the constants above):

    - nothing recorded: "no calls recorded since …" — an empty report must not read as "all is well".
    - a plugin with fewer than MIN_CALLS calls is named as too few to judge, and no other rule judges it.
    - a transcriber's review share >= REVIEW_SHARE (20 %): its finals under the confidence threshold; with voting
      off, voting (or the threshold's calibration) to consider; with voting on (the voted finals' rows), that the
      voters may share the routed transcriber's mistakes.
    - voting on, a transcriber's WER >= the routed one's + WER_MARGIN (both on >= MIN_WORDS reference words): it
      outvotes better words — drop it from transcription.voters; <= the routed one's - WER_MARGIN: it is the better
      transcriber — consider routing dictation to it.
    - a transcriber's latency p90 > SLOW_P90_MS (1.5 s): its finals are slow; with voting on, voting multiplies the
      decode time.
    """
    judged = [r for r in report_rows if r.calls >= MIN_CALLS]
    advice: list[str] = []
    if not any(r.calls for r in report_rows):
        advice.append(f"no calls recorded {_since_text(since)}")
    advice += _review_advice(judged, confidence_threshold, voting_enabled)
    if voting_enabled and routed is not None:
        advice += _voter_advice(report_rows, routed)
    advice += _latency_advice(judged, voting_enabled)
    advice += [  # last: what could not be judged matters less than what was
        f"{r.plugin}: {r.calls} calls {_since_text(since)}, too few to judge (at least {MIN_CALLS})"
        for r in report_rows
        if 0 < r.calls < MIN_CALLS
    ]
    return advice


def _since_text(since: datetime | None) -> str:
    """`since 2026-03-01 08:00 UTC` (in the zone `since` carries), or `yet` when there is no start."""
    return f"since {since:%Y-%m-%d %H:%M %Z}".rstrip() if since is not None else "yet"


def _percent(share: float) -> str:
    return f"{share * 100:.0f} %"


def _review_advice(rows: Sequence[PluginReport], threshold: float, voting_enabled: bool) -> list[str]:
    what = (
        "with voting on — the voters may share its mistakes (a recogniser that differs, measured with "
        "scripts/bench/bench_voting.py, would help), or reasoning.confidence_threshold does not suit the vote's "
        "confidence"
        if voting_enabled
        else "— consider transcription.voting_enabled (with voters that hear differently; measure with "
        "scripts/bench/bench_voting.py first), or check that reasoning.confidence_threshold suits the model"
    )
    return [
        f"{r.plugin}: finals under the confidence threshold ({threshold:.2f}): {_percent(r.review_share)} {what}"
        for r in rows
        if r.kind == "transcriber" and r.review_share is not None and r.review_share >= REVIEW_SHARE
    ]


def _voter_advice(rows: Sequence[PluginReport], routed: str) -> list[str]:
    base = next((r for r in rows if r.kind == "transcriber" and r.plugin == routed), None)
    if base is None or base.wer is None or base.words < MIN_WORDS:
        return []
    advice = []
    for r in rows:
        if r.kind != "transcriber" or r.plugin == routed or r.wer is None or r.words < MIN_WORDS:
            continue
        measured = f"WER {r.wer:.1%} against {routed}'s {base.wer:.1%} on the corrected finals"
        if r.wer >= base.wer + WER_MARGIN:
            advice.append(f"{r.plugin}: {measured} — it outvotes better words; drop it from transcription.voters")
        elif r.wer <= base.wer - WER_MARGIN:
            advice.append(f"{r.plugin}: {measured} — it is the better transcriber; consider routing dictation to it")
    return advice


def _latency_advice(rows: Sequence[PluginReport], voting_enabled: bool) -> list[str]:
    why = (
        "voting decodes each final several times: lower transcription.voting_threshold or turn voting off"
        if voting_enabled
        else "the server may lack cores for the dictations at once (scripts/bench/bench_dictation.py measures it)"
    )
    return [
        f"{r.plugin}: finals are slow: latency p90 {r.latency_p90_ms / 1000:.2f} s (over {SLOW_P90_MS / 1000:.1f} s) "
        f"— {why}"
        for r in rows
        if r.kind == "transcriber" and r.latency_p90_ms is not None and r.latency_p90_ms > SLOW_P90_MS
    ]
