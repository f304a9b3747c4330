"""Time stamps as recorders write them: `1:23`, `00:01:23`, `00:01:23.456`, `00:01:23,456`."""

from __future__ import annotations

import re

# h:mm:ss(.fff) or mm:ss(.fff), `.` or `,` before the fraction (SRT uses a comma).
TIME = r"(?:\d{1,3}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_TIME_RE = re.compile(rf"{TIME}\Z", re.ASCII)


def parse_time(text: str) -> float:
    """Seconds from a time stamp the caller has matched with `TIME`.

    Computed in whole milliseconds and divided once, so `00:01:23.456` is
    exactly the float `83.456` and canonical JSON shows no rounding noise.
    """
    if len(text) == 12 and text[2] == ":" and text[5] == ":":  # HH:MM:SS.mmm, the common case
        return (int(text[:2]) * 3_600_000 + int(text[3:5]) * 60_000 + int(text[6:8]) * 1000 + int(text[9:])) / 1000
    whole, _, frac = text.replace(",", ".").partition(".")
    ms = 0
    for part in whole.split(":"):
        ms = ms * 60 + int(part)
    return (ms * 1000 + (int(frac.ljust(3, "0")) if frac else 0)) / 1000


def try_parse_time(text: str) -> float | None:
    """`parse_time` for text that may not be a time stamp at all (None then)."""
    return parse_time(text) if _TIME_RE.match(text) else None

