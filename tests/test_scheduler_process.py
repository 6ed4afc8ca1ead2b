"""A `callbot run --role scheduler` process goes on through what it can go on through, and
stops with one line and a non-zero status when it cannot: its lock connection cut (it once
exited with status 0 here: "lost the scheduler lock's connection: stopping this scheduler"),
it leads again; the platform refusing the bot's token, it stops (status 2)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from fakes.discord_fake import running_fake
from scheduler_faults import (
    START_SECONDS,
    add_alerts,
    add_servers,
    behind_a_fault_proxy,
    open_core,
    own_database,
    postgres_url,
    process_settings,
    running_bot_process,
)

LEADS_AGAIN_WITHIN = 10.0


@pytest.mark.skipif(postgres_url() is None, reason="the advisory lock is PostgreSQL's")
async def test_a_scheduler_whose_lock_connection_is_cut_leads_again_and_does_not_exit(
    tmp_path: Path,
) -> None:
    async with behind_a_fault_proxy(tmp_path) as world:
        fake, core, server, proxy = world.fake, world.core, world.server, world.proxy
        settings = world.settings
        async with running_bot_process(settings, tmp_path, "--role", "scheduler") as bot:
            await bot.wait_for_log("leading the scheduler", START_SECONDS, "lead")
            since = len(bot.lines)
            assert proxy.cut() > 0  # every connection to PostgreSQL terminated
            await bot.wait_for_log("lost the scheduler lock", 10, "see the lock lost", since=since)
            await bot.wait_for_log(
                "leading the scheduler", LEADS_AGAIN_WITHIN, "lead again", since=since
            )
            await add_alerts(core, [server], datetime.now(UTC) + timedelta(seconds=2))
            await fake.state.wait_until(
                lambda: bool(fake.channel_messages(server.channel)), 30, "the next alert"
            )
            assert bot.process.returncode is None
            assert await bot.stop() == 0
    assert len(fake.channel_messages(server.channel)) == 1 and fake.errors == []


async def test_a_scheduler_whose_token_discord_refuses_stops_with_one_line(
    tmp_path: Path,
) -> None:
    async with (
        running_fake() as fake,
        own_database(tmp_path) as url,
        open_core(url, tmp_path) as core,
    ):
        [server] = await add_servers(core, fake, 1)
        settings = process_settings(url, fake, tmp_path)
        async with running_bot_process(settings, tmp_path, "--role", "scheduler") as bot:
            await bot.wait_for_log("leading the scheduler", START_SECONDS, "lead")
            fake.fail_next("*", "/channels/*", status=401, times=100)  # the token was revoked
            await add_alerts(core, [server], datetime.now(UTC))
            await bot.wait_for_log("callbot: Discord refuses DISCORD_TOKEN", 60, "say so")
            assert await bot.process.wait() == 2
        assert bot.lines[-1].startswith("callbot: Discord refuses DISCORD_TOKEN")
        assert not any("Traceback" in line for line in bot.lines)
