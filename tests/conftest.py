"""Shared fixtures. Every database test runs on SQLite, or on PostgreSQL when
TEST_DATABASE_URL is set (CI runs the suite once each way)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from callbot.db.engine import create_engine, is_sqlite
from callbot.db.migrate import upgrade
from callbot.db.models import Base

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
REAL_CONGRESS_DATA = REPO.parent / "shared" / "data" / "congress"


def test_database_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A database migrated once per run: an SQLite template file, or the PostgreSQL URL."""
    url = test_database_url() or f"sqlite:///{tmp_path_factory.mktemp('db') / 'template.sqlite3'}"

    async def migrate() -> None:
        engine = create_engine(url)
        try:
            if not is_sqlite(url):
                async with engine.begin() as connection:
                    await connection.run_sync(Base.metadata.drop_all)
                    await connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(migrate())
    return url


@pytest.fixture
async def engine(migrated_database: str, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    """A migrated, empty database of its own for each test."""
    if is_sqlite(migrated_database):
        template = Path(migrated_database.removeprefix("sqlite:///"))
        copy = tmp_path / "callbot.sqlite3"
        shutil.copyfile(template, copy)
        engine = create_engine(f"sqlite:///{copy}")
    else:
        engine = create_engine(migrated_database)
        tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
        async with engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    yield engine
    await engine.dispose()
