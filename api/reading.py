"""Reading an upload before it is stored: the pipeline's read step (`coach.pipeline.read_bytes`),
the validating read behind every 422.

A 60-minute call takes 10-20 ms of Python to read (decode, parse, role inference). In the
server process that CPU serialises every upload behind one GIL, so 20 clients uploading
back to back queue for one core; read in a pool of child processes, uploads use every core
and the server process only frames requests and writes rows. Each child receives the
server's upload spec (size limit, bounds) once, when it starts; an upload sends only its
bytes, name, format and sellers. The result crosses the process boundary as the validated
transcript (for the pages that show its speakers) and its JSON, which is what gets stored,
so nothing reads or parses the upload again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

from api.children import ChildPool
from coach import pipeline
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
    spec: pipeline.CallSpec, raw: bytes, name: str, format: str | None, sellers: Sequence[str], title: str | None = None
) -> ReadUpload:
    """Raises the reader's `TranscriptError` (one line naming the file) for a malformed upload
    or one past the spec's bounds. `title`, the uploader's, is the call's when the file names none."""
    return _read(pipeline.read_bytes(spec.for_call(sellers=sellers, format=format, title=title), raw, name=name))


def adopt_upload(
    spec: pipeline.CallSpec, transcript: Transcript, name: str, sellers: Sequence[str], title: str | None = None
) -> ReadUpload:
    """A JSON body's canonical transcript, validated with the request: bounded and given its
    sellers (and title), never written out to be parsed again."""
    return _read(pipeline.adopt(spec.for_call(sellers=sellers, title=title), transcript, name=name))


def _read(transcript: Transcript) -> ReadUpload:
    return ReadUpload(
        format=transcript.format,
        turns=len(transcript.turns),
        duration_s=transcript.duration_s,
        transcript_json=transcript.to_json(indent=None),
        transcript=transcript,
    )


# The spec a reader child serves, set once when it starts.
_child_spec: pipeline.CallSpec | None = None


def _read_in_child(raw: bytes, name: str, format: str | None, sellers: Sequence[str], title: str | None) -> ReadUpload:
    assert _child_spec is not None, "the child's initializer sets the spec"
    return read_upload(_child_spec, raw, name, format, sellers, title)


class UploadReader:
    """`read_upload` in N child processes, or in the calling thread when N is 0 (tests)."""

    def __init__(self, processes: int, spec: pipeline.CallSpec):
        self.spec = spec
        self._pool = ChildPool(processes, init=_start_reader, init_args=(spec,)) if processes > 0 else None

    def __call__(
        self, raw: bytes, name: str, format: str | None, sellers: Sequence[str], title: str | None = None
    ) -> ReadUpload:
        if self._pool is None:
            return read_upload(self.spec, raw, name, format, sellers, title)
        args = (raw, name, format, list(sellers), title)
        try:
            return self._pool.run(_read_in_child, *args)
        except BrokenProcessPool:  # a child died (killed, out of memory): once more on the fresh pool
            return self._pool.run(_read_in_child, *args)

    def adopt(self, transcript: Transcript, name: str, sellers: Sequence[str], title: str | None = None) -> ReadUpload:
        """A transcript already parsed and validated (a JSON body): no bytes to read, so no child."""
        return adopt_upload(self.spec, transcript, name, sellers, title)

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


def _start_reader(spec: pipeline.CallSpec) -> None:
    global _child_spec
    _child_spec = spec
    # The first read compiles the readers' and role rules' patterns; pay for it at start.
    read_upload(spec, b"Priya Shah: Hello.\nMarcus Lee: Hi.\n", "warm-up.txt", None, ())
