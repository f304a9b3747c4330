"""The scorecard as one self-contained HTML page (jinja2 template in `templates/`).

No scripts, fonts or stylesheets are fetched: the page is a single file a rep
can mail or archive. Transcript text is data and is always autoescaped.
"""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel
from jinja2 import BaseLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from coach.render.view import (
    VERDICT_LABELS,
    VERDICT_SYMBOLS,
    build_timeline,
    call_title,
    enum_label,
    evidence_label,
    format_time,
    item_anchor,
    item_title,
    dispute_text,
    llm_line,
    practice_line,
    iso_duration,
    metric_rows,
    call_type_text,
    score_text,
)
from coach.scorecard import Scorecard, Verdict
from coach.transcript import Transcript

TEMPLATE = "scorecard.html.j2"


class ReviewRow(BaseModel):
    title: str
    machine_verdict: Verdict
    manager_verdict: Verdict
    comment: str


class Review(BaseModel):
    """The managers' changes to the machine's verdicts, shown as a section of the page."""

    summary: str
    rows: list[ReviewRow]


def scorecard_environment(loader: BaseLoader, **extra_globals: object) -> Environment:
    """A jinja2 environment with the scorecard helpers: shared by this page and the web app's pages."""
    env = Environment(
        loader=loader,
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        verdict_label=lambda v: VERDICT_LABELS[v],
        verdict_symbol=lambda v: VERDICT_SYMBOLS[v],
        evidence_label=evidence_label,
        format_time=format_time,
        iso_duration=iso_duration,
        enum_label=enum_label,
        item_anchor=item_anchor,
        dispute_text=dispute_text,
        **extra_globals,
    )
    return env


@cache
def _environment() -> Environment:
    return scorecard_environment(
        PackageLoader("coach.render", "templates"), llm_line=llm_line, practice_line=practice_line
    )


def render_html(
    scorecard: Scorecard,
    transcript: Transcript | None = None,
    *,
    review: Review | None = None,
) -> str:
    timeline = build_timeline(scorecard, transcript) if transcript is not None else []
    counts = {v: sum(1 for i in scorecard.items if i.verdict is v) for v in VERDICT_LABELS}
    return _environment().get_template(TEMPLATE).render(
        card=scorecard,
        title=call_title(scorecard),
        score=score_text(scorecard),
        call_type=call_type_text(scorecard),
        items=[(item, item_title(item)) for item in scorecard.items],
        counts=counts,
        metrics=metric_rows(scorecard.metrics),
        timeline=timeline,
        has_transcript=transcript is not None,
        turn_ids={t.index for t in timeline},
        review=review if review is not None and review.rows else None,
    )
