"""Reading the project's YAML data files (rubrics, scenarios) into pydantic models.

One place turns a file problem into a one-line `RubricError`: the file, the
YAML line where parsing broke, or the field path pydantic rejected.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from coach.errors import RubricError
from coach.resources import data_file

M = TypeVar("M", bound=BaseModel)


def read_yaml(path: Path, what: str) -> object:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError(f"cannot read {what}: {exc}", source=str(path)) from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise RubricError(f"invalid YAML: {problem}", source=str(path), line=line) from None


def field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part.endswith(".v1") or part.startswith("function-"):
            continue  # the discriminator tag pydantic inserts; the path reads better without it
        else:
            path += f".{part}" if path else part
    return path or "(top level)"


def validate(model: type[M], data: object, *, source: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        message = first["msg"].removeprefix("Value error, ")
        path = field_path(first["loc"])
        # A whole-file check names its own place ("items[8]: ..."); "(top level)" would only precede it.
        where = "" if path == "(top level)" and re.match(r"\w+\[\d+\]: ", message) else f"{path}: "
        raise RubricError(f"{where}{message}{more}", source=source) from None


@lru_cache(maxsize=16)
def _load_cached(model: type[M], path: Path, mtime_ns: int, what: str) -> M:
    data = read_yaml(path, what)
    if not isinstance(data, dict):
        raise RubricError(f"a {what} must be a YAML mapping", source=str(path))
    return validate(model, data, source=str(path))


def load_data_file(model: type[M], path: str | Path | None, bundled: str, what: str) -> M:
    """A validated data file, cached until it changes on disk; None means `rubrics/<bundled>`."""
    resolved = Path(path) if path is not None else data_file("rubrics", bundled)
    try:
        mtime = resolved.stat().st_mtime_ns
    except OSError as exc:
        raise RubricError(f"cannot read {what}: {exc.strerror}", source=str(resolved)) from None
    return _load_cached(model, resolved.resolve(), mtime, what)
