"""The audio-receiver's own settings, beside the shared ones (core.config.Settings) and the model's
(core.transcription.settings), read from the environment once at start.

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

from pathlib import Path

from pydantic import Field

from core.config import ConfigError
from core.transcription.settings import TranscriptionSettings


class ReceiverSettings(TranscriptionSettings):
    port: int = Field(default=8443, ge=0, le=65535, alias="PORT")  # 0: any free port (tests)
    tls_cert: Path | None = Field(default=None, alias="TLS_CERT")
    tls_key: Path | None = Field(default=None, alias="TLS_KEY")
    audio_ttl_seconds: int = Field(default=30, ge=1, le=3600, alias="AUDIO_TTL_SECONDS")
    max_sessions: int = Field(default=8, ge=1, le=1000, alias="MAX_SESSIONS")
    idle_timeout_seconds: float = Field(default=60.0, ge=1.0, le=3600.0, alias="IDLE_TIMEOUT_SECONDS")
    queue_size: int = Field(default=8, ge=0, le=1000, alias="QUEUE_SIZE")
    busy_wait_seconds: float = Field(default=20.0, ge=0.0, le=600.0, alias="BUSY_WAIT_SECONDS")
    max_session_seconds: float = Field(default=3600.0, ge=1.0, le=4 * 3600.0, alias="MAX_SESSION_SECONDS")
    store_transcripts: bool = Field(default=False, alias="STORE_TRANSCRIPTS")

    def tls_files(self) -> tuple[Path, Path]:
        """The certificate and key files; ConfigError naming the variable when one does not exist."""
        cert_dir = self.tls_cert_dir or self.home / "certs"
        files = (
            ("TLS_CERT", self.tls_cert or cert_dir / "cert.pem"),
            ("TLS_KEY", self.tls_key or cert_dir / "key.pem"),
        )
        for name, path in files:
            if not path.is_file():
                raise ConfigError(
                    f"{name}: {path} does not exist (make the clinic's certificates: scripts/gen-certs.sh {cert_dir})"
                )
        return files[0][1], files[1][1]
