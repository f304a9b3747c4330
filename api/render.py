"""Rendered scorecard views (`?format=md|html`): the shared renderers in `coach.render`
draw the scorecard everyone sees (the managers' verdicts in place, the score recomputed);
what the machine said is added beside it here."""

from __future__ import annotations

import math

from api.schemas.scorecards import ReviewedItem, ScorecardPublic
from api.store.rubrics import item_titles
from api.store.scorecards import shown_scorecard
from coach.render import OutputFormat, render
from coach.render.html import Review, ReviewRow, render_html
from coach.transcript import Transcript


def render_scorecard_json(public_json: str, transcript_json: str | None, fmt: str) -> tuple[str, str]:
    """`render_scorecard` from the stored JSON: what a child process is given, so parsing and
    rendering a long call's page (megabytes of HTML) use the child's CPU, not the server's."""
    transcript = Transcript.from_json(transcript_json) if transcript_json and transcript_json != "{}" else None
    return render_scorecard(ScorecardPublic.model_validate_json(public_json), transcript, fmt)


def render_scorecard(public: ScorecardPublic, transcript: Transcript | None, fmt: str) -> tuple[str, str]:
    output = OutputFormat(fmt)
    titles = item_titles(public.rubric.id) or item_titles()
    shown = shown_scorecard(public)
    reviewed = [item for item in public.items if item.override is not None]
    if output is OutputFormat.md:
        text = render(output, shown, transcript, titles=titles)
        return text + _markdown_reviews(public, reviewed, titles), "text/markdown; charset=utf-8"
    page = render_html(shown, transcript, titles=titles, review=_review(public, reviewed, titles))
    return page, "text/html; charset=utf-8"


def machine_score_line(public: ScorecardPublic) -> str:
    def shown(score: float | None) -> str:
        return "not scored" if score is None else f"{math.floor(score + 0.5)}/100"

    return f"Score with the managers' verdicts: {shown(public.score)}; the machine's score: {shown(public.machine_score)}."


def _markdown_reviews(public: ScorecardPublic, reviewed: list[ReviewedItem], titles: dict[str, str]) -> str:
    if not reviewed:
        return ""
    lines = ["", "## Manager review", "", machine_score_line(public), "",
             "| item | machine verdict | manager verdict | comment |", "| --- | --- | --- | --- |"]
    for item in reviewed:
        assert item.override is not None
        comment = " ".join(item.override.comment.split()).replace("|", "\\|")
        lines.append(
            f"| {titles.get(item.id, item.id)} | {item.machine_verdict.value} | {item.override.verdict.value} | {comment} |"
        )
    return "\n".join(lines) + "\n"


def _review(public: ScorecardPublic, reviewed: list[ReviewedItem], titles: dict[str, str]) -> Review:
    rows = [
        ReviewRow(
            title=titles.get(item.id, item.id),
            machine_verdict=item.machine_verdict,
            manager_verdict=item.override.verdict,
            comment=item.override.comment,
        )
        for item in reviewed
        if item.override is not None
    ]
    return Review(summary=machine_score_line(public), rows=rows)
