"""The dictation client: capture, stream, show the text, and survive a dropped connection without losing words.

Theory of operation:
- Three tasks. The capture task reads the audio source into a buffer and never waits for the network. Per
  connection ("session"), a sender task sends `start`, then the buffered audio in chunk_seconds chunks, then `end`;
  a receiver task reads `partial`/`final`/`error`/`done` at the same time and calls `on_event`.
- Positions are bytes of the whole dictation ("dictation position"), counted from its first sample; a second is
  32 000 bytes. The buffer holds the audio from the end of the last acknowledged final onwards: a `final` whose
  `end` is t seconds into its session acknowledges everything before session_start + t, and that audio is dropped.
- A session that ends with `done` has had all its audio transcribed. One that ends any other way (network error,
  close without `done`, a server-fault `error`) is retried: the next session starts at the first unacknowledged
  byte, resends from there with sequence numbers from 1 again (every connection is a new session on the server),
  then goes on with live audio. Finals already received are kept, and the new session's times are offset by where
  it starts, so no text is lost or repeated. Partials of the dropped session are dropped with it (the
  `reconnecting` event tells the display to clear them).
- Retries back off exponentially (backoff_initial doubling to backoff_max, with a little jitter so a clinic's
  clients do not all come back at once). A session that made progress resets the count: a final arrived (audio
  was acknowledged), or it stayed up for STABLE_SESSION_SECONDS. Partials alone do not count: a server that sends
  a partial and then fails every time must not be retried forever. max_retries failures in a row give up
  (`GaveUpError`).
- The client's faults (token, key, clock, protocol) are not retried: `RefusedError` with what to do.
- While disconnected the capture keeps filling the buffer, up to max_buffer_seconds; then capture stops, with a
  `warning` event, and what was captured is still delivered. While connected the buffer is bounded too: audio sent
  more than max_buffer_seconds ago that no final has covered (long silence) is given up first.
- `stop()` (the first Ctrl-C) ends the capture; the client sends what it has, `end`, and waits for the last finals
  and `done` (at most done_timeout, else the session counts as failed and is retried like a dropped one).
- A session is also ended (cleanly, with `end` and `done`) after max_session_seconds of audio and a new one begun,
  because the server refuses sessions over an hour.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import json
import logging
import secrets
import ssl
import time
from collections.abc import AsyncIterable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import Fernet
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from intelluxe_audio_client import __version__
from intelluxe_audio_client.config import ClientConfig
from intelluxe_audio_client.errors import (
    CaptureError,
    ConfigError,
    DictationError,
    GaveUpError,
    RefusedError,
    ServerNotTrustedError,
)
from intelluxe_audio_client.protocol import (
    BYTES_PER_SECOND,
    MAX_CHUNK_SECONDS,
    MAX_SERVER_SESSION_SECONDS,
    SAMPLE_RATE,
    audio_message,
    end_message,
    http_refusal,
    refusal_for,
    start_message,
)

log = logging.getLogger(__name__)

EventCallback = Callable[[dict[str, Any], float], None]
MAX_INCOMING_BYTES = 4 * 1024 * 1024  # server events are small; generous so a long final is never cut off
STABLE_SESSION_SECONDS = 30.0  # a session up this long shows the network and server work: the retry count resets
_JITTER = secrets.SystemRandom()


@dataclass(frozen=True)
class TranscriptSegment:
    """One final. `start`/`end` are seconds from the first sample of the whole dictation, across reconnects."""

    text: str
    start: float
    end: float
    confidence: float
    session: int
    segment_id: int


@dataclass(frozen=True)
class Transcript:
    """The finals in order. `complete` is True when every captured second was transcribed (the last session
    ended with `done`); `duration` is the seconds of audio captured."""

    segments: tuple[TranscriptSegment, ...]
    duration: float
    sessions: int
    complete: bool

    @property
    def text(self) -> str:
        """The finals' text, one per line."""
        return "\n".join(segment.text for segment in self.segments)


