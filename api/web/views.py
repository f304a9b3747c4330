"""What the pages show, assembled from the API's store functions (which also decide access)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.access import visible_teams, visible_users
from api.db.models import CallBlob, Team, User
from api.deps import Principal
from api.problems import ApiProblem
from api.schemas.calls import CallPublic, KindFilter
from api.schemas.rollups import ItemRate, RollupGroup
from api.schemas.scorecards import ReviewedItem, ScorecardPublic, ScorecardSummary
from api.store import calls as call_store
from api.store import scorecards as scorecard_store
from api.store.errors import NotFound
from api.web import charts
from coach.render.view import (
    VERDICT_LABELS,
    TimelineTurn,
    build_timeline,
    item_title,
    score_text,
)
from coach.scorecard import ItemResult, Verdict
from coach.transcript import Transcript


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)


def call_label(call: CallPublic) -> str:
    return call.title or call.filename


# -- one call --------------------------------------------------------------------------------------


class ScorecardItemView(_View):
    result: ItemResult
    title: str
    review: ReviewedItem | None

    @property
    def shown(self) -> Verdict:
        return self.review.verdict if self.review else self.result.verdict


class ScorecardView(_View):
    call: CallPublic
    public: ScorecardPublic
    rep_name: str
    score: str
    machine_score: str | None  # shown beside the score when a manager's verdict changed it
    items: list[ScorecardItemView]
    counts: dict[Verdict, int]
    timeline: list[TimelineTurn]
    overview: charts.Overview | None
    metrics: charts.MetricCharts


def load_call(session: Session, user: Principal, call_id: int) -> CallPublic:
    call = call_store.get_visible_call(session, user, call_id)
    return call_store.call_public(call, call_store.latest_job(session, call.id))


def load_transcript(session: Session, user: Principal, call_id: int) -> Transcript:
    call_store.get_visible_call(session, user, call_id)  # the access check, before the blob
    blob = session.get(CallBlob, call_id)
    if blob is None:
        raise NotFound("call", call_id)
    return Transcript.from_json(blob.transcript_json)


def user_name(session: Session, user: Principal, user_id: int) -> str:
    name = session.scalars(select(User.name).where(User.id == user_id, visible_users(user))).first()
    return name or f"user {user_id}"


def scorecard_view(session: Session, user: Principal, call_id: int) -> ScorecardView:
    call = load_call(session, user, call_id)
    public = scorecard_store.get_scorecard(session, user, call_id)
    card = public.scorecard
    try:
        transcript: Transcript | None = load_transcript(session, user, call_id)
    except ValidationError:
        transcript = None  # a stored call whose transcript no longer reads: show the verdicts anyway
    reviews = {r.id: r for r in public.items}
    # Each item as everyone sees it: a manager's verdict in place, with the rubric's advice for it.
    shown_card = scorecard_store.shown_scorecard(public)
    items = [ScorecardItemView(result=i, title=item_title(i), review=reviews.get(i.id)) for i in shown_card.items]
    cited: dict[int, list[tuple[str, Verdict]]] = {}
    for view in items:
        for evidence in view.result.evidence:
            entries = cited.setdefault(evidence.turn, [])
            if all(title != view.title for title, _ in entries):
                entries.append((view.title, view.shown))
    timeline = build_timeline(card, transcript) if transcript else []
    shown = {i.result.id: i.shown for i in items}
    for turn in timeline:
        for citation in turn.citations:
            # The timeline names the verdict the page shows: a manager's override, when there is one.
            citation.verdict = shown.get(citation.item_id, citation.verdict)
    return ScorecardView(
        call=call,
        public=public,
        rep_name=user_name(session, user, call.rep_id),
        score=score_text(shown_card) if public.score is not None else "not scored",
        machine_score=(score_text(card) if card.score is not None else "not scored")
        if public.machine_score != public.score else None,
        items=items,
        counts={v: sum(1 for i in items if i.shown is v) for v in VERDICT_LABELS},
        timeline=timeline,
        overview=charts.overview(transcript, cited) if transcript and transcript.turns else None,
        metrics=charts.metric_charts(card.metrics),
    )


# -- history and progress --------------------------------------------------------------------------


class CallRow(_View):
    call: CallPublic
    summary: ScorecardSummary | None

    def count(self, verdict: str) -> int:
        if self.summary is None:
            return 0
        return sum(1 for v in self.summary.verdicts.values() if v.value == verdict)


def my_calls(session: Session, user: Principal, *, limit: int = 100) -> list[CallRow]:
    calls = call_store.list_calls(session, user, rep_id=user.user_id, limit=limit)
    summaries, _ = scorecard_store.list_scorecards(
        session, user, scorecard_store.ScorecardFilter(rep_id=user.user_id, kind=KindFilter.all), limit=limit, cursor=None
    )
    by_call = {s.call_id: s for s in summaries}
    return [CallRow(call=c, summary=by_call.get(c.id)) for c in calls]


class ItemTrend(_View):
    id: str
    title: str
    overall: ItemRate | None
    weekly: list[float | None]
    line: charts.Sparkline


def item_trends(titles: dict[str, str], overall: list[ItemRate], periods: list[RollupGroup]) -> list[ItemTrend]:
    """One small chart per rubric item: pass rate per week."""
    totals = {r.id: r for r in overall}
    trends = []
    for item_id, title in titles.items():
        series: list[tuple[str, float | None]] = []
        for period in periods:
            rate = next((r.pass_rate for r in period.items if r.id == item_id), None)
            series.append((period.week.strftime("%d %b") if period.week else "?", rate))
        trends.append(
            ItemTrend(id=item_id, title=title, overall=totals.get(item_id), weekly=[rate for _, rate in series],
                      line=charts.sparkline(series))
        )
    return trends


# -- team ------------------------------------------------------------------------------------------


class DateRange(_View):
    start: dt.date
    end: dt.date  # inclusive, as a person reads a range

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(), tzinfo=dt.UTC)

    @property
    def until(self) -> dt.datetime:
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)

    @classmethod
    def of(cls, start: dt.date | None, end: dt.date | None, *, default_days: int = 90) -> DateRange:
        today = dt.datetime.now(dt.UTC).date()
        end = end or today
        start = start or end - dt.timedelta(days=default_days - 1)
        return cls(start=start, end=end)


def not_a_manager() -> ApiProblem:
    # A rep reaches a manager's page: a page that says so, with the same 404 a team out of reach gets.
    return ApiProblem(404, "The Team and Calibration pages are for managers. Your own calls are under My calls.")


def visible_team_list(session: Session, user: Principal) -> list[tuple[int, str]]:
    return [(t.id, t.name) for t in session.scalars(select(Team).where(visible_teams(user)).order_by(Team.name))]


class HeatCell(_View):
    rate: ItemRate | None
    rep_id: int | None


class HeatRow(_View):
    id: str
    title: str
    cells: list[HeatCell]
    team: ItemRate | None


def heatmap(titles: dict[str, str], groups: list[RollupGroup], overall: list[ItemRate]) -> list[HeatRow]:
    """Rows are rubric items, columns are reps: twelve rows stay readable on a phone, reps scroll."""
    totals = {r.id: r for r in overall}
    rows = []
    for item_id, title in titles.items():
        cells = [
            HeatCell(rate=next((r for r in g.items if r.id == item_id), None), rep_id=g.rep_id) for g in groups
        ]
        rows.append(HeatRow(id=item_id, title=title, cells=cells, team=totals.get(item_id)))
    return rows


def rep_names(session: Session, user: Principal, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.name).where(User.id.in_(ids), visible_users(user))).all())
