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
import asyncio
import logging
import os
import platform
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.bot_process import BotProcess, running_bot_process, use_test_fakes
from bench.civic_bench import CongressData, find_congress_data, import_data
from bench.cli import DATABASES, DEFAULT_POSTGRES_URL, TITLES, Progress, _databases, _postgres_url
from bench.core_bench import Unavailable, copy_campaigns, prepare_postgres, sqlite_url
from bench.measure import Latency, percentile
from bench.report import Figure, figure_table, figures_json, write_report
from callbot.campaigns import load_campaigns
from callbot.db.engine import create_engine
from callbot.db.models import Pledge
from callbot.replies import Action, Reply, Style, component_id
from callbot_discord.render import render

use_test_fakes()
from fakes.discord_fake import FakeDiscord, FakeGuild, FakeInteraction, FakeMessage, FakeUser  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "results"
ACK_DEADLINE_S = 3.0
P99_TARGET_MS = 500.0
RSS_TARGET_MB = 150.0
WARMUP_CLICKS = 20
ANSWER_TIMEOUT = 60.0  # a deferred answer may come much later; Discord allows 15 minutes
MODAL, DEFERRED = 9, 5  # interaction callback types
READY_TIMEOUT = 300.0  # start-up: migrations, congress data, then every server's GUILD_CREATE


@dataclass(frozen=True, slots=True)
class Shape:
    servers: int
    channels: int
    roles: int
    clicks: int
    burst_s: float


@dataclass(frozen=True, slots=True)
class World:
    """The fake's servers; the first holds the alert and the members who click it."""

    alert: FakeMessage
    call_id: str
    pledge_id: str
    warmup: list[FakeUser]
    clickers: list[FakeUser]


def _positive(kind: type[int] | type[float], least: float) -> Any:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, not {value}")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.discord_bench",
        description="Benchmark the Discord adapter against the loopback fake Discord.",
    )
    parser.add_argument("--servers", type=_positive(int, 1), default=1000, help="default 1000")
    parser.add_argument(
        "--channels", type=_positive(int, 1), default=20, help="text channels per server (20)"
    )
    parser.add_argument(
        "--roles",
        type=_positive(int, 0),
        default=10,
        help="roles per server besides @everyone (10)",
    )
    parser.add_argument(
        "--clicks", type=_positive(int, 2), default=1000, help="clicks in the burst (1000)"
    )
    parser.add_argument(
        "--burst",
        type=_positive(float, 0.001),
        default=1.0,
        help="seconds the clicks are spread over (1.0)",
    )
    parser.add_argument(
        "--databases",
        type=_databases,
        default=list(DATABASES),
        help="comma-separated: sqlite, postgresql (default: both)",
    )
    parser.add_argument(
        "--postgres-url",
        type=_postgres_url,
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help=f"a database just for the benchmark, wiped first (default {DEFAULT_POSTGRES_URL})",
    )
    parser.add_argument(
        "--data",
        type=Path,
        help="folder with the congress files (default: $CALLBOT_DATA_DIR/congress, else the "
        "small test fixture, which makes the memory figure too low)",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="where discord.json/.md go")
    return parser


def alert_body(slug: str, title: str) -> tuple[dict[str, Any], str, str]:
    """The alert as the adapter renders it (the message body Discord stores), and the ids of
    its Call now and I'll call buttons."""
    call_id, pledge_id = component_id("call", slug), component_id("pledge", slug)
    reply = Reply(
        text=f"Action alert: {title}",
        title=f"Action alert: {title}",
        body="Call your members of Congress today.",
        actions=(Action(call_id, "Call now", Style.PRIMARY), Action(pledge_id, "I'll call")),
        private=False,
    )
    rendered = render(reply)
    assert rendered.embed is not None and rendered.view is not None
    body = {
        "embeds": [rendered.embed.to_dict()],
        "components": rendered.view.to_components(),
        "allowed_mentions": {"parse": []},
    }
    return body, call_id, pledge_id


