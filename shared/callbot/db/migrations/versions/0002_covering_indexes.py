"""Covering indexes for tallies, leaderboards and a caller's own counts

The benchmark (bench/) showed tallies and leaderboards of a large community reading every
outcome row from the table; with these indexes they count from the index alone.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("call_outcomes") as batch_op:
        batch_op.drop_index("ix_call_outcomes_campaign")
        batch_op.drop_index("ix_call_outcomes_member")
        batch_op.create_index(
            "ix_call_outcomes_tally", ["community_id", "campaign_id", "result", "member_id"]
        )
        batch_op.create_index(
            "ix_call_outcomes_ranking",
            ["community_id", "member_id", "result", "campaign_id", "created_at"],
        )
        batch_op.create_index("ix_call_outcomes_caller", ["member_id", "campaign_id", "result"])


def downgrade() -> None:
    with op.batch_alter_table("call_outcomes") as batch_op:
        batch_op.drop_index("ix_call_outcomes_caller")
        batch_op.drop_index("ix_call_outcomes_ranking")
        batch_op.drop_index("ix_call_outcomes_tally")
        batch_op.create_index(
            "ix_call_outcomes_member", ["community_id", "member_id", "created_at"]
        )
        batch_op.create_index(
            "ix_call_outcomes_campaign", ["community_id", "campaign_id", "result"]
        )
