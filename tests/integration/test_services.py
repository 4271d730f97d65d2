"""The three services as built on the spine, against real PostgreSQL and Redis."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import billing
import compliance
import insurance_verify
from core import embedded

SERVICES = {
    "insurance-verify": (insurance_verify.create_app, insurance_verify.VerifySettings),
    "billing": (billing.create_app, billing.BillingSettings),
    "compliance": (compliance.create_app, compliance.ComplianceSettings),
}


def _settings(service: str, **env: str):  # type: ignore[no-untyped-def]
    return SERVICES[service][1].from_env({**os.environ, **env})


@pytest.fixture
def service_env(monkeypatch: pytest.MonkeyPatch, service_url: str, redis_url: str) -> None:
    monkeypatch.setenv("POSTGRES_URL", service_url)
    monkeypatch.setenv("REDIS_URL", redis_url)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_is_healthy_with_its_dependencies(service_env: None, build_app, service: str) -> None:  # type: ignore[no-untyped-def]
    app = build_app(SERVICES[service][0], _settings(service))
    response = app.test_client().get("/health")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "healthy"
    assert response.json["service"] == service
    assert response.json["checks"]["postgres"]["status"] == "ok"
    if service == "insurance-verify":
        assert response.json["checks"]["redis"] == {"status": "ok", "detail": None, "required": False}


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_serves_its_openapi_and_metrics(service_env: None, build_app, service: str) -> None:  # type: ignore[no-untyped-def]
    client = build_app(SERVICES[service][0], _settings(service)).test_client()
    doc = client.get("/openapi.json").json
    assert doc["info"]["title"] == f"Intelluxe {service}"
    assert {"/health", "/metrics", "/openapi.json"} <= set(doc["paths"])
    client.get("/health")
    assert f'service="{service}"' in client.get("/metrics").get_data(as_text=True)


def test_insurance_verify_is_degraded_not_down_without_redis(
    build_app,  # type: ignore[no-untyped-def]
    served_app,  # type: ignore[no-untyped-def]
    migrated_url: str,
    stoppable_redis: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from core import healthcheck, stack

    settings = _settings("insurance-verify", POSTGRES_URL=migrated_url, REDIS_URL=embedded.redis_url(stoppable_redis))
    app = build_app(insurance_verify.create_app, settings)
    client = app.test_client()
    assert client.get("/health").json["status"] == "healthy"
    embedded.stop_redis(stoppable_redis)
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json["status"] == "degraded"
    assert response.json["checks"]["redis"]["status"] == "degraded"
    assert response.json["checks"]["postgres"]["status"] == "ok"
    # The health command passes (200), but `intelluxe status` says what /health says: degraded.
    served = served_app(app)
    port = served.url.rsplit(":", 1)[1]
    assert healthcheck.reported_status(served.url) == "degraded"
    passing = stack.ServiceStatus("insurance-verify", "docker", "running", "healthy", f"{port}:8000", "-")
    monkeypatch.setattr(stack.Runner, "status", lambda self, name: passing)
    services, _ = stack.status(settings)
    assert {s.health for s in services if s.name == "insurance-verify"} == {"degraded"}


def test_billing_is_unhealthy_when_postgresql_is_gone(build_app) -> None:  # type: ignore[no-untyped-def]
    settings = _settings("billing", POSTGRES_URL="postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    client = build_app(billing.create_app, settings).test_client()
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json["status"] == "unhealthy"
    assert response.json["checks"]["postgres"]["status"] == "down"


def test_health_check_script_follows_health(monkeypatch: pytest.MonkeyPatch) -> None:
    from core import healthcheck

    monkeypatch.setenv("PORT", "1")
    assert healthcheck.main([]) == 1
