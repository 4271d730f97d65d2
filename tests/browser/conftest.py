"""Fixtures of the browser tests: Debian's headless Chromium, driven by Playwright for Python, trusting the clinic CA.

Chromium is the system's (`apt-get install chromium libnss3-tools`; INTELLUXE_CHROMIUM names another binary), never
a browser Playwright downloads. The clinic CA is trusted for real: `clinic_certs` makes a CA and a localhost
certificate with scripts/gen-certs.sh, `certutil` writes the CA into an NSS database under a temporary HOME, and
Chromium (which reads $HOME/.pki/nssdb on Linux) runs with that HOME — so a page served with any other certificate is
refused, as a clinic's own browser would refuse it. Nothing here sets ignore_https_errors.

Without chromium, certutil or playwright the tests skip, saying which is missing; with INTELLUXE_BROWSER_REQUIRED set
(CI installs all three) they fail instead, so a missing install cannot pass as a green run.

Screenshots go to $INTELLUXE_SCREENSHOTS, else tests/browser/screenshots/ (git ignores it): `screenshot(page, name)`
on demand, and one of every page of a test that failed.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The machine's notes: Chromium as root needs no sandbox, and without the background-networking switches its own
# calls home (refused here: no internet) disturb page loads. Playwright adds --headless and a fresh --user-data-dir.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# How long each Chromium took to start, for the run's summary.
STARTUP_SECONDS: list[float] = []
# A step a page cannot do in this time is a failure, found in seconds rather than after Playwright's 30 s default.
TIMEOUT_MS = 10_000


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("INTELLUXE_BROWSER_REQUIRED"):
        pytest.fail(f"browser tests required (INTELLUXE_BROWSER_REQUIRED) but {reason}", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str | None:
    named = os.environ.get("INTELLUXE_CHROMIUM")
    if named:
        return named if os.access(named, os.X_OK) else None
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def clinic_certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clinic CA (ca.pem) and a server certificate for localhost and 127.0.0.1 (cert.pem, key.pem), made by the
    suite's own scripts/gen-certs.sh as `intelluxe up` makes them: the TLS_CERT_DIR of the services under test."""
    out = tmp_path_factory.mktemp("clinic-certs")
    subprocess.run(["bash", str(ROOT / "scripts" / "gen-certs.sh"), str(out)], check=True, capture_output=True)
    return out


def nss_home(home: Path, ca: Path | None) -> Path:
    """A HOME whose NSS database (what Chromium on Linux trusts besides the system's roots) trusts `ca` to
    identify web sites, or nothing at all when `ca` is None."""
    nssdb = home / ".pki" / "nssdb"
    nssdb.mkdir(parents=True)
    subprocess.run(["certutil", "-d", f"sql:{nssdb}", "-N", "--empty-password"], check=True, capture_output=True)
    if ca is not None:
        subprocess.run(
            ["certutil", "-d", f"sql:{nssdb}", "-A", "-t", "C,,", "-n", "intelluxe-clinic-ca", "-i", str(ca)],
            check=True,
            capture_output=True,
        )
    return home


# Module scope, not session: Playwright's sync API runs its event loop in the test thread until `stop()`, and every
# later test that calls asyncio.run() (the receiver's, the MCP server's) would fail with "a running event loop".
@pytest.fixture(scope="module")
def launch_chromium(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[Path | None], Any]]:
    """launch_chromium(ca): a headless Chromium trusting `ca` (None: no extra CA), closed at the module's end.
    Skips (or fails, see the module) when chromium, certutil or playwright is missing."""
    executable = chromium_path()
    if executable is None:
        _unavailable("chromium is not installed (apt-get install chromium)")
    if shutil.which("certutil") is None:
        _unavailable("certutil is not installed (apt-get install libnss3-tools)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install -e '.[dev]')")
    playwright = sync_playwright().start()
    launched: list[Any] = []

    def launch(ca: Path | None) -> Any:
        home = nss_home(tmp_path_factory.mktemp("chromium-home"), ca)
        started = time.monotonic()
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=CHROMIUM_ARGS,
            env={**os.environ, "HOME": str(home)},
        )
        STARTUP_SECONDS.append(time.monotonic() - started)
        launched.append(browser)
        return browser

    yield launch
    for browser in launched:
        browser.close()
    playwright.stop()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if STARTUP_SECONDS:
        each = ", ".join(f"{s:.2f}" for s in STARTUP_SECONDS)
        terminalreporter.write_line(f"chromium: {len(STARTUP_SECONDS)} launched, startup {each} s")


