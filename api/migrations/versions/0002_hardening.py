"""hardening: compressed call blobs, job interruptions, revoked browser sessions

Revision ID: 0002_hardening
Revises: 0001
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from api.db.compressed import unpack

revision = "0002_hardening"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows stored before keep their plain bytes: `api.db.compressed.unpack` reads both.
    with op.batch_alter_table("call_blobs") as batch:
        batch.alter_column(
            "transcript_json", type_=sa.LargeBinary(), existing_nullable=False,
            postgresql_using="convert_to(transcript_json, 'UTF8')",
        )
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("interruptions", sa.Integer(), nullable=False, server_default="0"))
    op.create_table(
        "revoked_sessions",
        sa.Column("sid", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sid"),
    )
    op.create_index(op.f("ix_revoked_sessions_expires_at"), "revoked_sessions", ["expires_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_revoked_sessions_expires_at"), table_name="revoked_sessions")
    op.drop_table("revoked_sessions")
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("interruptions")
    conn = op.get_bind()
    blobs = sa.table("call_blobs", sa.column("call_id", sa.Integer()), sa.column("raw", sa.LargeBinary()),
                     sa.column("transcript_json", sa.LargeBinary()))
    for call_id, raw, transcript in conn.execute(sa.select(blobs.c.call_id, blobs.c.raw, blobs.c.transcript_json)).all():
        conn.execute(
            blobs.update().where(blobs.c.call_id == call_id).values(raw=unpack(raw), transcript_json=unpack(transcript))
        )
    with op.batch_alter_table("call_blobs") as batch:
        batch.alter_column(
            "transcript_json", type_=sa.Text(), existing_nullable=False,
            postgresql_using="convert_from(transcript_json, 'UTF8')",
        )
