"""PostgreSQL refused, dropped and stalled for 5 s under `callbot run --role all` (one real
process: the Discord adapter on the fake's gateway, and the scheduler), through a TCP fault
proxy of the test's own between the bot and the real PostgreSQL.

Each time: the scheduler leads again within 10 s of the database being back, posts the alert
that fell due during the outage (late, within five minutes) and the next one due, exactly
once; the process never exits; and every member's click sent during the outage got an answer
(an apology is an answer; "thinking..." forever is not)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from callbot.core import Core
from fakes.discord_fake import FakeDiscord, FakeInteraction
from fakes.discord_payloads import MODAL
from fakes.tcp_proxy import FaultProxy
from scheduler_faults import (
    START_SECONDS,
    BotProcess,
    Server,
    add_alerts,
    behind_a_fault_proxy,
    deliveries,
    postgres_url,
    running_bot_process,
)

pytestmark = pytest.mark.skipif(
    postgres_url() is None, reason="a PostgreSQL outage needs PostgreSQL (TEST_DATABASE_URL)"
)

OUTAGE_SECONDS = 5.0
LEADS_AGAIN_WITHIN = 10.0  # seconds after the database is back
DUE_DURING = 2.0  # an alert falls due this long into the outage
NEXT_DUE_AFTER = 12.0  # the next one, this long after the database is back
CLICKS = 4  # members' clicks during each outage
ANSWER_SECONDS = 30.0


async def refused(proxy: FaultProxy) -> Callable[[], Awaitable[None]]:
    """PostgreSQL down: its connections cut, new ones refused, until it is back."""
    await proxy.refuse()
    proxy.cut()
    return proxy.accept


async def dropped(proxy: FaultProxy) -> Callable[[], Awaitable[None]]:
    """Every connection terminated at once (a restart); new ones are fine at once."""
    proxy.cut()

    async def back() -> None:
        return None

    return back


async def stalled(proxy: FaultProxy) -> Callable[[], Awaitable[None]]:
    """Nothing delivered either way, on live and new connections, until it flows again."""
    proxy.stall()

    async def back() -> None:
        proxy.resume()

    return back


FAULTS = {"refused": refused, "dropped": dropped, "stalled": stalled}


def answered(interaction: FakeInteraction) -> bool:
    """Acknowledged in time, and what the member sees is an answer (a message that is not
    "thinking...", or a form)."""
    if interaction.expired or interaction.response_type is None:
        return False
    if interaction.response_type == MODAL:
        return True
    return bool(interaction.messages) and not any(m.loading for m in interaction.messages)


async def click_during(
    fake: FakeDiscord, server: Server, name: str, seconds: float
) -> list[FakeInteraction]:
    """New members click the alert post's first button, evenly over `seconds` (members do
    not wait for each other); each click once acknowledged (or expired)."""
    post = fake.channel_messages(server.channel)[0]

    async def click(number: int) -> FakeInteraction:
        await asyncio.sleep(number * seconds / CLICKS)  # spreading the clicks over the outage
        member = server.guild.add_member(f"{name}-{number}")
        return await fake.click(member, post, post.custom_ids()[0])

    return list(await asyncio.gather(*(click(number) for number in range(CLICKS))))


async def outage(
    bot: BotProcess,
    fake: FakeDiscord,
    core: Core,
    server: Server,
    proxy: FaultProxy,
    name: str,
) -> list[FakeInteraction]:
    """One outage of PostgreSQL: an alert falls due during it and another after it, and
    members click throughout. The scheduler leads again within 10 s of the database being
    back and posts both, once. Returns the clicks."""
    lasts = 0.0 if name == "dropped" else OUTAGE_SECONDS
    now = datetime.now(UTC)
    await add_alerts(core, [server], now + timedelta(seconds=DUE_DURING))
    await add_alerts(core, [server], now + timedelta(seconds=lasts + NEXT_DUE_AFTER))
    posts = len(fake.channel_messages(server.channel))
    since = len(bot.lines)
    back = await FAULTS[name](proxy)
    clicking = asyncio.create_task(click_during(fake, server, name, OUTAGE_SECONDS))
    await asyncio.sleep(lasts)  # the outage lasts this long
    await back()
    loop = asyncio.get_running_loop()
    is_back = loop.time()
    await bot.wait_for_log(
        "leading the scheduler", LEADS_AGAIN_WITHIN, f"lead again after {name}", since=since
    )
    leads_after = loop.time() - is_back
    clicks = await clicking
    await fake.state.wait_until(
        lambda: len(fake.channel_messages(server.channel)) >= posts + 2,
        NEXT_DUE_AFTER + 30,
        f"the alerts due during and after {name}",
    )
    assert len(fake.channel_messages(server.channel)) == posts + 2  # once each
    assert bot.process.returncode is None, f"the bot exited after {name}\n{bot.tail()}"
    print(f"{name}: leading again {leads_after:.1f} s after the database was back")  # with -s
    return clicks


async def test_the_scheduler_leads_again_after_postgresql_is_refused_dropped_and_stalled(
    tmp_path: Path,
) -> None:
    async with behind_a_fault_proxy(tmp_path) as world:
        fake, core, server, proxy = world.fake, world.core, world.server, world.proxy
        await add_alerts(core, [server], datetime.now(UTC) + timedelta(seconds=8))
        settings = world.settings
        async with running_bot_process(settings, tmp_path, "--role", "all") as bot:
            await bot.wait_for_log("leading the scheduler", START_SECONDS, "lead")
            await fake.wait_ready(START_SECONDS, commands=False)
            await fake.state.wait_until(
                lambda: bool(fake.channel_messages(server.channel)), 60, "the first alert"
            )
            clicks = []
            for name in FAULTS:
                clicks += await outage(bot, fake, core, server, proxy, name)
            await fake.state.wait_until(
                lambda: all(answered(c) for c in clicks), ANSWER_SECONDS, "every click answered"
            )
            assert await bot.stop() == 0
        recorded = await deliveries(core)
    for click in clicks:  # what each member saw (with -s)
        print(click.name, [m.text()[:60] for m in click.messages] or click.response_type)
    assert [c.name for c in clicks if not answered(c)] == []
    assert fake.errors == []
    assert sorted(d.status for d in recorded.values()) == ["posted"] * (1 + 2 * len(FAULTS))
    assert len(fake.channel_messages(server.channel)) == 1 + 2 * len(FAULTS)
