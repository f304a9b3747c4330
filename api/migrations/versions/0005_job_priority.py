"""job priority: interactive uploads before LLM follow-ups before rescoring backfills,
on both backends (the in-process runner orders by it; Procrastinate gets it at defer)

Revision ID: 0005_job_priority
Revises: 0004_procrastinate
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_job_priority"
down_revision = "0004_procrastinate"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 3 is api.enqueue.Lane.interactive: every job stored before was an upload's or a re-queue's.
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("priority", sa.Integer(), nullable=False, server_default="3"))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("priority")
