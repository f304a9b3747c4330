"""`coach inspect FILE...`: what the readers made of a transcript (PROVISIONAL skeleton)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from coach.cli import app
from coach.readers import read_path


@app.command("inspect")
def inspect_command(
    paths: Annotated[list[Path], typer.Argument(help="Transcript files or folders.")],
    seller: Annotated[list[str], typer.Option("--seller", help="A seller-side speaker name (repeatable).")] = [],
    as_json: Annotated[bool, typer.Option("--json", help="Print the canonical JSON.")] = False,
) -> None:
    """Show speakers, roles and the first turns of each transcript."""
    console = Console()
    for path in paths:
        transcript = read_path(path, sellers=seller)
        if as_json:
            print(transcript.to_json())
            continue
        console.print(f"[bold]{path}[/bold] ({transcript.format}), {len(transcript.turns)} turns")
        for speaker in transcript.speakers:
            console.print(f"  {speaker.name}: {speaker.role} ({speaker.role_confidence:.2f}, {speaker.role_source})")
