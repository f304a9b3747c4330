"""Readers: bytes in whatever format a recorder exports -> `Transcript`.

PROVISIONAL (skeleton): only canonical JSON and plain `Name: text` are read
here so later layers can start; the readers issue replaces this module's
internals. The public surface below is the contract other layers use:

    read_path(path, *, format=None, sellers=(), max_bytes=...) -> Transcript
    read_bytes(data, *, name, format=None, sellers=(), max_bytes=...) -> Transcript

Both raise `coach.errors.TranscriptError` (one line: source, problem, line).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from coach.errors import TranscriptError
from coach.transcript import Role, RoleSource, Speaker, Transcript, Turn

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

_PLAIN_LINE = re.compile(
    r"^\s*(?:[\[(]?(?P<ts>\d{1,2}(?::\d{2}){1,2})[\])]?\s+)?(?P<name>[^:\n]{1,60}?)\s*:\s*(?P<text>.+?)\s*$"
)


def read_path(
    path: str | Path,
    *,
    format: str | None = None,
    sellers: Sequence[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Transcript:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise TranscriptError(f"file is {size} bytes, over the {max_bytes}-byte limit", source=str(path))
        data = path.read_bytes()
    except OSError as exc:
        raise TranscriptError(f"cannot read file: {exc.strerror}", source=str(path)) from None
    return read_bytes(data, name=str(path), format=format, sellers=sellers, max_bytes=max_bytes)


def read_bytes(
    data: bytes,
    *,
    name: str,
    format: str | None = None,
    sellers: Sequence[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Transcript:
    if len(data) > max_bytes:
        raise TranscriptError(f"file is {len(data)} bytes, over the {max_bytes}-byte limit", source=name)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TranscriptError(f"undecodable bytes at offset {exc.start}", source=name) from None
    if not text.strip():
        raise TranscriptError("file is empty", source=name)
    if format == "canonical" or (format is None and text.lstrip().startswith("{")):
        try:
            transcript = Transcript.from_json(text)
        except ValidationError as exc:
            raise TranscriptError(f"not a canonical transcript: {exc.errors()[0]['msg']}", source=name) from None
    else:
        transcript = _read_plain(text, name)
    transcript.source = transcript.source or Path(name).name
    _apply_sellers(transcript, sellers)
    return transcript


def _read_plain(text: str, name: str) -> Transcript:
    speakers: dict[str, Speaker] = {}
    turns: list[Turn] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        match = _PLAIN_LINE.match(line)
        if not match:
            raise TranscriptError("expected 'Name: text'", source=name, line=lineno)
        who, said = match["name"], match["text"]
        sid = re.sub(r"\W+", "_", who.lower()).strip("_") or "speaker"
        speakers.setdefault(sid, Speaker(id=sid, name=who))
        start = None
        if match["ts"]:
            parts = [int(p) for p in match["ts"].split(":")]
            start = float(sum(v * 60**i for i, v in enumerate(reversed(parts))))
        if turns and turns[-1].speaker == sid:
            turns[-1].text += " " + said
        else:
            turns.append(Turn(index=len(turns), speaker=sid, text=said, start_s=start))
    return Transcript(format="plain", speakers=list(speakers.values()), turns=turns)


def _apply_sellers(transcript: Transcript, sellers: Sequence[str]) -> None:
    wanted = {s.casefold() for s in sellers}
    if not wanted:
        return
    for speaker in transcript.speakers:
        is_seller = speaker.name.casefold() in wanted or speaker.id.casefold() in wanted
        speaker.role = Role.seller if is_seller else Role.customer
        speaker.role_confidence = 1.0
        speaker.role_source = RoleSource.user
