"""A plain-text progress line on stderr for long runs: done/total, rate and time left. No dependencies."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Redraws one line at most every ``every_s`` seconds; ``finish`` prints the final line."""

    def __init__(self, label: str, total: int, *, stream: TextIO | None = None, every_s: float = 0.5,
                 enabled: bool = True) -> None:
        self.label = label
        self.total = max(total, 1)
        self.stream = stream if stream is not None else sys.stderr
        self.every_s = every_s
        self.enabled = enabled
        self.done = 0
        self._start = time.monotonic()
        self._last = 0.0
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        if not self._tty:  # a log file gets a line every few seconds, not a redraw storm
            self.every_s = max(every_s, 5.0)

    def advance(self, count: int) -> None:
        """Count ``count`` more items done; redraw if it is time."""
        self.done += count
        now = time.monotonic()
        if self.enabled and now - self._last >= self.every_s:
            self._last = now
            self._draw(now, final=False)

    def finish(self) -> None:
        """Draw the last line and end it."""
        if self.enabled:
            self._draw(time.monotonic(), final=True)

    def line(self, now: float | None = None) -> str:
        """The text of the progress line."""
        now = time.monotonic() if now is None else now
        elapsed = max(now - self._start, 1e-9)
        share = min(self.done / self.total, 1.0)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 and self.done < self.total else 0.0
        filled = int(share * 30)
        bar = "#" * filled + "-" * (30 - filled)
        return (f"{self.label} [{bar}] {share * 100:5.1f}% {self.done:,}/{self.total:,} "
                f"{rate:,.0f}/s elapsed {_clock(elapsed)} left {_clock(left)}")

    def _draw(self, now: float, *, final: bool) -> None:
        text = self.line(now)
        if self._tty:
            self.stream.write("\r" + text + ("\n" if final else ""))
        else:
            self.stream.write(text + "\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
