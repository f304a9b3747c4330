from __future__ import annotations

import shutil
from pathlib import Path

from fastapi import APIRouter, Request
from sqlalchemy import make_url

from api.db import Database
from api.deps import DbDep
from api.faults import unavailable
from api.problems import Problem
from api.schemas.misc import Health, Readiness
from api.settings import ApiSettings
from api.worker import queue_status

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    """The process is up (no dependencies checked)."""
    return Health(status="ok")


def free_disk_mb(db: Database, settings: ApiSettings) -> int | None:
    """Free space where this server writes: the SQLite file's disk, else the data directory's."""
    where = Path(make_url(db.url).database or ".").parent if db.is_sqlite else settings.data_dir
    try:
        return shutil.disk_usage(where).free // (1024 * 1024)
    except OSError:
        return None


@router.get("/readyz", response_model=Readiness, response_model_exclude_none=True, responses={503: {"model": Problem}})
def readyz(db: DbDep, request: Request) -> Readiness:
    """The database answers, its disk has room, and the job workers are running."""
    try:
        db.ping()
    except Exception as exc:
        raise unavailable(f"database unavailable: {type(exc).__name__}") from None
    settings = request.app.state.settings
    free_mb = free_disk_mb(db, settings)
    if free_mb is not None and free_mb < settings.min_free_disk_mb:
        raise unavailable(f"disk nearly full: {free_mb} MB free, under the {settings.min_free_disk_mb} MB minimum")
    runner = request.app.state.jobs
    wanted = runner.wanted_workers
    if runner.alive_workers < wanted:
        raise unavailable(f"{runner.alive_workers} of {wanted} job workers running")
    if db.is_sqlite:
        return Readiness(status="ready", database="ok", workers=runner.alive_workers, queue="in-process")
    try:
        queue = queue_status(db, settings.queue_stalled_s)
    except Exception as exc:
        raise unavailable(f"queue unavailable: {type(exc).__name__}") from None
    if not queue.schema:
        raise unavailable("queue not set up: no procrastinate tables")
    # Ready with no worker alive anywhere: uploads are stored and wait (the web tier alone).
    return Readiness(
        status="ready", database="ok", workers=runner.alive_workers, queue="procrastinate",
        queue_workers=queue.workers, queue_waiting=queue.waiting,
    )
