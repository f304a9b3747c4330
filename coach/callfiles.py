"""Which files on disk are calls: expanding the folders a user names into call files."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from coach.readers import TRANSCRIPT_SUFFIXES

# Formats the readers understand, by the suffix recorders export them with.
CALL_SUFFIXES = frozenset(TRANSCRIPT_SUFFIXES)
# Our own outputs and label files sit beside calls and are not calls.
_NOT_CALLS = (".labels.yaml", ".labels.yml")
_OUTPUT_MARK = ".scorecard."


def is_call_file(path: Path) -> bool:
    name = path.name
    return (
        path.suffix.lower() in CALL_SUFFIXES
        and not name.startswith(".")
        and _OUTPUT_MARK not in name
        and not name.endswith(_NOT_CALLS)
    )


def calls_in(folder: Path) -> list[Path]:
    """The call files directly inside `folder`, sorted by name (sub-folders are not searched)."""
    return sorted(p for p in folder.iterdir() if p.is_file() and is_call_file(p))


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files as given (whatever their suffix: the user named them), folders replaced by their calls."""
    found: list[Path] = []
    for path in paths:
        found.extend(calls_in(path) if path.is_dir() else [path])
    return found
