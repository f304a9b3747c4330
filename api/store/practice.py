"""A rep's practice (role-play calls), per scenario: sessions, first and best score, the trend.
Practice never counts in the team's figures; it has this view of its own."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.access import visible, visible_users
from api.db.models import Call, CallKind, ScorecardRow, User
from api.principal import Principal
from api.store.errors import NotFound
from api.schemas.rollups import PracticeSession, RepPractice, ScenarioPractice
from coach.errors import CoachError
from coach.roleplay.scenario import get_scenario


def _scenario_title(scenario_id: str, call_title: str | None) -> str:
    try:
        return get_scenario(scenario_id).title
    except (CoachError, KeyError, ValueError):
        # a scenario since removed: the title the call was stored with
        return (call_title or scenario_id).removeprefix("Role-play: ")


def rep_practice(session: Session, user: Principal, rep_id: int) -> RepPractice:
    rep = session.scalars(select(User).where(User.id == rep_id, visible_users(user))).one_or_none()
    if rep is None:
        raise NotFound("rep", rep_id)
    rows = session.execute(
        select(ScorecardRow.call_id, ScorecardRow.occurred_at, ScorecardRow.score, Call.meta, Call.title)
        .join(Call, Call.id == ScorecardRow.call_id)
        .where(
            ScorecardRow.rep_id == rep_id,
            ScorecardRow.kind == CallKind.roleplay.value,
            visible(user, ScorecardRow.org_id, ScorecardRow.team_id, ScorecardRow.rep_id),
        )
        .order_by(ScorecardRow.occurred_at, ScorecardRow.call_id)
    ).all()
    by_scenario: dict[str, list[PracticeSession]] = defaultdict(list)
    titles: dict[str, str] = {}
    for call_id, occurred_at, score, meta, title in rows:
        scenario = str((meta or {}).get("scenario") or "unknown")
        titles.setdefault(scenario, _scenario_title(scenario, title))
        by_scenario[scenario].append(PracticeSession(call_id=call_id, occurred_at=occurred_at, score=score))
    scenarios = []
    for scenario, history in by_scenario.items():
        scored = [s.score for s in history if s.score is not None]
        scenarios.append(ScenarioPractice(
            scenario=scenario, title=titles[scenario], sessions=len(history),
            first_score=scored[0] if scored else None, best_score=max(scored) if scored else None,
            last_score=scored[-1] if scored else None, history=history,
        ))  # fmt: skip
    scenarios.sort(key=lambda s: s.title)
    return RepPractice(rep_id=rep.id, rep_name=rep.name, sessions=len(rows), scenarios=scenarios)
