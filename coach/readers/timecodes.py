"""Time stamps as recorders write them: `1:23`, `00:01:23`, `00:01:23.456`, `00:01:23,456`."""

from __future__ import annotations

import re

# h:mm:ss(.fff) or mm:ss(.fff), `.` or `,` before the fraction (SRT uses a comma).
TIME = r"(?:\d{1,3}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_TIME_RE = re.compile(rf"{TIME}\Z", re.ASCII)
# "00".."99" -> int: a dict lookup costs a fraction of int() on a slice.
_TWO_DIGITS = {f"{n:02d}": n for n in range(100)}


def parse_time(text: str) -> float:
    """Seconds from a time stamp the caller has matched with `TIME`.

    Computed in whole milliseconds and divided once, so `00:01:23.456` is
    exactly the float `83.456` and canonical JSON shows no rounding noise.
    """
    if len(text) == 12 and text[2] == ":" and text[5] == ":":  # HH:MM:SS.mmm, the common case
        return (int(text[:2]) * 3_600_000 + int(text[3:5]) * 60_000 + int(text[6:8]) * 1000 + int(text[9:])) / 1000
    if len(text) == 8 and text[2] == ":" and text[5] == ":":  # HH:MM:SS, as plain transcripts stamp every line
        try:  # whole seconds: the same float as the millisecond sum divided by 1000 below
            return float(_TWO_DIGITS[text[:2]] * 3600 + _TWO_DIGITS[text[3:5]] * 60 + _TWO_DIGITS[text[6:]])
        except KeyError:  # another script's digits (`\d` matches them): int() below reads those
            pass
    whole, _, frac = text.replace(",", ".").partition(".")
    ms = 0
    for part in whole.split(":"):
        ms = ms * 60 + int(part)
    return (ms * 1000 + (int(frac.ljust(3, "0")) if frac else 0)) / 1000


def try_parse_time(text: str) -> float | None:
    """`parse_time` for text that may not be a time stamp at all (None then)."""
    return parse_time(text) if _TIME_RE.match(text) else None

