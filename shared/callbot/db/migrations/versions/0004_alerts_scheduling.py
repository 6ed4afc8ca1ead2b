"""Scheduled alerts and tallies: alert status, delivery attempts, tally deliveries, the audit
log, each community's tally time, and APScheduler's job store table

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("communities") as table:
        table.add_column(
            sa.Column("tally_time", sa.String(length=5), server_default="18:00", nullable=False)
        )
    with op.batch_alter_table("alerts") as table:
        table.add_column(
            sa.Column("status", sa.String(length=16), server_default="active", nullable=False)
        )
        table.add_column(sa.Column("cancelled_by", sa.String(length=64), nullable=True))
        table.create_index("ix_alerts_status", ["status"])
    with op.batch_alter_table("alert_deliveries") as table:
        table.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        table.add_column(sa.Column("last_error", sa.Text(), nullable=True))
        table.add_column(sa.Column("shown", sa.String(length=64), nullable=True))
        table.create_index("ix_alert_deliveries_live", ["status", "posted_at"])
    op.create_table(
        "tally_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("occurrence", sa.DateTime(timezone=True), nullable=False),
        sa.Column("channel_id", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("message_ref", sa.String(length=200), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_tally_deliveries_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_tally_deliveries_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tally_deliveries")),
        sa.UniqueConstraint(
            "community_id",
            "campaign_id",
            "occurrence",
            name=op.f("uq_tally_deliveries_community_id_campaign_id_occurrence"),
        ),
    )
    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_audit_events_community_id_communities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_community", "audit_events", ["community_id", "created_at"])
    op.create_table(
        "scheduler_jobs",
        sa.Column("id", sa.Unicode(length=191), nullable=False),
        sa.Column("next_run_time", sa.Float(precision=25), nullable=True),
        sa.Column("job_state", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scheduler_jobs")),
    )
    op.create_index(op.f("ix_scheduler_jobs_next_run_time"), "scheduler_jobs", ["next_run_time"])


def downgrade() -> None:
    op.drop_index(op.f("ix_scheduler_jobs_next_run_time"), table_name="scheduler_jobs")
    op.drop_table("scheduler_jobs")
    op.drop_index("ix_audit_events_community", table_name="audit_events")
    op.drop_table("audit_events")
    op.drop_table("tally_deliveries")
    with op.batch_alter_table("alert_deliveries") as table:
        table.drop_index("ix_alert_deliveries_live")
        table.drop_column("shown")
        table.drop_column("last_error")
        table.drop_column("attempts")
    with op.batch_alter_table("alerts") as table:
        table.drop_index("ix_alerts_status")
        table.drop_column("cancelled_by")
        table.drop_column("status")
    with op.batch_alter_table("communities") as table:
        table.drop_column("tally_time")