def build_world(fake: FakeDiscord, shape: Shape, slug: str, title: str) -> World:
    """`shape.servers` servers with their channels and roles; the first one with the alert
    and a member for every click (warm-up and burst)."""
    guilds: list[FakeGuild] = []
    for number in range(shape.servers):
        guild = fake.add_guild(f"Callers {number}")
        for index in range(shape.channels):
            guild.add_channel(f"channel-{index}")
        for index in range(shape.roles):
            guild.add_role(f"role-{index}")
        guild.add_member(f"Organizer {number}", owner=True)
        guilds.append(guild)
    first = guilds[0]
    members = [first.add_member(f"Member {i}") for i in range(WARMUP_CLICKS + shape.clicks)]
    body, call_id, pledge_id = alert_body(slug, title)
    alert = fake.create_message(
        channel=first.channels[0], body=body, files=[], interaction=None, flags=0
    )
    return World(alert, call_id, pledge_id, members[:WARMUP_CLICKS], members[WARMUP_CLICKS:])


@dataclass(frozen=True, slots=True)
class Click:
    """One member's click: what Discord saw of it, and when the member had the answer."""

    interaction: FakeInteraction
    answered_after: float | None  # seconds from sending to the final message; None: never


def answered(interaction: FakeInteraction) -> bool:
    """Whether the member sees the answer: a modal, or a message that is not "thinking"."""
    if interaction.expired:
        return True  # nothing more will come
    if interaction.response_type == MODAL:
        return True
    return bool(interaction.messages) and not any(m.loading for m in interaction.messages)


async def click_and_wait(
    fake: FakeDiscord, member: FakeUser, world: World, custom_id: str
) -> Click:
    """Click, then wait (bounded) until the answer is there, deferred follow-ups included."""
    interaction = await fake.click(member, world.alert, custom_id)
    await interaction.changed.wait_until(
        lambda: answered(interaction), ANSWER_TIMEOUT, f"the answer to {interaction}"
    )
    took = fake.loop_time() - interaction.dispatched_at
    return Click(interaction, None if interaction.expired else took)


async def click_burst(fake: FakeDiscord, world: World, burst_s: float) -> list[Click]:
    """Every clicker clicks once (pledge and call now alternating), the clicks spread evenly
    over `burst_s` seconds whatever the answers do; returns once each is answered or expired."""
    loop = asyncio.get_running_loop()
    spacing = burst_s / len(world.clickers)
    started = loop.time()
    tasks = []
    for index, member in enumerate(world.clickers):
        # Pacing the load generator (an open loop), not waiting for the bot.
        delay = started + index * spacing - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        custom_id = world.pledge_id if index % 2 == 0 else world.call_id
        tasks.append(asyncio.create_task(click_and_wait(fake, member, world, custom_id)))
    return list(await asyncio.gather(*tasks))


async def stored_pledges(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(Pledge)) or 0)
    finally:
        await engine.dispose()


