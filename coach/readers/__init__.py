"""Readers: bytes in whatever format a recorder exports -> `Transcript`.

The public surface other layers use:

    read_path(path, *, format=None, sellers=(), roles=None, seller_domains=(), max_bytes=...) -> Transcript
    read_bytes(data, *, name, format=None, sellers=(), roles=None, seller_domains=(), max_bytes=...) -> Transcript
    adopt(transcript, *, name, sellers=(), roles=None, seller_domains=(), limits=None) -> Transcript

The format is detected from the content (`detect_format`); `format=` overrides
it. Roles are then assigned by `coach.readers.roles.assign_roles`. `adopt` takes a
transcript already validated as our canonical model (an API JSON body) as reading
our canonical JSON would. All raise `coach.errors.TranscriptError` (one line: source,
problem, line) for anything wrong with the input, and nothing else. A roles file is
parsed once per run by the caller (`coach.pipeline`), which passes its `roles` and
`seller_domains`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from coach.errors import TranscriptError
from coach.gcpause import collector_paused
from coach.readers.cues import build_transcript
from coach.readers.decode import decode
from coach.readers.limits import ReadLimits
from coach.readers.jsondoc import (
    gong_title,
    load_json,
    looks_like_canonical,
    looks_like_gong,
    read_canonical,
    read_gong,
)
from coach.readers.plain import label_format, read_otter, read_plain
from coach.readers.roles import assign_roles
from coach.readers.subtitles import read_subtitles
from coach.transcript import Role, Transcript

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

# Names accepted by `format=`; aliases map onto the reader that handles them.
FORMATS = ("plain", "otter", "vtt", "zoom_vtt", "teams_vtt", "srt", "gong_json", "canonical")
_ALIASES = {"txt": "plain", "text": "plain", "webvtt": "vtt", "zoom": "zoom_vtt", "teams": "teams_vtt",
            "gong": "gong_json", "json": "canonical"}
TRANSCRIPT_SUFFIXES = (".txt", ".vtt", ".srt", ".json")

_TIMING_LINE = re.compile(r"^[^\S\n]*(?:\d{1,3}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?[^\S\n]*-->", re.MULTILINE)
_SRT_STYLE = re.compile(r"^\s*\d+\s*\n\s*(?:\d{1,3}:)?\d{1,2}:\d{2},\d{1,3}\s*-->", re.MULTILINE)
_DETECT_LINES = 400


def detect_format(text: str) -> str:
    """Which reader fits `text`: one of `FORMATS`, or `unknown`."""
    head = text.lstrip()[:200]
    if head.startswith("{") or (head.startswith("[") and head[1:].lstrip()[:1] in ("{", "[", "]", '"')):
        return "json"
    if head.startswith("WEBVTT"):
        return "vtt"
    sample = text[:50_000]
    if "-->" in sample and _TIMING_LINE.search(sample):  # the cheap test first: no arrow, no timing line
        return "srt" if _SRT_STYLE.search(sample) or "," in sample.split("-->", 1)[0][-4:] else "vtt"
    return label_format(text.split("\n", _DETECT_LINES)[:_DETECT_LINES])


def normalise_format(fmt: str | None, source: str) -> str | None:
    """A `format=` name (or alias) as the reader it names; a TranscriptError citing `source` when none."""
    if fmt is None:
        return None
    key = _ALIASES.get(fmt.strip().lower(), fmt.strip().lower())
    if key not in FORMATS:
        raise TranscriptError(f"unknown format '{fmt}'; expected one of {', '.join(FORMATS)}", source=source)
    return key


def _parse(text: str, fmt: str, source: str) -> tuple[Transcript, bool]:
    """The transcript, and whether it was our own canonical JSON (already decided)."""
    if fmt in ("canonical", "gong_json", "json"):
        obj = load_json(text, source=source)
        if fmt == "canonical" or (fmt == "json" and looks_like_canonical(obj)):
            return read_canonical(obj, source=source), True
        return _parse_gong(obj, fmt, source), False
    return _parse_text(text, fmt, source), False


def _parse_gong(obj: object, fmt: str, source: str) -> Transcript:
    if fmt == "gong_json" or looks_like_gong(obj):
        cues, info, warnings = read_gong(obj, source=source)
        transcript = build_transcript(cues, format="gong_json", source=source, speaker_info=info, warnings=warnings)
        transcript.title = gong_title(obj)
        return transcript
    raise TranscriptError(
        "unknown JSON layout: neither a canonical transcript ('speakers' + 'turns') "
        "nor a Gong transcript ('callTranscripts')",
        source=source,
    )


def _parse_text(text: str, fmt: str, source: str) -> Transcript:
    if fmt in ("vtt", "zoom_vtt", "teams_vtt", "srt"):
        cues, found, warnings = read_subtitles(text, source=source, kind="srt" if fmt == "srt" else "vtt")
        return build_transcript(cues, format=found, source=source, warnings=warnings)
    if fmt == "otter":
        cues, warnings = read_otter(text)
        if not cues:
            raise TranscriptError("no Otter 'Name  0:00' speaker headers found", source=source)
        return build_transcript(cues, format="otter", source=source, warnings=warnings)
    if fmt == "plain":
        cues, warnings = read_plain(text)
        return build_transcript(cues, format="plain", source=source, warnings=warnings)
    first = next((ln.strip() for ln in text.split("\n") if ln.strip()), "")
    raise TranscriptError(
        f"unknown format: no 'Name: text' lines, cue timings or JSON found (first line: {first[:60]!r}); "
        f"pass --format ({', '.join(FORMATS)})",
        source=source,
        line=1,
    )


def read_bytes(
    data: bytes,
    *,
    name: str,
    format: str | None = None,
    sellers: Sequence[str] = (),
    roles: Mapping[str, Role | str] | None = None,
    seller_domains: Sequence[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: ReadLimits | None = None,
) -> Transcript:
    with collector_paused():  # cues, turns and sentences by the thousand, no cycles: see coach.gcpause
        return _read_bytes(data, name, format, sellers, roles, seller_domains, max_bytes, limits or ReadLimits())


def adopt(
    transcript: Transcript,
    *,
    name: str,
    sellers: Sequence[str] = (),
    roles: Mapping[str, Role | str] | None = None,
    seller_domains: Sequence[str] = (),
    limits: ReadLimits | None = None,
) -> Transcript:
    """Our own canonical transcript, already validated: it keeps its source and decided roles;
    only the user's word (sellers, roles) changes them."""
    (limits or ReadLimits()).check(transcript, name)
    if sellers or roles:
        assign_roles(transcript, sellers=sellers, roles=roles, seller_domains=seller_domains)
    return transcript


