"""audio-receiver: doctors' dictation over a TLS websocket, transcribed on this server, text sent back live.

Run: `python receiver.py` (the .conf's command). Settings: core.config (POSTGRES_URL, INTELLUXE_HOME, the master
key) and receiver_config.py (TLS files, limits). The protocol is core/transcription/protocol.md; README.md beside
this app is the operator's and client author's guide.

Start-up order is deliberate: certificates, database and master key are checked first (a misconfigured receiver
exits at once with a message), then the model is loaded, and only then does the port open — so /health answering
means sessions can be served.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import ssl
import sys
from collections.abc import Callable
from typing import Any

from dictation import SessionDriver
from dictation_metrics import ACTIVE
from gate import Doctor, Gate, peer_ip
from receiver_config import ReceiverConfig
from session_records import Recorder, SessionRecord
from websockets.asyncio.server import ServerConnection, serve

from core import audit, auth, logs
from core.config import ConfigError, Settings
from core.db import Database, DatabaseUnavailable
from core.keys import master_fernet
from core.transcription import DictationSession, TranscriptionPool, shared_engine
from core.transcription.engine import EngineUnavailableError
from core.transcription.session import message_size_limit

log = logging.getLogger("audio-receiver")


class Receiver:
    """Everything one receiver process shares between sessions: database, keys, the engine's pool."""

    def __init__(self, settings: Settings, config: ReceiverConfig, pool: TranscriptionPool) -> None:
        self.settings = settings
        self.config = config
        self.pool = pool
        self.db = Database(settings.resolved_postgres_url(), minconn=1, maxconn=settings.db_pool_max)
        master = master_fernet(settings)
        self.recorder = Recorder(
            self.db, audit.AuditWriter(self.db), master, store_transcripts=config.store_transcripts
        )
        self.active = 0
        self.port: int | None = None  # known once serving (PORT=0 picks a free one)
        self.gate = Gate(
            self.db,
            auth.VerifiedTokens(settings.token_cache_seconds),
            master,
            self.recorder,
            max_sessions=config.max_sessions,
            active_sessions=lambda: self.active,
            health=self.health,
        )

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.config.cert_file, self.config.key_file)
        return context

    def health(self) -> dict[str, Any]:
        """Blocking (the gate runs it in a thread): the model is loaded by construction; check the database."""
        try:
            self.db.fetchone("SELECT 1 AS ok")
            database = "ok"
        except DatabaseUnavailable:
            database = "unavailable"
        engine = self.pool.engine
        return {
            "status": "ok" if database == "ok" else "degraded",
            "service": "audio-receiver",
            "engine": type(engine).__name__,
            "model": str(getattr(engine, "model_path", "")),
            "workers": self.pool.workers,
            "jobs": self.pool.admitted,
            "sessions": self.active,
            "max_sessions": self.config.max_sessions,
            "database": database,
        }

    async def handle(self, ws: ServerConnection) -> None:
        doctor: Doctor = ws.doctor  # set by the gate before the upgrade
        session = DictationSession(
            doctor.keys,
            ttl_seconds=self.config.ttl_seconds,
            initial_prompt=doctor.initial_prompt,
            max_session_seconds=self.config.max_session_seconds,
        )
        record = SessionRecord(doctor.doctor_id, doctor.token_name, peer_ip(ws))
        self.active += 1
        ACTIVE.inc()
        try:
            driver = SessionDriver(
                ws,
                session,
                self.pool,
                self.recorder,
                record,
                idle_timeout=self.config.idle_timeout,
                busy_wait=self.config.busy_wait,
            )
            await driver.run()
        finally:
            self.active -= 1
            ACTIVE.dec()

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_pending=True)
        self.db.close()


async def serve_forever(
    receiver: Receiver, stop: asyncio.Event, on_started: Callable[[int], None] | None = None
) -> None:
    """Serve until `stop` is set (by SIGTERM/SIGINT when run as the service); `on_started` gets the port."""
    async with serve(
        receiver.handle,
        receiver.config.host,
        receiver.config.port,
        ssl=receiver.ssl_context(),
        process_request=receiver.gate,
        max_size=message_size_limit(),
        server_header="intelluxe-audio-receiver",
    ) as server:
        receiver.port = server.sockets[0].getsockname()[1]
        log.info("audio-receiver listening on port %d (TLS), %d workers", receiver.port, receiver.pool.workers)
        if on_started is not None:
            on_started(receiver.port)
        await stop.wait()
        server.close(close_connections=True)
        await server.wait_closed()


def main() -> int:
    settings = Settings.from_env()
    logs.configure(settings.log_level)
    # At DEBUG, websockets logs every frame's beginning: the doctor's text in `final`s. Never below INFO.
    logging.getLogger("websockets").setLevel(max(logging.INFO, logging.getLogger().getEffectiveLevel()))
    try:
        config = ReceiverConfig.from_env()
        engine = shared_engine()
    except (ConfigError, EngineUnavailableError) as exc:
        print(f"audio-receiver: {exc}", file=sys.stderr)
        return 2
    pool = TranscriptionPool(engine, queue_size=config.queue_size)
    try:
        receiver = Receiver(settings, config, pool)
    except (ConfigError, DatabaseUnavailable) as exc:
        pool.shutdown(wait=False)
        print(f"audio-receiver: {exc}", file=sys.stderr)
        return 2

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await serve_forever(receiver, stop)

    try:
        asyncio.run(run())
    finally:
        receiver.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
