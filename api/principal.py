"""Who is calling, as every layer below the routes sees it."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from api.db.models import Role


class Principal(BaseModel):
    """Who is calling: the user behind the API key, detached from any session."""

    model_config = ConfigDict(frozen=True)

    user_id: int
    org_id: int
    team_id: int | None
    role: Role
    name: str
    key_id: int
