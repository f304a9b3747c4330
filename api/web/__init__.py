"""Web pages for reps and managers, served by the API's own app.

A thin layer: every page calls the same store functions as the `/v1` routes, so
access control, validation and errors are decided once. `install` adds the pages,
their static files and an HTML answer for browsers that reach a missing page.
"""

from __future__ import annotations

import inspect
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from api.settings import ApiSettings
from api.web.session import SessionCodec

STATIC_DIR = Path(__file__).parent / "static"
_API_PREFIXES = ("/v1/", "/docs", "/redoc", "/openapi.json", "/healthz", "/readyz", "/static/")


def install(app: FastAPI, settings: ApiSettings) -> None:
    from api.web.routes import auth, calls, review, roleplay, team
    from api.web.routing import _ensure_session, error_page, finish

    app.state.web_codec = SessionCodec(settings)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (auth, calls, team, review, roleplay):
        app.include_router(module.router)
    app.state.roleplay_pages = True

    api_handler = app.exception_handlers[StarletteHTTPException]

    async def _not_found(request: Request, exc: Exception) -> Response:
        # A person who mistypes a page address gets a page; API clients keep problem JSON.
        assert isinstance(exc, StarletteHTTPException)
        path = request.url.path
        wants_html = "text/html" in request.headers.get("accept", "")
        if exc.status_code == 404 and wants_html and not path.startswith(_API_PREFIXES):
            _ensure_session(request)
            return finish(request, error_page(request, 404, "no such page"))
        answer = api_handler(request, exc)
        return await answer if inspect.isawaitable(answer) else answer

    app.add_exception_handler(StarletteHTTPException, _not_found)
