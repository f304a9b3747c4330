"""The project's own errors.

Every error a user can cause by what they give us (a file, a rubric, a request)
is a `CoachError` whose `str()` is one line naming the source, the problem and,
where it applies, the line number. CLIs print that line and exit 2; the API
turns it into a 4xx problem document.
"""

from __future__ import annotations


class CoachError(Exception):
    """Base class: a problem with user input or configuration, reportable in one line."""

    def __init__(self, message: str, *, source: str | None = None, line: int | None = None):
        self.message = message
        self.source = source
        self.line = line
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = self.source or ""
        if self.line is not None:
            where = f"{where}:{self.line}" if where else f"line {self.line}"
        text = " ".join(self.message.split())
        return f"{where}: {text}" if where else text


class TranscriptError(CoachError):
    """A transcript could not be read (empty, junk, bad JSON, unknown format, too large...)."""


class RubricError(CoachError):
    """A rubric, scenario or prompt data file is invalid; the message names the field path."""


class ConfigError(CoachError):
    """Settings are invalid or unsafe."""
