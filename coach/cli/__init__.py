"""The `coach` command line (typer + rich).

Each sub-command lives in its own module and registers itself on `app`.
User errors (`CoachError`) print one line to stderr and exit 2; no tracebacks.
"""

from __future__ import annotations

import sys

import typer

from coach.errors import CoachError

app = typer.Typer(
    name="coach",
    help="Expansion-call coach: read, score and practise upsell and cross-sell conversations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

# Sub-commands register themselves on import.
from coach.cli import inspect_cmd  # noqa: E402,F401
from coach.cli import score_cmd  # noqa: E402,F401
from coach.cli import eval_cmd  # noqa: E402,F401
from coach.cli import serve_cmd  # noqa: E402,F401
from coach.cli import admin_cmd  # noqa: E402,F401
from coach.cli import roleplay_cmd  # noqa: E402,F401


def main() -> None:
    try:
        app()
    except CoachError as exc:
        print(f"coach: error: {exc.one_line()}", file=sys.stderr)
        raise SystemExit(2) from None
