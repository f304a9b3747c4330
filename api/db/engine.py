"""Engine and sessions for SQLite (default, WAL) or PostgreSQL (by URL)."""

from __future__ import annotations

from collections.abc import Iterator
import os
import threading
from contextlib import contextmanager, nullcontext
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.orm import Session, sessionmaker


def _private_file(path: Path) -> None:
    """The database holds every transcript: readable by its owner only (SQLite gives its -wal
    and -shm files the database file's permissions)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)


def _sqlite_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        _private_file(Path(parsed.database))
    engine = create_engine(
        url,
        # Writers wait for the lock rather than fail; WAL keeps readers unblocked meanwhile.
        connect_args={"timeout": 30, "check_same_thread": False},
        pool_size=20,
        max_overflow=20,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        # Take transaction control away from pysqlite so the "begin" hook decides the BEGIN.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY
        # when another connection committed in between; writers therefore take the write
        # lock up front (and wait for it through the busy timeout).
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class Database:
    """The engine plus two session factories: plain reads and write transactions."""

    def __init__(self, url: str):
        from api.db.bounds import bound_columns
        from api.db.models import Base

        bound_columns(Base.metadata)  # idempotent; here so that every model module is loaded by now
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            self.engine = _sqlite_engine(url)
            writer = self.engine.execution_options(sqlite_immediate=True)
        else:
            self.engine = create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)
            writer = self.engine
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(writer, expire_on_commit=False)
        # SQLite has one writer at a time. Waiting threads of this process queue on a lock
        # (woken at once) instead of SQLite's busy handler, which sleeps in growing steps
        # and gives long tail latencies under concurrent uploads. Other processes on the
        # same file still wait through the busy timeout.
        self._write_lock = threading.Lock() if self.is_sqlite else None

    def reader(self) -> Session:
        return self._reader()

    def writer(self) -> Session:
        return self._writer()

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One write transaction: committed on success, rolled back on any exception."""
        with self._write_lock or nullcontext(), self._writer() as session, session.begin():
            yield session

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
