"""What the doctor sees: the sentence being spoken, rewritten in place, and each settled sentence on its own line.

On a terminal a partial is drawn on the current line (carriage return, clear the line, the text) and replaced by
the next partial of the same sentence; when the final lands it replaces the partial and the line is ended. A
partial longer than the terminal shows its end (a wrapped line could not be rewritten in place). When stdout is
a file or a pipe, only finals are written, one line each, so the output is the transcript.

Status (reconnecting, warnings, errors) goes to stderr, after clearing any partial from the screen.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from typing import Any, TextIO

CLEAR_LINE = "\r\x1b[2K"


class TerminalDisplay:
    """An `on_event` callback for `DictationClient` that draws on a terminal.

    Args:
        out: where the text goes (default sys.stdout).
        err: where status lines go (default sys.stderr).
        tty: whether `out` is a terminal (default: out.isatty()).
        ansi: whether the terminal understands the clear-line escape; without it, old text is overwritten with
            spaces (old Windows consoles).
        width: the terminal's width (default: asked each time, so a resized window is followed).
    """

    def __init__(
        self,
        out: TextIO | None = None,
        err: TextIO | None = None,
        *,
        tty: bool | None = None,
        ansi: bool = True,
        width: int | None = None,
    ) -> None:
        self.out = out if out is not None else sys.stdout
        self.err = err if err is not None else sys.stderr
        self.tty = self.out.isatty() if tty is None else tty
        self.ansi = ansi
        self.width = width
        self._shown = 0  # characters of the partial on screen; 0 when none

    def __call__(self, event: Mapping[str, Any], received_at: float) -> None:
        kind = event.get("type")
        if kind == "partial":
            self.partial(str(event.get("text", "")))
        elif kind == "final":
            text = str(event.get("text", ""))
            self.final(text)
            if event.get("review") is True and text.strip():
                # On stderr, so the transcript on stdout (or in --out) stays the doctor's text alone.
                self.status("check the line above: the transcription was unsure of it")
        elif kind == "reconnecting":
            self.status(
                f"{event.get('reason')}; reconnecting in {event.get('delay', 0):.1f} s "
                f"(attempt {event.get('attempt')} of {event.get('max_retries')})"
            )
        elif kind == "connected" and event.get("session", 0) > 0:
            backlog = event.get("backlog_seconds", 0)
            self.status(f"reconnected; sending the {backlog:.1f} s of audio not yet transcribed")
        elif kind == "warning":
            self.status(str(event.get("message", "")))
        # An `error` is not shown: the `reconnecting` event that follows it, or the refusal, says what it means.

    def partial(self, text: str) -> None:
        """Show the sentence being spoken in place of the previous partial (terminals only)."""
        if not self.tty:
            return
        text = " ".join(text.split())
        room = max(10, self._width() - 1)
        if len(text) > room:
            text = "…" + text[-(room - 1) :]
        self.out.write(self._clear() + text)
        self.out.flush()
        self._shown = len(text)

    def final(self, text: str) -> None:
        """The settled sentence on its own line; an empty final (noise) just removes its partial."""
        text = text.strip()
        if self.tty:
            self.out.write(self._clear() + (text + "\n" if text else ""))
            self._shown = 0
        elif text:
            self.out.write(text + "\n")
        self.out.flush()

    def status(self, text: str) -> None:
        """A line on stderr, after removing any partial so the two do not run into each other."""
        self.clear()
        self.err.write(f"[{text}]\n")
        self.err.flush()

    def clear(self) -> None:
        """Remove the partial line, if one is shown (a dropped session's partials, or at exit)."""
        if self.tty and self._shown:
            self.out.write(self._clear())
            self.out.flush()
            self._shown = 0

    def _clear(self) -> str:
        if self.ansi:
            return CLEAR_LINE
        return "\r" + " " * self._shown + "\r" if self._shown else "\r"

    def _width(self) -> int:
        return self.width or shutil.get_terminal_size((80, 24)).columns


def enable_ansi() -> bool:
    """Make the console understand escape sequences; False when it cannot (then `ansi=False` is used).

    Windows 10+ consoles support them once ENABLE_VIRTUAL_TERMINAL_PROCESSING is set on the output handle; Windows
    Terminal has it on already. Other systems' terminals always do.
    """
    if os.name != "nt":
        return True
    try:
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.GetStdHandle(-11)  # STD_OUTPUT_HANDLE
        mode = ctypes.c_uint32()
        if not kernel32.GetConsoleMode(handle, ctypes.byref(mode)):
            return False
        return bool(kernel32.SetConsoleMode(handle, mode.value | 0x0004))  # ENABLE_VIRTUAL_TERMINAL_PROCESSING
    except (AttributeError, OSError):
        return False