@pytest.fixture(scope="module")
def browser(launch_chromium: Callable[[Path | None], Any], clinic_certs: Path) -> Any:
    """One Chromium per test module, trusting the clinic CA of `clinic_certs`."""
    return launch_chromium(clinic_certs / "ca.pem")


def screenshot_dir() -> Path:
    folder = Path(os.environ.get("INTELLUXE_SCREENSHOTS") or ROOT / "tests" / "browser" / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _file_name(request: pytest.FixtureRequest, name: str) -> str:
    test = "".join(c if c.isalnum() or c in "-_." else "_" for c in request.node.name)
    return f"{test}-{name}.png"


@pytest.fixture
def screenshot(request: pytest.FixtureRequest) -> Callable[[Any, str], Path]:
    """screenshot(page, name): the whole page as <test>-<name>.png in the screenshot folder; returns its path."""

    def take(page: Any, name: str) -> Path:
        path = screenshot_dir() / _file_name(request, name)
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the test, so `context` can tell a failed test from a passed one."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def context(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context (cookies, storage) for this test; its pages are photographed when the test failed."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(TIMEOUT_MS)
    yield ctx
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        from playwright.sync_api import Error

        for number, page in enumerate(ctx.pages):
            # A page that cannot be photographed (closed, crashed) must not hide the test's own failure.
            with contextlib.suppress(Error):
                page.screenshot(path=str(screenshot_dir() / _file_name(request, f"failed-{number}")), full_page=True)
    ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    """A page in this test's own context."""
    return context.new_page()


class TlsServedApp:
    """A WSGI app served over HTTPS on a free loopback port, in a thread, with cert.pem/key.pem of `cert_dir`.
    `url` names localhost, which the certificate of gen-certs.sh covers. With `cert_dir` None it is plain HTTP on
    127.0.0.1: for the services behind a page under test, which the browser never calls itself."""

    def __init__(self, app: object, cert_dir: Path | None) -> None:
        from werkzeug.serving import make_server

        tls = None
        if cert_dir is not None:
            tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            tls.load_cert_chain(cert_dir / "cert.pem", cert_dir / "key.pem")
        self.server = make_server("127.0.0.1", 0, app, threaded=True, ssl_context=tls)  # type: ignore[arg-type]
        port = self.server.server_port
        self.url = f"https://localhost:{port}" if tls is not None else f"http://127.0.0.1:{port}"
        # A short poll: shutdown() waits for the loop to look, 0.5 s by default, at the end of every test.
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def serve_tls(clinic_certs: Path) -> Iterator[Callable[..., TlsServedApp]]:
    """serve_tls(app, cert_dir=clinic_certs): the app over HTTPS for this test; shut down afterwards."""
    started: list[TlsServedApp] = []

    def serve(app: object, cert_dir: Path | None = None) -> TlsServedApp:
        served = TlsServedApp(app, cert_dir or clinic_certs)
        started.append(served)
        return served

    yield serve
    for served in started:
        served.close()


@pytest.fixture(scope="module")
def serve_module(clinic_certs: Path) -> Iterator[Callable[..., TlsServedApp]]:
    """serve_module(app, tls=True): the app served for the whole test module (one server set per module keeps a suite
    of page tests fast) — over HTTPS with the clinic's certificate, or with tls=False over plain loopback HTTP."""
    started: list[TlsServedApp] = []

    def serve(app: object, *, tls: bool = True) -> TlsServedApp:
        served = TlsServedApp(app, clinic_certs if tls else None)
        started.append(served)
        return served

    yield serve
    for served in reversed(started):
        served.close()
