from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser
from api.problems import Problem
from api.schemas.misc import RubricPublic
from api.store.rubrics import bundled_rubrics

router = APIRouter(prefix="/v1/rubrics", tags=["rubrics"])


@router.get("", response_model=list[RubricPublic], responses={401: {"model": Problem}})
def list_rubrics(user: CurrentUser) -> list[RubricPublic]:
    """The rubrics calls are scored against, with their item ids."""
    return bundled_rubrics()
