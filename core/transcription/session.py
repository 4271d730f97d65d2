"""One dictation session's protocol rules, free of I/O: messages in, events and transcription work out.

Theory of operation:
- The websocket server owns the socket, the worker pool and the clock's side effects; this module owns the rules.
  The server parses nothing itself: it hands each text frame to `receive_text` (or a parsed dict to `receive`),
  sends `output.events` as JSON, submits `output.jobs` to the pool, and feeds each job's result back through
  `complete`. When an output carries a `close_code`, it sends the events and closes the socket with that code.
  (Compare h11: `receive_data`/`next_event` on one side, the thin trio server on the other.)
- Client messages and the state that accepts them are a table (`_ACCEPTS`); anything else is the client's protocol
  error. States: AWAITING_START -> STREAMING -> DRAINING (after `end`, until every job has completed) -> DONE;
  any error -> FAILED. Both DONE and FAILED are final.
- Audio is a Fernet token whose plaintext is an 8-byte big-endian sequence number followed by s16le PCM. Checks run
  in this order, and audio that fails one never reaches the segmenter or the model: size; the signature (any of the
  doctor's keys; `wrong_key`); the token's age against the TTL and the clock (`stale`); the sequence number, which
  must be exactly the previous one + 1 starting at 1 (`sequence`: a replay or a gap); an even PCM byte count.
  Fernet alone accepts the same token twice within its TTL; the sequence number inside the ciphertext is what
  makes a replayed or reordered chunk detectable.
- Errors are a table (`ERRORS`): protocol code, websocket close code, audit outcome and whose fault it is.
  `RemoteProtocolError` is the client's fault and becomes an `error` event plus a close code;
  `LocalProtocolError` is a bug in the caller (the server) and is raised.
- Results may come back from the pool in any order; events are released in job order, so a partial never follows
  the final of its segment and finals keep their order. At most one partial job is outstanding at a time: while
  one runs, newer partials are skipped (counted), so a slow pool gets fewer partials, never a growing backlog.
- A final is decoded as the continuation of the finals before it (`AudioContext`: their audio from the segmenter,
  their text from here), so it needs their text: a final whose predecessor is still being transcribed waits,
  with its job id already taken (its place in the order), and is handed out by the `complete` of the one before.
  Finals of one session come seconds apart and take ~1 s each, so the wait is short and rare.
- The counters (`counters()`, `audit_details()`) are what the audit row needs: sizes, counts, seconds, outcome and
  error code — never text.
"""

from __future__ import annotations

import json
import struct
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from core.transcription.engine import SAMPLE_RATE, AudioContext, Segment
from core.transcription.messages import (
    ERRORS,
    NORMAL_CLOSE,
    SEQUENCE_BYTES,
    Accuracy,
    Done,
    Error,
    Event,
    Final,
    LocalProtocolError,
    Partial,
    ProtocolError,
    RemoteProtocolError,
    SessionCounters,
    SessionOutput,
    State,
    TranscriptionJob,
    _Counters,
    fernet_token_length,
    message_size_limit,
)
from core.transcription.vad import SpeechSegment, SpeechSegmenter, VadConfig, pcm16_to_float32
from core.transcription.voting import word_errors

# (state, client message type) -> state after it. A pair not listed is the client's protocol error.
_ACCEPTS: dict[tuple[State, str], State] = {
    (State.AWAITING_START, "start"): State.STREAMING,
    (State.STREAMING, "audio"): State.STREAMING,
    (State.STREAMING, "end"): State.DRAINING,
    (State.STREAMING, "correction"): State.STREAMING,
    (State.DRAINING, "correction"): State.DRAINING,
}
# Finals whose transcribers' texts are kept (in memory, for the session only) so that a correction can score them.
_KEPT_HYPOTHESES = 256
# The longest corrected text of one final a client may send (a final is at most 30 s of speech).
_MAX_CORRECTION_CHARS = 4000
# The only parameters a `start` may carry (a future protocol version would add a field, not change these).
_START_PARAMS = {"sample_rate": SAMPLE_RATE, "format": "s16le", "language": "en"}
# Finals' texts kept for later finals' context: more than the finals 30 s of audio can hold.
_KEPT_FINAL_TEXTS = 64


