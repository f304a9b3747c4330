"""The `coach` command line (typer + rich).

Each sub-command lives in its own module and registers itself on `app`.
User errors (`CoachError`) print one line to stderr and exit 2; no tracebacks.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

import coach
from coach.errors import CoachError

# `-h` as well as `--help`; sub-commands and sub-groups inherit it from this context.
CONTEXT = {"help_option_names": ["-h", "--help"]}

app = typer.Typer(
    name="coach",
    help="Expansion-call coach: read, score and practise upsell and cross-sell conversations.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings=CONTEXT,
)


def _version(value: bool) -> None:
    if value:
        print(f"coach {coach.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool, typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Expansion-call coach: read, score and practise upsell and cross-sell conversations."""

# Sub-commands register themselves on import.
from coach.cli import inspect_cmd  # noqa: E402,F401
from coach.cli import score_cmd  # noqa: E402,F401
from coach.cli import eval_cmd  # noqa: E402,F401
from coach.cli import serve_cmd  # noqa: E402,F401
from coach.cli import admin_cmd  # noqa: E402,F401
from coach.cli import worker_cmd  # noqa: E402,F401
from coach.cli import roleplay_cmd  # noqa: E402,F401


def main() -> None:
    try:
        app()
    except CoachError as exc:
        print(f"coach: error: {exc.one_line()}", file=sys.stderr)
        raise SystemExit(2) from None
