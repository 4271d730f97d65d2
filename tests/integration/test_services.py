"""The three services as built on the spine, against real PostgreSQL and Redis."""

from __future__ import annotations

from pathlib import Path

import pytest

from core import embedded

SERVICES = [("insurance-verify", "server"), ("billing", "billing_engine"), ("compliance", "hipaa_monitor")]


@pytest.fixture
def service_env(monkeypatch: pytest.MonkeyPatch, migrated_url: str, redis_url: str) -> None:
    monkeypatch.setenv("POSTGRES_URL", migrated_url)
    monkeypatch.setenv("REDIS_URL", redis_url)


@pytest.mark.parametrize(("service", "module"), SERVICES)
def test_each_service_is_healthy_with_its_dependencies(
    service_env: None,
    service_module,
    service: str,
    module: str,  # type: ignore[no-untyped-def]
) -> None:
    app = service_module(service, module).app
    response = app.test_client().get("/health")
    assert response.status_code == 200, response.json
    assert response.json["status"] == "healthy"
    assert response.json["service"] == service
    assert response.json["checks"]["postgres"]["status"] == "ok"
    if service == "insurance-verify":
        assert response.json["checks"]["redis"] == {"status": "ok", "detail": None, "required": False}


@pytest.mark.parametrize(("service", "module"), SERVICES)
def test_each_service_serves_its_openapi_and_metrics(
    service_env: None,
    service_module,
    service: str,
    module: str,  # type: ignore[no-untyped-def]
) -> None:
    client = service_module(service, module).app.test_client()
    doc = client.get("/openapi.json").json
    assert doc["info"]["title"] == f"Intelluxe {service}"
    assert {"/health", "/metrics", "/openapi.json"} <= set(doc["paths"])
    client.get("/health")
    assert f'service="{service}"' in client.get("/metrics").get_data(as_text=True)


def test_insurance_verify_is_degraded_not_down_without_redis(
    service_module,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
    migrated_url: str,
    stoppable_redis: Path,
) -> None:
    monkeypatch.setenv("POSTGRES_URL", migrated_url)
    monkeypatch.setenv("REDIS_URL", embedded.redis_url(stoppable_redis))
    client = service_module("insurance-verify", "server").app.test_client()
    assert client.get("/health").json["status"] == "healthy"
    embedded.stop_redis(stoppable_redis)
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json["status"] == "degraded"
    assert response.json["checks"]["redis"]["status"] == "degraded"
    assert response.json["checks"]["postgres"]["status"] == "ok"


def test_billing_is_unhealthy_when_postgresql_is_gone(monkeypatch: pytest.MonkeyPatch, service_module) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("POSTGRES_URL", "postgresql://nobody@127.0.0.1:1/none?connect_timeout=1")
    client = service_module("billing", "billing_engine").app.test_client()
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json["status"] == "unhealthy"
    assert response.json["checks"]["postgres"]["status"] == "down"


def test_health_check_script_follows_health(monkeypatch: pytest.MonkeyPatch) -> None:
    from core import healthcheck

    monkeypatch.setenv("PORT", "1")
    assert healthcheck.main() == 1
