"""intelluxe-dictate: dictate from the microphone (or a WAV file) and see the text as it is recognised.

Usage: intelluxe-dictate --config FILE [--device N | --wav FILE] [--list-devices] [--out FILE] [--pace X] [-v]

Ctrl-C once stops recording, waits for the last sentences and writes --out; Ctrl-C twice quits at once (still
writing what had arrived). Exit codes: 0 done, 1 the audio source failed during the dictation, 2 usage or config
error (including a server certificate not from the clinic CA), 3 refused by the server (token, key, clock),
4 gave up reconnecting, 130 quit with a second Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from intelluxe_audio_client import __version__
from intelluxe_audio_client.audio import MicrophoneSource, WavSource, list_devices
from intelluxe_audio_client.client import DictationClient, Transcript
from intelluxe_audio_client.config import ClientConfig, load_config
from intelluxe_audio_client.display import TerminalDisplay, enable_ansi
from intelluxe_audio_client.errors import (
    AudioError,
    CaptureError,
    ClientError,
    ConfigError,
    GaveUpError,
    RefusedError,
    ServerNotTrustedError,
)

PROG = "intelluxe-dictate"
EXIT_OK, EXIT_CAPTURE, EXIT_USAGE, EXIT_REFUSED, EXIT_GAVE_UP, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
CONFIG_ENV = "INTELLUXE_DICTATE_CONFIG"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Dictate to the clinic's Intelluxe server and see the text as you speak.",
        epilog="Ctrl-C once: stop and wait for the last sentences. Twice: quit now. Exit codes: 0 ok, 1 audio "
        "failed, 2 usage/config, 3 refused by the server, 4 gave up reconnecting, 130 quit.",
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=os.environ.get(CONFIG_ENV),
        metavar="FILE",
        help=f"the file from `intelluxe enroll-doctor --out` (default: ${CONFIG_ENV})",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument(
        "--device",
        type=int,
        metavar="N",
        help="microphone index from --list-devices (default: the system's default microphone)",
    )
    source.add_argument("--wav", type=Path, metavar="FILE", help="dictate a recorded WAV file instead")
    parser.add_argument("--list-devices", action="store_true", help="list the microphones and exit")
    parser.add_argument(
        "--out", type=Path, metavar="FILE", help="write the transcript here at the end (one line per sentence)"
    )
    parser.add_argument(
        "--pace",
        type=float,
        default=1.0,
        metavar="X",
        help="with --wav: wall-clock seconds per second of audio (1 real time, 0 as fast as possible)",
    )
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose)
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")  # a console code page without a character must not end a dictation
    if args.list_devices:
        return _list_devices()
    if args.config is None:
        return _fail(f"--config FILE is needed (the file from `intelluxe enroll-doctor --out`), or set {CONFIG_ENV}")
    if args.pace < 0:
        return _fail("--pace must be 0 or more")
    if args.pace != 1.0 and args.wav is None:
        return _fail("--pace only applies to --wav")
    try:
        config = load_config(args.config)
        source = WavSource(args.wav, pace=args.pace) if args.wav else MicrophoneSource(args.device)
        source.check()
    except (ConfigError, AudioError) as exc:
        return _fail(str(exc))
    display = TerminalDisplay(ansi=enable_ansi())
    return asyncio.run(dictate(config, source, display, out=args.out))


async def dictate(
    config: ClientConfig,
    source: WavSource | MicrophoneSource,
    display: TerminalDisplay,
    *,
    out: Path | None = None,
    client: DictationClient | None = None,
) -> int:
    """Run one dictation with Ctrl-C handling; write `out`; return the exit code."""
    client = client or DictationClient(config, on_event=display)
    task = asyncio.current_task()
    assert task is not None
    presses = 0

    def interrupted() -> None:
        nonlocal presses
        presses += 1
        if presses == 1:
            display.status("stopping: waiting for the last sentences (Ctrl-C again to quit now)")
            client.stop()
        else:
            task.cancel()

    restore = _on_interrupt(asyncio.get_running_loop(), interrupted)
    if isinstance(source, MicrophoneSource):
        display.status("recording: speak now; Ctrl-C when done")
    code = EXIT_OK
    try:
        transcript = await client.run(source)
    except asyncio.CancelledError:
        task.uncancel()
        transcript, code = client.transcript(), EXIT_INTERRUPTED
        display.status("quit: the last sentences may be missing")
    except RefusedError as exc:
        transcript, code = exc.transcript or client.transcript(), EXIT_REFUSED
        display.status(f"refused: {exc}")
    except ServerNotTrustedError as exc:
        transcript, code = exc.transcript or client.transcript(), EXIT_USAGE
        display.status(f"not connecting: {exc}")
    except GaveUpError as exc:
        transcript, code = exc.transcript or client.transcript(), EXIT_GAVE_UP
        display.status(str(exc))
    except CaptureError as exc:
        transcript, code = exc.transcript or client.transcript(), EXIT_CAPTURE
        display.status(f"recording failed: {exc}")
    except ConfigError as exc:
        transcript, code = client.transcript(), EXIT_USAGE
        display.status(str(exc))
    finally:
        restore()
        display.clear()
    if out is not None and (transcript.segments or code == EXIT_OK):
        try:
            _write_transcript(out, transcript)
        except OSError as exc:
            display.status(f"could not write {out}: {exc.strerror or exc}")
            return code or EXIT_CAPTURE
    logging.getLogger(PROG).info(
        "%d sentences, %.1f s of audio, %d session(s)",
        len(transcript.segments),
        transcript.duration,
        transcript.sessions,
    )
    return code


def _write_transcript(path: Path, transcript: Transcript) -> None:
    text = transcript.text
    path.write_text(text + "\n" if text else "", encoding="utf-8")


def _on_interrupt(loop: asyncio.AbstractEventLoop, callback: Callable[[], None]) -> Callable[[], None]:
    """Call `callback` on the loop at each Ctrl-C; returns how to undo it.

    POSIX loops take a signal handler directly. Windows' proactor loop has no add_signal_handler, so there a plain
    signal.signal handler hands the call to the loop (the proactor loop wakes up for signals).
    """
    try:
        loop.add_signal_handler(signal.SIGINT, callback)
    except (NotImplementedError, RuntimeError, ValueError):
        previous = signal.getsignal(signal.SIGINT)
        try:
            signal.signal(signal.SIGINT, lambda signum, frame: loop.call_soon_threadsafe(callback))
        except ValueError:  # not the main thread: leave Ctrl-C alone
            return lambda: None
        return lambda: signal.signal(signal.SIGINT, previous)
    return lambda: loop.remove_signal_handler(signal.SIGINT)


def _list_devices() -> int:
    try:
        devices = list_devices()
    except ClientError as exc:
        return _fail(str(exc))
    if not devices:
        print("no microphones found")
        return EXIT_OK
    print(f"{'N':>3}  {'rate':>7}  {'api':<12} name")
    for device in devices:
        mark = "  (default)" if device.is_default else ""
        print(f"{device.index:>3}  {device.default_sample_rate:>7.0f}  {device.host_api[:12]:<12} {device.name}{mark}")
    return EXIT_OK


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format=f"{PROG}: %(levelname)s: %(message)s")
    # websockets' debug log prints the request headers, the token among them: kept at WARNING whatever -v says.
    logging.getLogger("websockets").setLevel(max(level, logging.WARNING))


def _fail(message: str) -> int:
    print(f"{PROG}: {message}", file=sys.stderr)
    return EXIT_USAGE