def _read_bytes(
    data: bytes,
    name: str,
    format: str | None,
    sellers: Sequence[str],
    roles: Mapping[str, Role | str] | None,
    seller_domains: Sequence[str],
    max_bytes: int,
    limits: ReadLimits,
) -> Transcript:
    fmt = normalise_format(format, name)
    if len(data) > max_bytes:
        raise TranscriptError(f"file is {len(data)} bytes, over the {max_bytes}-byte limit", source=name)
    if not data.strip():
        raise TranscriptError("file is empty", source=name)
    text = decode(data, source=name)
    if not text.strip():
        raise TranscriptError("file is empty", source=name)
    limits.check_text(text, name)
    fmt = fmt or detect_format(text)
    transcript, ours = _parse(text, fmt, name)
    if ours:
        return adopt(transcript, name=name, sellers=sellers, roles=roles, seller_domains=seller_domains, limits=limits)
    limits.check(transcript, name)
    transcript.source = Path(name).name
    return assign_roles(transcript, sellers=sellers, roles=roles, seller_domains=seller_domains)


def read_path(
    path: str | Path,
    *,
    format: str | None = None,
    sellers: Sequence[str] = (),
    roles: Mapping[str, Role | str] | None = None,
    seller_domains: Sequence[str] = (),
    max_bytes: int = DEFAULT_MAX_BYTES,
    limits: ReadLimits | None = None,
) -> Transcript:
    path = Path(path)
    try:
        if path.is_dir():
            raise TranscriptError("is a folder, not a transcript file", source=str(path))
        size = path.stat().st_size
        if size > max_bytes:
            raise TranscriptError(f"file is {size} bytes, over the {max_bytes}-byte limit", source=str(path))
        data = path.read_bytes()
    except OSError as exc:
        raise TranscriptError(f"cannot read file: {exc.strerror or exc}", source=str(path)) from None
    return read_bytes(
        data,
        name=str(path),
        format=format,
        sellers=sellers,
        roles=roles,
        seller_domains=seller_domains,
        max_bytes=max_bytes,
        limits=limits,
    )


__all__ = [
    "DEFAULT_MAX_BYTES", "FORMATS", "ReadLimits", "TRANSCRIPT_SUFFIXES", "adopt", "detect_format", "normalise_format",
    "read_bytes", "read_path",
]
