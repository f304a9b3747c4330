"""The pages' jinja2 environment and the one `render` every page goes through.

Autoescaping is on for everything: transcripts, names and comments are data.
StrictUndefined turns a misspelt variable into an error a test sees, not a blank.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader

from api.db.models import Role
from api.deps import Principal
from api.web import charts
from coach.render.html import scorecard_environment


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}%"


@cache
def environment() -> Environment:
    return scorecard_environment(
        PackageLoader("api.web", "templates"), percent=_percent, rate_class=charts.rate_class
    )


def render(
    request: Request, template: str, context: Mapping[str, Any] | None = None, *, status: int = 200
) -> HTMLResponse:
    user: Principal | None = getattr(request.state, "principal", None)
    base = {
        "request_path": request.url.path,
        "user": user,
        "is_manager": user is not None and user.role in (Role.manager, Role.admin),
        "csrf_token": request.state.web_session.csrf,
        "roleplay_enabled": bool(getattr(request.app.state, "roleplay_pages", False)),
    }
    html = environment().get_template(template).render({**base, **(context or {})})
    return HTMLResponse(html, status_code=status)
