"""Speaker labels inside text: `Name: text`, `- Name: text`, `>> Name: text`, `[Name] text`.

Shared by the plain, VTT and SRT readers. A label is a short name that starts
with a letter; longer all-lowercase phrases before a colon are sentences
("so the thing is: ..."), not names.
"""

from __future__ import annotations

import re

NAME = r"[^\W\d_][\w.'’\-& ]{0,48}?(?:\s*\([^()\n]{1,40}\))?"
_LABEL = re.compile(
    rf"^\s*(?:[-–—]\s*|>>\s*)?(?:\[(?P<bracket>{NAME})\]\s*:?|(?P<name>{NAME})\s*:(?!\d|//))\s*(?P<text>.*)$"
)
_DASH = re.compile(r"^\s*[-–—]\s")


def split_label(line: str) -> tuple[str, str] | None:
    """(name, text) when the line starts with a speaker label, else None."""
    if ":" not in line and "[" not in line:
        return None
    match = _LABEL.match(line)
    if not match:
        return None
    name = (match["name"] or match["bracket"]).strip()
    words = name.split()
    if not words or len(words) > 6:
        return None
    if len(words) > 3 and not name[0].isupper():
        return None
    return name, match["text"].strip()


def starts_new_voice(line: str) -> bool:
    """A `- ` dash opens a new speaker inside one subtitle cue (subtitle convention)."""
    return bool(_DASH.match(line))
