"""The audio-receiver's own settings, read from the environment once at start (core.config holds the shared ones).

Why each limit exists:
- AUDIO_TTL_SECONDS: how old an encrypted audio chunk may be (Fernet TTL). Short, so a captured chunk is useless
  soon after; long enough for a client on a slow link (chunks are encrypted just before they are sent).
- MAX_SESSIONS: sessions at once. Two cores keep about 4 real-time streams timely (scripts/bench/bench_dictation.py);
  a connection beyond the limit is refused with 503 before the upgrade instead of making everyone's text late.
- IDLE_TIMEOUT_SECONDS: a connection that sends nothing must not hold one of those slots.
- QUEUE_SIZE: transcription jobs that may wait beside the running ones; beyond it the server pushes back.
- BUSY_WAIT_SECONDS: how long a final may wait for a worker before the session ends with `busy` (the client
  reconnects and resends the audio).
- STORE_TRANSCRIPTS: off by default — the text goes back to the doctor and nowhere else. When on, each finished
  session's finals are stored encrypted under the master key (table dictation_transcripts).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from core.config import ConfigError, intelluxe_home

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


@dataclass(frozen=True)
class ReceiverConfig:
    host: str
    port: int
    cert_file: Path
    key_file: Path
    ttl_seconds: int
    max_sessions: int
    idle_timeout: float
    queue_size: int
    busy_wait: float
    max_session_seconds: float
    store_transcripts: bool

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ReceiverConfig:
        env = dict(os.environ if environ is None else environ)
        cert_dir = Path(env.get("TLS_CERT_DIR") or intelluxe_home(env) / "certs")
        config = cls(
            host=env.get("HOST") or "0.0.0.0",  # noqa: S104 - a server; the .conf publishes the port
            port=_number(env, "PORT", 8443, int, 0, 65535),  # 0: any free port (tests)
            cert_file=Path(env.get("TLS_CERT") or cert_dir / "cert.pem"),
            key_file=Path(env.get("TLS_KEY") or cert_dir / "key.pem"),
            ttl_seconds=_number(env, "AUDIO_TTL_SECONDS", 30, int, 1, 3600),
            max_sessions=_number(env, "MAX_SESSIONS", 8, int, 1, 1000),
            idle_timeout=_number(env, "IDLE_TIMEOUT_SECONDS", 60.0, float, 1.0, 3600.0),
            queue_size=_number(env, "QUEUE_SIZE", 8, int, 0, 1000),
            busy_wait=_number(env, "BUSY_WAIT_SECONDS", 20.0, float, 0.0, 600.0),
            max_session_seconds=_number(env, "MAX_SESSION_SECONDS", 3600.0, float, 1.0, 4 * 3600.0),
            store_transcripts=_flag(env, "STORE_TRANSCRIPTS"),
        )
        for name, path in (("TLS_CERT", config.cert_file), ("TLS_KEY", config.key_file)):
            if not path.is_file():
                raise ConfigError(
                    f"{name}: {path} does not exist (make the clinic's certificates: scripts/gen-certs.sh {cert_dir})"
                )
        return config


def _number(env: dict[str, str], name: str, default: float, kind: type, low: float, high: float):  # noqa: ANN202
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low:g} and {high:g}, got {raw}")
    return value


def _flag(env: dict[str, str], name: str) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")
