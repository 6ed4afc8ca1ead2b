"""Scheduled fan-out: one alert due in 1,000 channels at the same moment, posted through
the loopback fake Discord enforcing Discord's global limit of 50 requests per second.

Run with ``make bench`` or::

    python -m bench.fanout_bench                       # SQLite and PostgreSQL
    python -m bench.fanout_bench --channels 200 --databases sqlite

The scheduler runs as `callbot run --role scheduler` in its own process (REST only, as in a
scaled deployment). The fake holds one server per channel (Discord caps a server's
channels); each server's community has the same alert, due at the same second. The
floor is the rate limit itself: N posts at 50/s take N/50 seconds.

Measured, per database: the time from the due second to the last post, against 1.1 x the
floor (1,000 channels: 20 s -> 22 s); the posts per channel (each exactly one); the 429s
the fake answered and whether every one was retried (every channel got its post).
Results: bench/results/fanout.json and fanout.md.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bench.bot_process import running_bot_process, use_test_fakes
from bench.burst import (
    Measure,
    Suite,
    add_common_arguments,
    bot_settings,
    check_clean,
    positive,
    run_and_report,
)
from bench.civic_bench import CongressData
from bench.report import Figure
from callbot.campaigns import load_campaigns, sync_campaigns
from callbot.db.engine import create_engine, create_sessionmaker
from callbot.db.migrate import upgrade
from callbot.db.models import Alert, AlertDelivery, AlertStatus, Community

use_test_fakes()
from fakes.discord_fake import FakeChannel, FakeDiscord  # noqa: E402
from fakes.discord_payloads import snowflake_time  # noqa: E402

RATE = 50.0  # Discord's global limit, requests per second per bot
TARGET_FACTOR = 1.1
LEAD_SECONDS = 15.0  # the alerts fall due this long after the scheduler leads
START_TIMEOUT = 120.0
ZONE = "America/New_York"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fanout_bench",
        description="Benchmark one alert fanned out to many channels under Discord's rate limit.",
    )
    parser.add_argument("--channels", type=positive(int, 1), default=1000, help="default 1000")
    add_common_arguments(parser, "fanout", clicks=False)
    return parser


async def prepare(url: str, campaigns: Path, fake: FakeDiscord, count: int) -> list[FakeChannel]:
    """The servers and their channels in the fake; the communities, each with the alert, in
    the database (due later: `schedule_due` sets the moment)."""
    channels = []
    for number in range(count):
        guild = fake.add_guild(f"Callers {number}")
        channels.append(guild.add_channel("alerts"))
    engine = create_engine(url)
    try:
        await upgrade(engine)
        sessions = create_sessionmaker(engine)
        async with sessions.begin() as session:
            catalog = await sync_campaigns(session, load_campaigns(campaigns).campaigns)
            entry = catalog.all()[0]
            communities = [
                Community(platform="discord", external_id=str(c.guild_id), name="x", timezone=ZONE)
                for c in channels
            ]
            session.add_all(communities)
            await session.flush()
            session.add_all(
                Alert(
                    community_id=community.id,
                    campaign_id=entry.id,
                    channel_id=str(channel.id),
                    schedule="once:2100-01-01T00:00:00",  # set when the scheduler leads
                    timezone=ZONE,
                    message="Fan-out benchmark",
                    status=AlertStatus.ACTIVE,
                    created_by="bench",
                    created_at=datetime.now(UTC),
                )
                for community, channel in zip(communities, channels, strict=True)
            )
    finally:
        await engine.dispose()
    return channels


async def schedule_due(url: str, due: datetime) -> None:
    """Every alert due at `due` (to the second)."""
    local = due.astimezone(ZoneInfo(ZONE)).replace(tzinfo=None).isoformat(timespec="seconds")
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine).begin() as session:
            for alert in await session.scalars(select(Alert)):
                alert.schedule = f"once:{local}"
    finally:
        await engine.dispose()


async def delivered(url: str) -> dict[str, int]:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            rows = await session.execute(
                select(AlertDelivery.status, func.count()).group_by(AlertDelivery.status)
            )
            return {str(status): int(n) for status, n in rows}
    finally:
        await engine.dispose()


def measurer(args: argparse.Namespace) -> Measure:
    floor = args.channels / RATE  # seconds the rate limit itself takes

    async def measure(
        url: str, data: CongressData, campaigns: Path, workdir: Path
    ) -> tuple[dict[str, Figure], dict[str, Any]]:
        fake = FakeDiscord(global_limit=int(RATE), global_window=1.0)
        await fake.start()
        try:
            channels = await prepare(url, campaigns, fake, args.channels)
            settings = {
                "DISCORD_TOKEN": fake.token,
                "DISCORD_API_BASE": fake.api_base,
                **bot_settings(url, data, campaigns),
            }
            async with running_bot_process(settings, workdir, "--role", "scheduler") as bot:
                await bot.wait_for_log("leading the scheduler", START_TIMEOUT, "start leading")
                due = (datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)).replace(microsecond=0)
                await schedule_due(url, due)
                deadline = (due - datetime.now(UTC)).total_seconds() + floor * 3 + 60
                await fake.state.wait_until(
                    lambda: all(fake.channel_messages(c) for c in channels),
                    deadline,
                    "every channel's post",
                )
                check_clean(bot, fake.errors)
            posted_at = [fake.channel_messages(c)[0].id for c in channels]
            per_channel = [len(fake.channel_messages(c)) for c in channels]
            refused = [r for r in fake.request_log if r.status == 429]
            statuses = await delivered(url)
        finally:
            await fake.stop()
        posted_once = sum(1 for n in per_channel if n == 1)
        times = [snowflake_time(message_id) for message_id in posted_at]
        took = (max(times) - due).total_seconds()
        first = (min(times) - due).total_seconds()
        figures = {
            "fanout_s": Figure(
                label=f"Due → last of {args.channels:,} posts (floor {floor:.1f} s at {RATE:.0f}/s)",
                unit="s",
                value=round(took, 2),
                target=round(floor * TARGET_FACTOR, 2),
                op="<=",
                summary=f"{took:.2f} s ({took / floor:.2f} × the floor)",
            ),
            "first_post_s": Figure(
                label="Due → first post",
                unit="s",
                value=round(first, 2),
                summary=f"{first:.2f} s",
            ),
            "posted_once": Figure(
                label="Channels with exactly one post",
                unit="channels",
                value=posted_once,
                target=args.channels,
                op=">=",
                summary=f"{posted_once:,} of {args.channels:,}",
            ),
            "refused_429": Figure(
                label="Requests the fake refused with 429 (each retried: every channel got its post)",
                unit="requests",
                value=len(refused),
                summary=f"{len(refused):,}",
            ),
        }
        per_second = Counter(int((t - due).total_seconds()) for t in times)
        facts = {
            "deliveries": statuses,
            "duplicates": sum(n - 1 for n in per_channel if n > 1),
            "per_second": [per_second[s] for s in range(max(per_second) + 1)],
        }
        return figures, facts

    return measure


def facts_line(facts: dict[str, Any]) -> str:
    return (
        f"Deliveries by status: {facts['deliveries']}. Duplicate posts: {facts['duplicates']}. "
        f"Posts in each second after the due time: {facts['per_second']}."
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup = (
        f"The scheduler (`callbot run --role scheduler`, its own process, REST only) led alone; "
        f"{args.channels:,} communities each had an alert due at the same second, posted "
        f"through the loopback fake Discord enforcing {RATE:.0f} requests per second (429 with "
        "retry_after beyond). Times are when the fake created each message."
    )
    suite = Suite(
        "fanout",
        "Alert fan-out benchmark",
        {"channels": args.channels},
        measurer(args),
        setup,
        facts_line,
        memory=False,
    )
    return run_and_report(args, suite)


if __name__ == "__main__":
    sys.exit(main())
