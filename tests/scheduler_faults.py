"""What the scheduler's fault tests share: a database of their own (SQLite file, or a
PostgreSQL database named after TEST_DATABASE_URL's, dropped afterwards), servers in the
fake Discord each with an organizer and an alert, and `callbot run` processes against them
(bench/bot_process.py: the bot as it is deployed, its log read as it comes)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import asyncpg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from callbot.core import Core
from callbot.db.engine import create_engine
from callbot.db.migrate import upgrade
from callbot.db.models import Alert, AlertDelivery, AlertStatus, Community
from conftest import FIXTURES, REPO, build_core, make_settings
from conftest import test_database_url as database_url
from fakes.discord_fake import (
    FakeChannel,
    FakeDiscord,
    FakeGuild,
    FakeMessage,
    FakeUser,
    running_fake,
)
from fakes.tcp_proxy import FaultProxy, fault_proxy

if str(REPO) not in sys.path:
    sys.path.append(str(REPO))  # bench/: BotProcess runs and reads `callbot run`
from bench.bot_process import BotProcess, running_bot_process

CAMPAIGNS = FIXTURES / "service-campaigns"
ZONE = ZoneInfo("America/New_York")
START_SECONDS = 60.0  # a process's start-up on a busy machine
POLL_SECONDS = 0.25  # the database has no event to wait on: how often it is looked at


def postgres_url() -> str | None:
    url = database_url()
    return url if url and url.startswith("postgresql") else None


@asynccontextmanager
async def own_database(tmp_path: Path) -> AsyncIterator[str]:
    """A migrated, empty database for processes to share: `<test database>_faults` on
    PostgreSQL when TEST_DATABASE_URL names one (dropped afterwards), else an SQLite file."""
    base = postgres_url()
    if base is None:
        url = f"sqlite:///{tmp_path / 'faults.sqlite3'}"
        await _migrate(url)
        yield url
        return
    parsed = make_url(base)
    name = f"{parsed.database}_faults"
    admin_dsn = parsed.set(drivername="postgresql", database="postgres")
    admin = await asyncpg.connect(admin_dsn.render_as_string(hide_password=False))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = parsed.set(database=name).render_as_string(hide_password=False)
        await _migrate(url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def open_core(url: str, tmp_path: Path) -> AsyncIterator[Core]:
    """The test's own view of the database (campaigns synced as the processes see them)."""
    engine = create_engine(url)
    try:
        settings = make_settings(tmp_path, url, CAMPAIGNS)
        yield await build_core(engine, settings, lambda: datetime.now(UTC), with_directory=False)  # type: ignore[arg-type]
    finally:
        await engine.dispose()


@dataclass
class Server:
    """A server in the fake with its alert channel and its organizer, and its community."""

    guild: FakeGuild
    channel: FakeChannel
    organizer: FakeUser
    community_id: int


async def add_servers(core: Core, fake: FakeDiscord, count: int) -> list[Server]:
    """`count` servers, each a community of its own (Discord caps a server's channels)."""
    built = []
    for number in range(count):
        guild = fake.add_guild(f"Callers {number}")
        built.append((guild, guild.add_channel("alerts"), guild.add_member(f"organizer{number}")))
    async with core.sessions.begin() as session:
        communities = [
            Community(platform="discord", external_id=str(g.id), name=g.name, timezone="UTC")
            for g, _, _ in built
        ]
        session.add_all(communities)
        await session.flush()
        return [
            Server(guild, channel, organizer, community.id)
            for (guild, channel, organizer), community in zip(built, communities, strict=True)
        ]


async def add_alerts(core: Core, servers: Sequence[Server], due: datetime) -> list[int]:
    """One alert per server, due at `due` (to the second), made by its organizer a minute
    before; their ids."""
    entry = core.campaigns.get("governor")
    assert entry is not None
    local = due.astimezone(ZONE).replace(tzinfo=None).isoformat(timespec="seconds")
    made = min(datetime.now(UTC), due - timedelta(minutes=1))
    async with core.sessions.begin() as session:
        alerts = [
            Alert(
                community_id=server.community_id,
                campaign_id=entry.id,
                channel_id=str(server.channel.id),
                schedule=f"once:{local}",
                timezone=str(ZONE),
                message="",
                status=AlertStatus.ACTIVE,
                created_by=str(server.organizer.id),
                created_at=made,
                scheduled_at=made,
            )
            for server in servers
        ]
        session.add_all(alerts)
        await session.flush()
        return [alert.id for alert in alerts]


async def delivery_statuses(core: Core) -> dict[str, int]:
    async with core.sessions() as session:
        rows = await session.execute(
            select(AlertDelivery.status, func.count()).group_by(AlertDelivery.status)
        )
        return {str(status): int(count) for status, count in rows}


async def deliveries(core: Core) -> dict[int, AlertDelivery]:
    """Every alert's delivery, by alert id."""
    async with core.sessions() as session:
        return {d.alert_id: d for d in await session.scalars(select(AlertDelivery))}


async def until_true(check: Callable[[], Awaitable[bool]], seconds: float, what: str) -> None:
    """Wait until `await check()` is true, for what only the database knows: it has no event
    to wait on, so it is looked at every `POLL_SECONDS`."""
    try:
        async with asyncio.timeout(seconds):
            while not await check():  # noqa: ASYNC110
                await asyncio.sleep(POLL_SECONDS)
    except TimeoutError:
        raise AssertionError(f"{what}: not within {seconds} s") from None


def post_it_now_notices(fake: FakeDiscord, organizer: FakeUser) -> list[FakeMessage]:
    """The direct messages to `organizer` that carry a Post it now button."""
    return [
        m
        for m in fake.direct_messages(organizer)
        if any(custom_id.startswith("alert:postnow:") for custom_id in m.custom_ids())
    ]


@dataclass
class BehindAProxy:
    """One server in the fake Discord, and a database of the test's own that the bot reaches
    only through a fault proxy (`settings`); the test's own view (`core`) goes straight."""

    fake: FakeDiscord
    core: Core
    server: Server
    proxy: FaultProxy
    settings: dict[str, str]


@asynccontextmanager
async def behind_a_fault_proxy(tmp_path: Path) -> AsyncIterator[BehindAProxy]:
    base = make_url(postgres_url() or "")
    async with (
        running_fake() as fake,
        own_database(tmp_path) as url,
        open_core(url, tmp_path) as core,
        fault_proxy(base.host or "127.0.0.1", base.port or 5432) as proxy,
    ):
        [server] = await add_servers(core, fake, 1)
        through = make_url(url).set(host="127.0.0.1", port=proxy.port)
        settings = process_settings(through.render_as_string(hide_password=False), fake, tmp_path)
        yield BehindAProxy(fake, core, server, proxy, settings)


def process_settings(url: str, fake: FakeDiscord, tmp_path: Path) -> dict[str, str]:
    """The environment of a `callbot run` against the fake Discord and `url`."""
    return {
        "DATABASE_URL": url,
        "CALLBOT_DATA_DIR": str(tmp_path / "data"),
        "CAMPAIGNS_DIR": str(CAMPAIGNS),
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "DISCORD_GUILD_READY_TIMEOUT": "0.05",
        "LOG_LEVEL": "INFO",
    }


__all__ = ["BotProcess", "running_bot_process"]
