"""`coach worker`: score uploads from the shared PostgreSQL queue (implementation in `api.worker`).

Mounted into `coach` through the `coach.cli` entry point group with `serve` and `admin`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coach.cli import CONTEXT

worker = typer.Typer(context_settings=CONTEXT)


@worker.command("worker")
def worker_command(
    database_url: Annotated[str | None, typer.Option("--database-url", help="PostgreSQL URL, e.g. postgresql+psycopg://user@host/db (COACH_DATABASE_URL).")] = None,
    concurrency: Annotated[int | None, typer.Option("--concurrency", min=1, help="Calls scored at once, each in its own scorer process (default COACH_JOB_WORKERS, 2).")] = None,
    llm_grading: Annotated[
        bool | None,
        typer.Option("--llm-grading/--no-llm-grading", help="Also run the LLM follow-up jobs (COACH_LLM_GRADING; default off)."),
    ] = None,
    check: Annotated[bool, typer.Option("--check", help="Say whether the queue is reachable, then exit (0 yes, 2 no).")] = False,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", hidden=True)] = None,
) -> None:
    """Run scoring jobs from the PostgreSQL queue; start one or more per machine. Stops on SIGTERM after its running jobs."""
    from api import worker
    from api.settings import settings_with

    settings = settings_with(
        database_url=database_url, data_dir=data_dir, llm_grading=llm_grading, job_workers=concurrency
    )
    if settings.job_processes > 0:  # one scorer child per call scored at once (0: in threads)
        settings = settings.model_copy(update={"job_processes": settings.job_workers})
    if check:
        print(worker.check(settings))
        return
    worker.run(settings, settings.job_workers)
