"""The dictation session's rules, without sockets or a model: a loudness VAD and hand-made transcription results."""

from __future__ import annotations

import json
import struct
from collections.abc import Callable

import pytest

np = pytest.importorskip("numpy")

from cryptography.fernet import Fernet, MultiFernet  # noqa: E402 - after the numpy check

from core.transcription.engine import Segment  # noqa: E402
from core.transcription.session import (  # noqa: E402
    ERRORS,
    DictationSession,
    Done,
    Error,
    Final,
    LocalProtocolError,
    Partial,
    SessionOutput,
    State,
    TranscriptionJob,
    fernet_token_length,
)
from core.transcription.vad import SpeechSegmenter  # noqa: E402

NOW = 1_800_000_000
TTL = 30
START = {"type": "start", "sample_rate": 16000, "format": "s16le", "language": "en"}
KEY = Fernet(Fernet.generate_key())


class Client:
    """Builds the client's messages: Fernet tokens over (sequence, PCM), stamped with a chosen time."""

    def __init__(self, key: Fernet = KEY) -> None:
        self.key = key
        self.sequence = 0

    def audio(self, pcm: bytes, *, sequence: int | None = None, at: int = NOW) -> dict[str, str]:
        if sequence is None:
            self.sequence += 1
            sequence = self.sequence
        token = self.key.encrypt_at_time(struct.pack(">Q", sequence) + pcm, at)
        return {"type": "audio", "data": token.decode("ascii")}


@pytest.fixture
def new_session(energy_segmenter) -> Callable[..., DictationSession]:
    def make(**kwargs) -> DictationSession:
        kwargs.setdefault("ttl_seconds", TTL)
        kwargs.setdefault("clock", lambda: NOW)
        kwargs.setdefault("segmenter_factory", energy_segmenter)
        return DictationSession(MultiFernet([KEY]), **kwargs)

    return make


@pytest.fixture
def started(new_session) -> DictationSession:
    session = new_session(initial_prompt="metformin, lisinopril")
    assert session.receive(START) == SessionOutput()
    return session


def stream(session: DictationSession, client: Client, pcm: bytes, chunk: int = 3200) -> list[TranscriptionJob]:
    jobs: list[TranscriptionJob] = []
    for i in range(0, len(pcm), chunk):
        out = session.receive(client.audio(pcm[i : i + chunk]))
        assert out.close_code is None, out.events
        jobs += out.jobs
    return jobs


def said(text: str, seconds: float = 1.0, confidence: float = 0.8) -> list[Segment]:
    return [Segment(text, 0.0, seconds, confidence)]


def error_of(out: SessionOutput) -> Error:
    (event,) = out.events
    assert isinstance(event, Error)
    assert out.close_code == event.close_code == ERRORS[event.code].close_code
    return event


# The normal flow.
def test_utterances_become_jobs_then_finals_with_absolute_times_then_done(started, signals) -> None:
    client = Client()
    audio = signals.concat(
        signals.silence(0.5), signals.tone(1.0), signals.silence(1.0), signals.tone(1.0), signals.silence(1.0)
    )
    jobs = stream(started, client, signals.pcm(audio))
    # The second final needs the first's text for its context: it waits for it (its job id already taken).
    assert [(j.segment_id, j.final, j.job_id) for j in jobs] == [(0, True, 0)]
    assert jobs[0].start == pytest.approx(0.1, abs=0.04) and jobs[0].context is None
    assert jobs[0].audio.dtype == np.float32 and jobs[0].initial_prompt == "metformin, lisinopril"

    first = started.complete(jobs[0], said("Patient is well.", 0.9, 0.5) + said("Plan follows.", 0.3, 1.0))
    assert first.close_code is None
    (second,) = first.jobs
    assert (second.segment_id, second.final, second.job_id) == (1, True, 1)
    assert second.start == pytest.approx(2.1, abs=0.04) and second.initial_prompt == "metformin, lisinopril"
    assert second.context is not None and second.context.text == "Patient is well. Plan follows."
    assert second.context.audio.size == round((second.start - jobs[0].start) * 16000)
    jobs.append(second)
    (final,) = first.events
    assert final == Final(0, "Patient is well. Plan follows.", jobs[0].start, jobs[0].end, 0.625)
    assert final.to_message() == {
        "type": "final",
        "segment_id": 0,
        "text": "Patient is well. Plan follows.",
        "start": round(jobs[0].start, 3),
        "end": round(jobs[0].end, 3),
        "confidence": 0.625,
        "review": False,
    }

    end = started.receive({"type": "end"})
    assert end.jobs == () and end.events == () and started.state is State.DRAINING
    last = started.complete(jobs[1], said("Follow up."))
    assert [type(e) for e in last.events] == [Final, Done]
    assert last.events[1] == Done(duration=4.5, segments=2)
    assert last.close_code == 1000 and started.state is State.DONE
    counters = started.counters()
    assert (counters.audio_seconds, counters.audio_bytes, counters.audio_chunks) == (4.5, 144000, 45)
    assert (counters.segments, counters.outcome, counters.error_code, counters.jobs) == (2, "success", None, 2)


