"""One resolver for the data folders (`prompts/`, `rubrics/`).

In a checkout (or an editable install) they sit at the repository root; in an
installed wheel they are packaged as `coach/_data/<name>`. Everything that
loads rubrics, scenarios or prompt templates goes through `data_dir()`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
DATA_FOLDERS = ("prompts", "rubrics")


@cache
def data_dir(name: str) -> Path:
    if name not in DATA_FOLDERS:
        raise ValueError(f"unknown data folder {name!r}; expected one of {DATA_FOLDERS}")
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"data folder {name!r} not found in the installed package nor next to it ({_PACKAGE_DIR})"
    )


def data_file(name: str, relative: str) -> Path:
    return data_dir(name) / relative
