"""Run the Alembic migrations programmatically (at server start and from `coach admin`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text

from api.db.engine import Database

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# Any constant works: it only serialises concurrent starts against one PostgreSQL database.
_PG_LOCK_KEY = 7_405_311


def ours(name: str | None, type_: str, _parent_names: object = None) -> bool:
    """Schema objects our models describe: Procrastinate's tables (made by `0004_procrastinate`
    from the library's own schema) are the library's, never compared with our models."""
    return not (type_ == "table" and (name or "").startswith("procrastinate_"))


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(db: Database) -> None:
    config = alembic_config()
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
