"""The web console through Flask's test client, against a real compliance service served over HTTP and real
PostgreSQL: sign-in with an account and with a token, wrong passwords and the throttle, roles, CSRF, the security
headers and cookie, idle timeout, sign-out revoking the session's token, and every compliance page with real data."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

import compliance
from console import ConsoleSettings, create_app
from core import auth, console_users
from core.auth import Role
from core.db import Database

BASE = "https://localhost"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def compliance_url(service_url: str, build_app, served_app) -> str:  # type: ignore[no-untyped-def]
    settings = compliance.ComplianceSettings.from_env({**os.environ, "POSTGRES_URL": service_url})
    return served_app(build_app(compliance.create_app, settings)).url


@pytest.fixture
def make_console(service_url: str, compliance_url: str, build_app) -> Callable[..., Any]:  # type: ignore[no-untyped-def]
    def make(**env: str) -> Any:
        base = {
            "POSTGRES_URL": service_url,
            "COMPLIANCE_URL": compliance_url,
            "INTELLUXE_TOKEN_CACHE_SECONDS": "0",
            **env,
        }
        return build_app(create_app, ConsoleSettings.from_env(base))

    return make


@pytest.fixture
def app(make_console):  # type: ignore[no-untyped-def]
    return make_console()


@pytest.fixture
def account(db: Database) -> Callable[[Role], str]:
    made: list[str] = []

    def add(role: Role) -> str:
        name = f"u{os.urandom(4).hex()}"
        console_users.add_account(db, name, role, PASSWORD)
        made.append(name)
        return name

    yield add
    for name in made:
        db.execute("DELETE FROM console_sessions WHERE account = %s", (name,))
        db.execute("DELETE FROM console_users WHERE name = %s", (name,))


def client_of(app) -> FlaskClient:  # type: ignore[no-untyped-def]
    return app.test_client()


def csrf(client: FlaskClient, path: str = "/sign-in") -> str:
    page = client.get(path, base_url=BASE)
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert match, page.get_data(as_text=True)[:500]
    return match.group(1)


def sign_in(client: FlaskClient, name: str, password: str = PASSWORD) -> Any:
    return client.post(
        "/sign-in",
        data={"csrf_token": csrf(client), "method": "account", "name": name, "password": password},
        base_url=BASE,
    )


def sign_in_token(client: FlaskClient, token: str) -> Any:
    return client.post("/sign-in", data={"csrf_token": csrf(client), "method": "token", "token": token}, base_url=BASE)


def session_row(db: Database, principal: str) -> dict[str, Any] | None:
    return db.fetchone("SELECT * FROM console_sessions WHERE principal = %s", (principal,))


# --------------------------------------------------------------------------------------------------- sign-in


def test_sign_in_with_an_account_issues_a_token_for_the_person(app, account, db) -> None:  # type: ignore[no-untyped-def]
    name = account(Role.COMPLIANCE)
    client = client_of(app)
    assert client.get("/", base_url=BASE).status_code == 303  # not signed in: to the sign-in page
    response = sign_in(client, name)
    assert response.status_code == 303 and response.headers["Location"] == "/"
    cookie = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookie if c.startswith("ilx_console="))
    assert "HttpOnly" in session_cookie and "Secure" in session_cookie and "SameSite=Strict" in session_cookie
    session_id = session_cookie.split(";")[0].split("=", 1)[1]
    row = session_row(db, f"{name}@console")
    assert row is not None and row["role"] == "compliance" and row["issued_token"] == f"{name}@console"
    # The table holds neither the cookie's id nor the token in clear.
    assert session_id not in str(row) and "ilx_" not in bytes(row["sealed_token"]).decode("latin1")
    token = db.fetchone(
        "SELECT role, expires_at, revoked_at FROM api_tokens WHERE name = %s AND revoked_at IS NULL",
        (f"{name}@console",),
    )
    assert token["role"] == "compliance" and token["expires_at"] is not None
    home = client.get("/", base_url=BASE)
    assert home.status_code == 200
    text = home.get_data(as_text=True)
    assert f"{name}@console" in text and "Alerts" in text and "Claims" not in text
    audit = db.fetchone(
        "SELECT outcome FROM audit_log WHERE service = 'console' AND action = 'sign_in' AND user_id = %s",
        (f"{name}@console",),
    )
    assert audit["outcome"] == "success"


def test_wrong_password_and_unknown_account_are_refused_alike(app, account, db) -> None:  # type: ignore[no-untyped-def]
    name = account(Role.BILLING)
    client = client_of(app)
    wrong = sign_in(client, name, "not the password at all")
    unknown = sign_in(client, "nobody-" + os.urandom(3).hex(), PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert "were not accepted" in wrong.get_data(as_text=True)
    assert wrong.get_data(as_text=True).count("not accepted") == unknown.get_data(as_text=True).count("not accepted")
    assert not any(c.startswith("ilx_console=") for c in wrong.headers.getlist("Set-Cookie"))
    assert session_row(db, f"{name}@console") is None


def test_throttle_after_repeated_failures(make_console, account, db) -> None:  # type: ignore[no-untyped-def]
    app = make_console(CONSOLE_SIGN_IN_MAX_FAILURES="3")
    name = account(Role.COMPLIANCE)
    client = client_of(app)
    for _ in range(3):
        assert sign_in(client, name, "wrong password here").status_code == 401
    # Now even the right password is not checked.
    blocked = sign_in(client, name)
    assert blocked.status_code == 429 and "Too many failed attempts" in blocked.get_data(as_text=True)
    assert session_row(db, f"{name}@console") is None
    # The window passing (here: the failures aged) lets the account in again.
    db.execute("UPDATE console_sign_in_failures SET at = at - interval '1 hour'")
    assert sign_in(client, name).status_code == 303


def test_sign_in_with_a_suite_token(app, db) -> None:  # type: ignore[no-untyped-def]
    name = f"officer-{os.urandom(3).hex()}"
    token = auth.issue_token(db, name, Role.COMPLIANCE)
    client = client_of(app)
    assert sign_in_token(client, "ilx_" + "0" * 16 + "_" + "x" * 43).status_code == 401
    assert sign_in_token(client, token).status_code == 303
    assert client.get("/alerts", base_url=BASE).status_code == 200
    # Signing out ends the session but leaves the holder's token alone.
    client.post("/sign-out", data={"csrf_token": csrf(client, "/")}, base_url=BASE)
    assert session_row(db, name) is None
    assert auth.verify_token(db, token).name == name


def test_a_service_token_cannot_sign_in(app, db) -> None:  # type: ignore[no-untyped-def]
    token = auth.issue_token(db, f"svc-{os.urandom(3).hex()}", Role.SERVICE)
    response = sign_in_token(client_of(app), token)
    assert response.status_code == 403 and "no pages for the role" in response.get_data(as_text=True)


# --------------------------------------------------------------------------------------------------- guard


def test_a_form_without_its_csrf_token_is_refused(app, account, db) -> None:  # type: ignore[no-untyped-def]
    name = account(Role.COMPLIANCE)
    client = client_of(app)
    # The sign-in form itself: no token, or one that is not the cookie's.
    no_token = client.post("/sign-in", data={"method": "account", "name": name, "password": PASSWORD}, base_url=BASE)
    assert no_token.status_code == 403
    csrf(client)
    forged = client.post(
        "/sign-in",
        data={"csrf_token": "x" * 43, "method": "account", "name": name, "password": PASSWORD},
        base_url=BASE,
    )
    assert forged.status_code == 403 and session_row(db, f"{name}@console") is None
    assert sign_in(client, name).status_code == 303
    # A signed-in form: sign-out without the token does not sign out.
    assert client.post("/sign-out", data={}, base_url=BASE).status_code == 403
    assert client.post("/sign-out", data={"csrf_token": "0" * 64}, base_url=BASE).status_code == 403
    assert session_row(db, f"{name}@console") is not None


def test_security_headers_on_every_page(app, account) -> None:  # type: ignore[no-untyped-def]
    client = client_of(app)
    for response in (client.get("/sign-in", base_url=BASE), client.get("/nowhere", base_url=BASE)):
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "frame-ancestors 'none'" in csp and "script-src" not in csp
        assert "form-action 'self'" in csp and "base-uri 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["Cache-Control"] == "no-store"
    assert client.get("/nowhere", base_url=BASE).status_code in (303, 404)
    css = client.get("/static/console.css", base_url=BASE)
    assert css.status_code == 200 and css.mimetype == "text/css"
    page = client.get("/sign-in", base_url=BASE).get_data(as_text=True)
    assert "<script" not in page and "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in page


def test_roles_decide_the_pages(app, account) -> None:  # type: ignore[no-untyped-def]
    client = client_of(app)
    assert sign_in(client, account(Role.BILLING)).status_code == 303
    home = client.get("/", base_url=BASE).get_data(as_text=True)
    assert "Alerts" not in home and "Audit log" not in home and "PHI scan" not in home
    for path in ("/alerts", "/audit", "/chain", "/activity", "/phi-scan"):
        denied = client.get(path, base_url=BASE)
        assert denied.status_code == 403, path
        assert "Your role may not see this page" in denied.get_data(as_text=True)
    admin = client_of(app)
    assert sign_in(admin, account(Role.ADMIN)).status_code == 303
    for path in ("/alerts", "/audit", "/chain", "/activity", "/phi-scan"):
        assert admin.get(path, base_url=BASE).status_code == 200, path


def test_idle_timeout_ends_the_session_and_revokes_its_token(app, account, db) -> None:  # type: ignore[no-untyped-def]
    name = account(Role.COMPLIANCE)
    client = client_of(app)
    sign_in(client, name)
    principal = f"{name}@console"
    assert client.get("/", base_url=BASE).status_code == 200
    db.execute(
        "UPDATE console_sessions SET last_seen_at = now() - interval '16 minutes' WHERE principal = %s", (principal,)
    )
    ended = client.get("/", base_url=BASE)
    assert ended.status_code == 303 and ended.headers["Location"] == "/sign-in?ended=idle"
    assert session_row(db, principal) is None
    assert db.fetchone("SELECT 1 FROM api_tokens WHERE name = %s AND revoked_at IS NULL", (principal,)) is None
    assert "time without activity" in client.get("/sign-in?ended=idle", base_url=BASE).get_data(as_text=True)


def test_sign_out_revokes_the_token_and_the_session(app, account, db) -> None:  # type: ignore[no-untyped-def]
    name = account(Role.COMPLIANCE)
    client = client_of(app)
    sign_in(client, name)
    principal = f"{name}@console"
    out = client.post("/sign-out", data={"csrf_token": csrf(client, "/")}, base_url=BASE)
    assert out.status_code == 303 and out.headers["Location"] == "/sign-in?notice=signed_out"
    assert session_row(db, principal) is None
    assert db.fetchone("SELECT 1 FROM api_tokens WHERE name = %s AND revoked_at IS NULL", (principal,)) is None
    assert client.get("/alerts", base_url=BASE).status_code == 303
    assert db.fetchone(
        "SELECT 1 FROM audit_log WHERE service = 'console' AND action = 'sign_out' AND user_id = %s", (principal,)
    )


def test_a_second_sign_in_ends_the_first_session(app, account, db) -> None:  # type: ignore[no-untyped-def]
    name = account(Role.COMPLIANCE)
    first, second = client_of(app), client_of(app)
    sign_in(first, name)
    sign_in(second, name)
    assert second.get("/alerts", base_url=BASE).status_code == 200
    assert first.get("/alerts", base_url=BASE).status_code == 303


def test_a_disabled_account_cannot_sign_in_and_its_sessions_end(app, account, db) -> None:  # type: ignore[no-untyped-def]
    name = account(Role.COMPLIANCE)
    client = client_of(app)
    sign_in(client, name)
    console_users.disable_account(db, name)
    assert client.get("/", base_url=BASE).status_code == 303
    assert sign_in(client_of(app), name).status_code == 401


def test_an_expired_session_row_is_swept_at_the_next_sign_in(app, account, db) -> None:  # type: ignore[no-untyped-def]
    name, other = account(Role.COMPLIANCE), account(Role.BILLING)
    sign_in(client_of(app), name)
    db.execute("UPDATE console_sessions SET expires_at = now() - interval '1 second' WHERE account = %s", (name,))
    sign_in(client_of(app), other)
    assert session_row(db, f"{name}@console") is None
    assert db.fetchone("SELECT 1 FROM api_tokens WHERE name = %s AND revoked_at IS NULL", (f"{name}@console",)) is None


# --------------------------------------------------------------------------------------------------- pages


@pytest.fixture
def officer(app, account) -> FlaskClient:  # type: ignore[no-untyped-def]
    client = client_of(app)
    assert sign_in(client, account(Role.COMPLIANCE)).status_code == 303
    return client


def test_alerts_page_shows_evidence_and_resolves_with_a_reason(officer, compliance_url, db) -> None:  # type: ignore[no-untyped-def]
    import requests

    reporter = auth.issue_token(db, f"svc-{os.urandom(3).hex()}", Role.SERVICE)
    user = f"nurse-{os.urandom(3).hex()}"
    reported = requests.post(
        compliance_url + "/log_access",
        json={"user_id": user, "resource": "patient/77/chart", "action": "export", "success": True},
        headers={"Authorization": f"Bearer {reporter}"},
        timeout=10,
    ).json()
    alert_id = reported["alerts"][0]["alert_id"]
    page = officer.get("/alerts", base_url=BASE)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and user in text and "PHI_EXPORT" in text
    assert f"/audit/entry/{reported['audit_id']}" in text  # the evidence links to its audit row
    assert "<title>Alerts · Intelluxe console</title>" in text
    token = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)
    empty = officer.post(f"/alerts/{alert_id}/resolve", data={"csrf_token": token, "note": "  "}, base_url=BASE)
    assert empty.status_code == 400 and "Say why the alert is resolved" in empty.get_data(as_text=True)
    done = officer.post(
        f"/alerts/{alert_id}/resolve",
        data={"csrf_token": token, "note": "export approved by the privacy officer"},
        base_url=BASE,
    )
    assert done.status_code == 303 and done.headers["Location"] == "/alerts?done=resolved"
    row = db.fetchone(
        "SELECT status, resolved_by, resolution_note FROM security_alerts WHERE alert_id = %s", (alert_id,)
    )
    assert row["status"] == "resolved" and row["resolved_by"].endswith("@console")
    assert row["resolution_note"] == "export approved by the privacy officer"
    assert user not in officer.get("/alerts", base_url=BASE).get_data(as_text=True)
    assert user in officer.get("/alerts?status=resolved", base_url=BASE).get_data(as_text=True)
    again = officer.post(f"/alerts/{alert_id}/resolve", data={"csrf_token": token, "note": "twice"}, base_url=BASE)
    assert again.status_code == 422 and "already" in again.get_data(as_text=True).lower()


def test_audit_search_filters_and_pages(officer, compliance_url, db) -> None:  # type: ignore[no-untyped-def]
    import requests

    reporter = auth.issue_token(db, f"svc-{os.urandom(3).hex()}", Role.SERVICE)
    user = f"clerk-{os.urandom(3).hex()}"
    for i in range(55):
        requests.post(
            compliance_url + "/log_access",
            json={"user_id": user, "resource": f"claim/{i}", "action": "view", "success": i != 3},
            headers={"Authorization": f"Bearer {reporter}"},
            timeout=10,
        ).raise_for_status()
    token = csrf(officer, "/audit")
    first = officer.post("/audit", data={"csrf_token": token, "user_id": user}, base_url=BASE)
    text = first.get_data(as_text=True)
    assert first.status_code == 200 and text.count(f"<td>{user}</td>") == 50 and "Next 50 rows" in text
    cursor = re.search(r'name="after_seq" value="(\d+)"', text.split("First page")[1]).group(1)
    second = officer.post("/audit", data={"csrf_token": token, "user_id": user, "after_seq": cursor}, base_url=BASE)
    assert second.get_data(as_text=True).count(f"<td>{user}</td>") == 5
    newest = officer.post("/audit", data={"csrf_token": token, "user_id": user, "order": "newest"}, base_url=BASE)
    text = newest.get_data(as_text=True)
    assert "newest first" in text and text.index("claim/54<") < text.index("claim/53<") and "claim/4<" not in text
    cursor = re.search(r'name="before_seq" value="(\d+)"', text.split("First page")[1]).group(1)
    older = officer.post(
        "/audit", data={"csrf_token": token, "user_id": user, "order": "newest", "before_seq": cursor}, base_url=BASE
    )
    text = older.get_data(as_text=True)
    assert text.count(f"<td>{user}</td>") == 5 and text.index("claim/4<") < text.index("claim/0<")
    sideways = officer.post("/audit", data={"csrf_token": token, "order": "sideways"}, base_url=BASE)
    assert sideways.status_code == 400 and 'aria-invalid="true"' in sideways.get_data(as_text=True)
    failed = officer.post("/audit", data={"csrf_token": token, "user_id": user, "outcome": "failure"}, base_url=BASE)
    assert failed.get_data(as_text=True).count(f"<td>{user}</td>") == 1
    one = officer.post(
        "/audit", data={"csrf_token": token, "user_id": user, "resource": "claim/7", "action": "view"}, base_url=BASE
    )
    assert one.get_data(as_text=True).count(f"<td>{user}</td>") == 1
    later = officer.post(
        "/audit", data={"csrf_token": token, "user_id": user, "since": "2999-01-01T00:00"}, base_url=BASE
    )
    assert "No audit rows match" in later.get_data(as_text=True)
    bad = officer.post("/audit", data={"csrf_token": token, "since": "yesterday"}, base_url=BASE)
    assert bad.status_code == 400 and 'aria-invalid="true"' in bad.get_data(as_text=True)
    # The search is audited by the compliance service, under the officer's name.
    who = db.fetchone(
        "SELECT user_id FROM audit_log WHERE service = 'compliance' AND action = 'search' "
        "AND resource_type = 'audit_log' ORDER BY seq DESC LIMIT 1"
    )
    assert who["user_id"].endswith("@console")


def test_audit_entry_chain_and_activity_pages(officer, db) -> None:  # type: ignore[no-untyped-def]
    chain = officer.get("/chain", base_url=BASE)
    text = chain.get_data(as_text=True)
    head = db.fetchone("SELECT seq, row_hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    assert chain.status_code == 200 and "Intact." in text and re.search(r"[0-9a-f]{64}", text)
    row = db.fetchone("SELECT audit_id, seq FROM audit_log ORDER BY seq LIMIT 1")
    entry = officer.get(f"/audit/entry/{row['audit_id']}", base_url=BASE)
    assert entry.status_code == 200 and f"Audit row {row['seq']}" in entry.get_data(as_text=True)
    assert officer.get("/audit/entry/not-a-uuid", base_url=BASE).status_code == 404
    activity = officer.get("/activity?days=7", base_url=BASE)
    text = activity.get_data(as_text=True)
    assert activity.status_code == 200 and text.count("<svg") == 2 and 'role="img"' in text
    assert text.count("<tr><td>") == 7 and head["seq"] > 0


def test_phi_scan_page_marks_spans_and_redacts_without_storing(officer, db) -> None:  # type: ignore[no-untyped-def]
    text = "Patient John Smith, DOB 03/14/1962, phone 555-123-4567, seen today."
    token = csrf(officer, "/phi-scan")
    before = db.fetchone("SELECT max(seq) AS seq FROM audit_log")["seq"]
    page = officer.post("/phi-scan", data={"csrf_token": token, "text": text}, base_url=BASE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and '<mark class="phi" data-type="name">John Smith' in html
    assert "[NAME]" in html or "[name]" in html.lower()
    assert page.headers["Cache-Control"] == "no-store"
    title = re.search(r"<title>(.*?)</title>", html).group(1)
    assert "Smith" not in title
    rows = db.fetchall("SELECT details::text AS d FROM audit_log WHERE seq > %s", (before,))
    assert rows and not any("Smith" in r["d"] or "555-123" in r["d"] for r in rows)
    assert not db.fetchone("SELECT 1 FROM console_sessions WHERE sealed_token::text LIKE '%%Smith%%'")
    empty = officer.post("/phi-scan", data={"csrf_token": token, "text": "   "}, base_url=BASE)
    assert empty.status_code == 400


def test_a_service_that_is_down_is_a_503_page(make_console, account, dead_url) -> None:  # type: ignore[no-untyped-def]
    app = make_console(COMPLIANCE_URL=dead_url)
    client = client_of(app)
    sign_in(client, account(Role.COMPLIANCE))
    page = client.get("/alerts", base_url=BASE)
    assert page.status_code == 503 and "did not answer" in page.get_data(as_text=True)


def test_idle_minutes_is_configurable(make_console) -> None:  # type: ignore[no-untyped-def]
    from console.guard import idle

    app = make_console(CONSOLE_IDLE_MINUTES="5")
    with app.test_request_context():
        assert idle() == timedelta(minutes=5)


def test_health_answers_without_a_session(app) -> None:  # type: ignore[no-untyped-def]
    health = client_of(app).get("/health", base_url=BASE)
    assert health.status_code == 200 and health.json["service"] == "console"


def test_console_user_cli(migrated_url: str, tmp_path, db) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    name = f"cli{os.urandom(3).hex()}"
    env = {**os.environ, "POSTGRES_URL": migrated_url, "INTELLUXE_HOME": str(tmp_path)}

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "core.cli", "console-user", *args],
            input=stdin,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    try:
        short = run("add", name, "--role", "billing", "--password-stdin", stdin="short\n")
        assert short.returncode == 1 and "at least 12 characters" in short.stderr
        assert run("add", name, "--role", "clinician", "--password-stdin", stdin=PASSWORD).returncode == 2
        added = run("add", name, "--role", "billing", "--password-stdin", stdin=PASSWORD + "\n")
        assert added.returncode == 0, added.stderr
        assert PASSWORD not in added.stdout + added.stderr
        stored = db.fetchone("SELECT role, password_hash FROM console_users WHERE name = %s", (name,))
        assert stored["role"] == "billing" and stored["password_hash"].startswith("scrypt$")
        assert PASSWORD not in stored["password_hash"]
        again = run("add", name, "--role", "billing", "--password-stdin", stdin=PASSWORD)
        assert again.returncode == 1 and "exists" in again.stderr
        assert run("passwd", name, "--password-stdin", stdin="another long password\n").returncode == 0
        assert console_users.authenticate(db, name, "another long password") is not None
        assert console_users.authenticate(db, name, PASSWORD) is None
        listed = run("list")
        assert re.search(rf"^{name} +billing .* active$", listed.stdout, re.MULTILINE)
        assert run("disable", name).returncode == 0
        assert console_users.authenticate(db, name, "another long password") is None
        assert re.search(rf"^{name} .* disabled$", run("list").stdout, re.MULTILINE)
        assert run("disable", name).returncode == 1
        assert run("enable", name).returncode == 0
        assert console_users.authenticate(db, name, "another long password") is not None
    finally:
        db.execute("DELETE FROM console_users WHERE name = %s", (name,))


def test_short_lived_tokens_must_expire_in_the_future(db) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    with pytest.raises(ValueError, match="future"):
        auth.issue_token(db, f"t-{os.urandom(3).hex()}", Role.BILLING, expires_at=datetime.now(UTC) - timedelta(1))
    with pytest.raises(ValueError, match="not both"):
        auth.issue_token(
            db, f"t-{os.urandom(3).hex()}", Role.BILLING, 1, expires_at=datetime.now(UTC) + timedelta(hours=1)
        )


def test_a_token_revoked_behind_the_console_ends_the_session(app, account, db) -> None:  # type: ignore[no-untyped-def]
    name = account(Role.COMPLIANCE)
    client = client_of(app)
    sign_in(client, name)
    auth.revoke_token(db, f"{name}@console")  # ops revoke it, or it expired
    page = client.get("/alerts", base_url=BASE)
    assert page.status_code == 303 and page.headers["Location"] == "/sign-in?ended=revoked"
    assert session_row(db, f"{name}@console") is None


def test_signing_in_again_in_the_same_browser_ends_the_earlier_session(app, db) -> None:  # type: ignore[no-untyped-def]
    first = auth.issue_token(db, f"officer-{os.urandom(3).hex()}", Role.COMPLIANCE)
    second = auth.issue_token(db, f"officer-{os.urandom(3).hex()}", Role.COMPLIANCE)
    client = client_of(app)
    sign_in_token(client, first)
    before = db.fetchone("SELECT count(*) AS n FROM console_sessions")["n"]
    sign_in_token(client, second)
    assert db.fetchone("SELECT count(*) AS n FROM console_sessions")["n"] == before
    assert "officer-" in client.get("/", base_url=BASE).get_data(as_text=True)
