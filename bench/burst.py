"""What the platform benchmarks share: a burst of clicks sent open loop, the figures read from
it, one bot process per database, and the report.

Each platform benchmark (discord_bench, slack_bench) builds its loopback platform, starts
`callbot run` against it (bench/bot_process.py), and hands `run_suite` a `measure` function;
everything else (options, databases, figures, the JSON and Markdown report) is here.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bench.bot_process import BotProcess
from bench.civic_bench import CongressData, find_congress_data, import_data
from bench.cli import TITLES, Progress, add_database_arguments
from bench.core_bench import Unavailable, copy_campaigns, prepare_postgres, sqlite_url
from bench.measure import Latency, percentile
from bench.report import Figure, figure_table, figures_json, write_report
from callbot.alerts.posts import alert_post
from callbot.campaigns import CampaignSpec, CatalogEntry
from callbot.db.engine import create_engine
from callbot.db.models import Pledge
from callbot.replies import Reply
from callbot.services.tallies import Tally

ACK_DEADLINE_S = 3.0
P99_TARGET_MS = 500.0
WARMUP_CLICKS = 20
_Member = TypeVar("_Member")
ANSWER_TIMEOUT = 60.0  # a deferred answer may come much later (Discord allows 15 minutes)


@dataclass(frozen=True, slots=True)
class Click:
    """One member's click as the platform saw it (seconds, on the platform's clock)."""

    sent_at: float
    ack_latency: float | None  # None: not acknowledged in time
    answered_after: float | None  # until the member sees the answer; None: never
    deferred: bool = False  # acknowledged first, answered later


def alert_reply(spec: CampaignSpec) -> tuple[Reply, str, str]:
    """The alert members click on, as the scheduler posts it (no counts yet), and the ids of
    its Call now and I'll call buttons."""
    reply = alert_post(CatalogEntry(0, spec), "", Tally(), ZoneInfo("America/New_York"))
    call_now, pledge = (action.id for action in reply.actions)
    return reply, call_now, pledge


async def burst(
    count: int, seconds: float, click: Callable[[int], Awaitable[Click]]
) -> list[Click]:
    """`click(i)` for each i < count, started evenly over `seconds` whatever the answers do (an
    open loop, as members do not wait for each other); returns once every click is done."""
    loop = asyncio.get_running_loop()
    spacing = seconds / count
    started = loop.time()
    tasks = []
    for index in range(count):
        delay = started + index * spacing - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing the load, not waiting for the bot
        tasks.append(asyncio.create_task(click(index)))
    return list(await asyncio.gather(*tasks))


def burst_figures(clicks: Sequence[Click], cpu_s: float) -> dict[str, Figure]:
    """Acknowledgements (count, p50, p99, slowest), deferrals, answers (p99, throughput) and
    the bot's CPU time per click."""
    acked = [c.ack_latency for c in clicks if c.ack_latency is not None]
    answers = Latency(tuple(c.answered_after for c in clicks if c.answered_after is not None))
    first_sent = min(c.sent_at for c in clicks)
    last_sent = max(c.sent_at for c in clicks)
    last_answer = max(
        (c.sent_at + c.answered_after for c in clicks if c.answered_after is not None),
        default=last_sent,
    )
    offered = len(clicks) / max(last_sent - first_sent, 1e-9)
    throughput = len(answers.seconds) / max(last_answer - first_sent, 1e-9)
    ordered = sorted(acked) or [float("inf")]
    acks = Latency(tuple(acked))
    deferred = sum(1 for c in clicks if c.deferred)
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
            label="Acknowledgement latency, p99 (request sent → acknowledgement received)",
            unit="ms",
            value=round(percentile(ordered, 0.99) * 1000, 1),
            target=P99_TARGET_MS,
            op="<=",
            summary=acks.summary() if acked else "no click was acknowledged",
            detail=acks.detail() if acked else {},
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
            label="Acknowledged before the answer was ready (the answer followed)",
            unit="clicks",
            value=deferred,
            summary=f"{deferred:,} of {len(clicks):,}",
        ),
        "answer_p99_ms": Figure(
            label="Answer latency, p99 (request sent → the member sees the answer)",
            unit="ms",
            value=round(answers.ms(0.99), 1) if answers.seconds else float("inf"),
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
            value=round(cpu_s / len(clicks) * 1000, 2),
            summary=f"{cpu_s / len(clicks) * 1000:.2f} ms ({cpu_s:.2f} s for {len(clicks):,} clicks)",
        ),
    }


