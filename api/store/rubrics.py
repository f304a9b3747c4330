"""The bundled rubric, as the API lists it."""

from __future__ import annotations

from functools import cache

from api.schemas.misc import RubricItemPublic, RubricPublic
from coach.rubric.schema import load_bundled_rubrics, load_rubric


@cache
def bundled_rubrics() -> list[RubricPublic]:
    return [
        RubricPublic(
            id=rubric.id,
            version=rubric.version,
            title=rubric.title or None,
            items=[RubricItemPublic(id=i.id, title=i.title) for i in rubric.items],
        )
        for rubric in load_bundled_rubrics()
    ]


@cache
def item_titles() -> dict[str, str]:
    """The bundled rubric's items in order, id -> title: what the roll-ups over many calls list
    (heat-map rows, trends, calibration, disputes). One call's views read the titles its
    scorecard carries."""
    return {i.id: i.title for i in load_rubric().items}
