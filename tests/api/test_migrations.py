"""The Alembic migrations build exactly the models' schema, and run down and up again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from api.db import Database
from api.db.migrate import alembic_config, ours, upgrade
from api.db.models import Base


def test_migrations_match_models_and_are_reversible(db_url: str) -> None:
    db = Database(db_url)
    try:
        upgrade(db)
        upgrade(db)  # a second start is a no-op
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": ours})
            assert compare_metadata(context, Base.metadata) == []
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


def test_the_manager_loop_revision_keeps_existing_rows_and_their_overrides(db_url: str) -> None:
    """Rows stored before 0003_manager_loop: scorecards get their call's kind and a machine score
    equal to the stored score, and standing overrides become the first calibration records."""
    from sqlalchemy import text

    db = Database(db_url)
    try:
        with db.engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
            command.downgrade(config, "0001")  # the shared PostgreSQL database is already at head
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO orgs (id, name, created_at) VALUES (1, 'O', '2026-01-01')"))
            conn.execute(text("INSERT INTO users (id, org_id, name, role, created_at) VALUES (1, 1, 'R', 'rep', '2026-01-01')"))
            for call_id, kind in ((1, "upload"), (2, "roleplay")):
                conn.execute(text(
                    "INSERT INTO calls (id, org_id, rep_id, uploaded_by, kind, filename, format, sellers, metadata,"
                    " size_bytes, turns, occurred_at, created_at, status) VALUES (:id, 1, 1, 1, :kind, 'c.txt', 'plain',"
                    " '[]', '{}', 1, 1, '2026-01-05', '2026-01-05', 'scored')"), {"id": call_id, "kind": kind})
                conn.execute(text(
                    "INSERT INTO scorecards (id, call_id, org_id, rep_id, occurred_at, week, score, rubric_id,"
                    " rubric_version, body, created_at) VALUES (:id, :id, 1, 1, '2026-01-05', '2026-01-05', 80.0,"
                    " 'expansion_call', '1', '{}', '2026-01-05')"), {"id": call_id})
                conn.execute(text(
                    "INSERT INTO scorecard_items (scorecard_id, call_id, org_id, rep_id, occurred_at, week, item_id,"
                    " machine_verdict, verdict, override_verdict, override_comment, override_by, override_at)"
                    " VALUES (:id, :id, 1, 1, '2026-01-05', '2026-01-05', 'ask_once', 'fail', :v, :o, :c, :b, :at)"),
                    {"id": call_id, "v": "pass" if call_id == 1 else "fail", "o": "pass" if call_id == 1 else None,
                     "c": "heard it" if call_id == 1 else None, "b": 1 if call_id == 1 else None,
                     "at": "2026-01-06" if call_id == 1 else None})
        upgrade(db)
        with db.engine.connect() as conn:
            cards = conn.execute(text("SELECT call_id, kind, score, machine_score FROM scorecards ORDER BY call_id")).all()
            items = conn.execute(text("SELECT call_id, kind FROM scorecard_items ORDER BY call_id")).all()
            reviews = conn.execute(text("SELECT call_id, item_id, source, machine_verdict, verdict, comment FROM verdict_reviews")).all()
        assert [tuple(r) for r in cards] == [(1, "upload", 80.0, 80.0), (2, "roleplay", 80.0, 80.0)]
        assert [tuple(r) for r in items] == [(1, "upload"), (2, "roleplay")]
        assert [tuple(r) for r in reviews] == [(1, "ask_once", "override", "fail", "pass", "heard it")]
    finally:
        db.dispose()


def test_the_dispute_reviewer_revision_assigns_open_disputes_to_their_team_manager(db_url: str) -> None:
    """Disputes stored before 0006_dispute_reviewer: an open one goes to its team's longest-standing
    manager with the step in its history; a closed one, or one whose team has no manager, gets no reviewer."""
    from sqlalchemy import text

    db = Database(db_url)
    try:
        upgrade(db)
        with db.engine.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "0005_job_priority")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO orgs (id, name, created_at) VALUES (1, 'O', '2026-01-01')"))
            for team in (1, 2, 3):
                conn.execute(text("INSERT INTO teams (id, org_id, name, created_at) VALUES (:t, 1, 'T', '2026-01-01')"), {"t": team})
            for user, role, team in ((1, "rep", 1), (2, "manager", 1), (3, "manager", 1), (4, "manager", 2), (5, "rep", 3)):
                conn.execute(text("INSERT INTO users (id, org_id, team_id, name, role, created_at)"
                                  " VALUES (:u, 1, :t, 'U', :r, '2026-01-01')"), {"u": user, "t": team, "r": role})  # fmt: skip
            conn.execute(text(
                "INSERT INTO calls (id, org_id, team_id, rep_id, uploaded_by, kind, filename, format, sellers, metadata,"
                " size_bytes, turns, occurred_at, created_at, status) VALUES (1, 1, 1, 1, 1, 'upload', 'c.txt', 'plain',"
                " '[]', '{}', 1, 1, '2026-01-05', '2026-01-05', 'scored')"))
            for dispute, team, rep, status in ((1, 1, 1, "open"), (2, 1, 1, "rejected"), (3, 3, 5, "open")):
                conn.execute(text(
                    "INSERT INTO disputes (id, org_id, team_id, rep_id, call_id, item_id, kind, machine_verdict,"
                    " disputed_verdict, comment, status, raised_by, raised_at) VALUES (:d, 1, :t, :r, 1, 'ask_once',"
                    " 'upload', 'fail', 'fail', 'no', :s, :r, '2026-01-06')"), {"d": dispute, "t": team, "r": rep, "s": status})
        upgrade(db)
        with db.engine.connect() as conn:
            assigned = conn.execute(text("SELECT id, assigned_to FROM disputes ORDER BY id")).all()
            events = conn.execute(text('SELECT dispute_id, action, "by", assignee FROM dispute_events')).all()
        assert [tuple(r) for r in assigned] == [(1, 2), (2, None), (3, None)]
        assert [tuple(r) for r in events] == [(1, "assigned", 1, 2)]
    finally:
        db.dispose()
