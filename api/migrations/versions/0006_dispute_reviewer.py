"""dispute reviewer: every dispute is assigned to a named reviewer (the team's manager by
default, reassignable to another manager of the team), and the assignment is a step in its history

Revision ID: 0006_dispute_reviewer
Revises: 0005_job_priority
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_dispute_reviewer"
down_revision = "0005_job_priority"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assigned_to", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_disputes_assigned_status", ["assigned_to", "status"], unique=False)
    with op.batch_alter_table("dispute_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("assignee", sa.Integer(), nullable=True))
    # Disputes stored before: the open ones go to their team's manager (the lowest id when there
    # are several), as a new one would, with the step in their history; closed ones keep no reviewer.
    manager = (
        "(SELECT MIN(users.id) FROM users WHERE users.role = 'manager' AND users.team_id = disputes.team_id"
        " AND users.org_id = disputes.org_id)"
    )
    op.execute(
        f"UPDATE disputes SET assigned_to = {manager}, assigned_at = raised_at"
        " WHERE status = 'open' AND team_id IS NOT NULL"
    )
    op.execute(
        "INSERT INTO dispute_events (dispute_id, action, \"by\", at, verdict, comment, assignee)"
        " SELECT id, 'assigned', raised_by, raised_at, NULL, 'the team''s manager, by default', assigned_to"
        " FROM disputes WHERE assigned_to IS NOT NULL"
    )


def downgrade() -> None:
    op.execute("DELETE FROM dispute_events WHERE action = 'assigned'")
    with op.batch_alter_table("dispute_events", schema=None) as batch_op:
        batch_op.drop_column("assignee")
    with op.batch_alter_table("disputes", schema=None) as batch_op:
        batch_op.drop_index("ix_disputes_assigned_status")
        batch_op.drop_column("assigned_at")
        batch_op.drop_column("assigned_to")
