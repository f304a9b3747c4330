"""Storage: SQLAlchemy 2.0 models, the engine (SQLite WAL or PostgreSQL) and migrations."""

from api.db.engine import Database

__all__ = ["Database"]
