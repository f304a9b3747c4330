"""Per-item pass rates for a team (per rep or per week) and for one rep over time.

Counts come from GROUP BY over the denormalised `scorecard_items` rows, so a
roll-up is a couple of indexed aggregate queries whatever the team's size.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from api.access import visible_teams, visible_users
from api.db.models import ScorecardItemRow, ScorecardRow, Team, User
from api.principal import Principal
from api.store.errors import Invalid, NotFound
from api.schemas.calls import KindFilter
from api.schemas.rollups import GroupBy, ItemRate, RepProgress, RollupGroup, TeamRollup

_Counts = dict[str, dict[str, int]]  # item id -> verdict -> count


def _rates(counts: _Counts) -> list[ItemRate]:
    rates = []
    for item_id, by_verdict in counts.items():
        passed, failed = by_verdict.get("pass", 0), by_verdict.get("fail", 0)
        rates.append(
            ItemRate(
                id=item_id,
                passed=passed,
                failed=failed,
                not_applicable=by_verdict.get("not_applicable", 0),
                pass_rate=round(passed / (passed + failed), 4) if passed + failed else None,
            )
        )
    return rates


def _utc(moment: dt.datetime | None) -> dt.datetime | None:
    # A time without a zone is read as UTC, like every stored time.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


def _window(since: dt.datetime | None, until: dt.datetime | None) -> tuple[dt.datetime | None, dt.datetime | None]:
    since, until = _utc(since), _utc(until)
    if since and until and since >= until:
        raise Invalid("since must be before until", loc=["query", "since"])
    return since, until


def _conditions(table, column: str, value: object, since: dt.datetime | None, until: dt.datetime | None, kind: KindFilter) -> list[ColumnElement[bool]]:  # type: ignore[no-untyped-def]
    conditions = [getattr(table, column) == value]
    if kind is not KindFilter.all:
        conditions.append(table.kind == kind.value)
    if since is not None:
        conditions.append(table.occurred_at >= since)
    if until is not None:
        conditions.append(table.occurred_at < until)
    return conditions


@dataclass
class _Calls:
    calls: int
    scored: int  # calls with a score; a null score is "not scored" and stays out of the average
    score_sum: float

    def average(self) -> float | None:
        return round(self.score_sum / self.scored, 1) if self.scored else None


def _grouped(
    session: Session, column: str, value: int, since: dt.datetime | None, until: dt.datetime | None, key: str,
    kind: KindFilter,
) -> tuple[dict[object, _Calls], dict[object, _Counts]]:
    """Calls per group from `scorecards`, verdict counts per group and item from `scorecard_items`."""
    call_key = getattr(ScorecardRow, key)
    calls = {
        group: _Calls(n, scored or 0, float(total or 0.0))
        for group, n, scored, total in session.execute(
            select(call_key, func.count(), func.count(ScorecardRow.score), func.sum(ScorecardRow.score))
            .where(*_conditions(ScorecardRow, column, value, since, until, kind))
            .group_by(call_key)
        ).all()
    }
    item_key = getattr(ScorecardItemRow, key)
    rows = session.execute(
        select(item_key, ScorecardItemRow.item_id, ScorecardItemRow.verdict, func.count())
        .where(*_conditions(ScorecardItemRow, column, value, since, until, kind))
        .group_by(item_key, ScorecardItemRow.item_id, ScorecardItemRow.verdict)
    )
    counts: dict[object, _Counts] = defaultdict(lambda: defaultdict(dict))
    for group, item_id, verdict, n in rows:
        counts[group][item_id][verdict] = n
    return calls, counts


def _merge(per_group: dict[object, _Counts]) -> _Counts:
    total: _Counts = defaultdict(dict)
    for counts in per_group.values():
        for item_id, by_verdict in counts.items():
            for verdict, n in by_verdict.items():
                total[item_id][verdict] = total[item_id].get(verdict, 0) + n
    return total


def _ordered(counts: _Counts) -> _Counts:
    return dict(sorted(counts.items()))


def _group(calls: _Calls, counts: _Counts, **key: object) -> RollupGroup:
    return RollupGroup(
        **key, calls=calls.calls, not_scored=calls.calls - calls.scored, average_score=calls.average(),
        items=_rates(_ordered(counts)),
    )  # type: ignore[arg-type]


def _total(calls: dict[object, _Calls]) -> _Calls:
    return _Calls(
        sum(c.calls for c in calls.values()), sum(c.scored for c in calls.values()),
        sum(c.score_sum for c in calls.values()),
    )


def team_rollup(
    session: Session, user: Principal, team_id: int, since: dt.datetime | None, until: dt.datetime | None,
    group_by: GroupBy, kind: KindFilter = KindFilter.upload,
) -> TeamRollup:
    since, until = _window(since, until)
    if session.scalars(select(Team.id).where(Team.id == team_id, visible_teams(user))).first() is None:
        raise NotFound("team", team_id)
    key = "rep_id" if group_by is GroupBy.rep else "week"
    calls, counts = _grouped(session, "team_id", team_id, since, until, key, kind)
    groups: list[RollupGroup] = []
    if group_by is GroupBy.rep:
        names = dict(session.execute(select(User.id, User.name).where(User.id.in_(list(calls)))).all())
        for rep_id in sorted(calls, key=lambda r: (names.get(r, ""), r)):
            groups.append(_group(calls[rep_id], counts[rep_id], rep_id=rep_id, rep_name=names.get(rep_id)))
    else:
        for week in sorted(calls):
            groups.append(_group(calls[week], counts[week], week=week))
    total = _total(calls)
    return TeamRollup(
        team_id=team_id, since=since, until=until, group_by=group_by, kind=kind, calls=total.calls,
        not_scored=total.calls - total.scored, average_score=total.average(),
        items=_rates(_ordered(_merge(counts))), groups=groups,
    )


def rep_progress(
    session: Session, user: Principal, rep_id: int, since: dt.datetime | None, until: dt.datetime | None,
    kind: KindFilter = KindFilter.upload,
) -> RepProgress:
    since, until = _window(since, until)
    rep = session.scalars(select(User).where(User.id == rep_id, visible_users(user))).one_or_none()
    if rep is None:
        raise NotFound("rep", rep_id)
    calls, counts = _grouped(session, "rep_id", rep_id, since, until, "week", kind)
    weeks = [_group(calls[w], counts[w], week=w) for w in sorted(calls)]
    total = _total(calls)
    return RepProgress(
        rep_id=rep.id, rep_name=rep.name, since=since, until=until, kind=kind, calls=total.calls,
        not_scored=total.calls - total.scored, average_score=total.average(),
        items=_rates(_ordered(_merge(counts))), weeks=weeks,
    )