def burst_figures(
    clicks: list[Click], memory: dict[str, dict[str, float]], cpu_s: float, shape: Shape
) -> dict[str, Figure]:
    sent = [click.interaction for click in clicks]
    acked = [c for c in sent if c.ack_latency is not None and not c.expired]
    latency = Latency(tuple(c.ack_latency for c in acked if c.ack_latency is not None))
    answers = Latency(tuple(c.answered_after for c in clicks if c.answered_after is not None))
    first_sent = min(c.dispatched_at for c in sent)
    last_sent = max(c.dispatched_at for c in sent)
    last_answer = first_sent + max(
        (c.interaction.dispatched_at - first_sent + (c.answered_after or 0.0) for c in clicks),
        default=0.0,
    )
    offered = len(sent) / max(last_sent - first_sent, 1e-9)
    throughput = len(answers.seconds) / max(last_answer - first_sent, 1e-9)
    ordered = sorted(latency.seconds) or [float("inf")]
    p99 = percentile(ordered, 0.99) * 1000
    answer_p99 = answers.ms(0.99) if answers.seconds else float("inf")
    servers = f"{shape.servers:,} servers"
    return {
        "acknowledged": Figure(
            label=f"Clicks acknowledged within {ACK_DEADLINE_S:.0f} s",
            unit="clicks",
            value=len(acked),
            target=len(clicks),
            op=">=",
            summary=f"{len(acked):,} of {len(clicks):,} (sent at {offered:,.0f}/s)",
            detail={"clicks": len(clicks), "offered_per_s": round(offered, 1)},
        ),
        "ack_p99_ms": Figure(
            label="Acknowledgement latency, p99 (dispatch → interaction callback)",
            unit="ms",
            value=round(p99, 1),
            target=P99_TARGET_MS,
            op="<=",
            summary=latency.summary() if latency.seconds else "no click was acknowledged",
            detail=latency.detail() if latency.seconds else {},
        ),
        "ack_p50_ms": Figure(
            label="Acknowledgement latency, p50",
            unit="ms",
            value=round(percentile(ordered, 0.5) * 1000, 1),
            summary=f"{percentile(ordered, 0.5) * 1000:,.1f} ms",
        ),
        "ack_max_ms": Figure(
            label="Slowest acknowledgement",
            unit="ms",
            value=round(ordered[-1] * 1000, 1),
            target=ACK_DEADLINE_S * 1000,
            op="<=",
            summary=f"{ordered[-1] * 1000:,.1f} ms",
        ),
        "deferred": Figure(
            label="Acknowledged by deferring first (the member sees “thinking…”, then the answer)",
            unit="clicks",
            value=sum(1 for c in sent if c.response_type == DEFERRED),
            summary=f"{sum(1 for c in sent if c.response_type == DEFERRED):,} of {len(sent):,}",
        ),
        "answer_p99_ms": Figure(
            label="Answer latency, p99 (dispatch → the member sees the answer)",
            unit="ms",
            value=round(answer_p99, 1),
            summary=answers.summary() if answers.seconds else "no click was answered",
            detail=answers.detail() if answers.seconds else {},
        ),
        "throughput_per_s": Figure(
            label="Throughput (answered clicks per second, first sent → last answered)",
            unit="clicks/s",
            value=round(throughput, 1),
            summary=f"{throughput:,.0f} clicks/s",
        ),
        "cpu_per_click_ms": Figure(
            label="Bot CPU time per click (user + system, the burst and its answers)",
            unit="ms",
            value=round(cpu_s / len(sent) * 1000, 2),
            summary=f"{cpu_s / len(sent) * 1000:.2f} ms ({cpu_s:.2f} s for {len(sent):,} clicks)",
        ),
        "rss_connected_mb": Figure(
            label=f"Bot resident memory, connected to {servers} (VmRSS)",
            unit="MiB",
            value=memory["connected"]["rss"],
            target=RSS_TARGET_MB,
            op="<=",
            summary=f"{memory['connected']['rss']:,.1f} MiB",
        ),
        "rss_peak_mb": Figure(
            label=f"Bot peak resident memory, start to after the burst, {servers} (VmHWM)",
            unit="MiB",
            value=memory["after burst"]["peak"],
            target=RSS_TARGET_MB,
            op="<=",
            summary=f"{memory['after burst']['peak']:,.1f} MiB (after the burst: "
            f"{memory['after burst']['rss']:,.1f} MiB resident)",
        ),
    }


