"""procrastinate: the job queue's schema on PostgreSQL (scoring and LLM jobs run as
Procrastinate tasks there); nothing on SQLite, whose jobs stay in-process

Revision ID: 0004_procrastinate
Revises: 0003_manager_loop
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op
from procrastinate.schema import SchemaManager

revision = "0004_procrastinate"
down_revision = "0003_manager_loop"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    driver = bind.connection.driver_connection
    present = driver.execute("SELECT to_regclass('procrastinate_jobs')").fetchone()
    if present is None or present[0] is None:
        # The installed procrastinate's full schema (functions, triggers, tables), run as one
        # script on the migration's own connection: no parameters, so its '%' stay literal.
        driver.execute(SchemaManager.get_schema())  # type: ignore[arg-type]
    # The fair-queue rank (api.enqueue) counts an organisation's waiting jobs per queue and lane.
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_procrastinate_jobs_coach_org ON procrastinate_jobs "
        "(queue_name, (args->>'org_id'), priority) WHERE status = 'todo'"
    )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute(
        "DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs, "
        "procrastinate_workers, procrastinate_version CASCADE"
    )
    driver = bind.connection.driver_connection
    functions = driver.execute(
        "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate%'"
    ).fetchall()
    for (signature,) in functions:
        driver.execute(f"DROP FUNCTION IF EXISTS {signature} CASCADE")  # type: ignore[arg-type]
    types = driver.execute(
        "SELECT t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace "
        "WHERE n.nspname = current_schema() AND t.typname LIKE 'procrastinate%' AND t.typtype IN ('e', 'c')"
    ).fetchall()
    for (name,) in types:
        driver.execute(f'DROP TYPE IF EXISTS "{name}" CASCADE')  # type: ignore[arg-type]
