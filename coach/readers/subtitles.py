"""WebVTT (Zoom, Teams) and SRT, with one tolerant hand-written cue parser.

Hand-written rather than webvtt-py/pysrt: those reject files real recorders
produce (a missing blank line between cues, a comma in a VTT time, text blocks
split by a blank line, a missing header) and are several times slower on a
60-minute call. Speakers come from `<v Name>` voice tags (Teams) or a
`Name:` prefix on the cue's first line (Zoom, most SRT exports).
"""

from __future__ import annotations

import re

from coach.errors import TranscriptError
from coach.readers.cues import Cue, clean_text
from coach.readers.speakers import split_label, starts_new_voice
from coach.readers.timecodes import TIME, parse_time

_TIMING = re.compile(rf"^\s*({TIME})\s*-->\s*({TIME})(?:\s.*)?$")
_ID_LIKE = re.compile(r"^\s*[\w\-/.{}]+\s*$")
_SKIP_BLOCK = ("NOTE", "STYLE", "REGION", "WEBVTT")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:\s+([^>]*))?>(.*?)(?:</v>|(?=<v[\s.>])|\Z)", re.DOTALL)


class _Raw:
    __slots__ = ("start", "end", "line", "payload")

    def __init__(self, start: float, end: float, line: int):
        self.start, self.end, self.line = start, end, line
        self.payload: list[str] = []


def _raw_cues(text: str, source: str, warnings: list[str]) -> list[_Raw]:
    lines = text.split("\n")
    cues: list[_Raw] = []
    cur: _Raw | None = None
    mode = "between"  # between | payload | skip
    bad_timing: list[int] = []
    n = len(lines)
    for i, line in enumerate(lines):
        if "-->" in line:
            match = _TIMING.match(line)
            if match:
                cur = _Raw(parse_time(match[1]), parse_time(match[2]), i + 1)
                cues.append(cur)
                mode = "payload"
            else:
                bad_timing.append(i + 1)
                mode = "skip"
            continue
        stripped = line.strip()
        if not stripped:
            mode = "between"
            continue
        next_is_timing = i + 1 < n and "-->" in lines[i + 1]
        if next_is_timing and _ID_LIKE.match(line):
            continue  # a cue id (SRT index, Zoom number, Teams GUID)
        if mode == "skip":
            continue
        if mode == "between":
            if stripped.startswith(_SKIP_BLOCK):
                mode = "skip"
                continue
            if cur is None:
                continue  # header metadata such as `Kind: captions`
            mode = "payload"  # text split from its cue by a blank line
        cur.payload.append(stripped)
    if bad_timing:
        if not cues:
            raise TranscriptError("no readable cue timing line (expected 'HH:MM:SS.mmm --> HH:MM:SS.mmm')",
                                  source=source, line=bad_timing[0])
        shown = ", ".join(str(n) for n in bad_timing[:5])
        warnings.append(f"skipped {len(bad_timing)} cue(s) with unreadable timing lines (line {shown})")
    if not cues:
        raise TranscriptError("no cues found (expected 'HH:MM:SS.mmm --> HH:MM:SS.mmm' timing lines)", source=source)
    return cues


def _label_pieces(payload: list[str], known: set[str]) -> list[tuple[str | None, str]]:
    """Split a cue's lines into (speaker, text) pieces using `Name:` prefixes."""
    pieces: list[tuple[str | None, list[str]]] = []
    for k, line in enumerate(payload):
        label = split_label(line)
        if label and (k == 0 or starts_new_voice(line) or label[0].casefold() in known):
            known.add(label[0].casefold())
            pieces.append((label[0], [label[1]]))
        elif k == 0:
            pieces.append((None, [line.lstrip("-–— ") if starts_new_voice(line) else line]))
        else:
            pieces[-1][1].append(line)
    return [(who, " ".join(parts)) for who, parts in pieces]


def _voice_pieces(body: str) -> list[tuple[str | None, str]]:
    pieces: list[tuple[str | None, str]] = []
    first = body.find("<v")
    if first > 0 and body[:first].strip():
        pieces.append((None, body[:first]))
    for match in _VOICE.finditer(body):
        name = (match[1] or "").strip() or None
        pieces.append((name, match[2]))
    return pieces


def read_subtitles(text: str, *, source: str, kind: str) -> tuple[list[Cue], str, list[str]]:
    """Cues from VTT or SRT text; returns (cues, format name, warnings).

    `kind` is "vtt" or "srt"; the format name says which dialect we found
    (`teams_vtt` with voice tags, `zoom_vtt` with `Name:` prefixes).
    """
    warnings: list[str] = []
    raw = _raw_cues(text, source, warnings)
    cues: list[Cue] = []
    known: set[str] = set()
    voices = labels = 0
    for r in raw:
        if not r.payload:
            continue
        body = "\n".join(r.payload)
        if "<v" in body and _VOICE.search(body):
            pieces = _voice_pieces(body)
            voices += 1
        else:
            pieces = _label_pieces(r.payload, known)
            labels += any(who for who, _ in pieces)
        for who, said in pieces:
            said = clean_text(said)
            if said:
                cues.append(Cue(who, said, r.start, r.end, r.line))
    if kind == "srt":
        fmt = "srt"
    elif voices >= labels and voices:
        fmt = "teams_vtt"
    else:
        fmt = "zoom_vtt"
    return cues, fmt, warnings
