"""The running core: settings, database, representatives directory and campaigns.

Adapters build one `Core` at start-up with `start_core()` and pass it to every service call.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from callbot.campaigns import CampaignCatalog, load_campaigns, sync_campaigns
from callbot.civic import CongressDirectory, DataInvalid, DataMissing
from callbot.config import Settings
from callbot.db.engine import create_sessionmaker
from callbot.db.opening import open_database

log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Core:
    """Everything a service needs. One per process; cheap to pass around."""

    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    directory: CongressDirectory | None
    campaigns: CampaignCatalog
    clock: Callable[[], datetime] = field(default=_utcnow)
    directory_problem: str = ""  # why `directory` is None, in words for the member

    async def close(self) -> None:
        await self.engine.dispose()


def load_directory(settings: Settings) -> tuple[CongressDirectory | None, str]:
    """The congress data, or None and a sentence saying how to load it."""
    try:
        directory = CongressDirectory.load(settings.congress_dir)
    except (DataMissing, DataInvalid) as exc:
        # The bot still serves campaigns with custom targets; members are told why the rest is off.
        log.warning("congress data unavailable: %s", exc)
        return None, str(exc)
    if directory.is_stale(_utcnow()):
        # Members of Congress change (deaths, resignations, special elections): refresh often.
        log.warning(
            "congress data is %s days old; run `callbot data update` to refresh it",
            directory.age_days(_utcnow()) or "an unknown number of",
        )
    return directory, ""


async def start_core(settings: Settings, *, migrate: bool = True) -> Core:
    """Open the database (upgrading it), load the congress data and sync the campaign files.
    A database that cannot be opened is a SettingsError naming its variable."""
    engine = await open_database(settings, migrate=migrate)
    sessions = create_sessionmaker(engine)
    directory, problem = load_directory(settings)
    loaded = load_campaigns(settings.campaigns_dir)
    for problem_found in loaded.problems:
        log.error("campaign file skipped: %s", problem_found)
    async with sessions.begin() as session:
        catalog = await sync_campaigns(session, loaded.campaigns)
    return Core(
        settings=settings,
        engine=engine,
        sessions=sessions,
        directory=directory,
        campaigns=catalog,
        directory_problem=problem,
    )
