"""The bundled rubrics, as the API lists them."""

from __future__ import annotations

from functools import cache

from api.schemas.misc import RubricItemPublic, RubricPublic
from coach.rubric.choice import bundled_by_call_type
from coach.rubric.schema import load_bundled_rubrics


@cache
def bundled_rubrics() -> list[RubricPublic]:
    gate = bundled_by_call_type()
    return [
        RubricPublic(
            id=rubric.id,
            version=rubric.version,
            title=rubric.title or None,
            call_types=[kind for kind, picked in gate.items() if picked.id == rubric.id],
            items=[
                RubricItemPublic(id=i.id, title=i.title, grader=i.grader, question=i.question) for i in rubric.items
            ],
        )
        for rubric in load_bundled_rubrics()
    ]


@cache
def item_titles(rubric_id: str | None = None) -> dict[str, str]:
    """Item id -> title of one bundled rubric; with no id, of all of them (the first rubric's
    title where two share an item id), for views that mix calls of every type."""
    titles: dict[str, str] = {}
    for rubric in load_bundled_rubrics():
        if rubric_id is None or rubric.id == rubric_id:
            for item in rubric.items:
                titles.setdefault(item.id, item.title)
    return titles
