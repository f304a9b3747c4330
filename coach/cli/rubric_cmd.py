"""`coach rubric check FILE` and `coach rubric try FILE CALLS...`: a rubric author's kit.

`check` validates (errors name the file and field) and lints (coach/rubric_check.py);
exit 1 on any error, 2 when the file does not load (or `--llm` names a model that
cannot be had). Question items' examples are graded only with `--llm`. `try` scores calls with the
rubric and, where `<stem>.labels.yaml` sits beside a call, prints per-item
agreement with its labels.
"""

from __future__ import annotations

import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from coach import callfiles, pipeline
from coach.cli import app
from coach.errors import CoachError
from coach.evaluation import load_labels
from coach.llm.choice import choose_llm
from coach.llm.grader import SkippedGrader
from coach.llm.settings import LLMMode, load_settings
from coach.rubric.schema import load_rubric
from coach.rubric_check import lint_rubric

rubric_app = typer.Typer(help="Check and try a rubric before a team publishes it.", no_args_is_help=True)
app.add_typer(rubric_app, name="rubric")


@rubric_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="The rubric YAML file.")],
    llm: Annotated[
        LLMMode,
        typer.Option("--llm", help="Check the examples of LLM question items with this LLM too: embedded (the small "
                     "local model) or endpoint (OPENAI_BASE_URL). Default: off (they are listed as not checked)."),
    ] = LLMMode.off,
) -> None:
    """Validate and lint a rubric: examples get their verdicts, ids stay stable, weights make sense."""
    with ExitStack() as scope:
        grader = None
        if llm is not LLMMode.off:
            from coach.llm.session import llm_grader  # the openai SDK loads only when asked for

            settings = load_settings()
            grader = scope.enter_context(llm_grader(settings, choice=choose_llm(settings, llm)))
            if isinstance(grader, SkippedGrader):
                print(f"coach: error: --llm {llm.value}: {grader.reason}", file=sys.stderr)
                raise typer.Exit(2)
        issues = lint_rubric(file, grader)
    for issue in issues:
        print(issue.line(), file=sys.stderr if issue.severity == "error" else sys.stdout)
    errors = sum(1 for i in issues if i.severity == "error")
    warnings = sum(1 for i in issues if i.severity == "warning")
    notes = len(issues) - errors - warnings
    rubric = load_rubric(file)
    print(f"{file}: {rubric.id} {rubric.version}: {len(rubric.items)} items, {errors} error(s), "
          f"{warnings} warning(s)" + (f", {notes} note(s)" if notes else ""))  # fmt: skip
    if errors:
        raise typer.Exit(1)


@rubric_app.command("try")
def try_(
    file: Annotated[Path, typer.Argument(help="The rubric YAML file.")],
    calls: Annotated[list[Path], typer.Argument(help="Transcript files or folders.")],
) -> None:
    """Score calls with the rubric; print each verdict and, where labels exist, agreement."""
    spec = pipeline.resolve(rubric=file)
    agree = total = 0
    failed = False
    for path in callfiles.expand(calls):
        labels_path = path.with_name(path.stem + ".labels.yaml")
        try:
            labels = load_labels(labels_path) if labels_path.exists() else None
            _transcript, card = pipeline.read_and_score(spec.for_call(sellers=labels.sellers if labels else ()), path)
        except CoachError as exc:
            print(f"coach: error: {exc.one_line()}", file=sys.stderr)
            failed = True
            continue
        score = "null" if card.score is None else f"{card.score:g}"
        print(f"{path}: {card.call_type.value}, score {score}")
        for item in card.items:
            mark = ""
            if labels is not None and item.id in labels.items:
                total += 1
                same = labels.items[item.id] == item.verdict
                agree += same
                mark = "  agrees" if same else f"  DISAGREES (labelled {labels.items[item.id].value})"
            print(f"  {item.id}: {item.verdict.value}{mark}")
    if total:
        print(f"agreement with labels: {agree}/{total} ({agree / total:.0%})")
    if failed:
        raise typer.Exit(2)

