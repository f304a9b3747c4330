"""WebVTT (Zoom, Teams) and SRT, with one tolerant hand-written cue parser.

Hand-written rather than webvtt-py/pysrt (measured, see benchmarks/README.md):
webvtt-py 0.6 raises on a file without the `WEBVTT` header, drops cues with a
comma in the time, glues the next cue id into the text when a blank line is
missing and loses text split off by a blank line; it is also ~4x slower on a
60-minute call. One parser serves both VTT and SRT. Speakers come from
`<v Name>` voice tags (Teams) or a `Name:` prefix on the cue's first line
(Zoom, most SRT exports).
"""

from __future__ import annotations

import re

from coach.errors import TranscriptError
from coach.readers.cues import Cue, clean_text
from coach.readers.speakers import split_label, starts_new_voice
from coach.readers.timecodes import try_parse_time

_SKIP_BLOCK = ("NOTE", "STYLE", "REGION", "WEBVTT")
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?(?:\s+([^>]*))?>(.*?)(?:</v>|(?=<v[\s.>])|\Z)", re.DOTALL)


class _Raw:
    __slots__ = ("start", "end", "line", "payload")

    def __init__(self, start: float, end: float, line: int):
        self.start, self.end, self.line = start, end, line
        self.payload: list[str] = []


def _is_cue_id(stripped: str) -> bool:
    """SRT index, Zoom number, Teams `GUID/12-0`: no spaces, digits or id punctuation."""
    return " " not in stripped and (stripped.isdigit() or "/" in stripped or ("-" in stripped and len(stripped) >= 8))


def _timing(line: str) -> tuple[float, float] | None:
    if (
        len(line) >= 29 and line[12:17] == " --> " and line[2] == line[5] == line[19] == line[22] == ":"
        and line[8] in ".," and line[25] in ".," and line[29:30] in ("", " ", "\t")
        and line[:12].replace(":", "0").replace(".", "0").replace(",", "0").isdecimal()
        and line[17:29].replace(":", "0").replace(".", "0").replace(",", "0").isdecimal()
    ):
        # `HH:MM:SS.mmm --> HH:MM:SS.mmm`, what every exporter writes: skip the general path.
        return (
            (int(line[0:2]) * 3_600_000 + int(line[3:5]) * 60_000 + int(line[6:8]) * 1000 + int(line[9:12])) / 1000,
            (int(line[17:19]) * 3_600_000 + int(line[20:22]) * 60_000 + int(line[23:25]) * 1000 + int(line[26:29]))
            / 1000,
        )
    left, _, right = line.partition("-->")
    words = right.split(None, 1)
    start = try_parse_time(left.strip())
    end = try_parse_time(words[0]) if words else None
    return (start, end) if start is not None and end is not None else None


def _raw_cues(text: str, source: str, warnings: list[str]) -> list[_Raw]:
    """Line by line, skipping cues whose timing line cannot be read.

    Regex- and `split("-->")`-based variants measured no faster (within 5%) and
    were harder to keep tolerant of NOTE blocks, missing blank lines and text
    split off its cue.
    """
    lines = text.split("\n")
    cues: list[_Raw] = []
    cur: _Raw | None = None
    mode = "between"  # between | payload | skip
    bad_timing: list[int] = []
    n = len(lines)
    for i, line in enumerate(lines):
        if "-->" in line:
            times = _timing(line)
            if times:
                cur = _Raw(times[0], times[1], i + 1)
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
        if i + 1 < n and "-->" in lines[i + 1] and _is_cue_id(stripped):
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
    if body.startswith("<v ") and body.count("<v") == 1:  # the common Teams cue: one voice
        close = body.find(">")
        if close != -1:
            text = body[close + 1 :]
            return [(body[3:close].strip() or None, text[:-4] if text.endswith("</v>") else text)]
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
            labels += pieces[0][0] is not None or len(pieces) > 1
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