def positive(kind: type[int] | type[float], least: float) -> Callable[[str], int | float]:
    """An argparse type: a number of `kind`, at least `least`."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, not {value}")
        return value

    return parse


def add_common_arguments(
    parser: argparse.ArgumentParser, name: str, *, clicks: bool = True
) -> None:
    """--clicks and --burst (for click bursts), and the database arguments of every bench."""
    if clicks:
        parser.add_argument("--clicks", type=positive(int, 2), default=1000, help="clicks (1000)")
        parser.add_argument(
            "--burst",
            type=positive(float, 0.001),
            default=1.0,
            help="seconds they spread over (1.0)",
        )
    add_database_arguments(parser, name)


async def warm_up_and_burst(
    args: argparse.Namespace,
    bot: BotProcess,
    members: Sequence[_Member],
    click: Callable[[_Member, str], Awaitable[Click]],
    pledge_id: str,
    call_id: str,
) -> tuple[list[Click], float]:
    """The first `WARMUP_CLICKS` members click one by one, then the next `args.clicks` in a
    burst, alternately I'll call and Call now (`pledges_stored_once` counts on that); the
    burst's clicks and the bot's CPU seconds over it."""
    warmup, clickers = members[:WARMUP_CLICKS], members[WARMUP_CLICKS:]
    for index, member in enumerate(warmup):
        await click(member, (pledge_id, call_id)[index % 2])
    cpu_before = bot.cpu_seconds()

    def one(index: int) -> Awaitable[Click]:
        return click(clickers[index], (pledge_id, call_id)[index % 2])

    clicks = await burst(args.clicks, args.burst, one)
    return clicks, bot.cpu_seconds() - cpu_before


async def pledges_stored_once(url: str, clicks: int) -> int:
    """How many pledges the database holds, which must be one per pledge click (every other
    click of the warm-up and of the burst pledges)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            stored = int(await connection.scalar(select(func.count()).select_from(Pledge)) or 0)
    finally:
        await engine.dispose()
    expected = (WARMUP_CLICKS + 1) // 2 + (clicks + 1) // 2
    if stored != expected:
        raise RuntimeError(f"{stored} pledges stored, expected {expected} (one per pledge click)")
    return stored


def check_clean(bot: BotProcess, platform_errors: Sequence[str]) -> None:
    """The bot is still running, logged no error, and the platform saw no violation."""
    if bot.process.returncode is not None:
        raise RuntimeError(f"the bot exited during the benchmark\n{bot.tail()}")
    failures = [i for i, line in enumerate(bot.lines) if " ERROR " in line or "Traceback" in line]
    if failures or platform_errors:
        first = bot.lines[failures[0] : failures[0] + 30] if failures else []
        raise RuntimeError(
            "the run is not clean: "
            + "; ".join(platform_errors[:5])
            + "\n--- the bot's first error ---\n"
            + "\n".join(first)
            + f"\n{bot.tail()}"
        )


def bot_settings(url: str, data: CongressData, campaigns: Path) -> dict[str, str]:
    """The core's settings for the bot process under test."""
    return {
        "DATABASE_URL": url,
        "CALLBOT_DATA_DIR": str(data.folder.parent),
        "CAMPAIGNS_DIR": str(campaigns),
        "LOG_LEVEL": "INFO",
    }


