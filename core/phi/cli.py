"""Stream front ends for `intelluxe phi scan --jsonl` and `intelluxe phi redact` (core.cli parses the arguments).

Both take text streams and return an exit code, so they can be tested with io.StringIO and wired to stdin/stdout.
Error messages name the line and what was wrong with it, never its content: the content is PHI.
"""

from __future__ import annotations

import json
import multiprocessing
from collections.abc import Iterator
from typing import TextIO

from core.phi import detect, redact

_CHUNK_CHARS = 1 << 20  # redact_stream works on paragraphs, but never holds more than about this much at once


def scan_jsonl(stdin: TextIO, stdout: TextIO, jobs: int = 1) -> int:
    """Each input line `{"text": ...}` gives one output line `{"spans": [[start, end, type], ...]}`, in order.

    A line that is not a JSON object with a string "text" gives `{"error": "..."}` in its place (so output line n
    always answers input line n) and makes the exit code 1 once all lines are done. Offsets are str indices.

    With `jobs` > 1 the lines are scanned by that many worker processes (forked after the word lists and patterns
    are loaded, so each starts warm); answers still come in input order, one line at a time, so a caller that
    writes a line and waits for its answer is served as before.
    """
    status = 0
    lines = enumerate(stdin, 1)
    if jobs > 1 and "fork" in multiprocessing.get_all_start_methods():
        detect("warm up: Dr. Smith 10/16")  # load lists and compile patterns once, before the fork
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            for answer, ok in pool.imap(_scan_line, lines):
                status |= not ok
                stdout.write(answer)
                stdout.flush()
        return status
    for answer, ok in map(_scan_line, lines):
        status |= not ok
        stdout.write(answer)
        stdout.flush()
    return status


def _scan_line(numbered: tuple[int, str]) -> tuple[str, bool]:
    number, line = numbered
    try:
        text = _text_of(line)
    except ValueError as exc:
        return json.dumps({"error": f"line {number}: {exc}"}) + "\n", False
    return json.dumps({"spans": [[f.start, f.end, f.type] for f in detect(text)]}) + "\n", True


def _text_of(line: str) -> str:
    if not line.strip():
        raise ValueError('empty line (expected a JSON object with a "text" string)')
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(row, dict):
        raise ValueError(f"expected a JSON object, got {type(row).__name__}")
    text = row.get("text")
    if not isinstance(text, str):
        raise ValueError(
            'expected a "text" string' if text is None else f'"text" is {type(text).__name__}, not a string'
        )
    return text


def redact_stream(stdin: TextIO, stdout: TextIO, surrogate: bool = False, *, key: bytes | None = None) -> int:
    """Copy stdin to stdout with every identifier replaced ([TYPE] placeholders, or surrogates under `key`).

    The text is redacted a paragraph at a time (split at blank lines), so a name and its cue on neighbouring lines
    are seen together while memory stays bounded; surrogates stay consistent across paragraphs for one key.
    """
    for chunk in _paragraphs(stdin):
        stdout.write(redact(chunk, surrogate=surrogate, key=key))
    stdout.flush()
    return 0


def _paragraphs(stream: TextIO) -> Iterator[str]:
    buffer: list[str] = []
    size = 0
    for line in stream:
        buffer.append(line)
        size += len(line)
        if not line.strip() or size >= _CHUNK_CHARS:
            yield "".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer)
