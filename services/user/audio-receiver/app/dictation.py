"""One websocket connection = one dictation session: frames in, events out, audio to the shared worker pool.

Theory of operation (the rules live in core.transcription.session; this moves frames):
- The reader awaits one text frame at a time and hands it to `DictationSession.receive_text`. Whatever comes out
  goes through `_emit`: events into the outbox (in the order the session made them), jobs to the pool.
- One sender task drains the outbox, so events reach the socket in order however the pool's results interleave.
  Before it sends `done` it writes the session's audit row (and the encrypted transcript when configured): `done`
  means "on record". An `error` event is followed by a close with its code.
- Back-pressure: a partial the pool cannot take is discarded (the final replaces it anyway). A final it cannot
  take waits for capacity *before the next frame is read*, so a slow server slows the client through TCP flow
  control instead of buffering audio; after BUSY_WAIT_SECONDS the session ends with `busy` and the client resends.
- A client that sends nothing for IDLE_TIMEOUT_SECONDS (before `end`) is closed with `idle`.
- Whatever way the connection ends, the audit row is written exactly once; queued jobs of a dead session are
  cancelled so they free the pool at once.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed

from core.transcription import (
    HIGH,
    LOW,
    DictationSession,
    Done,
    Error,
    Event,
    Final,
    PoolBusyError,
    PoolClosedError,
    SessionOutput,
    State,
    TranscriptionJob,
    TranscriptionPool,
)
from core.transcription.messages import Accuracy

from .dictation_metrics import FINAL_LAG, SESSIONS
from .session_records import Recorder, SessionRecord

log = logging.getLogger("audio-receiver.session")


@dataclass(frozen=True)
class _Close:
    code: int
    reason: str


class SessionDriver:
    def __init__(
        self,
        ws: ServerConnection,
        session: DictationSession,
        pool: TranscriptionPool,
        recorder: Recorder,
        record: SessionRecord,
        *,
        idle_timeout: float,
        busy_wait: float,
        on_accuracy: Callable[[Accuracy], None] | None = None,
        on_corrected_transcript: Callable[[str], object] | None = None,
    ) -> None:
        self.ws = ws
        self.session = session
        self.pool = pool
        self.recorder = recorder
        self.record = record
        self.idle_timeout = idle_timeout
        self.busy_wait = busy_wait
        self.on_accuracy = on_accuracy
        # Blocking; given a finished session's transcript with the doctor's corrections in place (never called when
        # nothing was corrected), after the session is on record.
        self.on_corrected_transcript = on_corrected_transcript
        self._outbox: asyncio.Queue[Event | _Close] = asyncio.Queue()
        self._waiting_finals: deque[TranscriptionJob] = deque()
        self._futures: dict[int, concurrent.futures.Future] = {}
        self._recorded = False
        self._audio_clock: float | None = None  # monotonic time of the session's first audio sample (estimated)

    async def run(self) -> None:
        sender = asyncio.create_task(self._send_loop())
        discard = None
        try:
            await self._read_loop()
            if self.session.state not in (State.DONE, State.FAILED):
                # The client went away mid-session: nothing more will be sent.
                self.session.connection_lost()
                sender.cancel()
            # Frames the client sent before it saw our close are read and dropped: unread, they would fill the
            # receive buffer, the client's close reply would wait behind them, and the close would time out.
            discard = asyncio.create_task(self._discard_incoming())
            with contextlib.suppress(ConnectionClosed, asyncio.CancelledError):
                await sender  # until `done` or the error and its close have gone out
        finally:
            sender.cancel()
            if discard is not None:
                discard.cancel()
            if self.session.state not in (State.DONE, State.FAILED):
                self.session.connection_lost()
            for future in list(self._futures.values()):
                future.cancel()  # queued jobs of this session free their slots at once
            await self._write_record()
            transcript = self.session.corrected_transcript()
            if transcript is not None and self.on_corrected_transcript is not None:
                await asyncio.to_thread(self.on_corrected_transcript, transcript)

    async def _read_loop(self) -> None:
        while self.session.state in (State.AWAITING_START, State.STREAMING, State.DRAINING):
            if not await self._submit_waiting_finals():
                return
            timeout = None if self.session.state is State.DRAINING else self.idle_timeout
            try:
                frame = await asyncio.wait_for(self.ws.recv(), timeout)
            except TimeoutError:
                self._emit(self.session.abort("idle", f"no message for {self.idle_timeout:g} s"))
                return
            except ConnectionClosed:
                return
            if self.session.state in (State.DONE, State.FAILED):
                return  # ended while we waited (a result failed the session); the frame is moot
            if self._audio_clock is None and self.session.state is State.STREAMING:
                self._audio_clock = time.monotonic()
            self._emit(self.session.receive_text(frame))

    async def _discard_incoming(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await self.ws.recv()

    async def _submit_waiting_finals(self) -> bool:
        """False when the session had to end because no worker freed up in time."""
        while self._waiting_finals:
            if self.session.state is State.FAILED:
                self._waiting_finals.clear()
                return False
            job = self._waiting_finals[0]
            try:
                if not await self.pool.wait_for_capacity(self.busy_wait):
                    self._emit(self.session.abort("busy", "no transcription worker freed up in time; try again"))
                    return False
                self._start(job)
            except PoolBusyError:
                continue  # another session took the slot first; wait again
            except PoolClosedError:
                self._emit(self.session.abort("busy", "the receiver is shutting down"))
                return False
            self._waiting_finals.popleft()
        return True

    def _emit(self, output: SessionOutput) -> None:
        """Queue the output's events (and close), then start its jobs. Runs on the event loop only."""
        for event in output.events:
            if isinstance(event, Final):
                self._finals_landed(event)
            self._outbox.put_nowait(event)
        if output.close_code is not None:
            self._outbox.put_nowait(_Close(output.close_code, _reason(output)))
        if self.on_accuracy is not None:
            for accuracy in output.accuracy:
                self.on_accuracy(accuracy)
        for job in output.jobs:
            if self._waiting_finals and job.final:
                self._waiting_finals.append(job)  # keep finals in order behind the one already waiting
                continue
            try:
                self._start(job)
            except PoolBusyError:
                if job.final:
                    self._waiting_finals.append(job)
                else:
                    self._emit(self.session.discard(job))
            except PoolClosedError:
                self._emit(self.session.abort("busy", "the receiver is shutting down"))

    def _start(self, job: TranscriptionJob) -> None:
        future = self.pool.submit(
            job.audio,
            initial_prompt=job.initial_prompt,
            context=job.context,
            partial=not job.final,
            priority=HIGH if job.final else LOW,
        )
        self._futures[job.job_id] = future
        wrapped = asyncio.wrap_future(future)
        wrapped.add_done_callback(lambda done, job=job: self._completed(job, done))

    def _completed(self, job: TranscriptionJob, done: asyncio.Future) -> None:
        self._futures.pop(job.job_id, None)
        if done.cancelled() or self.session.state in (State.DONE, State.FAILED):
            return
        exc = done.exception()
        if exc is not None:
            log.error("transcription failed: %s", type(exc).__name__)  # the exception text could quote audio/text
            self._emit(self.session.abort("internal", "transcription failed on the server"))
            return
        self._emit(self.session.complete(job, done.result()))

    def _finals_landed(self, final: Final) -> None:
        self.record.finals.append(final)
        if self._audio_clock is not None:
            # How long after its audio could have arrived (at real-time pace) the final went out; a health signal
            # for ops (partials and finals late means too many streams for the cores).
            FINAL_LAG.observe(max(0.0, time.monotonic() - self._audio_clock - final.end))

    async def _send_loop(self) -> None:
        while True:
            item = await self._outbox.get()
            if isinstance(item, _Close):
                await self.ws.close(item.code, item.reason)
                return
            if isinstance(item, Done) and not await self._write_record():
                failed = Error("internal", 1011, "the session could not be recorded")
                await self.ws.send(json.dumps(failed.to_message()))
                await self.ws.close(1011, "internal")
                return
            await self.ws.send(json.dumps(item.to_message()))

    async def _write_record(self) -> bool:
        """The session's audit row (+ transcript), once. False when the database refused it."""
        if self._recorded:
            return True
        self._recorded = True
        counters = self.session.counters()
        outcome = counters.outcome or "failure"
        SESSIONS.labels(outcome=outcome).inc()
        try:
            await asyncio.to_thread(self.recorder.session_ended, self.record, outcome, self.session.audit_details())
        except Exception as exc:  # noqa: BLE001 - reported, and the client is told rather than told "done"
            log.error("could not record a dictation session: %s", type(exc).__name__)
            return False
        return True


def _reason(output: SessionOutput) -> str:
    for event in output.events:
        if isinstance(event, Error):
            return event.code
    return ""
