"""The API docs (Swagger UI at /docs, ReDoc at /redoc, the document at /openapi.json),
served from local files: the Swagger UI and ReDoc bundles vendored by the maintained
`fastapi-offline` package, and our own start-up script, so the pages load offline and
under `script-src 'self'`. In production they answer only with an API key
(`Authorization: Bearer`) or a signed-in page session, unless `COACH_PUBLIC_DOCS`.
"""

from __future__ import annotations

import html
from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from api.deps import _lookup
from api.headers import DOCS_CSP
from api.keys import hash_key
from api.problems import unauthorized
from api.settings import ApiSettings, Environment
from api.web.auth import _principal, is_revoked
from api.web.session import cookie_name

VENDORED = Path(fastapi_offline.__file__).parent / "static"
OURS = Path(__file__).parent / "docs_assets"
ASSETS = "/docs-assets"


def _signed_in(request: Request) -> bool:
    from api.db.models import ApiKey

    db = request.app.state.db
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return _lookup(db, hash_key(token.strip())) is not None
    session = request.app.state.web_codec.loads(request.cookies.get(cookie_name(request.app.state.settings)))
    if session is None or session.key_id is None or session.sid is None or is_revoked(db, session.sid):
        return False
    user = _principal(db, ApiKey.id == session.key_id)
    return user is not None and user.user_id == session.user_id


async def _require_key(request: Request, settings: ApiSettings) -> None:
    if settings.environment is Environment.development or settings.public_docs:
        return
    failures = request.app.state.auth_failures
    failures.check(request)
    if not await run_in_threadpool(_signed_in, request):
        failures.record(request)
        raise unauthorized("the API docs need an API key (Authorization: Bearer) or a signed-in session")


def _page(title: str, body: str, head: str = "") -> HTMLResponse:
    page = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">{head}</head><body>{body}</body></html>'
    )
    return HTMLResponse(page, headers={"Content-Security-Policy": DOCS_CSP, "Cache-Control": "no-store"})


def install(app: FastAPI, settings: ApiSettings) -> None:
    """Call with an app made with docs_url, redoc_url and openapi_url set to None."""
    app.mount(f"{ASSETS}/vendor", StaticFiles(directory=VENDORED), name="docs-vendor")
    app.mount(f"{ASSETS}/own", StaticFiles(directory=OURS), name="docs-own")

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(request: Request) -> JSONResponse:
        await _require_key(request, settings)
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False)
    async def swagger(request: Request) -> HTMLResponse:
        await _require_key(request, settings)
        return _page(
            f"{app.title} - Swagger UI",
            f'<div id="swagger-ui" data-openapi="/openapi.json"></div>'
            f'<script src="{ASSETS}/vendor/swagger-ui-bundle.js"></script>'
            f'<script src="{ASSETS}/own/swagger-init.js"></script>',
            head=f'<link rel="stylesheet" href="{ASSETS}/vendor/swagger-ui.css">',
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        await _require_key(request, settings)
        return _page(
            f"{app.title} - ReDoc",
            f'<redoc spec-url="/openapi.json"></redoc><script src="{ASSETS}/vendor/redoc.standalone.js"></script>',
        )
