"""Shared fixtures. Every database test runs on SQLite, or on PostgreSQL when
TEST_DATABASE_URL is set (CI runs the suite once each way)."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from callbot.config import Settings, load_settings
from callbot.core import Core
from callbot.db.engine import create_engine, create_sessionmaker, is_sqlite
from callbot.db.migrate import upgrade
from callbot.db.models import Base
from fakes.slack_world import PNG_MAGIC as PNG_MAGIC  # defined once: the fake sniffs with it

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


class Clock:
    """A clock the test moves by hand; services read time only through `core.clock`."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Seconds:
    """A monotonic clock in seconds (like time.monotonic) that the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 11, 18, 15, 0, tzinfo=UTC))  # a Wednesday, 10:00 in New York


@pytest.fixture
def congress_dir(tmp_path: Path) -> Path:
    """The small congress fixture, imported the way `callbot data update --from` does it."""
    from callbot.civic.update import import_from_dir

    target = tmp_path / "data" / "congress"
    import_from_dir(FIXTURES / "congress", target)
    return target


def make_settings(tmp_path: Path, database_url: str, campaigns_dir: Path) -> Settings:
    return load_settings(
        database_url=database_url,
        callbot_data_dir=tmp_path / "data",
        campaigns_dir=campaigns_dir,
        _env_file=None,
    )


async def build_core(
    engine: AsyncEngine, settings: Settings, clock: Clock, *, with_directory: bool = True
) -> Core:
    """A Core on the test's database, like `start_core` but sharing the test engine."""
    from callbot.campaigns import load_campaigns, sync_campaigns
    from callbot.core import load_directory

    sessions = create_sessionmaker(engine)
    directory, problem = load_directory(settings) if with_directory else (None, "no data")
    loaded = load_campaigns(settings.campaigns_dir)
    assert loaded.problems == [], loaded.problems
    async with sessions.begin() as session:
        catalog = await sync_campaigns(session, loaded.campaigns)
    return Core(
        settings=settings,
        engine=engine,
        sessions=sessions,
        directory=directory,
        campaigns=catalog,
        clock=clock,
        directory_problem=problem,
    )


async def rows(core: Core, model: Any, *where: Any) -> list[Any]:
    """The rows of `model` (that match `where`), in id order."""
    async with core.sessions() as session:
        return list(await session.scalars(select(model).where(*where).order_by(model.id)))


async def count(core: Core, model: Any) -> int:
    """How many rows `model` has."""
    async with core.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)