def test_a_finals_context_text_is_what_the_finals_in_its_audio_said(started, signals) -> None:
    beep, gap = signals.tone(0.6), signals.silence(1.0)
    jobs = stream(started, Client(), signals.pcm(signals.concat(gap, beep, gap, beep, gap, beep, gap)))
    end = started.receive({"type": "end"})
    assert [j.segment_id for j in jobs] == [0] and end.jobs == () and started.pending_jobs == 3
    second = started.complete(jobs[0], said("One.")).jobs[0]
    assert second.context is not None and second.context.text == "One."
    third = started.complete(second, []).jobs[0]  # noise: nothing said, but its audio is in the context
    assert third.context is not None and third.context.text == "One."
    assert third.context.audio.size == round((third.start - jobs[0].start) * 16000)
    out = started.complete(third, said("Three."))
    assert [e.type for e in out.events] == ["final", "done"] and started.pending_jobs == 0


def test_a_failed_session_hands_out_no_waiting_final(started, signals) -> None:
    beep, gap = signals.tone(0.6), signals.silence(1.0)
    (job,) = stream(started, Client(), signals.pcm(signals.concat(gap, beep, gap, beep, gap)))
    started.abort("internal", "engine failed")
    assert started.complete(job, said("One.")) == SessionOutput() and started.pending_jobs == 0


def test_end_flushes_speech_in_progress_and_done_waits_for_it(started, signals) -> None:
    client = Client()
    assert stream(started, client, signals.pcm(signals.concat(signals.silence(0.2), signals.tone(1.0)))) == []
    out = started.receive({"type": "end"})
    (job,) = out.jobs
    assert job.final and out.events == () and out.close_code is None
    done = started.complete(job, said("Stop."))
    assert [e.type for e in done.events] == ["final", "done"] and done.close_code == 1000


def test_end_without_speech_is_done_at_once(started, signals) -> None:
    stream(started, Client(), signals.pcm(signals.silence(1)))
    out = started.receive({"type": "end"})
    assert out.events == (Done(duration=1.0, segments=0),) and out.close_code == 1000


def test_partials_during_long_speech_one_in_flight_at_a_time(started, signals) -> None:
    client = Client()
    jobs = stream(started, client, signals.pcm(signals.concat(signals.silence(0.3), signals.tone(4.5))))
    # Partials at ~2 s and ~4 s were due; the second was skipped while the first was still outstanding.
    assert [(j.segment_id, j.final) for j in jobs] == [(0, False)]
    assert started.counters().partials_skipped == 1
    out = started.complete(jobs[0], said("Patient is"))
    assert out.events == (Partial(0, "Patient is", jobs[0].start, jobs[0].end),)
    more = stream(started, client, signals.pcm(signals.tone(2.0)))
    assert [(j.segment_id, j.final) for j in more] == [(0, False)]
    # The same text again is sent (its end has moved on); an empty one is not.
    assert [e.type for e in started.complete(more[0], said("Patient is")).events] == ["partial"]
    (last,) = stream(started, client, signals.pcm(signals.tone(2.0)))
    assert started.complete(last, []).events == ()