@dataclass
class _Session:
    """One connection's bookkeeping."""

    index: int
    offset: int  # dictation position of the session's first sample
    progressed: bool = False  # a final or `done` arrived, or the connection stayed up STABLE_SESSION_SECONDS
    end_sent: bool = False
    done: bool = False
    error: dict[str, Any] | None = None
    close_code: int | None = None
    failure: str | None = None  # why it ended without `done`, for the log and the `reconnecting` event
    sequence: int = 0
    last_segment: int = -1
    sent_upto: int = 0  # dictation position sent so far in this session (starts at `offset`)

    @property
    def offset_seconds(self) -> float:
        return self.offset / BYTES_PER_SECOND


@dataclass
class _Capture:
    """The audio buffer: dictation bytes [start, start + len(data)) not yet acknowledged by a final or `done`."""

    data: bytearray = field(default_factory=bytearray)
    start: int = 0
    done: bool = False
    full: bool = False
    error: BaseException | None = None
    carry: bytes = b""  # an odd trailing byte from a source, completed by its next block
    given_up: int = 0  # bytes of sent audio dropped unacknowledged because the buffer was full
    times: list[float] = field(default_factory=list)  # monotonic time each block was captured ...
    ends: list[int] = field(default_factory=list)  # ... and the dictation position it ended at

    @property
    def end(self) -> int:
        return self.start + len(self.data)

    def drop_before(self, position: int) -> None:
        if position > self.start:
            del self.data[: position - self.start]
            self.start = position


