"""The Discord adapter under load: a burst of clicks, and memory with 1,000 servers.

Run with ``make bench`` or::

    python -m bench.discord_bench                              # SQLite and PostgreSQL
    python -m bench.discord_bench --data ../shared/data/congress --databases sqlite

The bot runs as `callbot run` in its own process, connected to the loopback fake Discord
(tests/fakes/discord_fake.py) that this process serves: a gateway websocket and the REST API on
127.0.0.1, as strict as Discord (3 s deadline, one acknowledgement, only components present on
the message). The fake holds ``--servers`` servers shaped like real ones (``--channels`` text
channels and ``--roles`` roles each); the bot receives them all at connection, as on Discord.

In the first server an action alert with *Call now* and *I'll call* buttons stands in a channel,
posted by the bot before it (re)started. After a few warm-up clicks, ``--clicks`` different
members click one of the two buttons, the clicks spread evenly over ``--burst`` seconds: every
other member pledges (a database write and a private thank-you), the others start a call (a
profile lookup, then the form as a modal, since they have no ZIP yet).

Measured, per database: the acknowledgement latency of each click as the fake saw it (from
sending INTERACTION_CREATE to receiving the interaction callback, loopback included), its
p50/p99/max, how many were acknowledged within 3 s and how many by deferring first; the answer
latency (until the member sees the answer, a deferred one's follow-up included) and the
throughput of answers; the bot's CPU time per click; and its resident memory (VmRSS, and VmHWM
for the peak) once connected to every server and after the burst. The pledges are then counted
in the database: each must have been stored exactly once.

Targets (issue 3): 1,000 clicks within one second all acknowledged in under 3 s with p99 under
500 ms; resident memory at most 150 MB with 1,000 servers. Results: bench/results/discord.json
and discord.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.bot_process import running_bot_process, use_test_fakes
from bench.burst import (
    ANSWER_TIMEOUT,
    WARMUP_CLICKS,
    Click,
    Measure,
    Suite,
    add_common_arguments,
    alert_reply,
    bot_settings,
    burst_figures,
    check_clean,
    pledges_stored_once,
    positive,
    run_and_report,
    warm_up_and_burst,
)
from bench.civic_bench import CongressData
from bench.report import Figure
from callbot.campaigns import CampaignSpec, load_campaigns
from callbot_discord.render import render

use_test_fakes()
from fakes.discord_fake import FakeDiscord, FakeGuild, FakeInteraction, FakeMessage, FakeUser  # noqa: E402

RSS_TARGET_MB = 150.0
MODAL, DEFERRED = 9, 5  # interaction callback types
READY_TIMEOUT = 300.0  # start-up: migrations, congress data, then every server's GUILD_CREATE


@dataclass(frozen=True, slots=True)
class World:
    """The fake's servers; the first holds the alert and the members who click it."""

    alert: FakeMessage
    call_id: str
    pledge_id: str
    members: list[FakeUser]  # who click: the warm-up's, then the burst's


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.discord_bench",
        description="Benchmark the Discord adapter against the loopback fake Discord.",
    )
    parser.add_argument("--servers", type=positive(int, 1), default=1000, help="default 1000")
    parser.add_argument(
        "--channels", type=positive(int, 1), default=20, help="text channels per server (20)"
    )
    parser.add_argument(
        "--roles", type=positive(int, 0), default=10, help="roles per server besides @everyone (10)"
    )
    add_common_arguments(parser, "discord")
    return parser


def alert_body(spec: CampaignSpec) -> tuple[dict[str, Any], str, str]:
    """The alert as the adapter renders it (the message body Discord stores), and the ids of
    its Call now and I'll call buttons."""
    reply, call_id, pledge_id = alert_reply(spec)
    rendered = render(reply)
    assert rendered.embed is not None and rendered.view is not None
    body = {
        "embeds": [rendered.embed.to_dict()],
        "components": rendered.view.to_components(),
        "allowed_mentions": {"parse": []},
    }
    return body, call_id, pledge_id


def build_world(fake: FakeDiscord, args: argparse.Namespace, spec: CampaignSpec) -> World:
    """`--servers` servers with their channels and roles; the first one with the alert and a
    member for every click (warm-up and burst)."""
    guilds: list[FakeGuild] = []
    for number in range(args.servers):
        guild = fake.add_guild(f"Callers {number}")
        for index in range(args.channels):
            guild.add_channel(f"channel-{index}")
        for index in range(args.roles):
            guild.add_role(f"role-{index}")
        guild.add_member(f"Organizer {number}", owner=True)
        guilds.append(guild)
    first = guilds[0]
    members = [first.add_member(f"Member {i}") for i in range(WARMUP_CLICKS + args.clicks)]
    body, call_id, pledge_id = alert_body(spec)
    alert = fake.create_message(
        channel=first.channels[0], body=body, files=[], interaction=None, flags=0
    )
    return World(alert, call_id, pledge_id, members)