def test_events_are_released_in_job_order_whatever_order_results_arrive(started, signals) -> None:
    client = Client()
    jobs = stream(started, client, signals.pcm(signals.concat(signals.tone(2.2), signals.silence(1))))
    assert [(j.segment_id, j.final) for j in jobs] == [(0, False), (0, True)]
    partial, final = jobs
    assert started.complete(final, said("Patient is well.")).events == ()  # waits for the partial
    out = started.complete(partial, said("Patient"))
    assert [e.type for e in out.events] == ["partial", "final"]


def test_a_discarded_partial_releases_the_final_behind_it(started, signals) -> None:
    partial, final = stream(started, Client(), signals.pcm(signals.concat(signals.tone(2.2), signals.silence(1))))
    started.complete(final, said("Patient is well."))
    out = started.discard(partial)
    assert [e.type for e in out.events] == ["final"]
    assert started.counters().partials_skipped == 1
    with pytest.raises(LocalProtocolError, match="cannot be discarded"):
        started.discard(final)


def test_an_empty_final_retracts_a_shown_partial_and_is_silent_otherwise(started, signals) -> None:
    client = Client()
    partial, final = stream(started, client, signals.pcm(signals.concat(signals.tone(2.2), signals.silence(1))))
    started.complete(partial, said("Uh"))
    assert started.complete(final, []).events == (Final(0, "", final.start, final.end, 0.0),)
    (quiet,) = stream(started, client, signals.pcm(signals.concat(signals.tone(1), signals.silence(1))))
    assert started.complete(quiet, []).events == ()
    assert started.counters().segments == 0


def test_completing_a_job_twice_is_the_callers_bug(started, signals) -> None:
    (job,) = stream(started, Client(), signals.pcm(signals.concat(signals.tone(1), signals.silence(1))))
    started.complete(job, said("x"))
    with pytest.raises(LocalProtocolError, match="not outstanding"):
        started.complete(job, said("x"))


def test_frames_are_parsed_and_sized(started, signals) -> None:
    message = Client().audio(signals.pcm(signals.silence(0.1)))
    assert started.receive_text(json.dumps(message)).close_code is None
    assert error_of(started.receive_text(b"\x00\x01")).code == "bad_message"


@pytest.mark.parametrize(
    ("frame", "code"),
    [("{not json", "bad_message"), ("[1, 2]", "bad_message"), ("x" * 300_000, "too_large"), (b"pcm", "bad_message")],
)
def test_bad_frames(new_session, frame, code) -> None:
    assert error_of(new_session().receive_text(frame)).code == code


# Client errors: an error event, a close code, an audit outcome, and nothing reaches the VAD.
@pytest.mark.parametrize(
    "start",
    [
        {**START, "sample_rate": 44100},
        {**START, "sample_rate": "16000"},
        {**START, "format": "f32le"},
        {**START, "language": "de"},
        {k: v for k, v in START.items() if k != "language"},
        {"type": "start"},
    ],
)
def test_bad_start_parameters(new_session, start) -> None:
    error = error_of(new_session().receive(start))
    assert (error.code, error.close_code) == ("bad_message", 4400)
    assert "start:" in error.message


@pytest.mark.parametrize(
    ("messages", "expected"),
    [
        ([{"type": "audio", "data": "x"}], "'audio' is not accepted while awaiting_start"),
        ([{"type": "end"}], "'end' is not accepted while awaiting_start"),
        ([START, START], "'start' is not accepted while streaming"),
        ([START, {"type": "pause"}], "message type must be one of"),
        ([START, {"kind": "audio"}], "message type must be one of"),
        ([START, {"type": "audio"}], "data must be a Fernet token string"),
        ([START, {"type": "audio", "data": 12}], "data must be a Fernet token string"),
    ],
)
def test_messages_the_state_does_not_accept(new_session, messages, expected) -> None:
    session = new_session()
    for message in messages[:-1]:
        assert session.receive(message).close_code is None
    error = error_of(session.receive(messages[-1]))
    assert error.code == "bad_message" and expected in error.message
    assert session.state is State.FAILED


def test_end_while_draining_is_refused_even_with_jobs_in_flight(started, signals) -> None:
    client = Client()
    stream(started, client, signals.pcm(signals.tone(0.5)))
    (job,) = started.receive({"type": "end"}).jobs
    assert error_of(started.receive({"type": "end"})).code == "bad_message"
    assert started.complete(job, said("late")) == SessionOutput()  # results after failure are dropped


