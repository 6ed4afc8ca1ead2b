"""Scheduled posts claimed at the moment they are sent: when each attempt began, a tally's
attempts and last error, and when each alert was scheduled

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alerts") as table:
        table.add_column(sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=True))
    # Alerts scheduled before this revision: their creation is the best record of it.
    op.execute("UPDATE alerts SET scheduled_at = created_at WHERE status <> 'draft'")
    with op.batch_alter_table("alert_deliveries") as table:
        table.add_column(sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("tally_deliveries") as table:
        table.add_column(sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))
        table.add_column(sa.Column("last_error", sa.Text(), nullable=True))
    # Claims the earlier code left (made before a post waited its turn, sent without a
    # nonce): history, not posts in flight. Settled quietly, so that the first leader after
    # the upgrade does not ask organizers about posts of long ago.
    op.execute("UPDATE alert_deliveries SET status = 'unconfirmed' WHERE status = 'claimed'")
    op.execute("UPDATE tally_deliveries SET status = 'unconfirmed' WHERE status = 'claimed'")


def downgrade() -> None:
    with op.batch_alter_table("tally_deliveries") as table:
        table.drop_column("last_error")
        table.drop_column("attempts")
        table.drop_column("attempted_at")
    with op.batch_alter_table("alert_deliveries") as table:
        table.drop_column("attempted_at")
    with op.batch_alter_table("alerts") as table:
        table.drop_column("scheduled_at")
