"""The literal text every match of a regular expression begins with.

Searching an hour's text with a pattern tries every position with every branch;
finding the pattern's possible first characters with `str.find` and trying an
anchored `match` only there is many times cheaper. The call-type and side cues
(`coach.callcues`) and the party cues (`coach.parties`) both do this; the
starts are read from the standard library's own parse of the pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from re import _constants as _c  # type: ignore[attr-defined]
from re import _parser as _sre_parser  # type: ignore[attr-defined]

# A leading class of up to this many characters ([$€£], [Oo], \d) still gives literal starts,
# as long as the starts number at most _MAX_STARTS.
_MAX_CLASS_EXPANSION = 10
_MAX_STARTS = 64


def parse(pattern: str) -> Any:
    """The standard library's parse of `pattern` (`.data` is what `literal_starts` reads)."""
    return _sre_parser.parse(pattern)


def literal_starts(seq: Any) -> set[str] | None:
    """The literal prefixes every match of a parsed pattern begins with; None when some branch
    has none. Only groups without flags of their own are looked into: `(?i:our)` also
    matches "OUR", so its letters are not literal starts."""
    out = {""}
    for op, arg in seq:
        if op is _c.AT:
            continue  # \b and friends consume nothing
        if op is _c.LITERAL:
            out = {p + chr(arg) for p in out}
            continue
        if op is _c.IN:
            chars = _class_chars(arg)
            if chars is None or len(out) * len(chars) > _MAX_STARTS:
                break
            out = {p + c for p in out for c in chars}
            continue
        if op is _c.BRANCH or (op is _c.SUBPATTERN and arg[3] and not arg[1] and not arg[2]):
            branches = arg[1] if op is _c.BRANCH else [arg[3]]
            subs: set[str] = set()
            for branch in branches:
                got = literal_starts(branch)
                if got is None:
                    return None if out == {""} else out
                subs |= got
            out = {p + q for p in out for q in subs}
        break  # after a group or anything else the prefix may end at different places
    return None if "" in out else out


def _class_chars(items: Any) -> list[str] | None:
    chars: list[str] = []
    for op, arg in items:
        if op is _c.LITERAL:
            chars.append(chr(arg))
        elif op is _c.CATEGORY and arg is _c.CATEGORY_DIGIT:
            chars.extend("0123456789")
        else:
            return None
    return chars if len(chars) <= _MAX_CLASS_EXPANSION else None


def find_all(text: str, word: str) -> list[int]:
    """Every offset where `word` occurs in `text` (overlapping occurrences too)."""
    found = []
    i = text.find(word)
    while i != -1:
        found.append(i)
        i = text.find(word, i + 1)
    return found


def matches_at(regex: re.Pattern[str], text: str, starts: Iterable[int]) -> Iterator[re.Match[str]]:
    """What `regex.finditer(text)` finds, given every offset a match can start at (in any order,
    repeats allowed): an anchored match is tried at each, in order, skipping those inside the
    previous match as `finditer` does. The pattern must match no empty text."""
    end = -1
    match_at = regex.match
    for i in sorted(starts):
        if i < end:  # inside the previous match: finditer would not report it either
            continue
        match = match_at(text, i)
        if match:
            end = match.end()
            yield match
