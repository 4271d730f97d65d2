"""Doctor enrollment: token and key issued by the server, keys encrypted at rest, rotation with a grace period,
revocation, and the client config file — through the functions and through `intelluxe enroll-doctor`."""

from __future__ import annotations

import json
import os
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from core import auth, enrollment
from core.db import Database


@pytest.fixture
def master() -> MultiFernet:
    return MultiFernet([Fernet(Fernet.generate_key())])


def _doctor() -> str:
    return f"dr-{os.urandom(4).hex()}"


def test_enrollment_issues_a_working_token_and_a_key_kept_encrypted(db: Database, master: MultiFernet) -> None:
    doctor = _doctor()
    token, key = enrollment.enroll(db, master, doctor, "metformin\nlisinopril")
    assert auth.verify_token(db, token).name == f"dictation-{doctor}"
    row = db.fetchone("SELECT * FROM doctors WHERE doctor_id = %s", (doctor,))
    assert key not in row["keys_encrypted"] and row["vocabulary"] == "metformin\nlisinopril"
    keys = enrollment.doctor_keys(db, master, doctor)
    assert keys is not None and keys.vocabulary.startswith("metformin")
    assert keys.fernet.decrypt(Fernet(key.encode()).encrypt(b"pcm")) == b"pcm"
    with pytest.raises(enrollment.EnrollmentError, match="enrolled already"):
        enrollment.enroll(db, master, doctor)


def test_keys_cannot_be_read_without_the_master_key(db: Database, master: MultiFernet) -> None:
    doctor = _doctor()
    enrollment.enroll(db, master, doctor)
    other = MultiFernet([Fernet(Fernet.generate_key())])
    with pytest.raises(InvalidToken):
        enrollment.doctor_keys(db, other, doctor)


def test_rotation_keeps_the_old_key_and_token_for_the_grace_period(db: Database, master: MultiFernet) -> None:
    doctor = _doctor()
    old_token, old_key = enrollment.enroll(db, master, doctor)
    new_token, new_key = enrollment.rotate(db, master, doctor, timedelta(hours=1))
    assert new_key != old_key and new_token != old_token
    keys = enrollment.doctor_keys(db, master, doctor)
    assert keys is not None
    for key in (old_key, new_key):
        assert keys.fernet.decrypt(Fernet(key.encode()).encrypt(b"chunk")) == b"chunk"
    assert auth.verify_token(db, old_token).name == f"dictation-{doctor}"
    assert auth.verify_token(db, new_token).name.startswith(f"dictation-{doctor}-")
    # A rotation with no grace: the keys and token it replaces stop working at once.
    enrollment.rotate(db, master, doctor, timedelta(seconds=0))
    keys = enrollment.doctor_keys(db, master, doctor)
    assert keys is not None
    for key in (old_key, new_key):
        with pytest.raises(InvalidToken):
            keys.fernet.decrypt(Fernet(key.encode()).encrypt(b"chunk"))
    with pytest.raises(auth.AuthError, match="expired"):
        auth.verify_token(db, new_token)


def test_revocation_ends_every_token_and_forgets_the_keys(db: Database, master: MultiFernet) -> None:
    doctor = _doctor()
    first, _ = enrollment.enroll(db, master, doctor)
    second, _ = enrollment.rotate(db, master, doctor)
    assert enrollment.revoke(db, doctor)
    for token in (first, second):
        with pytest.raises(auth.AuthError, match="revoked"):
            auth.verify_token(db, token)
    assert enrollment.doctor_keys(db, master, doctor) is None
    assert db.fetchone("SELECT keys_encrypted FROM doctors WHERE doctor_id = %s", (doctor,))["keys_encrypted"] == ""
    assert not enrollment.revoke(db, doctor)
    with pytest.raises(enrollment.EnrollmentError, match="not enrolled"):
        enrollment.rotate(db, master, doctor)
    token, _ = enrollment.enroll(db, master, doctor)  # re-enrolling after revocation is allowed
    assert auth.verify_token(db, token)


@pytest.mark.parametrize("doctor_id", ["Dr Smith", "", "x" * 129, "../etc"])
def test_bad_doctor_ids_are_refused(db: Database, master: MultiFernet, doctor_id: str) -> None:
    with pytest.raises(enrollment.EnrollmentError, match="doctor id"):
        enrollment.enroll(db, master, doctor_id)


def test_cli_enroll_rotate_revoke(db: Database, tmp_path: Path, intelluxe) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    home = tmp_path / "home"
    subprocess.run(
        ["bash", str(Path(__file__).resolve().parents[2] / "scripts" / "gen-certs.sh"), str(home / "certs")],
        check=True,
        capture_output=True,
    )
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("empagliflozin\natorvastatin\n")
    doctor = _doctor()
    env = {"POSTGRES_URL": db.url}
    out = tmp_path / "client.json"
    done = intelluxe(home, "enroll-doctor", doctor, "--vocabulary", str(vocab), "--out", str(out), **env)
    assert done.returncode == 0, done.stderr
    config = json.loads(out.read_text())
    assert set(config) == {"server_url", "doctor_id", "token", "fernet_key", "ca_certificate"}
    assert config["doctor_id"] == doctor and config["server_url"].startswith("wss://")
    assert config["ca_certificate"].startswith("-----BEGIN CERTIFICATE-----")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert stat.S_IMODE((home / "master.key").stat().st_mode) == 0o600
    assert auth.verify_token(db, config["token"]).name == f"dictation-{doctor}"
    again = intelluxe(home, "enroll-doctor", doctor, "--out", str(out), **env)
    assert again.returncode == 1 and "use --rotate" in again.stderr
    rotated = intelluxe(home, "enroll-doctor", doctor, "--rotate", "--out", str(tmp_path / "new.json"), **env)
    assert rotated.returncode == 0, rotated.stderr
    assert json.loads((tmp_path / "new.json").read_text())["fernet_key"] != config["fernet_key"]
    revoked = intelluxe(home, "enroll-doctor", doctor, "--revoke", **env)
    assert revoked.returncode == 0 and "revoked" in revoked.stdout
    no_out = intelluxe(home, "enroll-doctor", _doctor(), **env)
    assert no_out.returncode == 1 and "--out FILE" in no_out.stderr
