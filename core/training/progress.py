"""A progress line with an ETA on stderr for long CPU work (training steps).

On a terminal it redraws one line; elsewhere (cron, systemd's journal, a test's captured stderr) it prints a line at
most every `interval` seconds and always the last step, so a log shows progress without a line per step.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


class Progress:
    """`update(done, loss)` after each step; the ETA is from the steps done in this run (a resumed run's earlier
    steps took their time in another process)."""

    def __init__(
        self, label: str, total: int, *, start: int = 0, stream: TextIO | None = None, interval: float = 10.0
    ) -> None:
        self.label = label
        self.total = max(1, total)
        self.start = start
        self.stream = stream or sys.stderr
        self.interval = interval
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.began = time.monotonic()
        self.last_print: float | None = None  # the first update prints (monotonic time may start near 0 at boot)

    def line(self, done: int, loss: float | None) -> str:
        width = 24
        filled = int(width * done / self.total)
        ran = done - self.start
        elapsed = time.monotonic() - self.began
        per_step = elapsed / ran if ran else 0.0
        eta = per_step * (self.total - done)
        parts = [f"{self.label} [{'#' * filled}{'.' * (width - filled)}] {done}/{self.total}"]
        if loss is not None:
            parts.append(f"loss {loss:.3f}")
        if ran:
            parts.append(f"{per_step:.1f} s/step, ETA {_duration(eta)}")
        return "  ".join(parts)

    def update(self, done: int, loss: float | None = None) -> None:
        now = time.monotonic()
        last = done >= self.total
        if self.tty:
            self.stream.write("\r" + self.line(done, loss) + ("\n" if last else ""))
        elif last or self.last_print is None or now - self.last_print >= self.interval:
            self.stream.write(self.line(done, loss) + "\n")
            self.last_print = now
        self.stream.flush()
