"""`coach score PATH...`: score calls against the rubric and print or write their scorecards.

Folders are expanded to the calls directly inside them and scored on both
cores. A file that cannot be read or scored is reported on one line and
skipped; the run ends with a summary and exits 2 if any file failed.
Heuristics only unless an LLM is configured or asked for (`coach.llm.choice`);
a progress bar on a terminal unless `--quiet`.
"""

from __future__ import annotations

import shutil
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from coach import batch, callfiles, pipeline
from coach.cli import app
from coach.cli.progress import RunProgress, wanted
from coach.errors import CoachError
from coach.llm.choice import NOT_CONFIGURED, choose_llm
from coach.llm.session import llm_job
from coach.llm.settings import LLMMode, load_settings
from coach.render import OutputFormat
from coach.scorecard import CallType

EXIT_FAILED = 2


def _error(message: str) -> None:
    print(f"coach: error: {message}", file=sys.stderr)


def _output_path(out: Path, source: Path, fmt: OutputFormat, taken: set[Path]) -> Path:
    """`<stem>.scorecard.<ext>`, numbered when two inputs share a stem."""
    candidate = out / f"{source.stem}.scorecard{fmt.suffix}"
    number = 2
    while candidate in taken:
        candidate = out / f"{source.stem}-{number}.scorecard{fmt.suffix}"
        number += 1
    taken.add(candidate)
    return candidate


@app.command("score")
def score_command(
    paths: Annotated[list[Path], typer.Argument(help="Call transcripts, or folders of them (the calls directly inside; sub-folders are not searched).", show_default=False)],
    fmt: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="json (the contract), md, html or text (terminal).")
    ] = OutputFormat.text,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write one scorecard file per call into this folder.")
    ] = None,
    rubric: Annotated[
        Path | None,
        typer.Option("--rubric", help="A rubric YAML for every call. Default: the bundled rubric for the call's type "
                     "(new_logo: first_call_discovery, others: expansion_call; the map is in rubrics/call_types.yaml)."),
    ] = None,
    seller: Annotated[list[str], typer.Option("--seller", help="A seller-side speaker name (repeatable).")] = [],
    roles: Annotated[
        Path | None, typer.Option("--roles", help="Roles file: 'sellers: [names]' or 'Name: seller|customer' lines.")
    ] = None,
    workers: Annotated[int | None, typer.Option("--workers", min=1, help="Worker processes (default: up to 2).")] = None,
    call_type: Annotated[
        CallType | None,
        typer.Option("--call-type", help="Say what kind of call it is (expansion, new_logo, not_sales, unknown) instead of letting the coach decide."),
    ] = None,
    llm: Annotated[
        LLMMode | None,
        typer.Option(
            "--llm",
            help="Who grades beside the heuristics: auto (a configured endpoint, else nobody), embedded (the small "
            "local model; needs the local-llm extra), endpoint, or off. Default: COACH_LLM, else auto.",
            show_default=False,
        ),
    ] = None,
    no_llm: Annotated[bool, typer.Option("--no-llm", help="Heuristics only (same as --llm off).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar and no LLM line on stderr.")] = False,
) -> None:
    """Score calls against the rubric for their type: verdicts with evidence and advice."""
    try:
        # A bad roles file or rubric stops the run before any call is read.
        # None: the call-type gate picks a bundled rubric per call; they all load now
        spec = pipeline.resolve(rubric=rubric, sellers=seller, roles_file=roles, call_type=call_type, gate=True)
        found = callfiles.scan(paths)
        files = found.files
        if out is not None:
            out.mkdir(parents=True, exist_ok=True)
    except CoachError as exc:
        _error(exc.one_line())
        raise typer.Exit(EXIT_FAILED) from None
    except OSError as exc:
        _error(f"{exc.filename}: cannot create output folder: {exc.strerror}")
        raise typer.Exit(EXIT_FAILED) from None
    for line in found.skipped:
        print(f"coach: {line}", file=sys.stderr)
    if not files:
        _error(f"no call files found in {', '.join(map(str, paths))} (looked for {', '.join(sorted(callfiles.CALL_SUFFIXES))})")
        raise typer.Exit(EXIT_FAILED)
    many = len(files) > 1
    if out is None and many and fmt is OutputFormat.html:
        _error("--format html with several calls needs --out DIR (one page per call)")
        raise typer.Exit(EXIT_FAILED)

    to_terminal = out is None and fmt is OutputFormat.text and sys.stdout.isatty()
    width = min(shutil.get_terminal_size((100, 24)).columns, 160) if to_terminal else 100
    llm_scope = ExitStack()
    try:
        settings = load_settings()
        choice = choose_llm(settings, LLMMode.off if no_llm else llm)
        # The embedded model (when asked for) runs for the whole batch and stops after it.
        job = llm_scope.enter_context(llm_job(choice, rubric=spec.rubric, settings=settings))
    except CoachError as exc:
        _error(exc.one_line())
        raise typer.Exit(EXIT_FAILED) from None
    if not quiet and not to_terminal and (choice.grades or choice.reason == NOT_CONFIGURED):
        # The terminal scorecard says it in its header; other outputs get it once on stderr,
        # unless the user turned the LLM off themselves (--no-llm, COACH_LLM=off).
        print(f"coach: {choice.summary()}", file=sys.stderr)
    # Several JSON scorecards on stdout go one per line (JSON Lines) so the stream stays parseable.
    compact_json = out is None and many and fmt is OutputFormat.json
    run = batch.BatchRun(spec=spec, llm=job, format=fmt, color=to_terminal, width=width, compact=compact_json)

    failed: list[batch.ScoreOutcome] = []
    scored: list[batch.ScoreOutcome] = []
    taken: set[Path] = set()
    progress = RunProgress(total=len(files), enabled=wanted(quiet) and (many or choice.grades))
    with llm_scope, progress:  # stops the embedded model after the batch
        for outcome in batch.run(run, files, workers=workers, on_window=progress.window_done):
            progress.call_done(ok=outcome.ok)
            if not outcome.ok:
                failed.append(outcome)
                progress.print(f"coach: error: {outcome.error or ''}")
                continue
            scored.append(outcome)
            text = outcome.output or ""
            if out is not None:
                target = _output_path(out, outcome.path, fmt, taken)
                target.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
            elif compact_json:
                print(text)
            else:
                sys.stdout.write(text if text.endswith("\n") else text + "\n")
                if many:
                    sys.stdout.write("\n")
            sys.stdout.flush()

    if many or out is not None:
        _summary(scored, failed, out)
    if failed:
        raise typer.Exit(EXIT_FAILED)


def _summary(scored: list[batch.ScoreOutcome], failed: list[batch.ScoreOutcome], out: Path | None) -> None:
    total = len(scored) + len(failed)
    parts = [f"scored {len(scored)} of {total} call{'s' if total != 1 else ''}"]
    if failed:
        parts.append(f"{len(failed)} failed")
    scores = [o.score for o in scored if o.score is not None]
    if scores:
        parts.append(f"mean score {sum(scores) / len(scores):.0f}")
    if out is not None:
        parts.append(f"written to {out}")
    print(f"coach: {', '.join(parts)}", file=sys.stderr)