#: One bot process on one database: (url, data, campaigns folder, work folder) ->
#: (figures, facts).
Measure = Callable[
    [str, CongressData, Path, Path], Awaitable[tuple[dict[str, Figure], dict[str, Any]]]
]


async def _on_database(
    kind: str, args: argparse.Namespace, data: CongressData, workdir: Path, measure: Measure
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
    figures, facts = await measure(url, data, campaigns, workdir)
    return {
        "title": title,
        "status": "ok",
        "figures": figures_json(figures),
        "facts": facts,
    }, figures


def run_suite(
    args: argparse.Namespace,
    config: dict[str, Any],
    measure: Measure,
    progress: Progress,
    memory: bool = True,
) -> tuple[dict[str, Any], dict[str, dict[str, Figure]], bool]:
    """`measure` on every requested database; the JSON report, the figures, and whether all
    went well (a database that fails does not lose the others' figures)."""
    started_at = datetime.now(UTC)
    all_ok = True
    sections: dict[str, Any] = {}
    figures: dict[str, dict[str, Figure]] = {}
    with tempfile.TemporaryDirectory(prefix="callbot-bench-") as tmp:
        workdir = Path(tmp)
        source = find_congress_data(args.data)
        data = import_data(source, workdir / "data" / "congress")
        for kind in args.databases:
            progress(f"{kind}: running")
            (workdir / kind).mkdir()
            try:
                section, found = asyncio.run(
                    _on_database(kind, args, data, workdir / kind, measure)
                )
            except Exception as exc:
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
        "config": {**config, "databases": args.databases},
        "data": {"source": str(source), "note": _memory_note(data) if memory else ""},
        "databases": sections,
    }
    report["missed"] = [
        f"{name}: {figure['label']}"
        for name, section in sections.items()
        for figure in section.get("figures", {}).values()
        if figure["met"] is False
    ]
    return report, figures, all_ok


def _memory_note(data: CongressData) -> str:
    if not data.note:
        return ""
    return (
        "the congress data is the small test fixture, so the bot's memory is lower than with the "
        "real data. Pass --data with the full files."
    )


def render_report(
    title: str,
    setup: str,
    report: dict[str, Any],
    figures: dict[str, dict[str, Figure]],
    facts_line: Callable[[dict[str, Any]], str],
) -> str:
    """The report as Markdown: the run, `setup` in words, one table per database, misses."""
    machine = report["machine"]
    lines = [
        f"# {title}",
        "",
        f"Run {report['started_at']} in {report['duration_s']:.0f} s on {machine['cores']} cores, "
        f"{machine['platform']}, Python {machine['python']}.",
        "",
        setup,
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
        lines += [*figure_table(figures[name]), "", facts_line(result["facts"])]
    missed = report["missed"]
    lines += ["", "## Targets missed", ""]
    lines += [f"- {item}" for item in missed] if missed else ["None."]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True, slots=True)
class Suite:
    """One platform benchmark: its report's file name and title, what it measures on each
    database, and how it words the setup and each database's facts."""

    name: str
    title: str
    config: dict[str, Any]
    measure: Measure
    setup: str
    facts_line: Callable[[dict[str, Any]], str]
    memory: bool = True  # whether it measures the bot's memory (which the small data lowers)


def run_and_report(args: argparse.Namespace, suite: Suite) -> int:
    """Run the suite on every requested database, write `name`.json and `name`.md, print the
    Markdown; the exit status (1 if a database failed)."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    progress = Progress()
    report, figures, all_ok = run_suite(args, suite.config, suite.measure, progress, suite.memory)
    markdown = render_report(suite.title, suite.setup, report, figures, suite.facts_line)
    json_path, md_path = write_report(args.out, report, markdown, name=suite.name)
    progress(f"wrote {json_path} and {md_path}")
    print(markdown)
    return 0 if all_ok else 1
