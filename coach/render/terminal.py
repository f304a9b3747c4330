"""The scorecard in the terminal (rich): header, one row per item with evidence and advice, metrics.

The call itself is left out on purpose: a terminal is for the verdicts; the
HTML page carries the full timeline.
"""

from __future__ import annotations

import io

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from coach.render.view import (
    call_title,
    enum_label,
    evidence_label,
    item_title,
    dispute_text,
    llm_line,
    practice_line,
    metric_rows,
    call_type_text,
    score_text,
    speakers_line,
    verdict_text,
)
from coach.scorecard import Scorecard, Verdict
from coach.transcript import Transcript

VERDICT_STYLES = {Verdict.pass_: "bold green", Verdict.fail: "bold red", Verdict.not_applicable: "dim"}


def print_scorecard(
    scorecard: Scorecard,
    console: Console,
    transcript: Transcript | None = None,
) -> None:
    header = Text()
    header.append(call_title(scorecard), style="bold")
    header.append(f"   score {score_text(scorecard)}", style="bold cyan")
    header.append(f"\ncall type {call_type_text(scorecard)}")
    if scorecard.call_type_detail is not None and scorecard.call_type_detail.reason:
        header.append(f": {scorecard.call_type_detail.reason}", style="dim")
    header.append(
        f"\nmotion {enum_label(scorecard.motion.value)} · trigger {enum_label(scorecard.trigger.value)}"
        f" · rubric {scorecard.rubric.id} v{scorecard.rubric.version}"
    )
    if scorecard.rubric.reason:
        header.append(f": {scorecard.rubric.reason}", style="dim")
    for label, evidence_list in (("motion", scorecard.motion_evidence), ("trigger", scorecard.trigger_evidence)):
        for evidence in evidence_list:
            header.append(f"\n{label} evidence, {evidence_label(evidence)}: “{evidence.quote}”", style="dim")
    if scorecard.call.speakers:
        header.append(f"\nspeakers: {speakers_line(scorecard)}")
    if scorecard.llm is not None:
        header.append(f"\nLLM grader: {llm_line(scorecard.llm)}")
    if scorecard.practice is not None:
        header.append(f"\n{practice_line(scorecard)}")
    for warning in scorecard.warnings:
        header.append(f"\nwarning: {warning}", style="yellow")
    console.print(Panel(header, title=f"Scorecard · {scorecard.rubric.id.replace('_', ' ')}", title_align="left"))

    items = Table(show_lines=True, expand=True)
    items.add_column("Item", ratio=2)
    items.add_column("Verdict", no_wrap=True)
    items.add_column("Evidence and advice", ratio=5)
    for item in scorecard.items:
        body: list[Text] = []
        if item.reason:
            body.append(Text(item.reason, style="dim"))
        for evidence in item.evidence:
            line = Text(f"{evidence_label(evidence)}: ", style="cyan")
            line.append(f"“{evidence.quote}”")
            if evidence.note:
                line.append(f" ({evidence.note})", style="dim")
            body.append(line)
        if item.dispute_note is not None:
            body.append(Text(f"disputed: {dispute_text(item.dispute_note, item.verdict)}", style="yellow"))
        if item.advice:
            body.append(Text(f"→ {item.advice}", style="italic"))
        verdict = Text(verdict_text(item.verdict), style=VERDICT_STYLES[item.verdict])
        if item.disputed:
            verdict.append("\ndisputed", style="yellow")
        items.add_row(
            Text(item_title(item)),
            verdict,
            Group(*body) if body else Text(""),
        )
    if scorecard.items:
        console.print(items)
    else:
        console.print("No rubric items were scored.")

    rows = metric_rows(scorecard.metrics)
    if rows:
        metrics = Table(title="Conversation metrics", title_justify="left", show_header=False)
        metrics.add_column("Metric")
        metrics.add_column("Value", justify="right")
        for row in rows:
            metrics.add_row(row.label, row.value)
        console.print(metrics)


def render_text(
    scorecard: Scorecard,
    transcript: Transcript | None = None,
    *,
    color: bool = False,
    width: int = 100,
) -> str:
    """The terminal view as a string: plain text for files, ANSI colours when `color`."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        no_color=not color,
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )
    print_scorecard(scorecard, console, transcript)
    return buffer.getvalue()
