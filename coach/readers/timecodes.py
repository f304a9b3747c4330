"""Time stamps as recorders write them: `1:23`, `00:01:23`, `00:01:23.456`, `00:01:23,456`."""

from __future__ import annotations

import re

# h:mm:ss(.fff) or mm:ss(.fff), `.` or `,` before the fraction (SRT uses a comma).
TIME = r"(?:\d{1,3}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?"
_TIME_RE = re.compile(rf"^{TIME}$")


def parse_time(text: str) -> float:
    """Seconds from a time stamp; the caller has already matched `TIME`."""
    text = text.replace(",", ".")
    seconds = 0.0
    for part in text.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


def is_time(text: str) -> bool:
    return bool(_TIME_RE.match(text))
