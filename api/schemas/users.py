from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from api.db.models import Role


class UserPublic(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"id": 3, "org_id": 1, "team_id": 1, "team_name": "East", "name": "Priya Shah",
                 "email": "priya@example.com", "role": "rep", "created_at": "2026-11-24T09:00:00Z"}
            ]
        }
    )

    id: int
    org_id: int
    team_id: int | None
    team_name: str | None
    name: str
    email: str | None
    role: Role
    created_at: dt.datetime


class UserPage(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"items": [UserPublic.model_config["json_schema_extra"]["examples"][0]],  # type: ignore[index]
                 "next_cursor": "eyJhZnRlciI6IDN9"}
            ]
        }
    )

    items: list[UserPublic]
    next_cursor: str | None = Field(description="Pass as `cursor` to get the next page; null on the last page.")