async def measure(
    kind: str, url: str, shape: Shape, data: CongressData, campaigns: Path, workdir: Path
) -> tuple[dict[str, Figure], dict[str, Any]]:
    """One bot process on one database: connect, warm up, burst, count. Figures and facts."""
    loaded = load_campaigns(campaigns)
    spec = loaded.campaigns[0].spec
    fake = FakeDiscord()
    await fake.start()
    try:
        build_started = time.perf_counter()
        world = build_world(fake, shape, spec.slug, spec.title)
        build_s = time.perf_counter() - build_started
        settings = {
            "DISCORD_TOKEN": fake.token,
            "DISCORD_API_BASE": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "DATABASE_URL": url,
            "CALLBOT_DATA_DIR": str(data.folder.parent),
            "CAMPAIGNS_DIR": str(campaigns),
            "LOG_LEVEL": "INFO",
        }
        connect_started = time.perf_counter()
        async with running_bot_process(settings, workdir) as bot:
            try:
                async with asyncio.timeout(READY_TIMEOUT):
                    found = await bot.wait_for_log(r"connected to Discord as .*, in (\d+) servers")
            except TimeoutError:
                raise RuntimeError(
                    f"the bot did not connect in {READY_TIMEOUT} s\n{bot.tail()}"
                ) from None
            connect_s = time.perf_counter() - connect_started
            if int(found[1]) != shape.servers:
                raise RuntimeError(f"the bot sees {found[1]} servers, not {shape.servers}")
            memory = {"connected": bot.memory_mb()}
            for index, member in enumerate(world.warmup):
                custom_id = world.pledge_id if index % 2 == 0 else world.call_id
                await fake.click(member, world.alert, custom_id)
            cpu_before = bot.cpu_seconds()
            clicks = await click_burst(fake, world, shape.burst_s)
            cpu_s = bot.cpu_seconds() - cpu_before
            memory["after burst"] = bot.memory_mb()
            _check_bot(bot, fake)
        pledges = await stored_pledges(url)
    finally:
        await fake.stop()
    expected = (WARMUP_CLICKS + 1) // 2 + (shape.clicks + 1) // 2
    if pledges != expected:
        raise RuntimeError(f"{pledges} pledges stored, expected {expected} (one per pledge click)")
    facts = {
        "world_build_s": round(build_s, 2),
        "start_to_connected_s": round(connect_s, 2),
        "pledges_stored": pledges,
        "memory_mb": memory,
        "protocol_errors": len(fake.errors),
        "answers": _answer_kinds([click.interaction for click in clicks]),
    }
    return burst_figures(clicks, memory, cpu_s, shape), facts


def _check_bot(bot: BotProcess, fake: FakeDiscord) -> None:
    if bot.process.returncode is not None:
        raise RuntimeError(f"the bot exited during the benchmark\n{bot.tail()}")
    failures = [line for line in bot.lines if " ERROR " in line or "Traceback" in line]
    if failures or fake.errors:
        raise RuntimeError(
            "the run is not clean: "
            + "; ".join([*fake.errors[:5], *failures[:5]])
            + f"\n{bot.tail()}"
        )


def _answer_kinds(clicks: list[FakeInteraction]) -> dict[str, int]:
    names = {4: "message", MODAL: "modal", DEFERRED: "deferred", 7: "update"}
    counts: dict[str, int] = {}
    for click in clicks:
        name = names.get(click.response_type or 0, "none")
        counts[name] = counts.get(name, 0) + 1
    return counts


def render_markdown(report: dict[str, Any], figures: dict[str, dict[str, Figure]]) -> str:
    shape = report["config"]
    machine = report["machine"]
    lines = [
        "# Discord adapter benchmarks",
        "",
        f"Run {report['started_at']} in {report['duration_s']:.0f} s on {machine['cores']} cores, "
        f"{machine['platform']}, Python {machine['python']}.",
        "",
        f"The bot (`callbot run`, its own process) connected to the loopback fake Discord with "
        f"{shape['servers']:,} servers of {shape['channels']} channels and {shape['roles']} roles "
        f"each. {shape['clicks']:,} members then clicked the Call now / I'll call buttons of one "
        f"alert, spread evenly over {shape['burst_s']} s, after {WARMUP_CLICKS} warm-up clicks. "
        "Latency is measured by the fake from sending the interaction to receiving its callback.",
        "",
        f"Congress data: {report['data']['source']}.",
    ]
    if report["data"]["note"]:
        lines += ["", f"**Note:** {report['data']['note']}"]
    for name, result in report["databases"].items():
        lines += ["", f"## {result['title']}", ""]
        if result["status"] != "ok":
            lines.append(f"**{result['status']}**: {result['reason']}")
            continue
        facts = result["facts"]
        lines += [
            *figure_table(figures[name]),
            "",
            f"Start to connected: {facts['start_to_connected_s']} s. Answers: "
            + ", ".join(f"{count:,} {kind}" for kind, count in facts["answers"].items())
            + f". Pledges stored: {facts['pledges_stored']:,} (one per pledge click).",
        ]
    missed = report["missed"]
    lines += ["", "## Targets missed", ""]
    lines += [f"- {item}" for item in missed] if missed else ["None."]
    return "\n".join(lines) + "\n"


