"""DictationClient against a real TLS websocket server running the server's DictationSession: what goes on the wire,
who is trusted, what is refused, and how a dropped connection is recovered without losing or repeating text."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import time
from typing import Any

import numpy as np
import pytest
from client_fakes import DICTATION, KEY, TONES, BlockSource
from cryptography.fernet import Fernet
from intelluxe_audio_client import (
    DictationClient,
    GaveUpError,
    RefusedError,
    ServerNotTrustedError,
    Transcript,
)

from core.transcription.vad import VadConfig

FAST = {"backoff_initial": 0.02, "backoff_max": 0.1, "done_timeout": 5.0}


def dictate(config: Any, source: Any, **kwargs: Any) -> tuple[Transcript, list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []
    kwargs = {**FAST, **kwargs}
    client = DictationClient(config, on_event=lambda event, at: events.append({**event, "_at": at}), **kwargs)
    transcript = asyncio.run(asyncio.wait_for(client.run(source), 15))
    return transcript, events


def assert_three_tones(transcript: Transcript) -> None:
    """Each tone once, in order, at its place in the dictation: the tone's bounds padded by the VAD's speech pad,
    but never back into the segment before."""
    assert [s.text for s in transcript.segments] == ["tone 300", "tone 500", "tone 700"]
    pad, before = VadConfig().speech_pad_ms / 1000, 0.0
    for segment, (start, _) in zip(transcript.segments, TONES, strict=True):
        assert segment.start == pytest.approx(max(start - pad, before), abs=0.04)
        assert segment.end == pytest.approx(start + 1.0 + pad, abs=0.04)
        before = segment.end


def test_start_then_numbered_encrypted_chunks_then_end_and_done_ends_run(fake_server) -> None:
    server = fake_server()
    transcript, events = dictate(server.config(), BlockSource(DICTATION))

    (conn,) = server.connections
    assert conn.headers["Authorization"] == f"Bearer {server.token}"
    assert conn.messages[0] == {"type": "start", "sample_rate": 16000, "format": "s16le", "language": "en"}
    assert conn.messages[-1] == {"type": "end"}
    audio = conn.messages[1:-1]
    assert {m["type"] for m in audio} == {"audio"} and len(audio) == len(conn.chunks) == 29
    # Sequence 1..n; 0.2 s chunks (6400 bytes) except the last; together exactly the source's audio.
    assert [seq for seq, _ in conn.chunks] == list(range(1, 30))
    assert {len(chunk) for _, chunk in conn.chunks[:-1]} == {6400} and len(conn.chunks[-1][1]) == 3200
    assert conn.audio == DICTATION
    # Encrypted with the config's key, just before sending (the token's time is now, not when the run began).
    plaintext = Fernet(KEY).decrypt(audio[0]["data"].encode())
    assert plaintext[:8] == (1).to_bytes(8, "big") and plaintext[8:] == DICTATION[:6400]
    assert all(abs(stamp - time.time()) < 30 for stamp in conn.timestamps)

    assert_three_tones(transcript)
    assert transcript.complete and transcript.sessions == 1 and transcript.duration == pytest.approx(5.7)
    assert transcript.text == "tone 300\ntone 500\ntone 700"
    assert conn.events[-1]["type"] == "done" and conn.close_code == 1000
    kinds = [e["type"] for e in events]
    assert kinds[0] == "connected" and kinds[-1] == "done" and "partial" in kinds
    finals = [e for e in events if e["type"] == "final"]
    assert [f["dictation_start"] for f in finals] == [s.start for s in transcript.segments]


def test_chunk_seconds_sets_the_chunk_size(fake_server) -> None:
    server = fake_server()
    dictate(server.config(), BlockSource(DICTATION, block=1000), chunk_seconds=0.5)
    (conn,) = server.connections
    sizes = [len(chunk) for _, chunk in conn.chunks]
    assert sizes == [16000] * 11 + [len(DICTATION) - 11 * 16000]
    assert conn.audio == DICTATION  # blocks of an odd size are re-cut without losing a byte


def test_received_at_and_captured_at_give_latency(fake_server) -> None:
    server = fake_server()
    events: list[tuple[dict[str, Any], float]] = []
    client = DictationClient(server.config(), on_event=lambda e, at: events.append((e, at)), **FAST)
    asyncio.run(client.run(BlockSource(DICTATION, delay=0.005)))
    finals = [(e, at) for e, at in events if e["type"] == "final"]
    assert len(finals) == 3
    for event, received_at in finals:
        captured = client.captured_at(event["dictation_end"])
        assert captured is not None and 0 <= received_at - captured < 2.0
    assert client.captured_at(10.0) is None  # not captured (yet)


@pytest.mark.parametrize("which", ["rogue", "misnamed"])
def test_a_server_certificate_not_from_the_clinic_ca_is_refused_before_any_data(
    fake_server, rogue_pki, misnamed_pki, pki, which
) -> None:
    server = fake_server(pki=rogue_pki if which == "rogue" else misnamed_pki)
    source = BlockSource(DICTATION)
    started = time.monotonic()
    with pytest.raises(ServerNotTrustedError, match="clinic CA") as caught:
        dictate(server.config(ca_certificate=pki.ca_pem), source)
    assert time.monotonic() - started < 3  # not retried
    assert server.requests == 0 and server.connections == []  # the token never left the client
    assert caught.value.transcript is not None and caught.value.transcript.segments == ()


def test_401_is_refused_with_advice_and_not_retried(fake_server) -> None:
    server = fake_server()
    with pytest.raises(RefusedError, match="refused the token: ask the clinic to re-enroll you") as caught:
        dictate(server.config(token="revoked-token"), BlockSource(DICTATION), max_retries=5)
    assert caught.value.code == "unauthorized"
    assert server.requests == 1 and server.connections == []


def test_wrong_key_is_refused_and_not_retried(fake_server) -> None:
    server = fake_server()
    other_key = Fernet.generate_key().decode()
    with pytest.raises(RefusedError, match="could not decrypt the audio with your key") as caught:
        dictate(server.config(fernet_key=other_key), BlockSource(DICTATION), max_retries=5)
    assert caught.value.code == "wrong_key"
    (conn,) = server.connections
    assert conn.events[-1]["code"] == "wrong_key" and conn.close_code == 4403


@pytest.mark.parametrize(("fault", "close_code"), [("abort", 1006), ("internal", 1011)])
def test_a_dropped_session_resends_only_unacknowledged_audio_and_keeps_each_final_once(
    fake_server, fault, close_code
) -> None:
    def drop_after_first_final(index: int, event: dict[str, Any]) -> str | None:
        return fault if index == 0 and event["type"] == "final" else None

    server = fake_server(fault=drop_after_first_final)
    transcript, events = dictate(server.config(), BlockSource(DICTATION))

    first, second = server.connections
    assert first.close_code == close_code
    (final0,) = first.finals()
    acknowledged = round(final0["end"] * 16000) * 2
    # The new session starts over (start, sequence 1) and resends exactly from where the acknowledged final ended.
    assert second.messages[0]["type"] == "start" and second.messages[-1] == {"type": "end"}
    assert [seq for seq, _ in second.chunks] == list(range(1, len(second.chunks) + 1))
    assert second.audio == DICTATION[acknowledged:]
    assert [f["text"] for f in second.finals()] == ["tone 500", "tone 700"]
    # Each tone once, its times in dictation time (the second session's are offset by where its audio began).
    assert_three_tones(transcript)
    assert transcript.complete and transcript.sessions == 2
    assert [s.session for s in transcript.segments] == [0, 1, 1]
    reconnecting = [e for e in events if e["type"] == "reconnecting"]
    assert len(reconnecting) == 1 and reconnecting[0]["attempt"] == 1
    assert str(close_code) in reconnecting[0]["reason"] or "internal" in reconnecting[0]["reason"]


def test_a_drop_after_the_last_final_but_before_done_needs_an_empty_session_only(fake_server) -> None:
    """The dictation ends mid-sentence, so its last final (from the server's flush at `end`) covers all the audio;
    the connection then drops before `done`. The retry has nothing to resend: start, end, done."""
    ends_mid_tone = DICTATION[: int(4.5 * 32000)]

    def drop_after_last_final(index: int, event: dict[str, Any]) -> str | None:
        return "abort" if index == 0 and event["type"] == "final" and event["text"] == "tone 700" else None

    server = fake_server(fault=drop_after_last_final)
    transcript, _ = dictate(server.config(), BlockSource(ends_mid_tone))
    first, second = server.connections
    assert first.finals()[-1]["end"] == pytest.approx(4.5)
    assert second.messages == [second.messages[0], {"type": "end"}] and second.events[-1]["type"] == "done"
    assert [s.text for s in transcript.segments] == ["tone 300", "tone 500", "tone 700"]
    assert transcript.complete and transcript.sessions == 2


def test_a_busy_server_is_retried_from_the_start_of_the_dictation(fake_server) -> None:
    def busy_at_first(index: int, event: dict[str, Any]) -> str | None:
        return "busy" if index == 0 and event["type"] == "partial" else None

    server = fake_server(fault=busy_at_first)
    transcript, _ = dictate(server.config(), BlockSource(DICTATION))
    first, second = server.connections
    assert first.close_code == 1013 and first.finals() == []
    assert second.audio == DICTATION  # nothing was acknowledged: all of it again
    assert_three_tones(transcript)


def test_gives_up_after_max_retries_in_a_row_with_doubling_delays(fake_server) -> None:
    server = fake_server(fault=lambda index, event: "busy")  # every session fails at its first event
    events: list[dict[str, Any]] = []
    client = DictationClient(
        server.config(),
        on_event=lambda e, at: events.append(e),
        max_retries=3,
        backoff_initial=0.02,
        backoff_max=0.05,
    )
    with pytest.raises(GaveUpError, match="4 failed attempts in a row"):
        asyncio.run(client.run(BlockSource(DICTATION)))
    assert len(server.connections) == 4  # the first attempt and 3 retries
    delays = [e["delay"] for e in events if e["type"] == "reconnecting"]
    assert [e["attempt"] for e in events if e["type"] == "reconnecting"] == [1, 2, 3]
    for delay, nominal in zip(delays, [0.02, 0.04, 0.05], strict=True):  # doubling, capped at backoff_max
        assert nominal * 0.89 <= delay <= nominal


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_server_buffers_up_to_the_cap_then_says_so(fake_server) -> None:
    server = fake_server()
    config = server.config(server_url=f"wss://127.0.0.1:{_closed_port()}/dictation")
    events: list[dict[str, Any]] = []
    client = DictationClient(
        config, on_event=lambda e, at: events.append(e), max_retries=2, backoff_initial=0.1, max_buffer_seconds=1.0
    )
    source = BlockSource(DICTATION)
    with pytest.raises(GaveUpError) as caught:
        asyncio.run(client.run(source))
    (warning,) = [e for e in events if e["type"] == "warning"]
    assert warning["code"] == "buffer_full" and "recording STOPPED" in warning["message"]
    assert caught.value.transcript.duration == pytest.approx(1.0)  # capture stopped at the cap
    assert source.closed and source.yielded < len(DICTATION)
    assert all("cannot connect" in e["reason"] for e in events if e["type"] == "reconnecting")


def test_while_connected_a_long_silence_is_given_up_not_the_recording(fake_server, caplog) -> None:
    """The buffer keeps audio until a final covers it; silence gets no final. Past max_buffer_seconds the oldest
    sent audio goes, and recording carries on."""
    from client_fakes import pcm, silence, tone

    server = fake_server()
    audio = pcm(np.concatenate([silence(3.0), tone(1.0, 400), silence(0.8)]))
    events: list[dict[str, Any]] = []
    client = DictationClient(server.config(), on_event=lambda e, at: events.append(e), max_buffer_seconds=1.0, **FAST)
    with caplog.at_level(logging.INFO, logger="intelluxe_audio_client"):
        transcript = asyncio.run(client.run(BlockSource(audio, delay=0.002)))
    assert not [e for e in events if e["type"] == "warning"]
    assert server.connections[0].audio == audio  # everything was sent once
    (segment,) = transcript.segments
    assert segment.text == "tone 400" and segment.start == pytest.approx(
        3.0 - VadConfig().speech_pad_ms / 1000, abs=0.04
    )
    assert caplog.text.count("giving up the oldest unacknowledged audio") == 1  # said once, not per block


def test_long_dictations_are_split_into_sessions_cleanly(fake_server) -> None:
    server = fake_server()
    transcript, _ = dictate(server.config(), BlockSource(DICTATION), max_session_seconds=2.0)
    assert len(server.connections) == 3
    for conn in server.connections:
        assert conn.messages[-1] == {"type": "end"} and conn.events[-1]["type"] == "done"
    assert b"".join(conn.audio for conn in server.connections) == DICTATION  # nothing sent twice
    assert [len(conn.audio) for conn in server.connections] == [64000, 64000, len(DICTATION) - 128000]
    assert [s.text for s in transcript.segments] == ["tone 300", "tone 500", "tone 700"]
    assert transcript.segments[1].start == pytest.approx(2.0, abs=0.001)  # its pad stops at the session's start
    assert transcript.complete and transcript.sessions == 3


class EndlessSource:
    """A microphone that never ends: tones and pauses, until the client stops reading it."""

    def __init__(self) -> None:
        self.closed = False
        self.yielded = 0

    def __aiter__(self):
        return self._blocks()

    async def _blocks(self):
        try:
            while True:
                for i in range(0, len(DICTATION), 3200):
                    await asyncio.sleep(0.004)
                    self.yielded += len(DICTATION[i : i + 3200])
                    yield DICTATION[i : i + 3200]
        finally:
            self.closed = True


def test_stop_mid_stream_sends_end_and_collects_the_last_finals(fake_server) -> None:
    server = fake_server()
    source = EndlessSource()
    client: DictationClient

    def on_event(event: dict[str, Any], at: float) -> None:
        if event["type"] == "partial" and event["text"] == "tone 500":
            client.stop()  # Ctrl-C in the middle of the second sentence

    client = DictationClient(server.config(), on_event=on_event, **FAST)
    transcript = asyncio.run(asyncio.wait_for(client.run(source), 15))

    assert source.closed
    (conn,) = server.connections
    assert conn.messages[-1] == {"type": "end"} and conn.events[-1]["type"] == "done"
    assert len(conn.audio) == source.yielded == round(transcript.duration * 32000)  # all captured audio was sent
    # The sentence being spoken at Ctrl-C is not lost: the server's flush at `end` makes it a final.
    assert [s.text for s in transcript.segments] == ["tone 300", "tone 500"]
    assert transcript.complete


def test_stop_before_any_audio_ends_without_connecting(fake_server) -> None:
    server = fake_server()
    client = DictationClient(server.config(), **FAST)
    client.stop()
    transcript = asyncio.run(client.run(EndlessSource()))
    assert transcript.segments == () and transcript.complete and server.requests == 0


def test_a_failing_callback_does_not_end_the_dictation(fake_server, caplog) -> None:
    server = fake_server()

    def broken(event: dict[str, Any], at: float) -> None:
        raise UnicodeEncodeError("cp1252", "\u2026", 0, 1, "a console that cannot show it")

    client = DictationClient(server.config(), on_event=broken, **FAST)
    transcript = asyncio.run(client.run(BlockSource(DICTATION)))
    assert_three_tones(transcript)
    assert "on_event callback failed" in caplog.text


def test_a_source_failure_still_delivers_what_was_captured(fake_server) -> None:
    from intelluxe_audio_client import CaptureError

    class Unplugged:
        async def _blocks(self):
            for i in range(0, 96000, 3200):  # 3 s: the first sentence and the pause after it
                await asyncio.sleep(0)
                yield DICTATION[i : i + 3200]
            raise OSError("device unavailable")

        def __aiter__(self):
            return self._blocks()

    server = fake_server()
    with pytest.raises(CaptureError, match="device unavailable") as caught:
        asyncio.run(DictationClient(server.config(), **FAST).run(Unplugged()))
    assert [s.text for s in caught.value.transcript.segments] == ["tone 300", "tone 500"]
    assert server.connections[-1].messages[-1] == {"type": "end"}


def test_events_are_json_objects_with_session_numbers(fake_server) -> None:
    server = fake_server()
    _, events = dictate(server.config(), BlockSource(DICTATION))
    for event in events:
        json.dumps({k: v for k, v in event.items() if k != "_at"})
        if event["type"] in ("partial", "final", "done"):
            assert event["session"] == 0
