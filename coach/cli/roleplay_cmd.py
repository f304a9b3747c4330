"""`coach roleplay`: practise an expansion call against a simulated customer.

    coach roleplay --list
    coach roleplay --scenario usage_threshold_upsell            # interactive chat
    coach roleplay --scenario renewal_window --rep-lines rep.txt  # scripted rep, for automation
    coach roleplay --from-scorecard call.scorecard.json          # practise a real call's misses

The customer's lines come from the embedded model (or the configured
endpoint) with the scenario's scripted line as the fallback; `--no-llm` uses
the scripted lines only. At the end the session is saved as a canonical
transcript (plus the session state with the facilitator's notes) and scored.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from coach.cli import app
from coach.errors import CoachError
from coach.render import OutputFormat, render
from coach.roleplay.actor import open_actor
from coach.roleplay.practice import from_scorecard
from coach.roleplay.commands import COMMANDS, hint, parse_command
from coach.roleplay.scenario import Difficulty, Scenario, get_scenario, load_scenarios
from coach.roleplay.session import (
    Actor,
    SessionState,
    Status,
    TurnResult,
    play_turn,
    score_session,
    start_session,
    to_transcript,
)
from coach.scorecard import Scorecard

EXIT_FAILED = 2
END_WORDS = {"/quit", "/exit"}  # leave at once; /end goes through the command loop


def _fail(message: str) -> None:
    print(f"coach: error: {message}", file=sys.stderr)
    raise typer.Exit(EXIT_FAILED)


def _list(console: Console) -> None:
    """One block per scenario, printed plainly so the id you must type is never cut or wrapped."""
    for scenario in load_scenarios().values():
        p = scenario.persona
        console.print(f"[bold]{scenario.id}[/]", soft_wrap=True)
        console.print(
            f"  {escape(scenario.title)}\n  customer: {escape(p.name)}, {escape(p.title)}, {escape(p.company)}"
            f" · trigger: {scenario.trigger.value} · motion: {scenario.motion.value} · level: {p.difficulty.value}",
            soft_wrap=True,
        )
    levels = ", ".join(d.value for d in Difficulty)
    console.print(f"\nPlay one with --scenario ID; --difficulty {{{levels}}} changes the customer.", soft_wrap=True)


def _read_scorecard(path: Path) -> Scorecard:
    try:
        return Scorecard.model_validate_json(path.read_bytes())
    except OSError as exc:
        raise CoachError(f"cannot read scorecard: {exc.strerror}", source=str(path)) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise CoachError(f"not a scorecard: {where}: {first['msg']}", source=str(path)) from None


def _read_rep_lines(path: Path) -> list[str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CoachError(f"cannot read rep lines: {exc}", source=str(path)) from None
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    if not lines:
        raise CoachError("no rep lines (one line per rep turn; # starts a comment)", source=str(path))
    return lines


def _show_turn(console: Console, state: SessionState, result: TurnResult, *, echo_rep: bool) -> None:
    if echo_rep:
        console.print(f"[bold cyan]{escape(state.rep_name)}:[/] {escape(result.rep.text)}")
    for note in result.notes:
        console.print(
            Panel(
                f"{escape(note.message)}\n[bold]Try:[/] {escape(note.better)}",
                title=f"Facilitator: {note.rule.replace('_', ' ')}", title_align="left", border_style="yellow",
            )
        )  # fmt: skip
    # Where the model's reply was unusable the scripted line stands in, unmarked: the customer
    # speaks with one voice (the reason is kept in the saved session for whoever debugs it).
    console.print(f"[bold magenta]{escape(state.scenario.persona.name)}:[/] {escape(result.customer.text)}")


def _open_actor(stack: ExitStack, console: Console, no_llm: bool) -> Actor:
    def unavailable(why: str) -> None:
        console.print(f"[yellow]model unavailable ({escape(why)}); using scripted lines[/]")

    return open_actor(stack, use_llm=not no_llm, unavailable=unavailable)


def _save(state: SessionState, save: Path | None) -> tuple[Path, Path]:
    folder = save or Path.cwd()
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"roleplay-{state.scenario.id}-{state.id}"
    transcript_path = folder / f"{stem}.transcript.json"
    session_path = folder / f"{stem}.session.json"
    transcript_path.write_text(to_transcript(state).to_json() + "\n", encoding="utf-8")
    session_path.write_text(state.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return transcript_path, session_path


@app.command("roleplay")
def roleplay_command(
    list_: Annotated[bool, typer.Option("--list", help="List the scenarios and exit.")] = False,
    scenario_id: Annotated[str | None, typer.Option("--scenario", help="The scenario id to play.")] = None,
    from_card: Annotated[
        Path | None, typer.Option("--from-scorecard", help="Build a practice scenario from a scorecard JSON's misses.")
    ] = None,
    rep_lines: Annotated[
        Path | None, typer.Option("--rep-lines", help="Play a scripted rep: one line per rep turn.")
    ] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Scripted customer lines only; no model.")] = False,
    seed: Annotated[int, typer.Option("--seed", help="Makes the session reproducible.")] = 7,
    difficulty: Annotated[
        Difficulty | None,
        typer.Option("--difficulty", help="How hard the customer is: patience, brush-offs, how much they reveal (default: the scenario's)."),
    ] = None,
    rep_name: Annotated[str, typer.Option("--rep-name", help="Your name in the saved transcript.")] = "Rep",
    save: Annotated[Path | None, typer.Option("--save", help="Folder for the transcript and session files (default: .).")] = None,
    fmt: Annotated[OutputFormat, typer.Option("--format", "-f", help="How to show the scorecard.")] = OutputFormat.text,
) -> None:
    """Practise an expansion call against a simulated customer; a facilitator steps in when a rule breaks."""
    # With a machine-readable scorecard format the chat goes to stderr so stdout stays parseable.
    console = Console(highlight=False, stderr=fmt is not OutputFormat.text and not list_)
    try:
        if list_:
            _list(console)
            return
        if (scenario_id is None) == (from_card is None):
            _fail("give exactly one of --scenario ID or --from-scorecard FILE (or --list)")
        scenario: Scenario = get_scenario(scenario_id) if scenario_id else from_scorecard(_read_scorecard(from_card))  # type: ignore[arg-type]
        scripted = _read_rep_lines(rep_lines) if rep_lines else None
        if scripted is None and not sys.stdin.isatty():
            _fail("stdin is not a terminal: pass --rep-lines FILE to play a scripted rep")
        state = start_session(scenario, seed=seed, rep_name=rep_name, difficulty=difficulty)
        p = scenario.persona
        console.print(Panel(
            f"[bold]{escape(scenario.title)}[/]\nCustomer: {escape(p.name)}, {escape(p.title)} at {escape(p.company)} "
            f"(level {state.level.value})\n\n{escape(' '.join(scenario.rep_brief.split()) if not scenario.focus else scenario.rep_brief)}"
            + ("" if scripted else "\n\n[dim]Type your lines. /help lists the commands; /end finishes the call.[/]"),
            title="Role-play", title_align="left",
        ))  # fmt: skip
        console.print(f"[bold magenta]{escape(p.name)}:[/] {escape(state.turns[0].text)}")
        with ExitStack() as stack:
            actor = _open_actor(stack, console, no_llm)
            for line in scripted if scripted is not None else iter(lambda: _ask(console, state), None):
                if state.status is not Status.active:
                    break
                command = parse_command(line)
                if command is not None:  # never spoken to the customer, never scored
                    if command == "end":
                        break
                    if command == "restart":
                        state = start_session(scenario, seed=seed, rep_name=rep_name, difficulty=difficulty)
                        console.print(f"[dim]Restarted.[/]\n[bold magenta]{escape(p.name)}:[/] {escape(state.turns[0].text)}")
                    elif command == "hint":
                        console.print(Panel(escape(hint(state)), title="Hint", title_align="left", border_style="blue"))
                    elif command == "help":
                        console.print("\n".join(f"/{name}  {text}" for name, text in COMMANDS.items()))
                    else:
                        console.print(f"[yellow]unknown command {escape(line.split()[0])}; /help lists the commands[/]")
                    continue
                if scripted is None:
                    with console.status(f"{p.name} is thinking..."):
                        result = play_turn(state, line, actor)
                else:
                    result = play_turn(state, line, actor)
                state = result.state
                _show_turn(console, state, result, echo_rep=scripted is not None)
        if state.status is Status.ended:
            console.print("[dim]The customer ended the call.[/]")
        transcript_path, session_path = _save(state, save)
        card = score_session(state)
    except CoachError as exc:
        _fail(exc.one_line())
        return
    except OSError as exc:
        _fail(f"{exc.filename}: {exc.strerror}")
        return
    if fmt is OutputFormat.text:
        console.print(render(fmt, card, to_transcript(state), color=sys.stdout.isatty(), width=min(console.width, 160)))
    else:
        sys.stdout.write(render(fmt, card, to_transcript(state)).rstrip("\n") + "\n")
    if state.notes:
        console.print(f"Facilitator stepped in {len(state.notes)} time(s): " + ", ".join(
            f"turn {n.turn} {n.rule.replace('_', ' ')}" for n in state.notes))  # fmt: skip
    console.print(f"[dim]saved {transcript_path} and {session_path}[/]")


def _ask(console: Console, state: SessionState) -> str | None:
    try:
        line = console.input(f"[bold cyan]{escape(state.rep_name)}:[/] ").strip()
    except (EOFError, KeyboardInterrupt):
        return None
    if line.lower() in END_WORDS:
        return None
    return line or _ask(console, state)