def answered(interaction: FakeInteraction) -> bool:
    """Whether the member sees the answer: a modal, or a message that is not "thinking"."""
    if interaction.expired or interaction.response_type == MODAL:
        return True  # nothing more will come, or the form is the answer
    return bool(interaction.messages) and not any(m.loading for m in interaction.messages)


async def click(fake: FakeDiscord, member: FakeUser, world: World, custom_id: str) -> Click:
    """One click, then a wait (bounded) until its answer is there, deferred follow-ups too."""
    interaction = await fake.click(member, world.alert, custom_id)
    await interaction.changed.wait_until(
        lambda: answered(interaction), ANSWER_TIMEOUT, f"the answer to {interaction}"
    )
    return Click(
        sent_at=interaction.dispatched_at,
        ack_latency=None if interaction.expired else interaction.ack_latency,
        answered_after=None
        if interaction.expired
        else fake.loop_time() - interaction.dispatched_at,
        deferred=interaction.response_type == DEFERRED,
    )


def memory_figures(memory: dict[str, dict[str, float]], servers: int) -> dict[str, Figure]:
    where = f"{servers:,} servers"
    return {
        "rss_connected_mb": Figure(
            label=f"Bot resident memory, connected to {where} (VmRSS)",
            unit="MiB",
            value=memory["connected"]["rss"],
            target=RSS_TARGET_MB,
            op="<=",
            summary=f"{memory['connected']['rss']:,.1f} MiB",
        ),
        "rss_peak_mb": Figure(
            label=f"Bot peak resident memory, start to after the burst, {where} (VmHWM)",
            unit="MiB",
            value=memory["after burst"]["peak"],
            target=RSS_TARGET_MB,
            op="<=",
            summary=f"{memory['after burst']['peak']:,.1f} MiB (after the burst: "
            f"{memory['after burst']['rss']:,.1f} MiB resident)",
        ),
    }


def measurer(args: argparse.Namespace) -> Measure:
    async def measure(
        url: str, data: CongressData, campaigns: Path, workdir: Path
    ) -> tuple[dict[str, Figure], dict[str, Any]]:
        """One bot process on one database: connect, warm up, burst, count."""
        spec = load_campaigns(campaigns).campaigns[0].spec
        fake = FakeDiscord()
        await fake.start()
        try:
            world = build_world(fake, args, spec)
            settings = {
                "DISCORD_TOKEN": fake.token,
                "DISCORD_API_BASE": fake.api_base,
                "DISCORD_GATEWAY_URL": fake.gateway_url,
                **bot_settings(url, data, campaigns),
            }
            started = time.perf_counter()
            async with running_bot_process(settings, workdir) as bot:
                found = await bot.wait_for_log(
                    r"connected to Discord as .*, in (\d+) servers", READY_TIMEOUT, "connect"
                )
                connect_s = time.perf_counter() - started
                if int(found[1]) != args.servers:
                    raise RuntimeError(f"the bot sees {found[1]} servers, not {args.servers}")
                memory = {"connected": bot.memory_mb()}
                clicks, cpu_s = await warm_up_and_burst(
                    args,
                    bot,
                    world.members,
                    lambda member, custom_id: click(fake, member, world, custom_id),
                    world.pledge_id,
                    world.call_id,
                )
                memory["after burst"] = bot.memory_mb()
                check_clean(bot, fake.errors)
            pledges = await pledges_stored_once(url, args.clicks)
        finally:
            await fake.stop()
        facts = {
            "start_to_connected_s": round(connect_s, 2),
            "pledges_stored": pledges,
            "memory_mb": memory,
            "protocol_errors": len(fake.errors),
        }
        return burst_figures(clicks, cpu_s) | memory_figures(memory, args.servers), facts

    return measure


def facts_line(facts: dict[str, Any]) -> str:
    return (
        f"Start to connected: {facts['start_to_connected_s']} s. "
        f"Pledges stored: {facts['pledges_stored']:,} (one per pledge click)."
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup = (
        f"The bot (`callbot run`, its own process) connected to the loopback fake Discord with "
        f"{args.servers:,} servers of {args.channels} channels and {args.roles} roles each. "
        f"{args.clicks:,} members then clicked the Call now / I'll call buttons of one alert, "
        f"spread evenly over {args.burst} s, after {WARMUP_CLICKS} warm-up clicks. Latency is "
        "measured by the fake: from sending the interaction to receiving its callback (ack), "
        "and to the member seeing the answer."
    )
    config = {"servers": args.servers, "channels": args.channels, "roles": args.roles}
    config |= {"clicks": args.clicks, "burst_s": args.burst, "warmup": WARMUP_CLICKS}
    suite = Suite(
        "discord", "Discord adapter benchmarks", config, measurer(args), setup, facts_line
    )
    return run_and_report(args, suite)


if __name__ == "__main__":
    sys.exit(main())
