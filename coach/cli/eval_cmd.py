"""`coach eval DIR`: how well the rubric agrees with a folder of labelled calls.

Prints per-item precision and recall (with `fail` as the positive class),
accuracy over all three verdicts, a confusion table, motion and trigger
accuracy, and every disagreement; `--json` prints the report model instead.
Exit 2 when a call or labels file could not be evaluated.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from coach import pipeline
from coach.cli import app
from coach.cli.progress import RunProgress, wanted
from coach.errors import CoachError
from coach.evaluation import (
    MISSING,
    EvalReport,
    FactAgreement,
    RealEvalReport,
    evaluate_dir,
    evaluate_real_dir,
    labelled_pairs,
    real_label_files,
)
from coach.llm.agreement import LLMAgreement
from coach.scorecard import CallType, Verdict

_SHORT = {"pass": "P", "fail": "F", "not_applicable": "N", MISSING: "?"}


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


@app.command("eval")
def eval_command(
    folder: Annotated[Path, typer.Argument(help="Folder of calls, each with a sibling <stem>.labels.yaml, or with one labels.json (also in its sub-folders).")],
    rubric: Annotated[Path | None, typer.Option("--rubric", help="A rubric YAML to evaluate instead of the bundled one.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    call_type: Annotated[
        CallType | None,
        typer.Option("--call-type", help="Score every call as this kind (expansion, new_logo, ...) instead of classifying it; not for a labels.json folder, whose call types are what it measures."),
    ] = None,
    llm: Annotated[
        bool,
        typer.Option(
            "--llm",
            help="Grade with the LLM too and report agreement without and with it, dropped claims, tokens and seconds "
            "per call (the configured endpoint, else the embedded model; COACH_LLM=embedded forces the latter).",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
) -> None:
    """Score labelled calls and report per-item precision, recall and accuracy against the labels."""
    # A folder labelled by one labels.json (who sells, what kind of call) is measured on roles and call types.
    real = bool(real_label_files(folder))
    if real and call_type is not None:
        print(f"coach: error: --call-type: {folder} is labelled by labels.json, whose call types are what it measures", file=sys.stderr)
        raise typer.Exit(2)
    try:
        spec = pipeline.resolve(rubric=rubric, call_type=call_type)
        report = evaluate_real_dir(folder, spec) if real else _evaluate(folder, spec, llm=llm, quiet=quiet)
    except CoachError as exc:
        print(f"coach: error: {exc.one_line()}", file=sys.stderr)
        raise typer.Exit(2) from None
    for error in report.errors:
        print(f"coach: error: {error}", file=sys.stderr)
    if as_json:
        print(report.model_dump_json(indent=2))
    elif real:
        print_real_report(report)
    else:
        # Off a terminal, wide enough that the confusion table keeps one line per item.
        console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)
        print_report(report, console)
        if report.llm is not None:
            print_llm_report(report.llm, console)
    if report.errors or not report.calls:
        if not report.calls:
            print(f"coach: error: {folder}: no labelled calls could be evaluated", file=sys.stderr)
        raise typer.Exit(2)


def _share(part: int, whole: int) -> str:
    return f"{part}/{whole}" + (f" ({100 * part / whole:.1f}%)" if whole else "")


def print_real_report(report: RealEvalReport) -> None:
    print(f"{report.folder}: {report.calls} labelled calls ({len(report.errors)} skipped)")
    if report.sales_calls:
        print(f"sales calls: seller right {_share(report.seller_right, report.sales_calls)}, "
              f"wrong seller {_share(report.seller_wrong, report.sales_calls)}, "
              f"no seller found {report.seller_none}")
    print(f"call type right {_share(report.call_type_right, report.calls)}")
    for expected, found in sorted(report.call_type_confusion.items()):
        print(f"  labelled {expected}: " + ", ".join(f"{k} {v}" for k, v in sorted(found.items())))
    if report.not_sales_calls:
        print(f"not-sales calls with no score, verdict or seller: {_share(report.not_sales_unscored, report.not_sales_calls)}")
    misses = [r for r in report.results if r.call_type is not r.expected_type
              or (r.expected_type is not CallType.not_sales and not r.seller_right)]
    for r in misses:
        print(f"  {r.name}: labelled {r.expected_type.value} (seller {r.seller}), found {r.call_type.value} "
              f"(sellers {', '.join(r.sellers_found) or 'none'})")


def _evaluate(folder: Path, spec: pipeline.CallSpec, *, llm: bool, quiet: bool) -> EvalReport:
    total = len(labelled_pairs(folder)[0])
    with RunProgress(total=total, enabled=wanted(quiet)) as progress:
        on_call = lambda _name, ok: progress.call_done(ok=ok)  # noqa: E731
        if not llm:
            return evaluate_dir(folder, spec, on_call=on_call)
        from coach.llm.choice import choose_llm
        from coach.llm.session import llm_job
        from coach.llm.settings import load_settings

        settings = load_settings()
        choice = choose_llm(settings, fallback_embedded=True)
        with llm_job(choice, rubric=spec.rubric, settings=settings) as job:
            if job.mode != "grade":
                raise CoachError(f"the LLM cannot grade: {job.reason}", source="--llm")
            return evaluate_dir(folder, spec, grader=job.grader(progress.window_done), on_call=on_call)


def print_report(report: EvalReport, console: Console) -> None:
    console.print(f"[bold]{report.folder}[/bold]: {report.calls} labelled calls ({len(report.errors)} skipped)")
    table = Table(title="Per item (precision and recall treat 'fail' as the positive class)", title_justify="left")
    widest = max((len(i.id) for i in report.items), default=4)
    table.add_column("item", no_wrap=True, min_width=widest)  # item ids are what labels files use: never cut
    for column, justify in (("core", "center"), ("n", "right"), ("precision", "right"),
                            ("recall", "right"), ("accuracy", "right")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for item in report.items:
        table.add_row(item.id, "yes" if item.core else "", str(item.n), _pct(item.precision), _pct(item.recall), _pct(item.accuracy))
    console.print(table)

    verdicts = [v.value for v in Verdict]
    cells = [(e, g) for e in verdicts for g in [*verdicts, MISSING]]
    confusion = Table(
        title="Confusion, labelled→scored (P pass, F fail, N not applicable, ? item missing from the scorecard)",
        title_justify="left",
    )
    confusion.add_column("item", no_wrap=True, min_width=widest)
    for expected, got in cells:
        confusion.add_column(f"{_SHORT[expected]}→{_SHORT[got]}", justify="right")
    for item in report.items:
        confusion.add_row(item.id, *(str(item.confusion.get(e, {}).get(g, 0) or "·") for e, g in cells))
    console.print(confusion)

    for fact in (report.motion, report.trigger, report.discovery_asked):
        if fact.n:
            console.print(_fact_line(fact))
    if report.mismatches:
        console.print(f"\n[bold]Disagreements ({len(report.mismatches)})[/bold]")
        for m in report.mismatches:
            console.print(f"  {m.call}  {m.field}: labelled {m.expected}, scored {m.got}", markup=False, soft_wrap=True)


def _fact_line(fact: FactAgreement) -> str:
    return f"{fact.name}: accuracy {_pct(fact.accuracy)} ({fact.correct}/{fact.n})"


def print_llm_report(agreement: LLMAgreement, console: Console) -> None:
    """Per item: accuracy without and with the LLM, the LLM's own opinion, dropped claims; then cost per call."""
    who = f"{agreement.endpoint_kind or ''} model {agreement.model or '?'}".strip()
    table = Table(
        title=f"With the LLM ({who}): accuracy against the labels without it, with it (final verdicts), and of its own evidenced opinion",
        title_justify="left",
    )
    for column in ("item", "asked", "n", "without", "with", "changed", "disputed", "LLM judged", "LLM right", "dropped"):
        table.add_column(column, justify="left" if column == "item" else "right")
    for item in agreement.items:
        if not item.graded_by_llm and not item.changed:
            continue
        table.add_row(
            item.id, "yes" if item.graded_by_llm else "advice", str(item.n), _pct(item.accuracy_without),
            _pct(item.accuracy_with), str(item.changed), str(item.disputed), str(item.llm_judged),
            f"{item.llm_correct} ({_pct(item.llm_accuracy)})", str(item.llm_dropped),
        )  # fmt: skip
    console.print(table)
    graded = agreement.graded_calls
    failed = len(agreement.calls) - len(graded)
    line = f"LLM graded {len(graded)} of {len(agreement.calls)} calls"
    if failed:
        line += f" ({failed} failed: the heuristic verdicts stood)"
    if graded:
        line += (
            f"; per graded call: {agreement.mean('tokens_in'):.0f} tokens in, {agreement.mean('tokens_out'):.0f} out, "
            f"{agreement.mean('seconds'):.1f} s, {agreement.mean('requests'):.1f} requests, "
            f"{agreement.mean('dropped_claims'):.1f} claims dropped for unverified quotes"
        )
    console.print(line)
