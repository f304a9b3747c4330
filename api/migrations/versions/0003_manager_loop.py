"""manager loop: practice kept apart (kind on scorecards), effective and machine scores,
disputes with their steps, and the human reviews calibration reads

Revision ID: 0003_manager_loop
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_manager_loop"
down_revision = "0002_hardening"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("scorecards", "scorecard_items"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("kind", sa.String(length=16), server_default="upload", nullable=False))
    with op.batch_alter_table("scorecards", schema=None) as batch_op:
        batch_op.add_column(sa.Column("machine_score", sa.Float(), nullable=True))
    # Existing rows: the kind is the call's; the machine score is the stored score (no override recomputed it).
    for table in ("scorecards", "scorecard_items"):
        op.execute(f"UPDATE {table} SET kind = (SELECT calls.kind FROM calls WHERE calls.id = {table}.call_id)")
    op.execute("UPDATE scorecards SET machine_score = score")
    # The roll-up indexes gain the kind (and the calls' score, for the average) so they stay covering.
    _reindex(_NEW_INDEXES)

    op.create_table(
        "disputes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("machine_verdict", sa.String(length=20), nullable=False),
        sa.Column("disputed_verdict", sa.String(length=20), nullable=False),
        sa.Column("proposed_verdict", sa.String(length=20), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("raised_by", sa.Integer(), nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_by", sa.Integer(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_verdict", sa.String(length=20), nullable=True),
        sa.Column("resolution_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.create_index("ix_disputes_org_team_status", ["org_id", "team_id", "status"], unique=False)
        batch_op.create_index("ix_disputes_call_item", ["call_id", "item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_disputes_rep_id"), ["rep_id"], unique=False)

    op.create_table(
        "dispute_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("by", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["dispute_id"], ["disputes.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("dispute_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_dispute_events_dispute_id"), ["dispute_id"], unique=False)

    op.create_table(
        "verdict_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("machine_verdict", sa.String(length=20), nullable=False),
        sa.Column("verdict", sa.String(length=20), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("by", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dispute_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["call_id"], ["calls.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["dispute_id"], ["disputes.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("verdict_reviews", schema=None) as batch_op:
        batch_op.create_index("ix_reviews_org_item_at", ["org_id", "item_id", "at"], unique=False)
        batch_op.create_index("ix_reviews_call_item", ["call_id", "item_id", "id"], unique=False)
    # Overrides made before this revision are the first calibration records.
    op.execute(
        "INSERT INTO verdict_reviews (org_id, team_id, rep_id, call_id, item_id, kind, source, machine_verdict,"
        " verdict, comment, \"by\", at) SELECT org_id, team_id, rep_id, call_id, item_id, kind, 'override',"
        " machine_verdict, override_verdict, COALESCE(override_comment, ''), COALESCE(override_by, 0), override_at"
        " FROM scorecard_items WHERE override_verdict IS NOT NULL AND override_at IS NOT NULL"
    )


_OLD_INDEXES = {
    "scorecards": {
        "ix_scorecards_team_rep": ["team_id", "rep_id", "occurred_at"],
        "ix_scorecards_team_week": ["team_id", "week", "occurred_at"],
        "ix_scorecards_rep_week": ["rep_id", "week", "occurred_at"],
    },
    "scorecard_items": {
        "ix_items_team_rep": ["team_id", "rep_id", "item_id", "verdict", "occurred_at"],
        "ix_items_team_week": ["team_id", "week", "item_id", "verdict", "occurred_at"],
        "ix_items_rep_week": ["rep_id", "week", "item_id", "verdict", "occurred_at"],
    },
}
_NEW_INDEXES = {
    "scorecards": {
        "ix_scorecards_team_rep": ["team_id", "kind", "rep_id", "occurred_at", "score"],
        "ix_scorecards_team_week": ["team_id", "kind", "week", "occurred_at", "score"],
        "ix_scorecards_rep_week": ["rep_id", "kind", "week", "occurred_at", "score"],
    },
    "scorecard_items": {
        "ix_items_team_rep": ["team_id", "kind", "rep_id", "item_id", "verdict", "occurred_at"],
        "ix_items_team_week": ["team_id", "kind", "week", "item_id", "verdict", "occurred_at"],
        "ix_items_rep_week": ["rep_id", "kind", "week", "item_id", "verdict", "occurred_at"],
    },
}


def _reindex(indexes: dict[str, dict[str, list[str]]]) -> None:
    for table, wanted in indexes.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for name, columns in wanted.items():
                batch_op.drop_index(name)
                batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    op.drop_table("verdict_reviews")
    op.drop_table("dispute_events")
    op.drop_table("disputes")
    _reindex(_OLD_INDEXES)
    with op.batch_alter_table("scorecards", schema=None) as batch_op:
        batch_op.drop_column("machine_score")
        batch_op.drop_column("kind")
    with op.batch_alter_table("scorecard_items", schema=None) as batch_op:
        batch_op.drop_column("kind")