class DictationClient:
    """Streams one dictation to the server and collects its transcript.

    Args:
        config: the doctor's enrollment (server, token, key, clinic CA).
        on_event: called as `on_event(event, received_at)` for every server event (`partial`, `final`, `error`,
            `done`, with `session` added, and for partials and finals `dictation_start`/`dictation_end`: the times
            in dictation seconds) and the client's own (`connected`, `reconnecting`, `warning`). `received_at` is
            `time.monotonic()` when it arrived; compare with `captured_at()` to measure latency.
        chunk_seconds: audio per `audio` message (the protocol asks for 0.1-1 s).
        max_retries: reconnect attempts in a row before giving up.
        backoff_initial, backoff_max: the first reconnect delay, doubled per failure up to the maximum.
        done_timeout: how long to wait for `done` after `end`.
        max_buffer_seconds: the most audio held for sending or resending.
        max_session_seconds: audio per session before it is ended and a new one begun.
        open_timeout: seconds to connect (TCP, TLS and the websocket upgrade).
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        on_event: EventCallback | None = None,
        chunk_seconds: float = 0.2,
        max_retries: int = 8,
        backoff_initial: float = 0.5,
        backoff_max: float = 30.0,
        done_timeout: float = 60.0,
        max_buffer_seconds: float = 600.0,
        max_session_seconds: float = 3000.0,
        open_timeout: float = 10.0,
    ) -> None:
        if not 0.01 <= chunk_seconds <= MAX_CHUNK_SECONDS:
            raise ValueError(f"chunk_seconds must be between 0.01 and {MAX_CHUNK_SECONDS}")
        if max_retries < 0 or backoff_initial < 0 or backoff_max < backoff_initial:
            raise ValueError("max_retries and backoff_initial must not be negative, backoff_max not below initial")
        if not chunk_seconds <= max_session_seconds <= MAX_SERVER_SESSION_SECONDS:
            raise ValueError(f"max_session_seconds must be at most {MAX_SERVER_SESSION_SECONDS:g} (the server's limit)")
        if max_buffer_seconds < 1:
            raise ValueError("max_buffer_seconds must be at least 1")
        self.config = config
        self.on_event = on_event
        self.max_retries = max_retries
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.done_timeout = done_timeout
        self.open_timeout = open_timeout
        self._chunk_bytes = max(2, int(chunk_seconds * SAMPLE_RATE) * 2)
        self._max_buffer_bytes = int(max_buffer_seconds * SAMPLE_RATE) * 2
        self._max_session_bytes = int(max_session_seconds * SAMPLE_RATE) * 2
        self._fernet = Fernet(config.fernet_key.encode("ascii"))
        self._ssl = config.ssl_context()
        self._capture = _Capture()
        self._segments: list[TranscriptSegment] = []
        self._sessions = 0
        self._delivered = 0  # dictation position up to which a session ended with `done`
        self._sent_upto = 0  # dictation position sent in the live session (= capture start when none is live)
        self._ready: asyncio.Event | None = None
        self._capture_task: asyncio.Task[None] | None = None
        self._stop_requested = False
        self._ran = False

    # The public surface.
    async def run(self, source: AsyncIterable[bytes]) -> Transcript:
        """Dictate from `source` until it ends or `stop()` is called; return the transcript once the server has
        transcribed everything. Raises RefusedError, ServerNotTrustedError, GaveUpError or CaptureError, each
        carrying the transcript so far."""
        if self._ran:
            raise RuntimeError("a DictationClient runs one dictation; make a new one")
        self._ran = True
        self._ready = asyncio.Event()
        if self._stop_requested:
            self._end_capture()  # stopped before it began: nothing to capture or send
        else:
            self._capture_task = asyncio.create_task(self._read_source(source), name="intelluxe-capture")
        try:
            await self._deliver()
        except DictationError as exc:
            exc.transcript = self.transcript()
            raise
        finally:
            task = self._capture_task
            if task is not None:
                if not task.done():
                    self._stop_requested = True
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._capture.error is not None:
            raise CaptureError(str(self._capture.error), self.transcript()) from self._capture.error
        return self.transcript()

    def stop(self) -> None:
        """Stop capturing (the first Ctrl-C). The dictation ends once the server has transcribed what was captured.
        Call it from the event loop's thread (a signal handler: `loop.call_soon_threadsafe(client.stop)`)."""
        self._stop_requested = True
        if self._capture_task is not None and not self._capture_task.done():
            self._capture_task.cancel()

    def transcript(self) -> Transcript:
        """The finals received so far (useful after a second Ctrl-C cancelled `run`)."""
        complete = self._capture.done and self._delivered >= self._capture.end
        return Transcript(tuple(self._segments), self._capture.end / BYTES_PER_SECOND, self._sessions, complete)

    def captured_at(self, dictation_seconds: float) -> float | None:
        """The `time.monotonic()` at which the audio at this dictation time had been captured (its block's), or None
        when it has not been. For latency: `received_at - captured_at(event["dictation_end"])`."""
        position = dictation_seconds * BYTES_PER_SECOND
        i = bisect.bisect_left(self._capture.ends, position)
        return self._capture.times[i] if i < len(self._capture.times) else None

    # Capture.
    async def _read_source(self, source: AsyncIterable[bytes]) -> None:
        iterator = source.__aiter__()
        try:
            async for block in iterator:
                if not self._append(bytes(block)):
                    break
        except asyncio.CancelledError:
            if not self._stop_requested:
                raise
        except Exception as exc:  # noqa: BLE001 - kept, and raised from run() once the captured audio is delivered
            log.info("audio capture failed: %s", exc)
            self._capture.error = exc
        finally:
            aclose = getattr(iterator, "aclose", None)
            if aclose is not None:
                with contextlib.suppress(Exception):
                    await aclose()
            self._end_capture()

    def _end_capture(self) -> None:
        self._capture.done = True
        if self._ready is not None:
            self._ready.set()

    def _append(self, block: bytes) -> bool:
        """Buffer a block; False when the buffer is full and capture must stop."""
        capture = self._capture
        data = capture.carry + block
        capture.carry = data[len(data) - len(data) % 2 :]
        data = data[: len(data) - len(data) % 2]
        excess = len(capture.data) + len(data) - self._max_buffer_bytes
        if excess > 0:
            # Sent audio no final has covered for max_buffer_seconds: silence, given up before anything unsent.
            give_up = min(excess, self._sent_upto - capture.start)
            if give_up > 0:
                capture.drop_before(capture.start + give_up)
                # Once per dictation at INFO: while it lasts this happens at every block.
                log.log(
                    logging.DEBUG if capture.given_up else logging.INFO,
                    "no final for %g minutes (silence?): giving up the oldest unacknowledged audio",
                    self._max_buffer_bytes / BYTES_PER_SECOND / 60,
                )
                capture.given_up += give_up
                excess -= give_up
        if excess > 0:
            data = data[: max(0, len(data) - excess)]
            capture.full = True
            minutes = self._max_buffer_bytes / BYTES_PER_SECOND / 60
            message = (
                f"recording STOPPED: {minutes:g} minutes of audio are waiting for the server, the most this client "
                "keeps. What was recorded until now will still be transcribed once the server is reachable."
            )
            log.warning(message)
            self._emit({"type": "warning", "code": "buffer_full", "message": message}, time.monotonic())
        if data:
            capture.data += data
            capture.ends.append(capture.end)
            capture.times.append(time.monotonic())
            assert self._ready is not None
            self._ready.set()
        return not capture.full

    # Sessions.
    async def _deliver(self) -> None:
        """Sessions until everything captured has been transcribed; retries with backoff in between."""
        failures = 0
        while not (self._capture.done and self._delivered >= self._capture.end):
            session = await self._session()
            if session.done:
                failures = 0
                continue
            failures = 1 if session.progressed else failures + 1
            if failures > self.max_retries:
                raise GaveUpError(
                    f"gave up after {failures} failed attempts in a row ({session.failure}); "
                    "the server is unreachable or failing: check the network, or call the clinic's IT"
                )
            delay = min(self.backoff_initial * 2 ** (failures - 1), self.backoff_max) * _JITTER.uniform(0.9, 1.0)
            log.info(
                "%s; reconnecting in %.1f s (attempt %d of %d)", session.failure, delay, failures, self.max_retries
            )
            self._emit(
                {
                    "type": "reconnecting",
                    "reason": session.failure,
                    "attempt": failures,
                    "max_retries": self.max_retries,
                    "delay": round(delay, 3),
                },
                time.monotonic(),
            )
            await asyncio.sleep(delay)

    async def _session(self) -> _Session:
        start = self._capture.start
        session = _Session(index=self._sessions, offset=start, sent_upto=start)
        self._sessions += 1
        websocket = await self._connect(session)
        if websocket is None:
            return session
        unsent = (self._capture.end - session.offset) / BYTES_PER_SECOND
        self._emit(
            {"type": "connected", "session": session.index, "backlog_seconds": round(unsent, 3)}, time.monotonic()
        )
        self._sent_upto = session.offset
        opened = time.monotonic()
        try:
            async with websocket:
                await self._exchange(websocket, session)
        finally:
            self._sent_upto = self._capture.start  # nothing is "sent" outside a live session
        if time.monotonic() - opened >= STABLE_SESSION_SECONDS:
            session.progressed = True
        if session.done:
            return session
        refusal = refusal_for(session.error.get("code") if session.error else None, session.close_code)
        if refusal is not None:
            detail = f" ({session.error.get('message')})" if session.error and session.error.get("message") else ""
            log.info("refused by the server: %s%s", refusal.code, detail)
            raise RefusedError(refusal.code, refusal.advice)
        if session.failure is None:
            if session.error is not None:
                session.failure = f"server error {session.error.get('code')}: {session.error.get('message', '')}"
            else:
                session.failure = f"connection lost (close code {session.close_code})"
        return session

    async def _connect(self, session: _Session) -> ClientConnection | None:
        """The websocket, or None after a failure worth retrying (the reason is in `session.failure`)."""
        try:
            return await connect(
                self.config.server_url,
                ssl=self._ssl,
                additional_headers={"Authorization": f"Bearer {self.config.token}"},
                max_size=MAX_INCOMING_BYTES,
                compression=None,  # Fernet tokens are random base64: deflate would only cost CPU
                open_timeout=self.open_timeout,
                ping_interval=15,  # a dead network is noticed within ~30 s even while the doctor is silent
                ping_timeout=15,
                close_timeout=2,  # after `done` or an error the session is over: don't wait long on a slow close
                user_agent_header=f"intelluxe-audio-client/{__version__}",
            )
        except InvalidStatus as exc:
            status = exc.response.status_code
            refusal = http_refusal(status)
            if refusal is not None:
                raise RefusedError(refusal.code, refusal.advice) from None
            session.failure = f"the server answered HTTP {status}"
        except ssl.SSLCertVerificationError as exc:
            raise ServerNotTrustedError(
                f"the server's certificate did not verify against the clinic CA in your config "
                f"({exc.verify_message}): the config may be out of date, or something on this network is "
                "intercepting the connection; ask the clinic's IT"
            ) from None
        except InvalidURI as exc:
            raise ConfigError(f"server_url is not a websocket URL ({exc})") from None
        except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed) as exc:
            session.failure = f"cannot connect: {str(exc) or type(exc).__name__}"
        return None

    async def _exchange(self, websocket: ClientConnection, session: _Session) -> None:
        receiver = asyncio.create_task(self._receive(websocket, session), name="intelluxe-receive")
        sender = asyncio.create_task(self._send(websocket, session), name="intelluxe-send")
        try:
            await asyncio.wait({receiver, sender}, return_when=asyncio.FIRST_COMPLETED)
            if sender.done() and not receiver.done():
                sender.result()  # a bug in the sender surfaces here
                try:
                    # `end` is sent (or the connection closed under the sender): the server finishes transcribing.
                    await asyncio.wait_for(asyncio.shield(receiver), self.done_timeout)
                except TimeoutError:
                    session.failure = f"no `done` within {self.done_timeout:g} s of `end`"
                    await websocket.close()
            await receiver
        finally:
            for task in (sender, receiver):
                task.cancel()
            for task in (sender, receiver):
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _send(self, websocket: ClientConnection, session: _Session) -> None:
        capture, ready = self._capture, self._ready
        assert ready is not None
        limit = session.offset + self._max_session_bytes
        position = session.offset
        try:
            await websocket.send(start_message())
            while True:
                ready.clear()
                end = min(capture.end, limit)
                available = end - position
                finishing = capture.done or end == limit
                if available >= self._chunk_bytes or (available > 0 and finishing):
                    size = min(available, self._chunk_bytes)
                    lo = position - capture.start
                    session.sequence += 1
                    message = audio_message(self._fernet, session.sequence, bytes(capture.data[lo : lo + size]))
                    await websocket.send(message)
                    position += size
                    self._sent_upto = session.sent_upto = position
                    await asyncio.sleep(0)  # a resent backlog must not starve the receiver
                    continue
                if finishing:
                    break
                await ready.wait()
            await websocket.send(end_message())
            session.end_sent = True
        except ConnectionClosed:
            pass  # the receiver sees the close and says why

    async def _receive(self, websocket: ClientConnection, session: _Session) -> None:
        try:
            async for frame in websocket:
                received_at = time.monotonic()
                try:
                    event = json.loads(frame)
                    if not isinstance(event, dict):
                        raise ValueError("not an object")
                    finished = self._handle(event, session, received_at)
                except (ValueError, TypeError, KeyError) as exc:
                    session.failure = f"the server sent a malformed event ({type(exc).__name__})"
                    await websocket.close(1002)
                    return
                if finished:
                    return
        except ConnectionClosed:
            pass
        finally:
            session.close_code = websocket.close_code

    def _handle(self, event: dict[str, Any], session: _Session, received_at: float) -> bool:
        """Apply one server event; True when the session is over."""
        kind = event.get("type")
        event = {**event, "session": session.index}
        if kind in ("partial", "final"):
            start, end = float(event["start"]), float(event["end"])
            event["dictation_start"] = round(session.offset_seconds + start, 3)
            event["dictation_end"] = round(session.offset_seconds + end, 3)
            if kind == "final":
                session.progressed = True
                segment_id = int(event["segment_id"])
                if segment_id <= session.last_segment:
                    log.warning("ignored a repeated final for segment %d", segment_id)
                    return False
                session.last_segment = segment_id
                text = str(event.get("text", "")).strip()
                if text:
                    self._segments.append(
                        TranscriptSegment(
                            text,
                            event["dictation_start"],
                            event["dictation_end"],
                            float(event.get("confidence", 0.0)),
                            session.index,
                            segment_id,
                        )
                    )
                # Everything before the final's end is transcribed: a new session would start there.
                acknowledged = session.offset + round(end * SAMPLE_RATE) * 2
                self._capture.drop_before(min(acknowledged, session.sent_upto))
        elif kind == "error":
            session.error = event  # the server closes next; no need to wait for its close handshake
        elif kind == "done":
            if not session.end_sent:
                raise ValueError("done before end")
            session.done = True
            session.progressed = True
            self._capture.drop_before(session.sent_upto)
            self._delivered = session.sent_upto
        else:
            log.debug("ignored an event of type %r", kind)
            return False
        self._emit(event, received_at)
        return kind in ("done", "error")

    def _emit(self, event: Mapping[str, Any], received_at: float) -> None:
        if self.on_event is None:
            return
        try:
            self.on_event(dict(event), received_at)
        except Exception:  # a display bug must not end a doctor's dictation
            log.exception("the on_event callback failed")
