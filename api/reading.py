"""Reading an upload before it is stored: the validating read behind every 422.

A 60-minute call takes 10-20 ms of Python to read (decode, parse, role
inference). In the server process that CPU serialises every upload behind one
GIL, so 20 clients uploading back to back queue for one core; read in a pool
of child processes, uploads use every core and the server process only frames
requests and writes rows. The result crosses the process boundary as the
validated transcript (for the pages that show its speakers) and its JSON, which
is what gets stored, so nothing reads or parses the upload again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from api.children import ChildPool
from coach.readers import ReadLimits, read_bytes
from coach.transcript import Transcript


@dataclass(frozen=True)
class ReadUpload:
    """What the call row and blob need from a read transcript."""

    format: str
    turns: int
    duration_s: float | None
    transcript_json: str
    transcript: Transcript


def read_upload(
    raw: bytes, name: str, format: str | None, sellers: Sequence[str], max_bytes: int, limits: ReadLimits | None = None
) -> ReadUpload:
    """Raises the reader's `TranscriptError` (one line naming the file) for a malformed upload
    or one past `limits` (the default bounds when None)."""
    transcript = read_bytes(raw, name=name, format=format, sellers=sellers, max_bytes=max_bytes, limits=limits)
    return ReadUpload(
        format=transcript.format,
        turns=len(transcript.turns),
        duration_s=transcript.duration_s,
        transcript_json=transcript.to_json(indent=None),
        transcript=transcript,
    )


class UploadReader:
    """`read_upload` in N child processes, or in the calling thread when N is 0 (tests)."""

    def __init__(self, processes: int, limits: ReadLimits | None = None):
        self.limits = limits or ReadLimits()
        self._pool = ChildPool(processes, init=_warm_reader) if processes > 0 else None

    def __call__(self, raw: bytes, name: str, format: str | None, sellers: Sequence[str], max_bytes: int) -> ReadUpload:
        if self._pool is None:
            return read_upload(raw, name, format, sellers, max_bytes, self.limits)
        args = (raw, name, format, list(sellers), max_bytes, self.limits)
        try:
            return self._pool.run(read_upload, *args)
        except BrokenProcessPool:  # a child died (killed, out of memory): once more on the fresh pool
            return self._pool.run(read_upload, *args)

    def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Other CPU-heavy work of a request (rendering a long call's scorecard) in the same
        children, or in the calling thread when there are none."""
        if self._pool is None:
            return fn(*args)
        return self._pool.run(fn, *args)

    def start(self) -> None:
        if self._pool is not None:
            self._pool.warm()

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown()


def _warm_reader() -> None:
    # The first read compiles the readers' and role rules' patterns; pay for it at start.
    read_upload(b"Priya Shah: Hello.\nMarcus Lee: Hi.\n", "warm-up.txt", None, (), 1024)
