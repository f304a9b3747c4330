"""Which files on disk are calls: expanding the folders a user names into call files."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
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


# Documents people export from meeting tools that we cannot read; say how to get a transcript instead.
_EXPORT_HINT = "export the transcript as .txt, .vtt or .srt"
_DOCUMENTS = frozenset({".docx", ".doc", ".pdf", ".rtf", ".odt", ".pages"})


@dataclass
class Scan:
    files: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # one line per entry a folder held that is not read


def _skip_reason(path: Path) -> str | None:
    """Why an entry of a folder is not read as a call; None for calls and our own files."""
    name = path.name
    if name.startswith("."):
        return None  # hidden files are nobody's calls
    if path.is_dir():
        return "a sub-folder (sub-folders are not searched; name it to read the calls in it)"
    if name.endswith(_NOT_CALLS) or _OUTPUT_MARK in name or is_call_file(path):
        return None
    suffix = path.suffix.lower()
    if suffix in _DOCUMENTS:
        return f"a {suffix} document, which cannot be read: {_EXPORT_HINT}"
    return f"not a transcript file (reads {', '.join(sorted(CALL_SUFFIXES))})"


def scan(paths: Iterable[Path]) -> Scan:
    """Files as given (whatever their suffix: the user named them), folders replaced by their calls,
    with a line for everything a folder held that is not read."""
    found = Scan()
    for path in paths:
        if not path.is_dir():
            found.files.append(path)
            continue
        found.files.extend(calls_in(path))
        for entry in sorted(path.iterdir()):
            reason = _skip_reason(entry)
            if reason:
                found.skipped.append(f"{entry}: skipped, {reason}")
    return found


def expand(paths: Iterable[Path]) -> list[Path]:
    return scan(paths).files
