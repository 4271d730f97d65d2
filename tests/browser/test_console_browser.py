"""The web console in a real browser: Debian's headless Chromium, driven by Playwright, on the console served over TLS
with the clinic's certificate, in front of real compliance, billing and insurance-verify services (and the payer
sandbox), on the test PostgreSQL and Redis. One set of servers and one set of made-up data for the module; each
test signs in afresh in its own browser context.

What a person does all day is done here with the mouse and keyboard: sign in and out, resolve an alert with a reason,
search the audit log and page through it, read the chain's state and the per-day charts, scan a text for PHI, post an
835 file through the file input and read each payment's result, open a claim's estimate, check eligibility. And what
must not happen does not: another role's pages, a form without its CSRF token, a page after signing out. Every page
is photographed (full page, to $INTELLUXE_SCREENSHOTS) and every form field on it must have a label.

All data is invented: names, member ids, claim ids. No real PHI.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
FIXTURE_835 = ROOT / "tests" / "unit" / "x12" / "fixtures" / "835_remittance.x12"
PASSWORD = "correct horse battery staple"
MEMBER = "XYZ100000001"  # the payer sandbox's active member (a plainly fake person)
FORBIDDEN = "Your role may not see this page"
CSRF_REFUSED = "This form has expired or did not come from this console"
SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1}
# Every form field of every page has a label: its own <label for>, a wrapping <label>, or an aria label.
UNLABELLED = """() => Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea'))
    .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
    .map(e => e.name || e.id || e.outerHTML)"""


@dataclass
class Console:
    """The served console and what the module seeded behind it."""

    url: str
    db: Any
    officer: str  # console account names
    clerk: str
    admin: str
    export_user: str  # the user of the medium PHI_EXPORT alert (the one the officer resolves)
    burst_user: str  # the user of the high FAILED_ACCESS_BURST alert
    paging_user: str  # 55 audit rows: two pages of the search
    claims: list[dict[str, Any]] = field(default_factory=list)
    check_number: str = ""


def _log_access(compliance_url: str, token: str, user: str, resource: str, action: str, success: bool = True) -> Any:
    reply = requests.post(
        compliance_url + "/log_access",
        json={"user_id": user, "resource": resource, "action": action, "success": success},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    reply.raise_for_status()
    return reply.json()


def _claim(billing_url: str, token: str, patient: str) -> dict[str, Any]:
    body = {
        "patient_data": {"patient_id": patient, "provider_id": "dr-smith", "member_id": MEMBER},
        "services": [
            {"code": "99213", "amount": "150.00", "allowed_amount": "100.00", "diagnosis_codes": ["E11.9"]},
            {"code": "80053", "amount": "300.00", "allowed_amount": "200.00", "diagnosis_codes": ["I10"]},
        ],
        "service_date": "2026-11-20",
    }
    reply = requests.post(
        billing_url + "/create_claim", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert reply.status_code == 200, reply.text
    return reply.json()


@pytest.fixture(scope="module")
def console(
    migrated_url: str,
    service_url: str,
    redis_url: str,
    payer_sandbox: Any,
    serve_module: Callable[..., Any],
) -> Iterator[Console]:
    """compliance, insurance-verify and billing over loopback HTTP, the console over HTTPS, three console accounts
    (compliance, billing, admin), alerts of two severities, 55 audit rows of one user, and four claims."""
    import billing
    import compliance
    import insurance_verify
    from console import ConsoleSettings, create_app
    from core import auth, console_users
    from core.auth import Role
    from core.db import Database
    from core.web.state import state_of

    db = Database(migrated_url, maxconn=4)
    shared = {
        **os.environ,
        "POSTGRES_URL": service_url,
        "REDIS_URL": redis_url,
        "PAYER_SANDBOX_URL": payer_sandbox.url,
        "INTELLUXE_CACHE_PREFIX": f"ilx-browser-{secrets.token_hex(4)}:",
    }
    apps = [compliance.create_app(compliance.ComplianceSettings.from_env(shared))]
    compliance_url = serve_module(apps[-1], tls=False).url
    apps.append(insurance_verify.create_app(insurance_verify.VerifySettings.from_env(shared)))
    verify_url = serve_module(apps[-1], tls=False).url
    service_token = auth.issue_token(db, f"svc-{secrets.token_hex(4)}", Role.SERVICE)
    billing_env = {**shared, "INSURANCE_VERIFY_URL": verify_url, "INTELLUXE_SERVICE_TOKEN": service_token}
    apps.append(billing.create_app(billing.BillingSettings.from_env(billing_env)))
    billing_url = serve_module(apps[-1], tls=False).url
    console_env = {
        "POSTGRES_URL": service_url,
        "COMPLIANCE_URL": compliance_url,
        "BILLING_URL": billing_url,
        "INSURANCE_VERIFY_URL": verify_url,
        "INTELLUXE_TOKEN_CACHE_SECONDS": "0",
    }
    apps.append(create_app(ConsoleSettings.from_env(console_env)))
    served = serve_module(apps[-1])

    tag = secrets.token_hex(3)
    made = Console(
        url=served.url,
        db=db,
        officer=f"officer{tag}",
        clerk=f"desk{tag}",
        admin=f"admin{tag}",
        export_user=f"nurse-{tag}",
        burst_user=f"tech-{tag}",
        paging_user=f"clerk-{tag}",
    )
    for name, role in ((made.officer, Role.COMPLIANCE), (made.clerk, Role.BILLING), (made.admin, Role.ADMIN)):
        console_users.add_account(db, name, role, PASSWORD)

    reporter = auth.issue_token(db, f"svc-{secrets.token_hex(4)}", Role.SERVICE)
    exported = _log_access(compliance_url, reporter, made.export_user, "patient/P-0042/chart", "export")
    assert exported["alerts"], exported  # PHI_EXPORT, medium
    for i in range(5):  # five failures within ten minutes: FAILED_ACCESS_BURST, high
        _log_access(compliance_url, reporter, made.burst_user, f"patient/P-01{i}/labs", "view", success=False)
    for i in range(55):
        _log_access(compliance_url, reporter, made.paging_user, f"claim/{i}", "view", success=i != 3)

    desk_token = auth.issue_token(db, f"billing-{secrets.token_hex(4)}", Role.BILLING)
    made.claims = [{**_claim(billing_url, desk_token, f"PAT-{tag}-{n}"), "patient": f"PAT-{tag}-{n}"} for n in range(4)]
    made.check_number = f"EFT{secrets.token_hex(4).upper()}"

    yield made

    for name in (made.officer, made.clerk, made.admin):
        db.execute("DELETE FROM console_sessions WHERE account = %s", (name,))
        db.execute("DELETE FROM console_users WHERE name = %s", (name,))
    for app in apps:
        st = state_of(app)
        if st.db is not None:
            st.db.close()
        if st.cache is not None:
            st.cache.close()
    db.close()


@pytest.fixture(autouse=True)
def no_console_errors(context: Any) -> Iterator[list[str]]:
    """Every page of the test loads without an error in the browser's console (a stylesheet or inline style the
    Content-Security-Policy refused, a script error) and every stylesheet, image and icon it asks for loads. A page
    answered with an error status on purpose (403, 409 ...) is the test's to check: Chromium's "Failed to load
    resource" line for a document is not counted, any other resource's failure is."""
    errors: list[str] = []

    def console_line(message: Any) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def response(reply: Any) -> None:
        if reply.status >= 400 and reply.request.resource_type != "document":
            errors.append(f"{reply.status} for {reply.request.resource_type} {reply.url}")

    context.on("console", console_line)
    context.on("weberror", lambda error: errors.append(str(error.error)))
    context.on("response", response)
    # ERR_ABORTED: the page was left before it finished loading (the next goto), which is no failure of its own.
    context.on(
        "requestfailed",
        lambda request: None if "ERR_ABORTED" in (request.failure or "") else errors.append(str(request.failure)),
    )
    yield errors
    assert errors == []


