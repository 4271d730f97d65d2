"""The enrollment file: what `intelluxe enroll-doctor --out` writes loads; every bad field is named; no message or
repr shows the token or the key."""

from __future__ import annotations

import json
import logging
import os
import ssl
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from intelluxe_audio_client import ConfigError, load_config
from intelluxe_audio_client.config import ClientConfig

TOKEN = "tok_Zx81-secret-value"
KEY = Fernet.generate_key().decode()


@pytest.fixture
def good(pki) -> dict[str, str]:
    """The fields as core.enrollment.ClientConfig.write lays them out."""
    return {
        "server_url": "wss://localhost:8443/dictation",
        "doctor_id": "dr.smith",
        "token": TOKEN,
        "fernet_key": KEY,
        "ca_certificate": pki.ca_pem,
    }


def write(tmp_path: Path, data: object, *, mode: int = 0o600, text: str | None = None) -> Path:
    path = tmp_path / "dictation.json"
    path.write_text(text if text is not None else json.dumps(data, indent=2) + "\n", encoding="utf-8")
    path.chmod(mode)
    return path


def assert_no_secret(message: str) -> None:
    assert TOKEN not in message and KEY not in message and "BEGIN CERTIFICATE" not in message


def test_the_server_written_file_loads(tmp_path: Path, good, caplog) -> None:
    config = load_config(write(tmp_path, good))
    assert config.server_url == "wss://localhost:8443/dictation" and config.doctor_id == "dr.smith"
    assert config.token == TOKEN and config.fernet_key == KEY
    assert_no_secret(repr(config))
    assert caplog.records == []  # mode 0600: nothing to warn about


def test_the_tls_context_trusts_only_the_clinic_ca(good) -> None:
    context = ClientConfig.from_mapping(good).ssl_context()
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert [ca["subject"] for ca in context.get_ca_certs()] == [((("commonName", "good clinic CA"),),)]
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2


@pytest.mark.parametrize("field", ["server_url", "doctor_id", "token", "fernet_key", "ca_certificate"])
def test_a_missing_field_is_named(tmp_path: Path, good, field: str) -> None:
    del good[field]
    with pytest.raises(ConfigError, match=f"missing {field}") as caught:
        load_config(write(tmp_path, good))
    assert str(tmp_path) in str(caught.value)
    assert_no_secret(str(caught.value))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("server_url", "ws://localhost:8443/dictation", "server_url must start with wss://"),
        ("server_url", "https://localhost/dictation", "server_url must start with wss://"),
        ("server_url", "wss:///dictation", "server_url has no host"),
        ("server_url", "wss://localhost:99999/x", "server_url has a bad port"),
        ("doctor_id", "Dr Smith", "doctor_id must be lowercase"),
        ("token", "", "token must be a non-empty string"),
        ("token", "two words", "token contains spaces"),
        ("token", 12345, "token must be a non-empty string"),
        ("fernet_key", "not-a-key", "fernet_key is not a Fernet key"),
        ("fernet_key", TOKEN + "x" * 30, "fernet_key is not a Fernet key"),
        ("ca_certificate", "hello", "ca_certificate must be the clinic CA certificate in PEM"),
        ("ca_certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", "ca_certificate does"),
    ],
)
def test_a_bad_field_is_named_and_its_value_not_shown(tmp_path: Path, good, field, value, message) -> None:
    good[field] = value
    with pytest.raises(ConfigError, match=message) as caught:
        load_config(write(tmp_path, good))
    assert_no_secret(str(caught.value))
    error = caught.value  # no chained exception that could print a secret in a traceback
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


def test_file_level_problems(tmp_path: Path, good) -> None:
    with pytest.raises(ConfigError, match="no such file.*enroll-doctor"):
        load_config(tmp_path / "missing.json")
    broken = json.dumps(good)[:-40]  # cut inside the certificate
    with pytest.raises(ConfigError, match=r"not valid JSON \(line 1, column") as caught:
        load_config(write(tmp_path, None, text=broken))
    assert_no_secret(str(caught.value))
    with pytest.raises(ConfigError, match="must be a JSON object"):
        load_config(write(tmp_path, [good]))


def test_a_byte_order_mark_from_notepad_is_accepted(tmp_path: Path, good) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(good).encode())
    path.chmod(0o600)
    assert load_config(path).doctor_id == "dr.smith"


@pytest.mark.skipif(os.name != "posix", reason="Windows keeps the profile private with ACLs")
def test_a_file_other_users_can_read_is_warned_about(tmp_path: Path, good, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        load_config(write(tmp_path, good, mode=0o644))
    assert "readable by other users" in caplog.text
    assert_no_secret(caplog.text)
