"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import AsyncEngine

from callbot.db.migrate import upgrade
from callbot.db.models import Base


async def test_models_and_migrations_agree(engine: AsyncEngine) -> None:
    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as connection:
        assert await connection.run_sync(differences) == []


async def test_upgrade_is_repeatable(engine: AsyncEngine) -> None:
    await upgrade(engine)  # already at head: a no-op, not an error
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(c.dialect.get_table_names(c)))
    assert {
        "communities",
        "members",
        "campaigns",
        "pledges",
        "call_outcomes",
        "alerts",
        "alert_deliveries",
    } <= tables


async def test_claims_left_by_the_code_before_claims_at_sending_are_settled_quietly(
    tmp_path: Any,
) -> None:
    # Before 0005 a post was claimed before it waited its turn; such a claim is history (no
    # nonce was sent), not a post in flight: the first leader must not ask organizers about it.
    from sqlalchemy import text

    from callbot.db.engine import create_engine

    engine = create_engine(f"sqlite:///{tmp_path / 'before.sqlite3'}")
    try:
        await upgrade(engine, "0004")
        async with engine.begin() as connection:
            for statement in (
                "INSERT INTO communities (id, platform, external_id, name, timezone, "
                "organizer_user_ids, tally_time, created_at) VALUES (1, 'discord', '9', 'x', "
                "'UTC', '[]', '18:00', '2026-01-01')",
                "INSERT INTO campaigns (id, slug, title, content_hash, definition, source_path, "
                "active, synced_at) VALUES (1, 'c', 'C', 'h', '{}', '', 1, '2026-01-01')",
                "INSERT INTO alerts (id, community_id, campaign_id, channel_id, schedule, "
                "timezone, message, status, created_by, created_at) VALUES (1, 1, 1, '5', "
                "'daily:18:00', 'UTC', '', 'active', 'olga', '2026-01-01')",
                "INSERT INTO alert_deliveries (community_id, alert_id, occurrence, channel_id, "
                "status, claimed_at, attempts) VALUES (1, 1, '2026-01-02', '5', 'claimed', "
                "'2026-01-02', 0), (1, 1, '2026-01-03', '5', 'posted', '2026-01-03', 1)",
            ):
                await connection.execute(text(statement))
        await upgrade(engine)
        async with engine.connect() as connection:
            statuses = await connection.scalars(
                text("SELECT status FROM alert_deliveries ORDER BY occurrence")
            )
            scheduled = await connection.scalar(text("SELECT scheduled_at FROM alerts"))
        assert list(statuses) == ["unconfirmed", "posted"] and scheduled is not None
    finally:
        await engine.dispose()
