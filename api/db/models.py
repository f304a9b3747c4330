"""Tables. Integer keys throughout; access columns (org, team, rep) are copied onto
calls, scorecards and scorecard items so every visibility check and roll-up is one
indexed query without joins."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from api.db.compressed import CompressedBytes, CompressedText


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC in Python on both backends (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):  # type: ignore[no-untyped-def]
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


class Role(StrEnum):
    rep = "rep"
    manager = "manager"
    admin = "admin"


class CallStatus(StrEnum):
    queued = "queued"
    scoring = "scoring"
    scored = "scored"
    failed = "failed"


class CallKind(StrEnum):
    """Real calls and practice are kept apart everywhere a manager looks."""

    upload = "upload"
    roleplay = "roleplay"


class DisputeStatus(StrEnum):
    open = "open"
    accepted = "accepted"
    rejected = "rejected"


class ReviewSource(StrEnum):
    """Where a human judgement of one item came from (the calibration record)."""

    override = "override"
    override_cleared = "override_cleared"
    dispute_accepted = "dispute_accepted"
    dispute_rejected = "dispute_rejected"


class JobStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class Base(DeclarativeBase):
    pass


class Org(Base):
    __tablename__ = "orgs"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    # A rep belongs to a team; a manager manages the team they belong to.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    user: Mapped[User] = relationship(lazy="joined")


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("uploaded_by", "idempotency_key", name="uq_calls_idempotency"),
        Index("ix_calls_team_occurred", "team_id", "occurred_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    rep_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    uploaded_by: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default="upload")  # upload | roleplay
    filename: Mapped[str] = mapped_column(String(300))
    format: Mapped[str] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(String(300))
    sellers: Mapped[list[str]] = mapped_column(JSON, default=list)
    meta: Mapped[dict[str, object]] = mapped_column("metadata", JSON, default=dict)
    size_bytes: Mapped[int] = mapped_column(Integer)
    turns: Mapped[int] = mapped_column(Integer)
    duration_s: Mapped[float | None] = mapped_column(Float)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=CallStatus.queued)
    error: Mapped[str | None] = mapped_column(Text)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))


class CallBlob(Base):
    """The upload as received and as read; kept apart so call rows stay small."""

    __tablename__ = "call_blobs"
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    raw: Mapped[bytes] = mapped_column(CompressedBytes)
    transcript_json: Mapped[str] = mapped_column(CompressedText)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_status_id", "status", "id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="score")
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.queued)
    # The lane (api.enqueue.Lane): higher runs first; uploads before LLM follow-ups before rescoring.
    priority: Mapped[int] = mapped_column(Integer, default=3, server_default="3")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Runs cut short by a server restart or a lost lease: they do not use up `attempts`.
    interruptions: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    worker: Mapped[str | None] = mapped_column(String(100))
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ScorecardRow(Base):
    __tablename__ = "scorecards"
    # Roll-ups count calls per group from these indexes alone (covering, pre-sorted).
    __table_args__ = (
        # Real calls and practice are counted apart: the kind comes right after the equality key.
        Index("ix_scorecards_team_rep", "team_id", "kind", "rep_id", "occurred_at", "score"),
        Index("ix_scorecards_team_week", "team_id", "kind", "week", "occurred_at", "score"),
        Index("ix_scorecards_rep_week", "rep_id", "kind", "week", "occurred_at", "score"),
        Index("ix_scorecards_org_id", "org_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), unique=True)
    org_id: Mapped[int] = mapped_column(Integer)
    team_id: Mapped[int | None] = mapped_column(Integer)
    rep_id: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    week: Mapped[dt.date] = mapped_column(Date)  # Monday of the ISO week of occurred_at
    kind: Mapped[str] = mapped_column(String(16), default=CallKind.upload, server_default=CallKind.upload.value)
    # `score` is what everyone sees: the machine's, recomputed with the managers' overrides;
    # null when nothing could be judged. The machine's own score stays beside it.
    score: Mapped[float | None] = mapped_column(Float)
    machine_score: Mapped[float | None] = mapped_column(Float)
    rubric_id: Mapped[str] = mapped_column(String(100))
    rubric_version: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)  # the machine Scorecard JSON, as scored
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScorecardItemRow(Base):
    """One rubric item of one scorecard: machine verdict, manager override beside it."""

    __tablename__ = "scorecard_items"
    __table_args__ = (
        UniqueConstraint("scorecard_id", "item_id", name="uq_scorecard_items"),
        # Covering indexes for the roll-up GROUP BYs (group key, item, verdict, then the window).
        Index("ix_items_team_rep", "team_id", "kind", "rep_id", "item_id", "verdict", "occurred_at"),
        Index("ix_items_team_week", "team_id", "kind", "week", "item_id", "verdict", "occurred_at"),
        Index("ix_items_rep_week", "rep_id", "kind", "week", "item_id", "verdict", "occurred_at"),
        Index("ix_items_item_verdict", "item_id", "verdict", "scorecard_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecards.id", ondelete="CASCADE"))
    call_id: Mapped[int] = mapped_column(Integer)
    org_id: Mapped[int] = mapped_column(Integer)
    team_id: Mapped[int | None] = mapped_column(Integer)
    rep_id: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    week: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(16), default=CallKind.upload, server_default=CallKind.upload.value)
    item_id: Mapped[str] = mapped_column(String(100))
    machine_verdict: Mapped[str] = mapped_column(String(20))
    verdict: Mapped[str] = mapped_column(String(20))  # the override if any, else the machine's
    override_verdict: Mapped[str | None] = mapped_column(String(20))
    override_comment: Mapped[str | None] = mapped_column(Text)
    override_by: Mapped[int | None] = mapped_column(Integer)
    override_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class RoleplaySessionRow(Base):
    """A role-play session: its state is the role-play layer's own pydantic model as JSON."""

    __tablename__ = "roleplay_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(Integer, index=True)
    team_id: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    scenario: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="active")
    state: Mapped[str] = mapped_column(Text)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RevokedSession(Base):
    """A signed-out browser session: its cookie opens nothing until it would have expired anyway."""

    __tablename__ = "revoked_sessions"
    sid: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class Dispute(Base):
    """A rep contests one item's verdict; the team's manager accepts (an override) or rejects it."""

    __tablename__ = "disputes"
    __table_args__ = (
        Index("ix_disputes_org_team_status", "org_id", "team_id", "status"),
        Index("ix_disputes_call_item", "call_id", "item_id"),
        Index("ix_disputes_assigned_status", "assigned_to", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(Integer)
    team_id: Mapped[int | None] = mapped_column(Integer)
    rep_id: Mapped[int] = mapped_column(Integer, index=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default=CallKind.upload)
    machine_verdict: Mapped[str] = mapped_column(String(20))
    disputed_verdict: Mapped[str] = mapped_column(String(20))  # the verdict the rep saw (an override, if any)
    proposed_verdict: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=DisputeStatus.open)
    raised_by: Mapped[int] = mapped_column(Integer)
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_by: Mapped[int | None] = mapped_column(Integer)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution_verdict: Mapped[str | None] = mapped_column(String(20))
    resolution_reason: Mapped[str | None] = mapped_column(Text)
    # The reviewer who decides it: the team's manager by default, reassigned by a manager or an admin
    # to another manager of the team. None when the team has no manager (an admin decides).
    assigned_to: Mapped[int | None] = mapped_column(Integer)
    assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class DisputeEvent(Base):
    """Every step of a dispute, with who and when (never updated, only added)."""

    __tablename__ = "dispute_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("disputes.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # opened | assigned | accepted | rejected
    by: Mapped[int] = mapped_column(Integer)
    assignee: Mapped[int | None] = mapped_column(Integer)  # `assigned`: the reviewer it was given to
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    verdict: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str] = mapped_column(Text, default="")


class VerdictReview(Base):
    """One human judgement of one item beside the machine's: overrides and resolved disputes.
    The calibration page and the labelled-call export read these."""

    __tablename__ = "verdict_reviews"
    __table_args__ = (
        Index("ix_reviews_org_item_at", "org_id", "item_id", "at"),
        Index("ix_reviews_call_item", "call_id", "item_id", "id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(Integer)
    team_id: Mapped[int | None] = mapped_column(Integer)
    rep_id: Mapped[int] = mapped_column(Integer)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    item_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16), default=CallKind.upload)
    source: Mapped[str] = mapped_column(String(20))
    machine_verdict: Mapped[str] = mapped_column(String(20))
    verdict: Mapped[str | None] = mapped_column(String(20))  # null when an override was cleared
    comment: Mapped[str] = mapped_column(Text, default="")
    by: Mapped[int] = mapped_column(Integer)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    dispute_id: Mapped[int | None] = mapped_column(ForeignKey("disputes.id", ondelete="SET NULL"))
