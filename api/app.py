"""The application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

import coach
from api import problems
from api.db import Database
from api.db.migrate import upgrade
from api.jobs import JobRunner, Scorer
from api.limits import BodySizeLimit
from api.ratelimit import RateLimiter
from api.routes import calls, health, reps, rubrics, scorecards, teams
from api.settings import ApiSettings
from api.web import install as install_pages

# Framing a multipart or JSON body adds to the transcript's own bytes; allow for it.
_BODY_OVERHEAD = 64 * 1024


def create_app(settings: ApiSettings | None = None, *, scorer: Scorer | None = None) -> FastAPI:
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.resolved_database_url())
        upgrade(db)
        runner = JobRunner(db, settings, scorer)
        app.state.db = db
        app.state.jobs = runner
        runner.start()
        try:
            yield
        finally:
            runner.stop()
            db.dispose()

    app = FastAPI(
        title="Expansion-call coach API",
        version=coach.__version__,
        description="Upload sales-call transcripts, read scorecards, roll them up per team.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
    problems.install(app)
    app.add_middleware(BodySizeLimit, limit=settings.max_upload_bytes, slack=_BODY_OVERHEAD)
    for module in (health, calls, scorecards, teams, reps, rubrics):
        app.include_router(module.router)
    install_pages(app, settings)
    logging.getLogger("coach.api").setLevel(logging.INFO)
    return app
