"""`coach inspect FILE...`: what the readers made of each transcript.

Shows the speakers with their role, confidence and where the role came from,
the turn count, duration, warnings and the first turns; `--json` prints the
canonical JSON instead (one document per line when several files are read). A
folder argument reads the transcript files directly in it and names what it skipped
(sub-folders, documents). A bad file prints one error
line and the batch goes on; the exit code is 2 when any file failed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from coach import callfiles, pipeline
from coach.cli import app
from coach.errors import CoachError
from coach.readers import DEFAULT_MAX_BYTES, FORMATS
from coach.transcript import Role, Transcript

_ROLE_STYLE = {Role.seller: "green", Role.customer: "cyan", Role.unknown: "yellow"}


def _clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    whole = int(seconds)
    h, rem = divmod(whole, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def render(console: Console, path: Path, transcript: Transcript, first_turns: int) -> None:
    words: dict[str, int] = {}
    turns: dict[str, int] = {}
    for turn in transcript.turns:
        words[turn.speaker] = words.get(turn.speaker, 0) + len(turn.text.split())
        turns[turn.speaker] = turns.get(turn.speaker, 0) + 1
    total_words = sum(words.values()) or 1

    console.print(
        f"[bold]{path}[/bold]  format [bold]{transcript.format}[/bold], "
        f"{len(transcript.turns)} turns, duration {_clock(transcript.duration_s)}",
        soft_wrap=True,
    )
    table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
    for column in ("speaker", "role", "confidence", "source", "turns", "talk share"):
        table.add_column(column, justify="right" if column in ("confidence", "turns", "talk share") else "left")
    for s in transcript.speakers:
        table.add_row(
            s.name,
            Text(s.role.value, style=_ROLE_STYLE[s.role]),
            f"{s.role_confidence:.2f}",
            s.role_source.value,
            str(turns.get(s.id, 0)),
            f"{100 * words.get(s.id, 0) / total_words:.0f}%",
        )
    console.print(table)
    for warning in transcript.warnings:
        console.print(Text(f"  warning: {warning}", style="yellow"), soft_wrap=True)
    if first_turns > 0:
        shown = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        shown.add_column("#", justify="right")
        shown.add_column("time", justify="right")
        shown.add_column("speaker")
        shown.add_column("text", overflow="fold")
        for turn in transcript.turns[:first_turns]:
            text = turn.text if len(turn.text) <= 160 else turn.text[:157] + "..."
            shown.add_row(str(turn.index), _clock(turn.start_s), transcript.speaker_name(turn), text)
        console.print(shown)
    console.print()


@app.command("inspect")
def inspect_command(
    paths: Annotated[list[Path], typer.Argument(help="Transcript files or folders.", show_default=False)],
    seller: Annotated[
        list[str], typer.Option("--seller", help="A seller-side speaker name (repeatable); everyone else is a customer.")
    ] = [],
    roles: Annotated[
        Path | None, typer.Option("--roles", help="YAML/JSON roles file: name -> seller|customer, or sellers: [...].")
    ] = None,
    fmt: Annotated[
        str | None, typer.Option("--format", help=f"Skip detection and read as: {', '.join(FORMATS)}.")
    ] = None,
    max_bytes: Annotated[int, typer.Option("--max-bytes", help="Refuse files larger than this.", min=1)] = DEFAULT_MAX_BYTES,
    as_json: Annotated[bool, typer.Option("--json", help="Print the canonical JSON.")] = False,
    first_turns: Annotated[int, typer.Option("--turns", help="How many first turns to show.", min=0)] = 6,
) -> None:
    """Show speakers (role, confidence, source), turn count, duration and the first turns of each transcript."""
    console = Console(highlight=False)
    try:
        # What it shows is what `coach score` reads: the pipeline's read step, the roles file parsed once.
        spec = pipeline.resolve(sellers=seller, roles_file=roles, format=fmt, max_bytes=max_bytes, sellers_on_call=False)
    except CoachError as exc:
        print(f"coach: error: {exc.one_line()}", file=sys.stderr)
        raise typer.Exit(2) from None

    found = callfiles.scan(paths)
    files = found.files
    for line in found.skipped:
        print(f"coach: {line}", file=sys.stderr)
    if not files:
        print("coach: error: no transcript files found in the given folder(s)", file=sys.stderr)
        raise typer.Exit(2)
    failures: list[str] = []
    for path in files:
        try:
            transcript = pipeline.read(spec, path)
        except CoachError as exc:
            failures.append(exc.one_line())
            print(f"coach: error: {exc.one_line()}", file=sys.stderr)
            continue
        if as_json:
            print(transcript.to_json(indent=2 if len(files) == 1 else None))
        else:
            render(console, path, transcript, first_turns)
    if len(files) > 1:
        read = len(files) - len(failures)
        print(f"coach: read {read} of {len(files)} transcript(s); {len(failures)} failed", file=sys.stderr)
        for line in failures:
            print(f"  {line}", file=sys.stderr)
    if failures:
        raise typer.Exit(2)