async def run_database(
    kind: str, args: argparse.Namespace, shape: Shape, data: CongressData, workdir: Path
) -> tuple[dict[str, Any], dict[str, Figure]]:
    title = TITLES[kind]
    if kind == "postgresql":
        try:
            await prepare_postgres(args.postgres_url)
        except Unavailable as exc:
            return {"title": title, "status": "skipped", "reason": str(exc)}, {}
        url = args.postgres_url
    else:
        url = sqlite_url(workdir)
    campaigns = copy_campaigns(workdir / "campaigns")
    figures, facts = await measure(kind, url, shape, data, campaigns, workdir)
    return {
        "title": title,
        "status": "ok",
        "figures": figures_json(figures),
        "facts": facts,
    }, figures


def run(args: argparse.Namespace, progress: Progress) -> tuple[dict[str, Any], str, bool]:
    started_at = datetime.now(UTC)
    shape = Shape(args.servers, args.channels, args.roles, args.clicks, args.burst)
    all_ok = True
    sections: dict[str, Any] = {}
    figures: dict[str, dict[str, Figure]] = {}
    with tempfile.TemporaryDirectory(prefix="callbot-bench-discord-") as tmp:
        workdir = Path(tmp)
        source = find_congress_data(args.data)
        data = import_data(source, workdir / "data" / "congress")
        for kind in args.databases:
            progress(f"{kind}: {shape.servers:,} servers, then {shape.clicks:,} clicks")
            (workdir / kind).mkdir()
            try:
                section, found = asyncio.run(run_database(kind, args, shape, data, workdir / kind))
            except Exception as exc:  # one database failing must not lose the other's figures
                logging.getLogger(__name__).exception("%s failed", kind)
                all_ok = False
                section, found = {"title": TITLES[kind], "status": "failed", "reason": str(exc)}, {}
            sections[kind], figures[kind] = section, found
            progress(f"{kind}: {section['status']}")
    report: dict[str, Any] = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "duration_s": round((datetime.now(UTC) - started_at).total_seconds(), 1),
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
        "config": {
            "servers": shape.servers,
            "channels": shape.channels,
            "roles": shape.roles,
            "clicks": shape.clicks,
            "burst_s": shape.burst_s,
            "warmup": WARMUP_CLICKS,
            "databases": args.databases,
        },
        "data": {"source": str(source), "note": _memory_note(data)},
        "databases": sections,
    }
    report["missed"] = [
        f"{name}: {figure['label']}"
        for name, section in sections.items()
        for figure in section.get("figures", {}).values()
        if figure["met"] is False
    ]
    return report, render_markdown(report, figures), all_ok


def _memory_note(data: CongressData) -> str:
    if not data.note:
        return ""
    return (
        "the congress data is the small test fixture, so the bot's memory is lower than with the "
        "real data. Pass --data with the full files."
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    progress = Progress()
    report, markdown, all_ok = run(args, progress)
    json_path, md_path = write_report(args.out, report, markdown, name="discord")
    progress(f"wrote {json_path} and {md_path}")
    print(markdown)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
