"""A progress line on stderr for scans that take longer than about a second.

Shown only when stderr is a terminal and the output is for people (text
format): never in JSON, SARIF or GitHub output, never when stderr is piped or
captured (pre-commit, CI logs). A daemon thread redraws the line every 0.1 s
so that it keeps moving during one long walk, and it appears only after
`delay` seconds, so quick scans print nothing at all. `close()` erases it
before the report is written.
"""

from __future__ import annotations

import time

FRAMES = "|/-\\"


class Progress:
    def __init__(self, stream, delay: float = 1.0, interval: float = 0.1) -> None:
        import threading    # only a terminal shows progress: a piped or pre-commit scan starts no thread
        self._stream = stream
        self._delay = delay
        self._interval = interval
        self._stage = "reading configurations"
        self._start = time.monotonic()
        self._stop = threading.Event()
        self._shown = False
        self._thread = threading.Thread(target=self._run, name="confcheck-progress", daemon=True)
        self._thread.start()

    def stage(self, text: str) -> None:
        # A plain attribute write: the drawing thread only reads it.
        self._stage = text

    def _run(self) -> None:
        if self._stop.wait(self._delay):
            return
        frame = 0
        while not self._stop.is_set():
            elapsed = time.monotonic() - self._start
            self._write(f"\r\x1b[K{FRAMES[frame % len(FRAMES)]} confcheck: {self._stage} ({elapsed:.1f}s)")
            self._shown = True
            frame += 1
            self._stop.wait(self._interval)

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):
            self._stop.set()

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        if self._shown:
            self._write("\r\x1b[K")


def start_progress(stream, for_people: bool, delay: float = 1.0) -> Progress | None:
    """A Progress on `stream` when it is a terminal and the output is for people, else None."""
    isatty = getattr(stream, "isatty", None)
    if not for_people or not (isatty and isatty()):
        return None
    return Progress(stream, delay)
