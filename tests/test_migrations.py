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
