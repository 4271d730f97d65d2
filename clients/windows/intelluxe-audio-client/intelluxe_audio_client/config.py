"""The enrollment file: the JSON `intelluxe enroll-doctor --out FILE` writes on the server for one doctor.

Keys: server_url, doctor_id, token, fernet_key, ca_certificate (the clinic CA's PEM text). Everything is checked
up front, before a microphone opens or a socket connects, so a broken file fails in a second with a message naming
the field. Messages and `repr` never contain the token, the key or the file's text: they end up in consoles, logs
and support tickets.
"""

from __future__ import annotations

import json
import logging
import os
import re
import ssl
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet

from intelluxe_audio_client.errors import ConfigError

log = logging.getLogger(__name__)

# The server's own rule for doctor ids (core/enrollment.py); repeated here because the client must not import it.
DOCTOR_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,127}$")
FIELDS = ("server_url", "doctor_id", "token", "fernet_key", "ca_certificate")
MAX_FILE_BYTES = 1_000_000  # a config is ~3 kB; anything this big is the wrong file


@dataclass(frozen=True)
class ClientConfig:
    """A doctor's enrollment. The secrets are left out of `repr` so a logged config leaks nothing."""

    server_url: str
    doctor_id: str
    token: str = field(repr=False)
    fernet_key: str = field(repr=False)
    ca_certificate: str = field(repr=False)

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "config") -> ClientConfig:
        """Validate the parsed JSON; ConfigError names the first missing or bad field (never its secret value)."""
        if not isinstance(data, Mapping):
            raise ConfigError(f"{source}: must be a JSON object with the keys {', '.join(FIELDS)}")
        missing = [name for name in FIELDS if name not in data]
        if missing:
            raise ConfigError(f"{source}: missing {', '.join(missing)} (re-export it with `intelluxe enroll-doctor`)")
        for name in FIELDS:
            value = data[name]
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{source}: {name} must be a non-empty string")
        config = cls(**{name: data[name].strip() for name in FIELDS})
        config._check(source)
        return config

    def _check(self, source: str) -> None:
        url = urlsplit(self.server_url)
        if url.scheme != "wss":
            raise ConfigError(f"{source}: server_url must start with wss:// (audio only travels over TLS)")
        try:
            _ = url.port  # raises on a bad port
        except ValueError:
            raise ConfigError(f"{source}: server_url has a bad port") from None
        if not url.hostname:
            raise ConfigError(f"{source}: server_url has no host name")
        if not DOCTOR_ID.match(self.doctor_id):
            raise ConfigError(f"{source}: doctor_id must be lowercase letters, digits, '_', '.' or '-'")
        if any(c.isspace() or not c.isprintable() for c in self.token):
            raise ConfigError(f"{source}: token contains spaces or control characters (a damaged file?)")
        try:
            Fernet(self.fernet_key.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise ConfigError(f"{source}: fernet_key is not a Fernet key (32 url-safe base64 bytes)") from None
        if "-----BEGIN CERTIFICATE-----" not in self.ca_certificate:
            raise ConfigError(f"{source}: ca_certificate must be the clinic CA certificate in PEM form")
        try:
            self.ssl_context()
        except ssl.SSLError as exc:
            raise ConfigError(f"{source}: ca_certificate does not load as a certificate ({exc.reason})") from None

    def ssl_context(self) -> ssl.SSLContext:
        """A TLS client context that trusts the clinic CA and nothing else, and checks the server's host name.

        PROTOCOL_TLS_CLIENT verifies certificates and host names by default and loads no system CAs: a certificate
        from a public CA, or a proxy's, is refused just like a self-signed one.
        """
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_verify_locations(cadata=self.ca_certificate)
        assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
        return context


def load_config(path: str | os.PathLike[str]) -> ClientConfig:
    """Read and validate a config file; ConfigError with the path and the field otherwise."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ConfigError(f"{path}: too large to be an Intelluxe config file")
        text = path.read_text(encoding="utf-8-sig")  # -sig: Notepad may add a byte-order mark when saving
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file (install the file from `intelluxe enroll-doctor --out`)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it ({type(exc).__name__})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # The position only: the text around it could be the token.
        raise ConfigError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    config = ClientConfig.from_mapping(data, source=str(path))
    _warn_if_shared(path)
    return config


def _warn_if_shared(path: Path) -> None:
    """On POSIX, the file should be readable by its owner only (the server writes it 0600). Windows keeps files in
    the user's profile private through ACLs, which st_mode does not show, so nothing is checked there."""
    if os.name != "posix":
        return
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s is readable by other users; it holds your token and key (chmod 600 %s)", path, path)
