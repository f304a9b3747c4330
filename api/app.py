"""The application factory."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import ExitStack, asynccontextmanager
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp

import coach
from coach.pipeline import CallSpec
from api import faults, problems
from api.authfail import AuthFailures
from api.db import Database
from api.db.migrate import upgrade
from api.deps import PrincipalCache
from api.docs import install as install_docs
from api.headers import SecurityHeaders
from api.jobs import JobRunner
from api.scorers import Scorer
from api.worker import QueueWorkers
from api.limits import BodySizeLimit
from api.llm_grading import Grader, api_grader
from api.ratelimit import RateLimiter
from api.reading import UploadReader
from api.roleplay_actor import roleplay_actor
from api.openapi_docs import add_examples
from api.request_id import RequestId
from api.routes import calls, disputes, health, reps, requeue, rescore, roleplay, rubrics, scorecards, teams, users
from api.schemas.calls import CallCreate
from api.settings import ApiSettings
from api.store.rubrics import bundled_rubrics
from api.web import install as install_pages

# Framing a multipart or JSON body adds to the transcript's own bytes; allow for it.
_BODY_OVERHEAD = 64 * 1024


def create_app(settings: ApiSettings | None = None, *, scorer: Scorer | None = None) -> FastAPI:
    settings = settings or ApiSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        db = Database(settings.resolved_database_url())
        upgrade(db)
        stack = ExitStack()
        grader = stack.enter_context(api_grader(settings))
        spec = settings.call_spec()  # the pipeline's spec for every call this server reads or scores
        runner = job_runner(db, settings, spec, scorer, grader)
        reader = UploadReader(settings.read_processes, spec)
        app.state.db = db
        app.state.jobs = runner
        app.state.reader = reader
        reader.start()
        runner.start()
        bundled_rubrics()  # load the rubric (and the detectors it imports) before the freeze
        # Everything imported and built so far lives as long as the process. A full garbage
        # collection walks it all (~0.1-0.3 s with the scorer's modules), stalling every
        # request in flight; frozen objects are skipped.
        gc.collect()
        gc.freeze()
        try:
            with roleplay_actor(settings) as actor:
                app.state.roleplay_actor = actor
                yield
        finally:
            runner.stop()
            reader.shutdown()
            stack.close()  # stops the embedded model, if it started one
            db.dispose()

    app = FastAPI(
        title="Expansion-call coach API",
        version=coach.__version__,
        description="Upload sales-call transcripts, read scorecards, roll them up per team.",
        lifespan=lifespan,
        # Served by api.docs from local files, behind a key in production.
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.settings = settings
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
    app.state.principal_cache = PrincipalCache(settings.auth_cache_s)
    app.state.auth_failures = AuthFailures(settings.auth_failures_per_minute, settings.auth_failures_burst)
    problems.install(app)
    faults.install(app)
    app.add_middleware(BodySizeLimit, limit=settings.max_upload_bytes, slack=_BODY_OVERHEAD)
    _outermost(app, RequestId)
    for module in (health, calls, requeue, rescore, scorecards, teams, reps, users, disputes, rubrics, roleplay):
        app.include_router(module.router)
    _document_json_upload(app)
    install_pages(app, settings)
    install_docs(app, settings)
    app.add_middleware(SecurityHeaders)
    logging.getLogger("coach.api").setLevel(logging.INFO)
    return app


def job_runner(
    db: Database, settings: ApiSettings, spec: CallSpec, scorer: Scorer | None, grader: Grader | None
) -> JobRunner | QueueWorkers:
    """SQLite: jobs run in this process. PostgreSQL: Procrastinate workers, here (unless
    `job_workers` is 0, the web tier of a deployment with `coach worker` processes) and anywhere else."""
    if db.is_sqlite:
        return JobRunner(db, settings, scorer, grader, spec=spec)
    return QueueWorkers(db, settings, spec=spec, scorer=scorer, grader=grader)


def _outermost(app: FastAPI, middleware: Callable[[ASGIApp], ASGIApp]) -> None:
    """Wrap even Starlette's error middleware, so every answer (500s included) passes through."""
    build = app.build_middleware_stack
    app.build_middleware_stack = lambda: middleware(build())  # type: ignore[method-assign]


def _document_json_upload(app: FastAPI) -> None:
    """`POST /v1/calls` reads its body by content type, so FastAPI does not see the JSON
    body model; add it (and the models it nests) to the OpenAPI components."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        body = CallCreate.model_json_schema(ref_template="#/components/schemas/{model}")
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for name, nested in body.pop("$defs", {}).items():
            components.setdefault(name, nested)
        components["CallCreate"] = body
        add_examples(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
