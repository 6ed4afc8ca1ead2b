"""Two `callbot run --role scheduler` processes on PostgreSQL, posting through the loopback
fake Discord: one leads, the other stands by on the advisory lock. The leader posts the first
alert and is killed (SIGKILL, no goodbye); the standby takes over and posts the second one;
nothing is ever posted twice. Real processes, real clock: alerts fall due a few seconds
after they are made."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from callbot.core import Core
from callbot.db.models import Alert, AlertDelivery, AlertStatus, Community
from conftest import FIXTURES, build_core, make_settings
from conftest import test_database_url as database_url
from fakes.discord_fake import FakeChannel, FakeDiscord, running_fake

pytestmark = pytest.mark.skipif(
    not (database_url() or "").startswith("postgresql"),
    reason="the advisory lock that elects one scheduler is PostgreSQL's (TEST_DATABASE_URL)",
)

NEW_YORK = ZoneInfo("America/New_York")
WAIT = 40.0  # seconds any step may take at most (process start-up on a busy machine)


class SchedulerProcess:
    """`callbot run --role scheduler` and its log, read as it comes."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.log: list[str] = []
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.log.append(line.decode())
            self._changed.set()
        self._changed.set()

    async def logged(self, text: str) -> None:
        async with asyncio.timeout(WAIT):
            while not any(text in line for line in self.log):
                if self._reader.done():
                    raise AssertionError(f"the scheduler exited:\n{''.join(self.log)}")
                self._changed.clear()
                await self._changed.wait()


@asynccontextmanager
async def scheduler_process(env: dict[str, str], cwd: Path) -> AsyncIterator[SchedulerProcess]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "callbot.cli",
        "run",
        "--role",
        "scheduler",
        cwd=cwd,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    running = SchedulerProcess(process)
    try:
        yield running
    finally:
        if process.returncode is None:
            process.kill()
        await process.wait()
        await asyncio.gather(running._reader, return_exceptions=True)


async def add_alert(core: Core, community: Community, channel: FakeChannel, due: datetime) -> int:
    entry = core.campaigns.get("governor")
    assert entry is not None
    local = due.astimezone(NEW_YORK).replace(tzinfo=None).isoformat(timespec="seconds")
    async with core.sessions.begin() as session:
        alert = Alert(
            community_id=community.id,
            campaign_id=entry.id,
            channel_id=str(channel.id),
            schedule=f"once:{local}",
            timezone="America/New_York",
            message="",
            status=AlertStatus.ACTIVE,
            created_by="olga",
            created_at=datetime.now(UTC),
        )
        session.add(alert)
        await session.flush()
        return alert.id


async def posts_in(fake: FakeDiscord, channel: FakeChannel, count: int) -> None:
    await fake.state.wait_until(
        lambda: len(fake.channel_messages(channel)) >= count, WAIT, f"{count} post(s)"
    )


async def test_the_standby_takes_over_when_the_leader_is_killed_and_nothing_posts_twice(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    settings = make_settings(tmp_path, str(engine.url), FIXTURES / "service-campaigns")
    core = await build_core(engine, settings, lambda: datetime.now(UTC), with_directory=False)  # type: ignore[arg-type]
    async with running_fake() as fake:
        guild = fake.add_guild("Springfield Callers")
        first_channel, second_channel = guild.add_channel("alerts"), guild.add_channel("more")
        async with core.sessions.begin() as session:
            community = Community(
                platform="discord",
                external_id=str(guild.id),
                name=guild.name,
                timezone="America/New_York",
            )
            session.add(community)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DISCORD_", "SLACK_", "CALLBOT_", "DATABASE_URL"))
        }
        env |= {
            "DATABASE_URL": engine.url.render_as_string(hide_password=False),
            "CALLBOT_DATA_DIR": str(tmp_path / "data"),
            "CAMPAIGNS_DIR": str(FIXTURES / "service-campaigns"),
            "DISCORD_TOKEN": fake.token,
            "DISCORD_API_BASE": fake.api_base,
            "LOG_LEVEL": "INFO",
        }
        async with scheduler_process(env, tmp_path) as leader:
            await leader.logged("leading the scheduler")
            async with scheduler_process(env, tmp_path) as standby:
                await standby.logged("standing by")
                now = datetime.now(UTC)
                first = await add_alert(core, community, first_channel, now + timedelta(seconds=4))
                second = await add_alert(
                    core, community, second_channel, now + timedelta(seconds=18)
                )
                await posts_in(fake, first_channel, 1)
                await leader.logged(f"alert {first}: posted")  # and recorded as posted
                leader.process.send_signal(signal.SIGKILL)  # no goodbye: the lock goes with it
                await leader.process.wait()
                await standby.logged("leading the scheduler")
                await posts_in(fake, second_channel, 1)
                standby.process.send_signal(signal.SIGTERM)
                async with asyncio.timeout(WAIT):
                    assert await standby.process.wait() == 0
        assert len(fake.channel_messages(first_channel)) == 1
        assert len(fake.channel_messages(second_channel)) == 1
        assert fake.errors == []
    async with core.sessions() as session:
        rows = await session.execute(select(AlertDelivery.alert_id, AlertDelivery.status))
        assert sorted(rows) == [(first, "posted"), (second, "posted")]