# --------------------------------------------------------------------------------------------------- helpers


def look(page: Any, screenshot: Callable[[Any, str], Path], name: str) -> None:
    """Photograph the page (full page) and check that each of its form fields has a label."""
    assert page.evaluate(UNLABELLED) == [], f"unlabelled fields on {page.url}"
    shot = screenshot(page, name)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def sign_in(page: Any, console: Console, name: str) -> None:
    page.goto(console.url + "/sign-in")
    page.get_by_label("Account name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(console.url + "/")
    assert f"{name}@console" in page.locator("header .who").inner_text()


def open_session(db: Any, account: str) -> bool:
    return db.fetchone("SELECT 1 FROM console_sessions WHERE account = %s", (account,)) is not None


def severities(page: Any) -> list[str]:
    return [s.strip().lower() for s in page.locator("ol.alerts > li h2 .badge").all_text_contents()]


def alert_of(page: Any, user: str) -> Any:
    return page.locator("ol.alerts > li").filter(has_text=f"user {user}")


def remittance_file(console: Console, folder: Path) -> Path:
    """The repo's 835 fixture, its claim ids made ours: three of them post (paid, denied, paid), PA0999 stays a
    payment for a claim the clinic does not have; its EFT number made unique so the file posts once."""
    text = FIXTURE_835.read_text()
    for theirs, ours in zip(("PA1001", "PA1002", "PA1003"), console.claims, strict=False):
        text = text.replace(f"CLP*{theirs}*", f"CLP*{ours['claim_id']}*")
    text = text.replace("EFT0004711", console.check_number)
    path = folder / "remittance.835"
    path.write_text(text)
    return path


# --------------------------------------------------------------------------------------------------- sign-in


def test_sign_in_with_the_keyboard_and_sign_out(page, console, screenshot) -> None:  # noqa: ANN001
    page.goto(console.url + "/")
    page.wait_for_url(console.url + "/sign-in")  # not signed in: to the sign-in page
    look(page, screenshot, "sign-in")
    # Keyboard only: the name field has the focus (autofocus), Tab to the password, Enter submits.
    for _ in range(10):
        if page.evaluate("() => document.activeElement && document.activeElement.id") == "name":
            break
        page.keyboard.press("Tab")
    page.keyboard.type(console.officer)
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(console.url + "/")
    assert f"{console.officer}@console" in page.locator("header .who").inner_text()
    tiles = page.locator("ul.tiles").inner_text()
    assert "Alerts" in tiles and "Audit log" in tiles and "Claims" not in tiles
    assert open_session(console.db, console.officer)
    look(page, screenshot, "home")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(console.url + "/sign-in?notice=signed_out")
    assert "You have signed out." in page.locator("main").inner_text()
    assert not open_session(console.db, console.officer)
    # Neither the back button nor a page's address brings a signed-in page back.
    page.go_back()
    assert page.url.startswith(console.url + "/sign-in")
    assert page.locator("header .who").count() == 0
    page.goto(console.url + "/alerts")
    assert page.url == console.url + "/sign-in"
    assert page.get_by_role("heading", name="Sign in", exact=True).is_visible()


def test_a_wrong_password_is_refused_on_the_page(page, console) -> None:  # noqa: ANN001
    page.goto(console.url + "/sign-in")
    page.get_by_label("Account name").fill(console.clerk)
    page.get_by_label("Password").fill("not the password at all")
    page.get_by_role("button", name="Sign in", exact=True).click()
    assert page.get_by_role("alert").inner_text() == "The name and password, or the token, were not accepted."
    assert page.url == console.url + "/sign-in" and not open_session(console.db, console.clerk)


def test_skip_link_and_idle_timeout(page, console, screenshot) -> None:  # noqa: ANN001
    sign_in(page, console, console.clerk)
    page.goto(console.url + "/claims")
    # The first Tab reaches "Skip to content"; Enter moves the focus to the page's main part, past the navigation.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent") == "Skip to content"
    assert page.get_by_role("link", name="Skip to content").is_visible()  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    # Left alone past the idle time (the session's last use moved back), the next page is the sign-in page.
    console.db.execute(
        "UPDATE console_sessions SET last_seen_at = now() - interval '16 minutes' WHERE account = %s", (console.clerk,)
    )
    page.goto(console.url + "/claims")
    assert page.url == console.url + "/sign-in?ended=idle"
    assert "time without activity" in page.get_by_role("status").inner_text()
    assert not open_session(console.db, console.clerk)
    assert all(c["name"] != "ilx_console" for c in page.context.cookies())
    look(page, screenshot, "sign-in-after-idle")


# --------------------------------------------------------------------------------------------------- compliance


def test_alerts_ranked_with_evidence_and_resolved_with_a_reason(page, console, screenshot) -> None:  # noqa: ANN001
    sign_in(page, console, console.officer)
    page.get_by_role("link", name="Alerts", exact=True).first.click()
    page.wait_for_url(console.url + "/alerts")
    ranks = [SEVERITY_RANK[s] for s in severities(page)]
    assert ranks == sorted(ranks, reverse=True) and len(ranks) >= 2
    burst, export = alert_of(page, console.burst_user), alert_of(page, console.export_user)
    assert "FAILED_ACCESS_BURST" in burst.locator("h2").inner_text()
    assert burst.locator(".badge").text_content().strip() == "high"
    assert "PHI_EXPORT" in export.locator("h2").inner_text()
    assert export.locator(".badge").text_content().strip() == "medium"
    headings = page.locator("ol.alerts > li h2").all_inner_texts()
    assert headings.index(burst.locator("h2").inner_text()) < headings.index(export.locator("h2").inner_text())
    # The evidence: open the disclosure, follow the link to the audit row that raised the alert.
    burst.locator("summary").click()
    assert burst.locator("table tbody tr").count() == 1
    assert "FAILED_ACCESS" in burst.locator("table tbody").inner_text()
    look(page, screenshot, "alerts")
    burst.locator("table tbody a").click()
    page.wait_for_url(re.compile(r".*/audit/entry/[0-9a-f-]{36}$"))
    assert console.burst_user in page.locator("main").inner_text()
    look(page, screenshot, "audit-entry")
    page.go_back()

    # Resolving needs a reason: the empty form is stopped by the browser (required), a blank one by the console.
    export = alert_of(page, console.export_user)
    note = export.get_by_label("Why is it resolved?")
    note.fill("   ")
    export.get_by_role("button", name="Resolve").click()
    assert page.locator(".field-error").inner_text().startswith("Say why the alert is resolved")
    assert alert_of(page, console.export_user).locator("textarea").get_attribute("aria-invalid") == "true"
    export = alert_of(page, console.export_user)
    export.get_by_label("Why is it resolved?").fill("Export approved by the privacy officer (ticket 1234).")
    export.get_by_role("button", name="Resolve").click()
    page.wait_for_url(console.url + "/alerts?done=resolved")
    assert page.get_by_role("status").inner_text() == "The alert is resolved."
    assert alert_of(page, console.export_user).count() == 0  # it left the open list
    assert alert_of(page, console.burst_user).count() == 1
    look(page, screenshot, "alerts-after-resolving")
    page.get_by_label("Show").select_option("resolved")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(console.url + "/alerts?status=resolved")
    resolved = alert_of(page, console.export_user)
    assert "Export approved by the privacy officer (ticket 1234)." in resolved.inner_text()
    assert f"{console.officer}@console" in resolved.inner_text() and resolved.locator("form").count() == 0
    look(page, screenshot, "alerts-resolved")
    row = console.db.fetchone(
        "SELECT status, resolved_by FROM security_alerts WHERE user_id = %s AND alert_type = 'PHI_EXPORT'",
        (console.export_user,),
    )
    assert row["status"] == "resolved" and row["resolved_by"] == f"{console.officer}@console"


def test_audit_search_by_user_and_action_with_paging(page, console, screenshot) -> None:  # noqa: ANN001
    sign_in(page, console, console.officer)
    page.get_by_role("link", name="Audit log").first.click()
    page.wait_for_url(console.url + "/audit")
    look(page, screenshot, "audit-search-form")
    page.get_by_label("User").fill(console.paging_user)
    page.get_by_label("Action").fill("view")
    page.get_by_role("button", name="Search").click()
    rows = page.locator("table.rows tbody tr")
    assert rows.count() == 50
    assert set(page.locator("table.rows tbody tr td:nth-child(4)").all_inner_texts()) == {console.paging_user}
    assert page.locator("table.rows tbody tr.outcome-failure").count() == 1
    first_seqs = [int(s) for s in page.locator("table.rows tbody tr td:first-child").all_inner_texts()]
    assert page.url == console.url + "/audit"  # the user's name went in the body, not the address
    look(page, screenshot, "audit-results-page-1")
    page.get_by_role("button", name="Next 50 rows").click()
    page.wait_for_load_state()
    assert rows.count() == 5
    second_seqs = [int(s) for s in page.locator("table.rows tbody tr td:first-child").all_inner_texts()]
    assert min(second_seqs) > max(first_seqs)
    assert page.get_by_label("User").input_value() == console.paging_user  # the search is kept on the next page
    assert page.get_by_role("button", name="Next 50 rows").count() == 0
    look(page, screenshot, "audit-results-page-2")
    # Outcome narrows it to the one failure; a bad date is a field error, not a search.
    page.get_by_label("Outcome").select_option("failure")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    assert rows.count() == 1 and "claim/3" in rows.inner_text()


def test_chain_state_and_the_per_day_chart(page, console, screenshot) -> None:  # noqa: ANN001
    sign_in(page, console, console.officer)
    page.get_by_role("link", name="Chain", exact=True).first.click()
    page.wait_for_url(console.url + "/chain")
    assert page.get_by_role("status").inner_text().startswith("Intact.")
    head = page.locator("code.hash").inner_text()
    expected = console.db.fetchone("SELECT row_hash FROM audit_log ORDER BY seq DESC LIMIT 1")["row_hash"]
    assert re.fullmatch(r"[0-9a-f]{64}", head)
    # The head hash is the last row's as the page was built (rows appended since, e.g. this page's own audit
    # rows, come after it): it is one of the chain's rows.
    assert console.db.fetchone("SELECT 1 FROM audit_log WHERE row_hash = %s", (head,)) and expected
    look(page, screenshot, "chain")
    page.get_by_role("link", name="Activity", exact=True).first.click()
    page.wait_for_url(console.url + "/activity")
    charts = page.locator("figure svg[role=img]")
    assert charts.count() == 2
    assert charts.first.locator("rect").count() >= 1 and charts.first.is_visible()
    box = charts.first.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 50  # drawn, not an empty box
    assert re.search(r"\d+ accesses", page.locator("main").inner_text())
    look(page, screenshot, "activity-chart")
    page.get_by_role("link", name="7 days").click()
    page.wait_for_url(console.url + "/activity?days=7")
    page.locator("details summary").click()
    assert page.locator("details table tbody tr").count() == 7


def test_phi_scan_marks_spans_and_redacts(page, console, screenshot) -> None:  # noqa: ANN001
    sign_in(page, console, console.officer)
    page.get_by_role("link", name="PHI scan").first.click()
    page.wait_for_url(console.url + "/phi-scan")
    look(page, screenshot, "phi-scan-form")
    text = "Patient Jane Q. Public, DOB 03/14/1962, phone 312-555-0142, seen today for a follow-up."
    page.get_by_label("Text", exact=True).fill(text)
    page.get_by_role("button", name="Scan").click()
    page.wait_for_url(console.url + "/phi-scan")
    marks = page.locator("pre.marked mark.phi")
    kinds = marks.evaluate_all("ms => ms.map(m => m.dataset.type)")
    assert {"name", "date_of_birth", "phone"} <= set(kinds), kinds
    assert marks.nth(kinds.index("name")).text_content().startswith("Jane Q. Public")
    assert marks.nth(kinds.index("phone")).text_content().startswith("312-555-0142")
    assert page.locator("table tbody tr").count() == len(kinds)  # one row per span: type, characters, rule, score
    redacted = page.locator("pre.redacted").inner_text()
    assert "Public" not in redacted and "555-0142" not in redacted and "1962" not in redacted
    assert "follow-up" in redacted and "[" in redacted
    assert "Public" not in page.title()
    assert page.get_by_label("Text", exact=True).input_value() == text  # kept in the page to edit, nowhere else
    look(page, screenshot, "phi-scan-result")


# --------------------------------------------------------------------------------------------------- billing


def test_post_an_835_and_read_each_payment(page, console, screenshot, tmp_path) -> None:  # noqa: ANN001
    sign_in(page, console, console.clerk)
    page.get_by_role("link", name="Post an 835").first.click()
    page.wait_for_url(console.url + "/remittances")
    look(page, screenshot, "remittance-upload")
    page.get_by_label("835 file").set_input_files(remittance_file(console, tmp_path))
    page.get_by_role("button", name="Post the payments").click()
    page.wait_for_url(console.url + "/remittances")
    assert page.locator("#results").inner_text() == "1 transaction in the file"
    transaction = page.locator("section.transaction")
    assert "posted" in transaction.locator("h3 .status").inner_text()
    assert console.check_number in transaction.locator("dl").inner_text()
    posted = transaction.locator("table").filter(has_text="Claims posted").locator("tbody tr")
    unmatched = transaction.locator("table").filter(has_text="does not have").locator("tbody tr")
    outcomes = {cells[0]: cells[1] for cells in (row.locator("td").all_inner_texts() for row in posted.all())}
    paid, denied, also_paid = (c["claim_id"] for c in console.claims[:3])
    assert outcomes == {paid: "paid", denied: "denied", also_paid: "paid"}
    assert unmatched.count() == 1 and unmatched.locator("td").first.inner_text() == "PA0999"
    look(page, screenshot, "remittance-results")
    statuses = {
        r["claim_id"]: r["status"]
        for r in console.db.fetchall(
            "SELECT claim_id, status FROM claims WHERE claim_id = ANY(%s)", ([paid, denied, also_paid],)
        )
    }
    assert statuses == outcomes
    # The same file again: every payment in it was posted before, said on the form.
    page.get_by_label("835 file").set_input_files(remittance_file(console, tmp_path))
    page.get_by_role("button", name="Post the payments").click()
    assert "already" in page.locator("#file-err").inner_text().lower()
    assert page.get_by_label("835 file").get_attribute("aria-invalid") == "true"


def test_claims_list_and_a_claims_estimate(page, console, screenshot) -> None:  # noqa: ANN001
    sign_in(page, console, console.clerk)
    page.get_by_role("link", name="Claims", exact=True).first.click()
    page.wait_for_url(console.url + "/claims")
    listed = page.locator("table tbody").inner_text()
    assert all(c["claim_id"] in listed for c in console.claims)
    look(page, screenshot, "claims")
    # Filter by patient id (in the form's body, not the address), then open the claim.
    target = console.claims[3]
    page.get_by_label("Patient id").fill(target["patient"])
    page.get_by_role("button", name="Find claims").click()
    page.wait_for_url(console.url + "/claims")
    assert page.locator("#found").inner_text() == "1 claim, newest first"
    page.get_by_role("link", name=target["claim_id"]).click()
    page.wait_for_url(console.url + f"/claims/{target['claim_id']}")
    assert page.title() == "Claim · Intelluxe console"  # no patient in the title
    lines = page.locator("main table tbody tr")
    assert lines.count() == 2
    codes = [row.locator("td").first.inner_text() for row in lines.all()]
    assert codes == ["99213", "80053"]
    assert page.locator("main table tfoot").inner_text().count("450.00") == 1
    look(page, screenshot, "claim-detail")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the 837P").click()
    assert download.value.suggested_filename == f"claim-{target['claim_id']}.837"
    edi = Path(download.value.path()).read_text()
    assert edi.startswith("ISA*") and "ST*837*" in edi and target["claim_id"] in edi


def test_eligibility_field_errors_and_coverage(page, console, screenshot) -> None:  # noqa: ANN001
    sign_in(page, console, console.clerk)
    page.get_by_role("link", name="Eligibility").first.click()
    page.wait_for_url(console.url + "/eligibility")
    look(page, screenshot, "eligibility-form")
    page.get_by_label("Member id").fill("bad member!")
    page.get_by_label("Provider").fill("dr-smith")
    page.get_by_label("Service codes").fill("99213")
    page.get_by_role("button", name="Check eligibility").click()
    member = page.get_by_label("Member id")
    assert member.get_attribute("aria-invalid") == "true"
    assert member.get_attribute("aria-describedby") == "member_id-err"
    assert page.locator("#member_id-err").is_visible() and page.locator("#member_id-err").inner_text()
    assert member.input_value() == "bad member!"  # the form keeps what was typed
    look(page, screenshot, "eligibility-field-error")
    member.fill(MEMBER)
    page.get_by_label("Service codes").fill("99213, 70553")
    page.get_by_role("button", name="Check eligibility").click()
    assert page.locator("h2 .status").inner_text() == "active"
    facts = page.locator("dl.facts").inner_text()
    assert "Copay" in facts and "needed for 70553" in facts
    assert page.locator("#member_id-err").count() == 0
    look(page, screenshot, "eligibility-coverage")


# --------------------------------------------------------------------------------------------------- guard


def test_roles_keep_each_desk_to_its_own_pages(browser, console, screenshot) -> None:  # noqa: ANN001
    for account, theirs, others in (
        (console.clerk, ("/claims", "/remittances", "/eligibility"), ("/alerts", "/audit", "/chain", "/phi-scan")),
        (console.officer, ("/alerts", "/audit", "/activity", "/phi-scan"), ("/claims", "/remittances", "/eligibility")),
    ):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        try:
            sign_in(page, console, account)
            nav = page.locator("header nav").inner_text()
            for path in others:
                response = page.goto(console.url + path)
                assert response is not None and response.status == 403, path
                assert FORBIDDEN in page.get_by_role("alert").inner_text(), path
                assert page.locator(f'header nav a[href="{path}"]').count() == 0, nav
            for path in theirs:
                assert page.goto(console.url + path).status == 200, path
            page.goto(console.url + others[0])
            look(page, screenshot, f"forbidden-{'billing' if account == console.clerk else 'compliance'}")
        finally:
            context.close()


def test_admin_sees_every_page(page, console) -> None:  # noqa: ANN001
    sign_in(page, console, console.admin)
    for path in ("/alerts", "/audit", "/chain", "/activity", "/phi-scan", "/claims", "/remittances", "/eligibility"):
        assert page.goto(console.url + path).status == 200, path


def test_a_form_without_its_csrf_token_is_refused(page, console, screenshot) -> None:  # noqa: ANN001
    sign_in(page, console, console.officer)
    page.goto(console.url + "/alerts")
    burst = alert_of(page, console.burst_user)
    assert burst.count() == 1
    # The page's own form, its hidden token removed (as a forged cross-site form would lack it).
    burst.locator("form.resolve input[name=csrf_token]").evaluate("e => e.remove()")
    burst.get_by_label("Why is it resolved?").fill("resolved by a forged form")
    burst.get_by_role("button", name="Resolve").click()
    page.wait_for_load_state()
    assert CSRF_REFUSED in page.get_by_role("alert").inner_text()
    look(page, screenshot, "csrf-refused")
    row = console.db.fetchone(
        "SELECT status FROM security_alerts WHERE user_id = %s AND alert_type = 'FAILED_ACCESS_BURST'",
        (console.burst_user,),
    )
    assert row["status"] == "open"  # the action did not happen
    # Sign-out posted by the browser with the session cookie but without its token, then with a wrong one: refused,
    # and the session stays.
    for forge in ("e => e.remove()", "e => { e.value = '0'.repeat(64); }"):
        page.goto(console.url + "/alerts")
        page.locator("header form input[name=csrf_token]").evaluate(forge)
        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(console.url + "/sign-out")
        assert CSRF_REFUSED in page.get_by_role("alert").inner_text()
        assert open_session(console.db, console.officer)
    page.goto(console.url + "/alerts")
    assert page.url == console.url + "/alerts" and alert_of(page, console.burst_user).count() == 1