class DictationSession:
    """The state machine of one dictation websocket.

    Args:
        key: the doctor's key(s); a MultiFernet lets a rotated-out key still decrypt during rotation.
        ttl_seconds: how old an audio token may be (Fernet TTL). Older tokens end the session with `stale`.
        initial_prompt: vocabulary for Whisper (drug names, terms); passed with every job.
        review_below: a final whose confidence is under this is sent with `review: true` (0: never).
        transcriber: the name the finals' own text is scored under when a correction comes (the routed plugin, or
            the vote's name); with voting, each voter's text is scored under its plugin name too.
        vad: segmentation settings (ignored when `segmenter_factory` is given).
        segmenter_factory: makes the session's segmenter at `start` (tests pass one with a fake VAD).
        max_chunk_seconds: the most audio one message may carry.
        max_session_seconds: the most audio one session may carry.
        clock_skew_seconds: how far in the future a token's timestamp may be (client clocks drift).
        clock: seconds since the epoch; injectable for tests.
    """

    def __init__(
        self,
        key: MultiFernet | Fernet,
        *,
        ttl_seconds: int,
        initial_prompt: str | None = None,
        review_below: float = 0.0,
        transcriber: str = "transcriber",
        vad: VadConfig | None = None,
        segmenter_factory: Callable[[], SpeechSegmenter] | None = None,
        max_chunk_seconds: float = 5.0,
        max_session_seconds: float = 3600.0,
        clock_skew_seconds: int = 60,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl_seconds < 1:
            raise ValueError("ttl_seconds must be at least 1")
        self._key = key
        self._ttl = int(ttl_seconds)
        self._skew = int(clock_skew_seconds)
        self._clock = clock
        self._initial_prompt = initial_prompt or None
        self._review_below = review_below
        self._transcriber = transcriber
        # segment id -> {plugin: its text}, for corrections: the final's own text and, with voting, each voter's.
        self._hypotheses: OrderedDict[int, dict[str, str]] = OrderedDict()
        self._make_segmenter = segmenter_factory or (lambda: SpeechSegmenter(vad))
        self._max_chunk_bytes = int(max_chunk_seconds * SAMPLE_RATE) * 2
        self._max_session_bytes = int(max_session_seconds * SAMPLE_RATE) * 2
        self._max_token_chars = fernet_token_length(SEQUENCE_BYTES + self._max_chunk_bytes)
        self.max_message_chars = message_size_limit(max_chunk_seconds)
        self._segmenter: SpeechSegmenter | None = None
        self._state = State.AWAITING_START
        self._last_sequence = 0
        self._counters = _Counters()
        self._next_job_id = 0
        self._outstanding: dict[int, TranscriptionJob] = {}
        # Completed jobs waiting for their turn: job id -> (job, segments, or None when discarded).
        self._results: dict[int, tuple[TranscriptionJob, list[Segment] | None]] = {}
        self._next_release = 0
        self._partial_outstanding = False
        self._partial_sent: set[int] = set()
        self._waiting_finals: deque[tuple[int, SpeechSegment]] = deque()  # (job id taken, segment)
        self._final_texts: deque[str] = deque(maxlen=_KEPT_FINAL_TEXTS)
        # Every final's text by segment, and the doctor's corrections of them: the corrected transcript a doctor who
        # opted in gives as a writing sample. Text only, in memory for the session (an hour of speech is ~60 kB).
        self._transcript: dict[int, str] = {}
        self._corrected: dict[int, str] = {}
        self.close_code: int | None = None

    @property
    def state(self) -> State:
        return self._state

    @property
    def audio_seconds(self) -> float:
        return self._counters.audio_bytes / 2 / SAMPLE_RATE

    @property
    def pending_jobs(self) -> int:
        return len(self._outstanding) + len(self._waiting_finals)

    # Input from the client.
    def receive_text(self, data: str | bytes) -> SessionOutput:
        """A websocket frame as received: a text frame is JSON; a binary frame is not part of the protocol."""
        self._require_open()
        if isinstance(data, bytes | bytearray | memoryview):
            return self._fail(RemoteProtocolError("bad_message", "binary frames are not part of this protocol"))
        if len(data) > self.max_message_chars:
            return self._fail(RemoteProtocolError("too_large", f"message over {self.max_message_chars} characters"))
        try:
            message = json.loads(data)
        except ValueError:
            return self._fail(RemoteProtocolError("bad_message", "message is not valid JSON"))
        return self.receive(message)

    def receive(self, message: Mapping[str, Any]) -> SessionOutput:
        """A parsed client message. Returns the events to send and the jobs to run; client errors become events."""
        self._require_open()
        self._counters.messages += 1
        try:
            if not isinstance(message, Mapping):
                raise RemoteProtocolError("bad_message", "a message must be a JSON object")
            kind = message.get("type")
            if not isinstance(kind, str) or kind not in {"start", "audio", "end", "correction"}:
                raise RemoteProtocolError("bad_message", "message type must be one of: start, audio, end, correction")
            after = _ACCEPTS.get((self._state, kind))
            if after is None:
                raise RemoteProtocolError("bad_message", f"{kind!r} is not accepted while {self._state.value}")
            if kind == "start":
                output = self._on_start(message)
            elif kind == "audio":
                output = self._on_audio(message)
            elif kind == "correction":
                output = self._on_correction(message)
            else:
                output = self._on_end()
        except RemoteProtocolError as exc:
            return self._fail(exc)
        self._state = after
        return self._maybe_done(output) if after is State.DRAINING else output

    # Results from the pool.
    def complete(self, job: TranscriptionJob, segments: list[Segment]) -> SessionOutput:
        """The engine's result for `job`; returns the events it releases (in job order), and `done` at the end."""
        self._take(job)
        if self._state is State.FAILED:
            return SessionOutput()
        self._results[job.job_id] = (job, list(segments))
        jobs: tuple[TranscriptionJob, ...] = ()
        if job.final:
            self._final_texts.append(_text(segments))
            if self._waiting_finals:
                jobs = (self._final_job(*self._waiting_finals.popleft()),)
        released = self._release()
        return self._maybe_done(SessionOutput(events=released.events, jobs=jobs))

    def discard(self, job: TranscriptionJob) -> SessionOutput:
        """Drop a partial job without running it (the pool was busy). Finals cannot be discarded: use `abort`."""
        if job.final:
            raise LocalProtocolError("a final job cannot be discarded; run it, or abort the session")
        self._take(job)
        if self._state is State.FAILED:
            return SessionOutput()
        self._counters.partials_skipped += 1
        self._results[job.job_id] = (job, None)
        return self._maybe_done(self._release())

    def abort(self, code: str, message: str) -> SessionOutput:
        """End the session for a server-side reason from ERRORS (e.g. "internal" after the engine raised, "busy")."""
        if code not in ERRORS:
            raise LocalProtocolError(f"unknown error code {code!r}")
        if self._state in (State.DONE, State.FAILED):
            return SessionOutput()
        return self._fail(ProtocolError(code, message))

    def connection_lost(self) -> None:
        """The socket closed under us. Records the outcome unless the session had already ended."""
        if self._state not in (State.DONE, State.FAILED):
            self._state = State.FAILED
            self._counters.outcome = "failure"
            self._counters.error_code = "disconnected"
            self._outstanding.clear()
            self._waiting_finals.clear()

    # Counters for the audit row.
    def counters(self) -> SessionCounters:
        c = self._counters
        return SessionCounters(
            messages=c.messages,
            audio_chunks=c.audio_chunks,
            audio_bytes=c.audio_bytes,
            audio_seconds=round(self.audio_seconds, 3),
            speech_seconds=round(c.speech_seconds, 3),
            segments=c.segments,
            partials=c.partials,
            partials_skipped=c.partials_skipped,
            jobs=c.jobs,
            state=self._state.value,
            outcome=c.outcome,
            error_code=c.error_code,
        )

    def audit_details(self) -> dict[str, Any]:
        """`counters()` as the `details` of an AuditEvent (sizes, counts and codes only)."""
        c = self.counters()
        return {
            "audio_seconds": c.audio_seconds,
            "audio_bytes": c.audio_bytes,
            "audio_chunks": c.audio_chunks,
            "speech_seconds": c.speech_seconds,
            "segments": c.segments,
            "partials": c.partials,
            "partials_skipped": c.partials_skipped,
            "messages": c.messages,
            "error_code": c.error_code,
        }

    # Message handlers.
    def _on_start(self, message: Mapping[str, Any]) -> SessionOutput:
        for name, wanted in _START_PARAMS.items():
            value = message.get(name)
            if value != wanted or isinstance(value, bool):
                raise RemoteProtocolError("bad_message", f"start: {name} must be {wanted!r}")
        self._segmenter = self._make_segmenter()
        return SessionOutput()

    def _on_audio(self, message: Mapping[str, Any]) -> SessionOutput:
        token = message.get("data")
        if not isinstance(token, str) or not token:
            raise RemoteProtocolError("bad_message", "audio: data must be a Fernet token string")
        if len(token) > self._max_token_chars:
            raise RemoteProtocolError("too_large", f"audio: a chunk may carry at most {self._max_chunk_bytes} bytes")
        now = int(self._clock())
        try:
            issued = self._key.extract_timestamp(token)  # verifies the HMAC with each key in turn
        except InvalidToken:
            raise RemoteProtocolError("wrong_key", "audio: token does not decrypt with this doctor's key") from None
        if now - issued > self._ttl:
            raise RemoteProtocolError("stale", f"audio: token is {now - issued} s old (TTL {self._ttl} s)")
        if issued - now > self._skew:
            raise RemoteProtocolError("stale", f"audio: token is {issued - now} s in the future (clock skew)")
        try:
            plaintext = self._key.decrypt_at_time(token, ttl=self._ttl, current_time=now)
        except InvalidToken:
            raise RemoteProtocolError("wrong_key", "audio: token does not decrypt with this doctor's key") from None
        if len(plaintext) < SEQUENCE_BYTES:
            raise RemoteProtocolError("bad_message", "audio: plaintext shorter than its 8-byte sequence number")
        (sequence,) = struct.unpack(">Q", plaintext[:SEQUENCE_BYTES])
        expected = self._last_sequence + 1
        if sequence < expected:
            raise RemoteProtocolError("sequence", f"audio: sequence {sequence} replayed (expected {expected})")
        if sequence > expected:
            raise RemoteProtocolError("sequence", f"audio: sequence {sequence} out of order (expected {expected})")
        pcm = plaintext[SEQUENCE_BYTES:]
        if len(pcm) % 2:
            raise RemoteProtocolError("bad_message", "audio: s16le PCM must have an even number of bytes")
        if len(pcm) > self._max_chunk_bytes:
            raise RemoteProtocolError("too_large", f"audio: a chunk may carry at most {self._max_chunk_bytes} bytes")
        if self._counters.audio_bytes + len(pcm) > self._max_session_bytes:
            limit = self._max_session_bytes / 2 / SAMPLE_RATE
            raise RemoteProtocolError("too_large", f"audio: a session may carry at most {limit:g} s of audio")
        self._last_sequence = sequence
        self._counters.audio_chunks += 1
        self._counters.audio_bytes += len(pcm)
        assert self._segmenter is not None  # set by start, which the table requires first
        return SessionOutput(jobs=self._jobs_for(self._segmenter.feed(pcm16_to_float32(pcm))))

    def _on_correction(self, message: Mapping[str, Any]) -> SessionOutput:
        """The doctor's corrected text of one final, encrypted with the doctor's key as audio is: scored against
        every transcriber's text of that final (numbers out, for the performance tracking; the text is dropped)."""
        segment_id = message.get("segment_id")
        if not isinstance(segment_id, int) or isinstance(segment_id, bool) or segment_id < 0:
            raise RemoteProtocolError("bad_message", "correction: segment_id must be a whole number >= 0")
        token = message.get("data")
        if not isinstance(token, str) or not token:
            raise RemoteProtocolError("bad_message", "correction: data must be a Fernet token string")
        hypotheses = self._hypotheses.get(segment_id)
        if hypotheses is None:
            raise RemoteProtocolError(
                "bad_message",
                f"correction: segment {segment_id} has no final with text here (the last {_KEPT_HYPOTHESES} are kept)",
            )
        try:
            plaintext = self._key.decrypt_at_time(token, ttl=self._ttl, current_time=int(self._clock()))
        except InvalidToken:
            raise RemoteProtocolError(
                "wrong_key", "correction: token does not decrypt with this doctor's key"
            ) from None
        try:
            corrected = plaintext.decode("utf-8")
        except UnicodeDecodeError:
            raise RemoteProtocolError("bad_message", "correction: the text must be UTF-8") from None
        if len(corrected) > _MAX_CORRECTION_CHARS:
            raise RemoteProtocolError("too_large", f"correction: at most {_MAX_CORRECTION_CHARS} characters")
        scored = []
        for plugin, text in hypotheses.items():
            words, errors = word_errors(corrected, text)
            if words:
                scored.append(Accuracy(plugin, words, errors))
        del self._hypotheses[segment_id]  # one correction per final: a second would count it twice
        self._corrected[segment_id] = corrected
        return SessionOutput(accuracy=tuple(scored))

    def _on_end(self) -> SessionOutput:
        assert self._segmenter is not None
        return SessionOutput(jobs=self._jobs_for(self._segmenter.flush()))

    # Jobs and their results.
    def _jobs_for(self, pieces: list[SpeechSegment]) -> tuple[TranscriptionJob, ...]:
        jobs = []
        for i, piece in enumerate(pieces):
            if not piece.final:
                # Superseded within this same batch (a later piece covers the same segment) or one still running.
                superseded = any(later.index == piece.index for later in pieces[i + 1 :])
                if superseded or self._partial_outstanding:
                    self._counters.partials_skipped += 1
                    continue
                self._partial_outstanding = True
            job_id = self._next_job_id
            self._next_job_id += 1
            self._counters.jobs += 1
            if piece.final and self._final_running():
                self._waiting_finals.append((job_id, piece))  # needs the text of the final still running
            elif piece.final:
                jobs.append(self._final_job(job_id, piece))
            else:
                jobs.append(self._job(job_id, piece, None))
        return tuple(jobs)

    def _final_job(self, job_id: int, piece: SpeechSegment) -> TranscriptionJob:
        """The final's job, with the text of the finals its context audio holds (every one has completed)."""
        context = None
        if piece.context is not None and piece.context_finals:
            said = [t for t in list(self._final_texts)[-piece.context_finals :] if t]
            context = AudioContext(piece.context, " ".join(said)) if said else None
        return self._job(job_id, piece, context)

    def _final_running(self) -> bool:
        return any(job.final for job in self._outstanding.values())

    def _job(self, job_id: int, piece: SpeechSegment, context: AudioContext | None) -> TranscriptionJob:
        job = TranscriptionJob(
            job_id=job_id,
            segment_id=piece.index,
            start=piece.start,
            end=piece.end,
            final=piece.final,
            audio=piece.audio,
            initial_prompt=self._initial_prompt,
            context=context,
        )
        self._outstanding[job_id] = job
        return job

    def _take(self, job: TranscriptionJob) -> None:
        if self._outstanding.get(job.job_id) is not job:
            if self._state is State.FAILED:
                return  # results of jobs in flight when the session failed: nothing to do
            raise LocalProtocolError(f"job {job.job_id} is not outstanding in this session (completed twice?)")
        del self._outstanding[job.job_id]
        if not job.final:
            self._partial_outstanding = False

    def _release(self) -> SessionOutput:
        events: list[Event] = []
        while self._next_release in self._results:
            job, segments = self._results.pop(self._next_release)
            self._next_release += 1
            event = self._event_for(job, segments) if segments is not None else None
            if event is not None:
                events.append(event)
        return SessionOutput(events=tuple(events))

    def _event_for(self, job: TranscriptionJob, segments: list[Segment]) -> Event | None:
        text = _text(segments)
        if not job.final:
            if not text:
                return None
            # Sent even when the text has not changed: its `end` advances, and the client sees the stream is alive.
            self._partial_sent.add(job.segment_id)
            self._counters.partials += 1
            return Partial(job.segment_id, text, job.start, job.end)
        if not text and job.segment_id not in self._partial_sent:
            return None  # noise the VAD took for speech; nothing was shown for it, so nothing to retract
        self._partial_sent.discard(job.segment_id)
        self._counters.segments += 1 if text else 0
        self._counters.speech_seconds += job.end - job.start
        confidence = segments_confidence(segments)
        if text:
            self._keep_hypotheses(job.segment_id, text, segments)
            self._transcript[job.segment_id] = text
        return Final(job.segment_id, text, job.start, job.end, confidence, review=confidence < self._review_below)

    def corrected_transcript(self) -> str | None:
        """The session's transcript with the doctor's corrections in place of the finals they corrected, once the
        session is done; None when nothing was corrected (an uncorrected transcript says nothing of how the doctor
        writes) or the session did not finish."""
        if self._state is not State.DONE or not self._corrected:
            return None
        parts = (self._corrected.get(segment, text) for segment, text in sorted(self._transcript.items()))
        return " ".join(p.strip() for p in parts if p.strip()) or None

    def _keep_hypotheses(self, segment_id: int, text: str, segments: list[Segment]) -> None:
        texts: dict[str, list[str]] = {}
        for segment in segments:
            for name, alternative in segment.alternatives:
                texts.setdefault(name, []).append(alternative)
        kept = {name: " ".join(parts).strip() for name, parts in texts.items()}
        kept[self._transcriber] = text
        self._hypotheses[segment_id] = kept
        while len(self._hypotheses) > _KEPT_HYPOTHESES:
            self._hypotheses.popitem(last=False)

    def _maybe_done(self, output: SessionOutput) -> SessionOutput:
        if self._state is not State.DRAINING or self._outstanding or self._waiting_finals:
            return output
        self._state = State.DONE
        self._counters.outcome = "success"
        self.close_code = NORMAL_CLOSE
        done = Done(duration=self.audio_seconds, segments=self._counters.segments)
        return SessionOutput(events=(*output.events, done), jobs=output.jobs, close_code=NORMAL_CLOSE)

    def _fail(self, exc: ProtocolError) -> SessionOutput:
        kind = exc.kind
        self._state = State.FAILED
        self._counters.outcome = kind.outcome
        self._counters.error_code = kind.code
        self._outstanding.clear()
        self._waiting_finals.clear()
        self._results.clear()
        self.close_code = kind.close_code
        return SessionOutput(events=(Error(kind.code, kind.close_code, exc.message),), close_code=kind.close_code)

    def _require_open(self) -> None:
        if self._state in (State.DONE, State.FAILED):
            raise LocalProtocolError(f"the session is {self._state.value}; close the connection, don't feed it")


def _text(segments: list[Segment]) -> str:
    return " ".join(s.text for s in segments if s.text).strip()


def segments_confidence(segments: list[Segment]) -> float:
    """Duration-weighted mean of the segments' confidences (0 when there are none)."""
    if not segments:
        return 0.0
    weights = [max(s.end - s.start, 0.01) for s in segments]
    return sum(w * s.confidence for w, s in zip(weights, segments, strict=True)) / sum(weights)
