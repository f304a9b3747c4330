"""Speaker labels inside text: `Name: text`, `- Name: text`, `>> Name: text`, `[Name] text`.

Shared by the plain, VTT and SRT readers. A label is a short name that starts
with a letter; longer all-lowercase phrases before a colon are sentences
("so the thing is: ..."), not names.
"""

from __future__ import annotations

import re
from functools import lru_cache

NAME = r"[^\W\d_][\w.'’\-& ]{0,48}?(?:\s*\([^()\n]{1,40}\))?"
_NAME_OK = re.compile(rf"{NAME}")
_BRACKET = re.compile(rf"^\s*(?:[-–—]\s*|>>\s*)?\[(?P<name>{NAME})\]\s*:?\s*(?P<text>.*)$")
_DASH = re.compile(r"^\s*[-–—]\s")
_LEADERS = "-–—> \t"
_MAX_LABEL = 80


@lru_cache(maxsize=4096)
def name_ok(name: str) -> bool:
    """Whether `split_label` takes this text before a colon (already stripped) as a speaker's name."""
    return bool(_NAME_OK.fullmatch(name)) and _plausible(name)


def _plausible(name: str) -> bool:
    words = name.split()
    if not words or len(words) > 6:
        return False
    return len(words) <= 3 or name[0].isupper()


def split_label(line: str) -> tuple[str, str] | None:
    """(name, text) when the line starts with a speaker label, else None."""
    colon = line.find(":", 0, _MAX_LABEL)
    if colon > 0:
        after = line[colon + 1 : colon + 3]
        if not after[:1].isdigit() and not after.startswith("//"):
            name = line[:colon].lstrip(_LEADERS).rstrip()
            if name and name_ok(name):
                return name, line[colon + 1 :].strip()
    if "[" in line[:4]:
        match = _BRACKET.match(line)
        if match and _plausible(match["name"]):
            return match["name"].strip(), match["text"].strip()
    return None


def starts_new_voice(line: str) -> bool:
    """A `- ` dash opens a new speaker inside one subtitle cue (subtitle convention)."""
    return bool(_DASH.match(line))
