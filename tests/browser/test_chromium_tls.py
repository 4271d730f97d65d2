"""The browser fixtures themselves: Chromium fills and submits a form on a page served over TLS with the clinic CA's
certificate, and refuses a certificate the clinic CA did not sign — and the clinic's own when its CA is not trusted,
which shows the trust comes from the NSS database the fixtures write, not from certificate errors being ignored."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from flask import Flask, render_template_string, request

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]

FORM = """<!doctype html><title>Greeting</title>
<form method="post" action="/greet"><label>Name <input name="name" id="name"></label>
<button type="submit">Greet</button></form>"""
GREETING = """<!doctype html><title>Greeted</title><p id="greeting">Hello, {{ name }}!</p>"""


def greeting_app() -> Flask:
    app = Flask("greeting")
    app.add_url_rule("/", "form", lambda: FORM)
    app.add_url_rule(
        "/greet", "greet", lambda: render_template_string(GREETING, name=request.form["name"]), methods=["POST"]
    )
    return app


@pytest.fixture(scope="module")
def other_ca_certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CA and localhost certificate made the same way as the clinic's, by a CA the browser was never told of."""
    out = tmp_path_factory.mktemp("other-ca")
    subprocess.run(["bash", str(ROOT / "scripts" / "gen-certs.sh"), str(out)], check=True, capture_output=True)
    return out


def test_a_form_on_a_page_served_with_the_clinic_certificate(page, serve_tls, screenshot) -> None:  # noqa: ANN001
    site = serve_tls(greeting_app())
    response = page.goto(site.url + "/")
    assert response is not None and response.ok
    page.get_by_label("Name").fill("Ada <b>Lovelace</b>")
    page.get_by_role("button", name="Greet").click()
    page.wait_for_url(site.url + "/greet")
    # Jinja's escaping holds: the tags are text, not markup.
    assert page.locator("#greeting").inner_text() == "Hello, Ada <b>Lovelace</b>!"
    shot = screenshot(page, "greeted")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_certificate_of_another_ca_is_refused(page, serve_tls, other_ca_certs: Path) -> None:  # noqa: ANN001
    from playwright.sync_api import Error

    stranger = serve_tls(greeting_app(), other_ca_certs)
    with pytest.raises(Error, match="ERR_CERT_AUTHORITY_INVALID"):
        page.goto(stranger.url + "/")
    clinic = serve_tls(greeting_app())
    # A fresh tab: the first one may still be loading Chromium's error page, which interrupts a new navigation.
    assert page.context.new_page().goto(clinic.url + "/").ok


def test_the_clinic_certificate_is_refused_by_a_browser_that_does_not_trust_its_ca(
    launch_chromium,  # noqa: ANN001
    serve_tls,  # noqa: ANN001
) -> None:
    from playwright.sync_api import Error

    untrusting = launch_chromium(None)
    page = untrusting.new_page()
    site = serve_tls(greeting_app())
    with pytest.raises(Error, match="ERR_CERT_AUTHORITY_INVALID"):
        page.goto(site.url + "/")
    page.close()
