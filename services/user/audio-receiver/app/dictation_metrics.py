"""Prometheus metrics of the receiver (served at /metrics). Labels are outcomes and codes, never doctors or text."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

SESSIONS = Counter("intelluxe_dictation_sessions_total", "Dictation sessions ended, by audit outcome.", ["outcome"])
ACTIVE = Gauge("intelluxe_dictation_sessions_active", "Dictation websocket sessions open now.")
REFUSED = Counter(
    "intelluxe_dictation_refused_total", "Connections refused before the upgrade, by HTTP status.", ["status"]
)
FINAL_LAG = Histogram(
    "intelluxe_dictation_final_lag_seconds",
    "Time from the end of a segment's audio (assuming the client streams in real time) to its final being sent.",
    buckets=(0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0),
)
SAMPLES_FROM_CORRECTIONS = Counter(
    "intelluxe_dictation_correction_samples_total",
    "Finished sessions with corrections offered as writing samples, by outcome (stored, opted_out, too_short, "
    "refused, failed).",
    ["outcome"],
)