@pytest.fixture
def spied(new_session):
    scored: list[int] = []

    class Counting:
        def __call__(self, windows):
            scored.append(windows.shape[0])
            rms = np.sqrt(np.mean(windows.astype(np.float64) ** 2, axis=1))
            return np.where(rms > 0.02, 0.9, 0.05).astype(np.float32)

        def reset(self) -> None:
            pass

    session = new_session(segmenter_factory=lambda: SpeechSegmenter(probability=Counting()))
    session.receive(START)
    return session, scored


CHUNK = struct.pack("<1600h", *([1000, -1000] * 800))  # 0.1 s


@pytest.mark.parametrize(
    ("build", "code", "close_code", "outcome"),
    [
        (lambda c: c.audio(CHUNK, sequence=1), "sequence", 4409, "denied"),  # replay of the first chunk
        (lambda c: c.audio(CHUNK, sequence=3), "sequence", 4409, "denied"),  # gap
        (lambda c: c.audio(CHUNK, sequence=0), "sequence", 4409, "denied"),
        (lambda c: c.audio(CHUNK, at=NOW - TTL - 1), "stale", 4408, "denied"),
        (lambda c: c.audio(CHUNK, at=NOW + 61), "stale", 4408, "denied"),
        (lambda c: Client(Fernet(Fernet.generate_key())).audio(CHUNK, sequence=2), "wrong_key", 4403, "denied"),
        (lambda c: {"type": "audio", "data": "gAAAAA-not-a-token"}, "wrong_key", 4403, "denied"),
        (lambda c: c.audio(CHUNK + b"\x00"), "bad_message", 4400, "failure"),
        (
            lambda c: c.audio(b"", sequence=None) | {"data": KEY.encrypt_at_time(b"1234", NOW).decode()},
            "bad_message",
            4400,
            "failure",
        ),  # plaintext shorter than the sequence number
        (lambda c: c.audio(b"\x00\x00" * (5 * 16000 + 1)), "too_large", 4413, "failure"),
    ],
)
def test_audio_that_fails_a_check_ends_the_session_and_never_reaches_the_vad(spied, build, code, close_code, outcome):
    session, scored = spied
    client = Client()
    assert session.receive(client.audio(CHUNK)).close_code is None  # seq 1 accepted
    windows_before = sum(scored)
    error = error_of(session.receive(build(client)))
    assert (error.code, error.close_code) == (code, close_code)
    assert sum(scored) == windows_before
    counters = session.counters()
    assert (counters.outcome, counters.error_code, counters.audio_chunks) == (outcome, code, 1)
    assert session.close_code == close_code
    with pytest.raises(LocalProtocolError, match="session is failed"):
        session.receive({"type": "end"})


def test_a_tampered_token_is_wrong_key(started) -> None:
    token = Client().audio(CHUNK)["data"]
    flipped = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
    assert error_of(started.receive({"type": "audio", "data": flipped})).code == "wrong_key"


def test_ttl_boundary_and_small_clock_skew_are_accepted(started) -> None:
    client = Client()
    assert started.receive(client.audio(CHUNK, at=NOW - TTL)).close_code is None
    assert started.receive(client.audio(CHUNK, at=NOW + 60)).close_code is None


def test_a_rotated_out_key_still_decrypts(energy_segmenter) -> None:
    old, new = Fernet(Fernet.generate_key()), Fernet(Fernet.generate_key())
    session = DictationSession(
        MultiFernet([new, old]), ttl_seconds=TTL, clock=lambda: NOW, segmenter_factory=energy_segmenter
    )
    session.receive(START)
    client = Client(old)
    assert session.receive(client.audio(CHUNK)).close_code is None
    client.key = new
    assert session.receive(client.audio(CHUNK)).close_code is None


def test_a_plain_fernet_key_works_too(energy_segmenter) -> None:
    session = DictationSession(KEY, ttl_seconds=TTL, clock=lambda: NOW, segmenter_factory=energy_segmenter)
    session.receive(START)
    assert session.receive(Client().audio(CHUNK)).close_code is None


