"""The database schema. Every row that belongs to a community carries `community_id`."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use an aware UTC value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Outcome(StrEnum):
    """How a call went, in 5 Calls' words. Contact and voicemail count as completed."""

    CONTACT = "contact"
    VOICEMAIL = "voicemail"
    UNAVAILABLE = "unavailable"
    SKIP = "skip"


COMPLETED_OUTCOMES = (Outcome.CONTACT.value, Outcome.VOICEMAIL.value)


class Community(Base):
    """A Discord server, a Slack workspace or a terminal playground."""

    __tablename__ = "communities"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64))
    organizer_role_id: Mapped[str | None] = mapped_column(String(64))
    organizer_user_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    featured_campaign: Mapped[str | None] = mapped_column(String(64))
    alert_channel_id: Mapped[str | None] = mapped_column(String(64))
    # When the daily tally of each open campaign goes to the alert channel ("HH:MM", local).
    tally_time: Mapped[str] = mapped_column(String(5), default="18:00", server_default="18:00")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Member(Base):
    """One person in one community. Only what they chose to tell us is kept."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("community_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    # Replaced by an unguessable placeholder when the member erases their data.
    user_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(100))
    city: Mapped[str | None] = mapped_column(String(100))
    zip_code: Mapped[str | None] = mapped_column(String(5))
    state: Mapped[str | None] = mapped_column(String(2))
    district: Mapped[int | None] = mapped_column(Integer)
    leaderboard_visible: Mapped[bool] = mapped_column(Boolean, default=True)
    reminders: Mapped[bool] = mapped_column(Boolean, default=True)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Campaign(Base):
    """A campaign file as last synced; `definition` holds the validated file."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_path: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    goal: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    synced_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Pledge(Base):
    """A member's promise to call for a campaign; one per member and campaign."""

    __tablename__ = "pledges"
    __table_args__ = (
        UniqueConstraint("member_id", "campaign_id"),
        Index("ix_pledges_community_campaign", "community_id", "campaign_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CallOutcome(Base):
    """How one call to one office went.

    Unique per interaction id (a platform retry records nothing twice) and per call session
    and target (a second click on the same step of the same session counts once).
    """

    __tablename__ = "call_outcomes"
    __table_args__ = (
        UniqueConstraint("community_id", "interaction_id"),
        UniqueConstraint("member_id", "session_key", "target_key"),
        # Covering indexes: tallies and leaderboards count from the index alone, never the table.
        Index("ix_call_outcomes_tally", "community_id", "campaign_id", "result", "member_id"),
        Index(
            "ix_call_outcomes_ranking",
            "community_id",
            "member_id",
            "result",
            "campaign_id",
            "created_at",
        ),
        Index("ix_call_outcomes_caller", "member_id", "campaign_id", "result"),
        Index("ix_call_outcomes_time", "community_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    session_key: Mapped[str] = mapped_column(String(16))
    target_key: Mapped[str] = mapped_column(String(64))
    target_name: Mapped[str] = mapped_column(String(200))
    result: Mapped[str] = mapped_column(String(16))
    interaction_id: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AlertStatus(StrEnum):
    """Where an alert is in its life: previewed, then scheduled until done or stopped."""

    DRAFT = "draft"  # shown to its organizer as a preview, not scheduled yet
    ACTIVE = "active"
    FINISHED = "finished"  # a one-time alert that ran, or its campaign ended
    CANCELLED = "cancelled"
    DISABLED = "disabled"  # its channel is gone or closed to the bot: `disabled_reason`


class Alert(Base):
    """An organizer's scheduled action alert into a channel (once or recurring)."""

    __tablename__ = "alerts"
    __table_args__ = (
        Index("ix_alerts_community", "community_id"),
        Index("ix_alerts_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    channel_id: Mapped[str] = mapped_column(String(64))
    schedule: Mapped[str] = mapped_column(String(100))  # callbot.alerts.schedules, stored form
    timezone: Mapped[str] = mapped_column(String(64))
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(
        String(16), default=AlertStatus.DRAFT, server_default="active"
    )
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When its organizer pressed "Schedule it": no occurrence before this is posted or missed.
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(64))
    disabled_reason: Mapped[str | None] = mapped_column(Text)


class DeliveryStatus(StrEnum):
    """Where one scheduled post is. It is claimed at the moment it is sent; the claim is then
    settled by what the platform answered, or later by the leader (callbot.alerts.settle)."""

    CLAIMED = "claimed"  # being sent: unconfirmed until the platform's answer is recorded
    POSTED = "posted"  # the platform's message id is recorded in `message_ref`
    UNCONFIRMED = "unconfirmed"  # maybe sent (a crash, a lost answer) and not safe to repeat
    FAILED = "failed"  # refused by the platform after several tries: not posted
    MISSED = "missed"  # too late to post when it was found (callbot was down)
    REQUESTED = "requested"  # its organizer pressed "Post it now": the leader posts it
    GONE = "gone"  # its channel is gone or closed to the bot


class AlertDelivery(Base):
    """One post of one alert occurrence to one channel, claimed at the moment it is sent."""

    __tablename__ = "alert_deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "occurrence", "channel_id"),
        # The posts whose counts are kept current: read every few seconds.
        Index("ix_alert_deliveries_live", "status", "posted_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    occurrence: Mapped[datetime] = mapped_column(UTCDateTime)
    channel_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.CLAIMED)
    message_ref: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the latest attempt to send it began (a claim older than that plus the longest a
    # send may take is no longer in flight anywhere).
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    # The counts the posted message shows, so a refresh edits it only when they changed.
    shown: Mapped[str | None] = mapped_column(String(64))


class TallyDelivery(Base):
    """One scheduled tally of one campaign in one community, claimed at the moment it is
    sent (as an alert's post: `AlertDelivery`)."""

    __tablename__ = "tally_deliveries"
    __table_args__ = (UniqueConstraint("community_id", "campaign_id", "occurrence"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    occurrence: Mapped[datetime] = mapped_column(UTCDateTime)
    channel_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=DeliveryStatus.CLAIMED)
    message_ref: Mapped[str | None] = mapped_column(String(200))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    attempted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)


class AuditEvent(Base):
    """Who did what to a community's alerts and setup, and when (organizers read it)."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_community", "community_id", "created_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    user_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # "alert.create", "alert.cancel", ...
    subject: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# APScheduler's SQLAlchemy job store keeps the scheduled jobs here (its own columns). Declared
# so that migrations create it and the schema check knows it.
scheduler_jobs = Table(
    "scheduler_jobs",
    Base.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)


# -- Slack app installations ----------------------------------------------------------------------
# slack_sdk's SQLAlchemy installation and OAuth state stores read and write these tables (the
# Slack adapter points them here); they are declared in our schema so migrations create them.
# Their columns are slack_sdk 3.47's, which tests/test_slack_store.py keeps in step.


def _slack_app_columns() -> list[Column[Any]]:
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("client_id", String(32), nullable=False),
        Column("app_id", String(32), nullable=False),
        Column("enterprise_id", String(32)),
        Column("enterprise_name", String(200)),
    ]


def _slack_bot_columns() -> list[Column[Any]]:
    return [
        Column("team_id", String(32)),
        Column("team_name", String(200)),
        Column("bot_token", String(200)),
        Column("bot_id", String(32)),
        Column("bot_user_id", String(32)),
        Column("bot_scopes", String(1000)),
        Column("bot_refresh_token", String(200)),
        Column("bot_token_expires_at", DateTime),
    ]


slack_installations = Table(
    "slack_installations",
    Base.metadata,
    *_slack_app_columns(),
    Column("enterprise_url", String(200)),
    *_slack_bot_columns(),
    Column("user_id", String(32), nullable=False),
    Column("user_token", String(200)),
    Column("user_scopes", String(1000)),
    Column("user_refresh_token", String(200)),
    Column("user_token_expires_at", DateTime),
    Column("incoming_webhook_url", String(200)),
    Column("incoming_webhook_channel", String(200)),
    Column("incoming_webhook_channel_id", String(200)),
    Column("incoming_webhook_configuration_url", String(200)),
    Column("is_enterprise_install", Boolean, nullable=False),
    Column("token_type", String(32)),
    Column("installed_at", DateTime, nullable=False),
    Index(
        "slack_installations_idx",
        "client_id",
        "enterprise_id",
        "team_id",
        "user_id",
        "installed_at",
    ),
)

slack_bots = Table(
    "slack_bots",
    Base.metadata,
    *_slack_app_columns(),
    *_slack_bot_columns(),
    Column("is_enterprise_install", Boolean, nullable=False),
    Column("installed_at", DateTime, nullable=False),
    Index("slack_bots_idx", "client_id", "enterprise_id", "team_id", "installed_at"),
)

slack_oauth_states = Table(
    "slack_oauth_states",
    Base.metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("state", String(200), nullable=False),
    Column("expire_at", DateTime, nullable=False),
)
