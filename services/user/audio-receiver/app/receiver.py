"""The receiver: one process serving doctors' dictation sessions over a TLS websocket (websockets 17).

Settings: settings.py (ReceiverSettings: TLS files, limits, the model; POSTGRES_URL, INTELLUXE_HOME and the master
key as everywhere). The protocol is core/transcription/protocol.md; README.md beside this app is the operator's and
client author's guide.

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

from websockets.asyncio.server import ServerConnection, serve

from core import audit, auth, logs
from core.config import ConfigError
from core.db import Database, DatabaseUnavailable
from core.keys import master_fernet
from core.orchestration.agent_router import AgentRouter
from core.orchestration.performance import NullTracker, PerformanceTracker, Tracker
from core.orchestration.routing_config import RoutingConfigError
from core.orchestration.tracked import VOTE_LABEL, TrackedTranscriber
from core.transcription import DictationSession, TranscriptionPool, shared_engine
from core.transcription.engine import EngineUnavailableError
from core.transcription.messages import message_size_limit

from .correction_samples import CorrectionSamples
from .dictation import SessionDriver
from .dictation_metrics import ACTIVE
from .gate import Doctor, Gate, peer_ip
from .session_records import Recorder, SessionRecord
from .settings import ReceiverSettings

log = logging.getLogger("audio-receiver")


class Receiver:
    """Everything one receiver process shares between sessions: database, keys, the engine's pool."""

    def __init__(
        self,
        settings: ReceiverSettings,
        pool: TranscriptionPool,
        *,
        review_below: float = 0.0,
        transcribers: tuple[str, ...] = (),
    ) -> None:
        self.settings = settings
        self.review_below = review_below
        self.transcribers = transcribers  # the plugins that decode each final (more than one when voting)
        self.tracker: Tracker = NullTracker()  # create_receiver gives it the database's
        self.cert_file, self.key_file = settings.tls_files()
        self.pool = pool
        self.db = Database(settings.resolved_postgres_url(), minconn=1, maxconn=settings.db_pool_max)
        master = master_fernet(settings)
        audit_writer = audit.AuditWriter(self.db)
        self.recorder = Recorder(self.db, audit_writer, master, store_transcripts=settings.store_transcripts)
        self.correction_samples = CorrectionSamples(self.db, audit_writer)
        self.active = 0
        self.port: int | None = None  # known once serving (PORT=0 picks a free one)
        self.gate = Gate(
            self.db,
            auth.VerifiedTokens(settings.token_cache_seconds),
            master,
            self.recorder,
            max_sessions=settings.max_sessions,
            active_sessions=lambda: self.active,
            health=self.health,
        )

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def health(self) -> dict[str, Any]:
        """Blocking (the gate runs it in a thread): the model is loaded by construction; check the database."""
        try:
            self.db.fetchone("SELECT 1 AS ok")
            database = "ok"
        except DatabaseUnavailable:
            database = "unavailable"
        engine = self.pool.engine
        engine = getattr(engine, "engine", engine)  # what the tracking wrapper runs: one engine, or the vote
        return {
            "status": "ok" if database == "ok" else "degraded",
            "service": "audio-receiver",
            "engine": type(engine).__name__,
            "transcribers": list(self.transcribers),
            "model": str(getattr(engine, "model_path", "")),
            "workers": self.pool.workers,
            "jobs": self.pool.admitted,
            "sessions": self.active,
            "max_sessions": self.settings.max_sessions,
            "database": database,
        }

    async def handle(self, ws: ServerConnection) -> None:
        doctor: Doctor = ws.doctor  # set by the gate before the upgrade
        session = DictationSession(
            doctor.keys,
            ttl_seconds=self.settings.audio_ttl_seconds,
            initial_prompt=doctor.initial_prompt,
            review_below=self.review_below,
            transcriber=VOTE_LABEL if len(self.transcribers) > 1 else (self.transcribers or ("transcriber",))[0],
            max_session_seconds=self.settings.max_session_seconds,
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
                idle_timeout=self.settings.idle_timeout_seconds,
                busy_wait=self.settings.busy_wait_seconds,
                on_accuracy=lambda a: self.tracker.record_accuracy(a.plugin, "transcriber", a.words, a.errors),
                on_corrected_transcript=lambda text: self.correction_samples.offer(
                    doctor.doctor_id, doctor.token_name, text
                ),
            )
            await driver.run()
        finally:
            self.active -= 1
            ACTIVE.dec()

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_pending=True)
        self.tracker.close()  # its last batch, before the database goes
        self.db.close()


async def serve_forever(
    receiver: Receiver, stop: asyncio.Event, on_started: Callable[[int], None] | None = None
) -> None:
    """Serve until `stop` is set (by SIGTERM/SIGINT when run as the service); `on_started` gets the port."""
    async with serve(
        receiver.handle,
        receiver.settings.host,
        receiver.settings.port,
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


def routed_engine(router: AgentRouter) -> TrackedTranscriber:
    """The transcriber the router gives dictation (sensitive audio), its finals heard by the performance tracking."""
    voters = router.voters("sensitive")
    label = VOTE_LABEL if len(voters) > 1 else voters[0]
    return TrackedTranscriber(
        router.transcriber("sensitive"),
        label,
        review_below=router.config.reasoning.confidence_threshold,
        voters=len(voters),
    )


def create_receiver(
    settings: ReceiverSettings | None = None,
    *,
    pool: TranscriptionPool | None = None,
    router: AgentRouter | None = None,
) -> Receiver:
    """The receiver, checked before it serves: the routing file (RoutingConfigError), TLS files, database and
    master key (ConfigError or DatabaseUnavailable naming what is wrong), then the model loaded (unless a pool is
    given), so a receiver that answers /health can transcribe. Dictation is sensitive audio: the router gives the
    transcriber for that class (and its voters, when voting is on)."""
    settings = settings or ReceiverSettings.from_env()
    router = router or AgentRouter.from_file()
    voters = router.voters("sensitive")
    if pool is None:
        settings.tls_files()  # a missing certificate is reported before the model takes seconds to load
        shared_engine(settings)  # the process's Whisper, from these settings: whisper_local and its variants use it
        pool = TranscriptionPool(routed_engine(router), queue_size=settings.queue_size)
    try:
        review_below = router.config.reasoning.confidence_threshold
        receiver = Receiver(settings, pool, review_below=review_below, transcribers=tuple(voters))
        tracker = PerformanceTracker(receiver.db)
        receiver.tracker = tracker
        engine = pool.engine
        while engine is not None and not isinstance(engine, TrackedTranscriber):
            engine = getattr(engine, "engine", None)  # under a wrapper (tests count the audio given)
        if engine is not None:
            engine.tracker = tracker
        router.on_member = lambda name, seconds, confidence: tracker.record_call(
            name, "transcriber", seconds, confidence, voters=len(voters)
        )
        return receiver
    except BaseException:
        pool.shutdown(wait=False)
        raise


def main() -> int:
    """`python -m audio_receiver`: serve until SIGTERM/SIGINT; exit 2 at once when misconfigured."""
    try:
        settings = ReceiverSettings.from_env()
        logs.configure(settings.log_level)
        # At DEBUG, websockets logs every frame's beginning: the doctor's text in `final`s. Never below INFO.
        logging.getLogger("websockets").setLevel(max(logging.INFO, logging.getLogger().getEffectiveLevel()))
        receiver = create_receiver(settings)
    except (ConfigError, EngineUnavailableError, DatabaseUnavailable, RoutingConfigError) as exc:
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