def test_session_audio_limit(new_session) -> None:
    session = new_session(max_session_seconds=0.25)
    session.receive(START)
    client = Client()
    session.receive(client.audio(CHUNK))
    session.receive(client.audio(CHUNK))
    error = error_of(session.receive(client.audio(CHUNK)))
    assert error.code == "too_large" and "at most 0.25 s of audio" in error.message


def test_token_size_limit_is_checked_before_decrypting(new_session) -> None:
    session = new_session(max_chunk_seconds=0.1)
    session.receive(START)
    assert fernet_token_length(8 + 3200) == len(Client().audio(CHUNK)["data"])
    big = Client().audio(CHUNK + b"\x00\x00")
    assert error_of(session.receive(big)).code == "too_large"


# Server-side endings.
def test_abort_after_an_engine_failure(started, signals) -> None:
    (job,) = stream(started, Client(), signals.pcm(signals.concat(signals.tone(1), signals.silence(1))))
    error = error_of(started.abort("internal", "transcription failed"))
    assert (error.close_code, started.counters().outcome) == (1011, "error")
    assert started.complete(job, said("late")) == SessionOutput()
    assert started.abort("busy", "again") == SessionOutput()
    with pytest.raises(LocalProtocolError, match="unknown error code"):
        started.abort("nope", "x")


def test_connection_lost_is_recorded_as_failure(started) -> None:
    started.receive(Client().audio(CHUNK))
    started.connection_lost()
    counters = started.counters()
    assert (counters.state, counters.outcome, counters.error_code) == ("failed", "failure", "disconnected")


def test_audit_details_hold_counts_never_text(started, signals) -> None:
    client = Client()
    jobs = stream(started, client, signals.pcm(signals.concat(signals.tone(2.2), signals.silence(1))))
    for job in jobs:
        started.complete(job, said("Patient Jane Doe has diabetes"))
    started.receive({"type": "end"})
    details = started.audit_details()
    assert set(details) == {
        "audio_seconds",
        "audio_bytes",
        "audio_chunks",
        "speech_seconds",
        "segments",
        "partials",
        "partials_skipped",
        "messages",
        "error_code",
    }
    assert all(isinstance(v, int | float) or v is None for v in details.values())
    assert "Jane" not in repr(details) and "Jane" not in repr(started.counters())
    assert details["segments"] == 1 and details["partials"] == 1


def test_error_table_codes_are_distinct() -> None:
    close_codes = [e.close_code for e in ERRORS.values()]
    assert len(set(close_codes)) == len(close_codes)
    assert {"wrong_key", "stale", "sequence", "bad_message", "too_large", "unauthorized"} <= set(ERRORS)
    assert all(e.fault in {"client", "server"} and e.outcome in {"denied", "failure", "error"} for e in ERRORS.values())


@pytest.mark.parametrize("chunk", [2, 3200, 32000, 160000])
def test_jobs_do_not_depend_on_how_the_client_chunks_audio(new_session, signals, chunk) -> None:
    audio = signals.pcm(
        signals.concat(
            signals.silence(0.4), signals.tone(2.5), signals.silence(0.7), signals.tone(0.8), signals.silence(1)
        )
    )
    if chunk == 2:  # two bytes per message would mean 72 000 tokens; use odd-sized-but-even runs instead
        sizes = [2, 1024, 6, 3198, 640]
        pieces, pos, i = [], 0, 0
        while pos < len(audio):
            pieces.append(audio[pos : pos + sizes[i % len(sizes)]])
            pos += sizes[i % len(sizes)]
            i += 1
    else:
        pieces = [audio[i : i + chunk] for i in range(0, len(audio), chunk)]
    session = new_session()
    session.receive(START)
    client = Client()
    finals = []

    def run(out: SessionOutput) -> None:
        for job in out.jobs:
            finals.extend([(job.segment_id, job.start, job.end)] if job.final else [])
            run(session.complete(job, said("words")))

    for piece in pieces:
        run(session.receive(client.audio(piece)))
    # Speech at 0.4-2.9 s and 3.6-4.4 s, padded by 0.4 s (but never back into the final before); times fall on
    # 32 ms window edges.
    assert finals == [(0, 0.0, 3.312), (1, 3.312, 4.816)]


