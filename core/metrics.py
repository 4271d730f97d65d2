"""Prometheus metrics shared by every service. Labels name routes by template and never carry ids or PHI."""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

HTTP_REQUESTS = Counter(
    "intelluxe_http_requests_total",
    "HTTP requests served, by route template and status code.",
    ["service", "method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "intelluxe_http_request_duration_seconds",
    "Time from request start to response, by route template.",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
AUDIT_WRITES = Counter(
    "intelluxe_audit_writes_total",
    "Audit rows appended by the web spine, and failures to append.",
    ["service", "result"],
)


def exposition() -> tuple[bytes, str]:
    """The metrics text; under gunicorn with PROMETHEUS_MULTIPROC_DIR it merges every worker's samples."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
