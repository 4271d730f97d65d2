"""The web spine without any database: errors, validation, request ids, health when PostgreSQL is down, OpenAPI."""

from __future__ import annotations

import logging

import pytest
from flask import Blueprint, Flask, jsonify
from pydantic import BaseModel, Field

from core.auth import Role
from core.config import Settings
from core.db import Database
from core.web import audit_resource, documented, init_db, new_app, parse_body, phi_access, requires

DEAD_DB = "postgresql://nobody@127.0.0.1:1/none"


class Echo(BaseModel):
    """An echo request."""

    name: str = Field(min_length=1)
    count: int = Field(ge=1)


class Member(BaseModel):
    """A member id, with the pattern of the suite's request models."""

    member_id: str = Field(pattern=r"^[A-Za-z0-9-]+$")
    state: str = Field(pattern=r"^[A-Z]{2}$")


def _app() -> Flask:
    bp = Blueprint("demo", __name__)

    @bp.post("/member")
    @documented(request_model=Member, responses={200: Member})
    def member():  # type: ignore[no-untyped-def]
        """Echo a member id back."""
        return jsonify(parse_body(Member).model_dump())

    @bp.post("/echo")
    @documented(request_model=Echo, responses={200: Echo})
    def echo():  # type: ignore[no-untyped-def]
        """Echo the body back."""
        return jsonify(parse_body(Echo).model_dump())

    @bp.get("/items/<item_id>")
    @requires(Role.BILLING)
    @phi_access("read", "item")
    def item(item_id: str):  # type: ignore[no-untyped-def]
        """Read an item."""
        audit_resource(item_id)
        return jsonify({"id": item_id})

    @bp.get("/boom")
    def boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("patient John Q Public SSN 123-45-6789")

    app = new_app("demo", Settings.from_env({"POSTGRES_URL": DEAD_DB}))
    init_db(app, Database(DEAD_DB, connect_timeout=1))
    app.register_blueprint(bp)
    return app


@pytest.fixture
def client():  # type: ignore[no-untyped-def]
    return _app().test_client()


def test_unknown_path_is_a_json_404(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert response.json["error"]["fields"] == {}


def test_wrong_method_is_a_json_405_with_allow(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/echo")
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"
    assert "POST" in response.headers["Allow"]


def test_body_that_is_not_json_is_a_400(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/echo", data="name=x", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"


def test_validation_errors_name_each_field_without_echoing_values(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/echo", json={"name": "", "count": "123-45-6789"})
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"name", "count"}
    assert "123-45-6789" not in response.get_data(as_text=True)


def test_a_pattern_is_said_in_words_a_clerk_can_read(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/member", json={"member_id": "XYZ 1000/01", "state": "Ohio"})
    assert response.status_code == 400
    assert response.json["error"]["fields"] == {
        "member_id": "letters, digits and hyphens only",
        "state": "exactly 2 capital letters",
    }
    assert "XYZ 1000/01" not in response.get_data(as_text=True)


def test_patterns_in_words_and_the_ones_left_as_they_are() -> None:
    from core.shapes import pattern_in_words

    assert pattern_in_words(r"^[A-Za-z0-9._-]+$") == "letters, digits, dots, underscores and hyphens only"
    assert pattern_in_words(r"^[0-9]{1,10}$") == "1 to 10 digits"
    assert pattern_in_words(r"^[A-Z0-9]{3,}$") == "at least 3 characters: capital letters and digits only"
    assert pattern_in_words(r"^[a-z\-.]+$") == "small letters, hyphens and dots only"  # an escaped hyphen
    # "[.-_]" is the range from "." to "_" (digits and capitals among it), not three characters.
    for pattern in (r"^[a-z][a-z0-9_]*$", r"^[!-~]+$", r"^\d{10}$", r"^[A-Fa-f]+$", r"^[a-z.-_]+$", "x"):
        assert pattern_in_words(pattern) is None, pattern  # pydantic's own message stays


def test_missing_field_is_named(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/echo", json={"name": "a"})
    assert response.status_code == 400
    assert response.json["error"]["fields"] == {"count": "Field required"}


def test_valid_body_passes(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/echo", json={"name": "a", "count": 2})
    assert response.status_code == 200
    assert response.json == {"name": "a", "count": 2}


def test_unhandled_error_is_a_500_that_logs_no_phi(client, caplog) -> None:  # type: ignore[no-untyped-def]
    with caplog.at_level(logging.INFO):
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json["error"]["code"] == "internal_error"
    assert "RuntimeError" in caplog.text
    assert "123-45-6789" not in caplog.text
    assert "John" not in caplog.text
    assert "123-45-6789" not in response.get_data(as_text=True)


def test_request_id_is_kept_when_sane_and_replaced_otherwise(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["X-Request-ID"] == "abc-123"
    replaced = client.get("/health", headers={"X-Request-ID": "bad id; with spaces"}).headers["X-Request-ID"]
    assert replaced != "bad id; with spaces"
    assert len(replaced) == 32


def test_health_is_503_naming_postgres_when_it_is_down(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json["status"] == "unhealthy"
    assert response.json["service"] == "demo"
    assert response.json["checks"]["postgres"]["status"] == "down"
    assert "postgres unavailable" in response.json["checks"]["postgres"]["detail"]


def test_an_audited_route_withholds_its_answer_when_the_audit_log_is_down(client) -> None:  # type: ignore[no-untyped-def]
    response = client.get("/items/CLM-9", headers={"Authorization": "Bearer whatever"})
    assert response.status_code == 503
    assert response.json["error"]["code"] in ("audit_unavailable", "database_unavailable")
    assert "CLM-9" not in response.get_data(as_text=True)


def test_openapi_lists_routes_bodies_and_roles(client) -> None:  # type: ignore[no-untyped-def]
    doc = client.get("/openapi.json").json
    assert doc["openapi"] == "3.1.0"
    echo = doc["paths"]["/echo"]["post"]
    assert echo["summary"] == "Echo the body back."
    assert echo["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Echo"}
    assert set(echo["responses"]) >= {"200", "400"}
    item = doc["paths"]["/items/{item_id}"]["get"]
    assert item["parameters"][0] == {"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}}
    assert item["security"] == [{"bearerAuth": []}]
    assert item["x-roles"] == ["admin", "billing"]
    assert {"401", "403", "503"} <= set(item["responses"])
    assert doc["paths"]["/health"]["get"]["responses"]["503"]["content"]
    assert "Echo" in doc["components"]["schemas"] and "ErrorResponse" in doc["components"]["schemas"]
    assert "security" not in doc["paths"]["/health"]["get"]


def test_metrics_label_routes_by_template_not_by_id(client) -> None:  # type: ignore[no-untyped-def]
    client.get("/items/PATIENT-4711", headers={"Authorization": "Bearer x"})
    text = client.get("/metrics").get_data(as_text=True)
    assert 'route="/items/<item_id>"' in text
    assert "PATIENT-4711" not in text