def test_a_final_under_the_review_threshold_is_marked_for_review(new_session, signals) -> None:
    session = new_session(review_below=0.6)
    assert session.receive(START) == SessionOutput()
    client = Client()
    audio = signals.concat(
        signals.silence(0.5), signals.tone(1.0), signals.silence(1.0), signals.tone(1.0), signals.silence(1.0)
    )
    (job,) = stream(session, client, signals.pcm(audio))
    unsure = session.complete(job, said("Patient is well.", confidence=0.59))
    (final,) = unsure.events
    assert final.review is True and final.to_message()["review"] is True
    (second,) = unsure.jobs
    sure = session.complete(second, said("Plan follows.", confidence=0.6))
    assert [e.review for e in sure.events if isinstance(e, Final)] == [False]


def test_a_correction_scores_every_transcriber_of_that_final_and_keeps_no_text(new_session, signals) -> None:
    from core.transcription.messages import Accuracy

    session = new_session(transcriber="vote")
    assert session.receive(START) == SessionOutput()
    client = Client()
    audio = signals.concat(signals.silence(0.5), signals.tone(1.0), signals.silence(1.0))
    (job,) = stream(session, client, signals.pcm(audio))
    each = (("whisper_local", "start sertraline 50 mg"), ("whisper_greedy", "start search relyin 50 mg"))
    voted = [Segment("start sertraline 50 mg", 0.0, 1.0, 0.8, each)]
    assert session.complete(job, voted).events[0].text == "start sertraline 50 mg"
    token = KEY.encrypt_at_time(b"Start sertraline 50 mg daily.", NOW).decode()
    scored = session.receive({"type": "correction", "segment_id": 0, "data": token})
    assert scored.events == () and scored.close_code is None
    assert sorted(scored.accuracy, key=lambda a: a.plugin) == [
        Accuracy("vote", 5, 1),
        Accuracy("whisper_greedy", 5, 3),
        Accuracy("whisper_local", 5, 1),
    ]
    # Once per final: a second correction of it, or one of a final never sent, is the client's error.
    again = session.receive({"type": "correction", "segment_id": 0, "data": token})
    assert again.close_code is not None and "segment 0 has no final" in again.events[0].message


def test_a_correction_under_another_key_is_refused(new_session, signals) -> None:
    from cryptography.fernet import Fernet

    session = new_session()
    session.receive(START)
    audio = signals.concat(signals.silence(0.5), signals.tone(1.0), signals.silence(1.0))
    (job,) = stream(session, Client(), signals.pcm(audio))
    session.complete(job, said("Patient is well."))
    token = Fernet(Fernet.generate_key()).encrypt_at_time(b"Patient is well.", NOW).decode()
    out = session.receive({"type": "correction", "segment_id": 0, "data": token})
    assert out.events[0].code == "wrong_key"


def test_the_corrected_transcript_puts_each_correction_in_its_finals_place_once_the_session_is_done(
    new_session, signals
) -> None:
    session = new_session()
    session.receive(START)
    tone = signals.concat(signals.silence(0.5), signals.tone(1.0), signals.silence(1.0))
    client = Client()
    (first,) = stream(session, client, signals.pcm(tone))
    session.complete(first, said("Start search relyin 50 mg."))
    (second,) = stream(session, client, signals.pcm(tone))
    session.complete(second, said("Follow up in two weeks."))
    token = KEY.encrypt_at_time(b"Start sertraline 50 mg daily.", NOW).decode()
    assert session.receive({"type": "correction", "segment_id": 0, "data": token}).close_code is None
    assert session.corrected_transcript() is None  # not before the session is done
    session.receive({"type": "end"})
    assert session.state is State.DONE
    assert session.corrected_transcript() == "Start sertraline 50 mg daily. Follow up in two weeks."


def test_an_uncorrected_session_gives_no_corrected_transcript(new_session, signals) -> None:
    session = new_session()
    session.receive(START)
    tone = signals.concat(signals.silence(0.5), signals.tone(1.0), signals.silence(1.0))
    (job,) = stream(session, Client(), signals.pcm(tone))
    session.complete(job, said("Patient is well."))
    session.receive({"type": "end"})
    assert session.state is State.DONE and session.corrected_transcript() is None
