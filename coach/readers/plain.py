"""Plain `Name: text` transcripts and Otter-style exports.

Plain: one `Name: text` line per utterance, optionally with a `[00:01:23]`,
`(1:23)` or `00:01:23` time before it or `Name (1:23):`. Lines without a label
continue the previous utterance (wrapped paragraphs).

Otter: a `Name  0:05` header line, then the paragraph(s) until the next header.
"""

from __future__ import annotations

import re

from coach.readers.cues import Cue, clean_text
from coach.readers.speakers import NAME, name_ok, split_label
from coach.readers.timecodes import TIME, parse_time

_TIME_PREFIX = re.compile(rf"^\s*(?:\[({TIME})\]|\(({TIME})\)|({TIME})(?=\s))\s*(?:[-–|]\s*)?")
_NAME_TIME = re.compile(rf"^\s*(?P<name>{NAME})\s*[\[(]\s*(?P<ts>{TIME})\s*[\])]\s*:?\s*(?P<text>.*)$")
_TIME_ONLY = re.compile(rf"^\s*[\[(]?({TIME})[\])]?\s*$")
_TIME_ONLY_MAX = len("[000:00:00.000]")
OTTER_HEADER = re.compile(rf"^(?P<name>{NAME})[ \t]+(?P<ts>{TIME})[ \t]*$")


def _prefix_time(line: str) -> tuple[float | None, str]:
    match = _TIME_PREFIX.match(line)
    if not match:
        return None, line
    stamp = match[1] or match[2] or match[3]
    return parse_time(stamp), line[match.end() :]


# `Date: 2026-03-02` above the dialogue is metadata, not a speaker called "Date".
_HEADER_KEYS = frozenset({
    "title", "date", "time", "meeting", "subject", "topic", "call", "participants", "attendees", "recorded",
    "recording", "duration", "transcript", "notes", "location", "agenda", "account", "company",
})


# The line shapes nearly every plain transcript keeps throughout: `Name: text` and
# `[HH:MM:SS] Name: text`, with a name of at most 79 characters that starts with a letter,
# holds no colon or bracket and ends in neither a space nor a colon; or a blank line.
_LABELLED_LINE = re.compile(
    r"^(?:(?:\[(\d\d:\d\d:\d\d)\] )?([^\W\d_](?:[^:\[\]()\n]{0,77}[^\s:\[\]()])?): (.*)|[^\S\n]*)$", re.MULTILINE
)


def _read_labelled(text: str) -> list[Cue] | None:
    """`read_plain`'s cues for a text whose every line has one of `_LABELLED_LINE`'s shapes
    (None for any other text), read in one regex pass instead of line by line.

    The line loop would take each such line down one path: not a bare time stamp, the stamp
    (if any) as the start, no `Name (1:23):` form (the name holds no bracket), and
    `split_label` giving this name and text once `name_ok` accepts the name. Only a first
    line without a stamp whose name is a header key (`Date: ...`) would go another way.
    """
    lines = _LABELLED_LINE.findall(text)
    if len(lines) != text.count("\n") + 1:  # one match per line, or some line has another shape
        return None
    cues: list[Cue] = []
    for lineno, (stamp, name, said) in enumerate(lines, start=1):
        if not name:
            continue  # a blank line
        if not name_ok(name) or (not cues and not stamp and name.casefold() in _HEADER_KEYS):
            return None
        cues.append(Cue(name, clean_text(said.strip()), parse_time(stamp) if stamp else None, None, lineno))
    return cues


def read_plain(text: str) -> tuple[list[Cue], list[str]]:
    labelled = _read_labelled(text)
    if labelled is not None:
        return labelled, []
    cues: list[Cue] = []
    header = 0
    pending_time: float | None = None
    for lineno, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        if not stripped:
            continue
        # A bare time stamp, stripped, is no longer than `[000:00:00.000]` (`strip` and the
        # regex's `\s` agree on whitespace): the length spares other lines a regex that fails late.
        time_only = _TIME_ONLY.match(line) if len(stripped) <= _TIME_ONLY_MAX else None
        if time_only:
            pending_time = parse_time(time_only[1])
            continue
        start, rest = _prefix_time(line)
        name_time = _NAME_TIME.match(rest) if start is None and ("(" in rest or "[" in rest) else None
        if name_time and split_label(name_time["name"] + ": x"):
            name, said, start = name_time["name"].strip(), name_time["text"], parse_time(name_time["ts"])
        else:
            label = split_label(rest)
            if not cues and start is None and (label is None or label[0].casefold() in _HEADER_KEYS):
                header += 1  # a title or `Date:` line above the first speaker
                continue
            if label is None:
                said = clean_text(rest)
                if cues and start is None:
                    cues[-1].text = f"{cues[-1].text} {said}".strip()
                else:
                    cues.append(Cue(None, said, start if start is not None else pending_time, None, lineno))
                    pending_time = None
                continue
            name, said = label
        if start is None:
            start, pending_time = pending_time, None
        cues.append(Cue(name, clean_text(said), start, None, lineno))
    warnings = [f"skipped {header} header line(s) above the first speaker"] if header and cues else []
    return cues, warnings


def read_otter(text: str) -> tuple[list[Cue], list[str]]:
    cues: list[Cue] = []
    skipped = 0
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        header = OTTER_HEADER.match(line.strip())
        if header and split_label(header["name"] + ": x"):
            cues.append(Cue(header["name"].strip(), "", parse_time(header["ts"]), None, lineno))
        elif cues:
            said = clean_text(line)
            cues[-1].text = f"{cues[-1].text} {said}" if cues[-1].text else said
        else:
            skipped += 1
    warnings = [f"ignored {skipped} line(s) before the first 'Name  0:00' header"] if skipped else []
    return cues, warnings


def _is_plain_label(line: str) -> bool:
    return bool(split_label(_prefix_time(line)[1]) or _NAME_TIME.match(line))


def label_format(lines: list[str]) -> str:
    """"otter", "plain" or "unknown" for the first lines of a text file: Otter when they hold
    two `Name  0:00` headers, or one and at most one plain `Name: text` line; plain when they
    hold a plain line. Plain lines are counted only as far as that decision needs: the
    header test is one anchored regex per line, the plain-label test several, so a plain
    call stops at its first labelled line instead of testing all of them."""
    headers = [line for line in lines if line.strip() and OTTER_HEADER.match(line.strip())]
    if len(headers) >= 2:
        return "otter"
    rest = (line for line in lines if line.strip() and not OTTER_HEADER.match(line.strip()))
    if not headers:
        return "plain" if any(_is_plain_label(line) for line in rest) else "unknown"
    return "plain" if sum(1 for line in rest if _is_plain_label(line)) > 1 else "otter"
