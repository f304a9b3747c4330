"""`coach rubric check FILE` and `coach rubric try FILE CALLS...`: a rubric author's kit.

`check` validates (errors name the file and field) and lints (coach/rubric_check.py);
exit 1 on any error, 2 when the file does not load. `try` scores calls with the
rubric and, where `<stem>.labels.yaml` sits beside a call, prints per-item
agreement with its labels.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from coach import callfiles, pipeline
from coach.cli import app
from coach.errors import CoachError
from coach.evaluation import load_labels
from coach.rubric.schema import load_rubric
from coach.rubric_check import lint_rubric

rubric_app = typer.Typer(help="Check and try a rubric before a team publishes it.", no_args_is_help=True)
app.add_typer(rubric_app, name="rubric")


@rubric_app.command("check")
def check(file: Annotated[Path, typer.Argument(help="The rubric YAML file.")]) -> None:
    """Validate and lint a rubric: examples get their verdicts, ids stay stable, weights make sense."""
    issues = lint_rubric(file)
    for issue in issues:
        print(issue.line(), file=sys.stderr if issue.severity == "error" else sys.stdout)
    errors = sum(1 for i in issues if i.severity == "error")
    rubric = load_rubric(file)
    print(f"{file}: {rubric.id} {rubric.version}: {len(rubric.items)} items, {errors} error(s), "
          f"{len(issues) - errors} warning(s)")  # fmt: skip
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

