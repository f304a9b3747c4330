"""The Alembic migrations build exactly the models' schema, and run down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from api.db import Database
from api.db.migrate import alembic_config, upgrade
from api.db.models import Base


def test_migrations_match_models_and_are_reversible(db_url: str) -> None:
    db = Database(db_url)
    try:
        upgrade(db)
        upgrade(db)  # a second start is a no-op
        with db.engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        with db.engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade(db)
        assert {t.name for t in Base.metadata.sorted_tables} <= set(inspect(db.engine).get_table_names())
    finally:
        db.dispose()


def test_sqlite_runs_in_wal_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(f"sqlite:///{tmp_path / 'data' / 'coach.db'}")
    try:
        upgrade(db)
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        db.dispose()
