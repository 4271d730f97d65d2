"""API tokens on real PostgreSQL, through the CLI and through the web spine's role checks."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from flask import Blueprint, Flask, jsonify

from core import auth
from core.auth import AuthError, Role
from core.config import Settings
from core.db import Database
from core.web import audit_in, audit_resource, init_db, new_app, phi_access, requires


def _unique(name: str) -> str:
    return f"{name}-{os.urandom(4).hex()}"


def test_issue_stores_only_the_hash(db: Database) -> None:
    name = _unique("frontdesk")
    token = auth.issue_token(db, name, Role.BILLING)
    assert token.startswith("ilx_")
    row = db.fetchone("SELECT * FROM api_tokens WHERE name = %s", (name,))
    assert row is not None
    assert token not in str(row.values())
    assert row["token_hash"] == auth.hash_token(token)
    assert auth.verify_token(db, token) == auth.Principal(name, Role.BILLING, str(row["token_id"]))


def test_wrong_malformed_expired_and_revoked_tokens_are_refused(db: Database) -> None:
    name = _unique("dr")
    token = auth.issue_token(db, name, Role.CLINICIAN, expires_days=1)
    cases = {
        None: "missing bearer token",
        "not-a-token": "invalid token",
        token[:-1] + ("A" if token[-1] != "A" else "B"): "invalid token",
        "ilx_0000000000000000_" + "A" * 43: "invalid token",
    }
    for presented, reason in cases.items():
        with pytest.raises(AuthError, match=reason):
            auth.verify_token(db, presented)
    assert _state(db, name) == "live"
    db.execute("UPDATE api_tokens SET expires_at = %s WHERE name = %s", (datetime.now(UTC) - timedelta(1), name))
    with pytest.raises(AuthError, match="token expired"):
        auth.verify_token(db, token)
    assert _state(db, name) == "expired"  # `intelluxe token list` said "live"
    assert auth.revoke_token(db, name)
    with pytest.raises(AuthError, match="token revoked"):
        auth.verify_token(db, token)
    assert not auth.revoke_token(db, name)
    assert _state(db, name) == "revoked"


def _state(db: Database, name: str) -> str:
    (info,) = [t for t in auth.list_tokens(db) if t.name == name]
    return info.state()


def test_a_live_name_cannot_be_issued_twice_but_a_revoked_one_can(db: Database) -> None:
    name = _unique("svc")
    auth.issue_token(db, name, Role.SERVICE)
    with pytest.raises(auth.TokenNameError, match="a live token named"):
        auth.issue_token(db, name, Role.SERVICE)
    auth.revoke_token(db, name)
    assert auth.verify_token(db, auth.issue_token(db, name, Role.ADMIN)).role is Role.ADMIN


@pytest.mark.parametrize("name", ["", "has space", "semi;colon", "x" * 129])
def test_bad_names_are_refused(db: Database, name: str) -> None:
    with pytest.raises(auth.TokenNameError):
        auth.issue_token(db, name, Role.BILLING)


def _cli(db: Database, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "POSTGRES_URL": db.url}
    return subprocess.run([sys.executable, "-m", "core.cli", *args], env=env, capture_output=True, text=True)


def test_cli_issue_prints_once_and_revoke_ends_it(db: Database) -> None:
    name = _unique("cli")
    issued = _cli(db, "token", "issue", "--name", name, "--role", "compliance", "--expires-days", "30")
    assert issued.returncode == 0, issued.stderr
    token = issued.stdout.strip()
    assert auth.verify_token(db, token).role is Role.COMPLIANCE
    assert "shown only now" in issued.stderr
    listed = _cli(db, "token", "list")
    assert name in listed.stdout and token not in listed.stdout
    assert _cli(db, "token", "revoke", name).returncode == 0
    with pytest.raises(AuthError, match="revoked"):
        auth.verify_token(db, token)
    again = _cli(db, "token", "revoke", name)
    assert again.returncode == 1
    assert f"no live token named '{name}'" in again.stderr


def test_cli_refuses_unknown_roles_and_bad_expiry(db: Database) -> None:
    assert _cli(db, "token", "issue", "--name", "x", "--role", "root").returncode == 2
    bad = _cli(db, "token", "issue", "--name", "x", "--role", "billing", "--expires-days", "0")
    assert bad.returncode == 2
    assert "--expires-days must be at least 1" in bad.stderr


# --------------------------------------------------------------------------------------------------- over HTTP


def _app(db: Database) -> Flask:
    bp = Blueprint("claims_demo", __name__)

    @bp.get("/claims/<claim_id>")
    @requires(Role.BILLING)
    @phi_access("read", "claim")
    def read_claim(claim_id: str):  # type: ignore[no-untyped-def]
        audit_resource(claim_id, lines=2)
        return jsonify({"claim_id": claim_id})

    @bp.post("/claims")
    @requires(Role.BILLING)
    @phi_access("create", "claim")
    def create_claim():  # type: ignore[no-untyped-def]
        with db.transaction() as cur:
            audit_resource("CLM-NEW")
            audit_in(cur)
        return jsonify({"claim_id": "CLM-NEW"}), 201

    @bp.get("/open")
    def open_route():  # type: ignore[no-untyped-def]
        return jsonify({"ok": True})

    app = new_app("billing", Settings.from_env({"POSTGRES_URL": db.url}))
    init_db(app, db)
    app.register_blueprint(bp)
    return app


def _audit_rows(db: Database, request_id: str) -> list[dict]:
    return db.fetchall("SELECT * FROM audit_log WHERE request_id = %s ORDER BY seq", (request_id,))


def test_roles_over_http_with_every_call_audited(db: Database) -> None:
    client = _app(db).test_client()
    billing = auth.issue_token(db, _unique("billing"), Role.BILLING)
    clinician_name = _unique("clinician")
    clinician = auth.issue_token(db, clinician_name, Role.CLINICIAN)
    admin = auth.issue_token(db, _unique("admin"), Role.ADMIN)
    revoked_name = _unique("gone")
    revoked = auth.issue_token(db, revoked_name, Role.BILLING)
    auth.revoke_token(db, revoked_name)

    cases = [
        ({}, 401, "unauthorized", "denied"),
        ({"Authorization": "Bearer nonsense"}, 401, "unauthorized", "denied"),
        ({"Authorization": f"Bearer {revoked}"}, 401, "unauthorized", "denied"),
        ({"Authorization": f"Basic {billing}"}, 401, "unauthorized", "denied"),
        ({"Authorization": f"Bearer {clinician}"}, 403, "forbidden", "denied"),
        ({"Authorization": f"Bearer {billing}"}, 200, None, "success"),
        ({"Authorization": f"Bearer {admin}"}, 200, None, "success"),
    ]
    for i, (headers, status, code, outcome) in enumerate(cases):
        request_id = f"tok-{os.urandom(4).hex()}-{i}"
        response = client.get("/claims/CLM-77", headers={**headers, "X-Request-ID": request_id})
        assert response.status_code == status, (i, response.json)
        if code:
            assert response.json["error"]["code"] == code
        if status == 401:
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
        rows = _audit_rows(db, request_id)
        assert len(rows) == 1, i
        assert rows[0]["outcome"] == outcome
        assert rows[0]["http_status"] == status
        assert rows[0]["action"] == "read" and rows[0]["resource_type"] == "claim"
        assert rows[0]["client_ip"] == "127.0.0.1"
    rows = db.fetchall(
        "SELECT user_id, actor_role, resource_id, details FROM audit_log WHERE user_id = %s", (clinician_name,)
    )
    assert rows[0]["actor_role"] == "clinician"


def test_a_successful_read_records_the_resource_and_details(db: Database) -> None:
    client = _app(db).test_client()
    name = _unique("reader")
    token = auth.issue_token(db, name, Role.BILLING)
    response = client.get("/claims/CLM-5", headers={"Authorization": f"Bearer {token}", "X-Request-ID": name})
    assert response.status_code == 200
    row = _audit_rows(db, name)[0]
    assert row["user_id"] == name
    assert row["resource_id"] == "CLM-5"
    assert row["details"] == {"method": "GET", "route": "/claims/<claim_id>", "lines": 2}


def test_audit_in_writes_one_row_inside_the_handlers_transaction(db: Database) -> None:
    client = _app(db).test_client()
    token = auth.issue_token(db, _unique("writer"), Role.BILLING)
    request_id = _unique("create")
    response = client.post("/claims", headers={"Authorization": f"Bearer {token}", "X-Request-ID": request_id})
    assert response.status_code == 201
    rows = _audit_rows(db, request_id)
    assert len(rows) == 1
    assert rows[0]["action"] == "create" and rows[0]["resource_id"] == "CLM-NEW"


def test_routes_without_markers_need_no_token_and_leave_no_audit_row(db: Database) -> None:
    client = _app(db).test_client()
    request_id = _unique("open")
    assert client.get("/open", headers={"X-Request-ID": request_id}).status_code == 200
    assert _audit_rows(db, request_id) == []


def test_the_verified_token_memory_honours_ttl_and_expiry(db: Database) -> None:
    name = _unique("cached")
    token = auth.issue_token(db, name, Role.BILLING)
    remembered = auth.VerifiedTokens(ttl_seconds=60)
    assert remembered.verify(db, token).name == name
    auth.revoke_token(db, name)
    assert remembered.verify(db, token).name == name  # within its TTL the memory answers (documented latency)
    with pytest.raises(AuthError, match="revoked"):
        auth.VerifiedTokens(ttl_seconds=0).verify(db, token)
    expiring_name = _unique("expiring")
    expiring = auth.issue_token(db, expiring_name, Role.BILLING, expires_days=1)
    assert remembered.verify(db, expiring).name == expiring_name
    # An expiry passing while remembered is caught on the next use, without waiting for the TTL.
    key = auth.hash_token(expiring)
    ttl_until, principal, _ = remembered._entries[key]
    remembered._entries[key] = (ttl_until, principal, datetime.now(UTC) - timedelta(seconds=1))
    db.execute("UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE name = %s", (expiring_name,))
    with pytest.raises(AuthError, match="expired"):
        remembered.verify(db, expiring)
