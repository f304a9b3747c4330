"""`coach serve`: run the HTTP API with uvicorn."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from coach.cli import CONTEXT

serve = typer.Typer(context_settings=CONTEXT)


@serve.command("serve")
def serve_command(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="Where the SQLite database lives (COACH_DATA_DIR).")] = None,
    database_url: Annotated[str | None, typer.Option("--database-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://... (COACH_DATABASE_URL).")] = None,
    job_workers: Annotated[
        int | None,
        typer.Option(
            "--workers", "--job-workers", min=0,
            help="Calls this process scores at once (COACH_JOB_WORKERS). 0 on PostgreSQL: the web tier only, "
            "`coach worker` processes score.",
        ),
    ] = None,
    llm_grading: Annotated[
        bool | None,
        typer.Option("--llm-grading/--no-llm-grading", help="Grade each scored call with the LLM too, as a follow-up job (COACH_LLM_GRADING; default off)."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
    keep_alive_s: Annotated[int, typer.Option("--keep-alive-s", help="Idle seconds before a keep-alive connection is closed.")] = 75,
) -> None:
    """Serve the API (OpenAPI docs at /docs). Settings come from COACH_* variables; options win."""
    import uvicorn

    from api.app import create_app
    from api.settings import settings_with

    settings = settings_with(
        data_dir=data_dir, database_url=database_url, job_workers=job_workers, llm_grading=llm_grading
    )
    if settings.job_workers == 0 and not settings.resolved_database_url().startswith("postgresql"):
        typer.echo("coach serve: warning: --workers 0 with SQLite: nothing will score the uploads", err=True)
    # uvicorn's 5 s default closes idle connections just as clients that pause about that
    # long reuse them, and their next POST fails with a reset; clients and proxies
    # expect the server to keep idle connections longer than they do.
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level, timeout_keep_alive=keep_alive_s)
