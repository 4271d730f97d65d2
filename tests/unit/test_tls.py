"""core.tls: when a service serves HTTPS, and what its own HTTPS calls trust."""

from __future__ import annotations

from pathlib import Path

from core.config import Settings
from core.tls import server_files, trust


def _settings(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env({"INTELLUXE_HOME": str(tmp_path), **env})


def test_no_certificate_directory_means_plain_http(tmp_path: Path) -> None:
    assert server_files(_settings(tmp_path)) is None
    assert trust(_settings(tmp_path)) is True
    (tmp_path / "certs").mkdir()
    assert server_files(_settings(tmp_path, TLS_CERT_DIR=str(tmp_path / "certs"))) is None  # no cert.pem / key.pem


def test_a_certificate_directory_serves_https_and_trusts_the_machines_cas_plus_the_clinic_ca(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    for name in ("cert.pem", "key.pem"):
        (certs / name).write_text(name)
    (certs / "ca.pem").write_text("CLINIC CA\n")
    machine = tmp_path / "machine.pem"
    machine.write_text("MACHINE CAS\n")
    settings = _settings(tmp_path, TLS_CERT_DIR=str(certs), REQUESTS_CA_BUNDLE=str(machine))
    assert server_files(settings) == (certs / "cert.pem", certs / "key.pem")
    bundle = Path(str(trust(settings)))
    assert bundle.read_text() == "MACHINE CAS\n\nCLINIC CA\n"
    (certs / "ca.pem").write_text("NEW CLINIC CA\n")  # a re-made CA is trusted at the next start
    assert Path(str(trust(settings))).read_text() == "MACHINE CAS\n\nNEW CLINIC CA\n"
