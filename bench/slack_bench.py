"""The Slack adapter under load: a burst of signed button clicks over HTTP, per replica.

Run with ``make bench`` or::

    python -m bench.slack_bench                              # SQLite and PostgreSQL
    python -m bench.slack_bench --databases postgresql --clicks 2000 --burst 2

One replica of the bot runs as `callbot run` in HTTP mode, in its own process, and is installed
into a workspace of the loopback fake Slack (tests/fakes/slack_fake.py) through OAuth, as Slack
would. An action alert with *Call now* and *I'll call* buttons stands in a channel; after a few
warm-up clicks, ``--clicks`` different members click one of them, spread evenly over
``--burst`` seconds: each click is a signed ``block_actions`` request to /slack/events. Every
other member pledges (a database write, answered through the response_url), the others start a
call (new members, so the answer is the form, opened with views.open).

Measured, per database: the acknowledgement latency of each click as the fake saw it (the
signed request sent → the HTTP 200 received), p50/p99/max, how many came within 3 s; the
answer latency (until the response_url post or the modal) and its throughput; the replica's CPU
time per click and memory. The pledges are then counted: each must be stored exactly once.

Targets (issue 4): 1,000 clicks within one second all acknowledged in under 3 s, p99 under
500 ms. Results: bench/results/slack.json and slack.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
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
    run_and_report,
    warm_up_and_burst,
)
from bench.civic_bench import CongressData
from bench.report import Figure
from callbot.campaigns import load_campaigns
from callbot_slack.render import render_message

use_test_fakes()
from fakes.slack_fake import FakeAction, FakeMessage, FakeSlack, FakeUser  # noqa: E402

START_TIMEOUT = 120.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.slack_bench",
        description="Benchmark one Slack HTTP replica against the loopback fake Slack.",
    )
    add_common_arguments(parser, "slack")
    return parser


def answered(action: FakeAction) -> bool:
    """Whether the member sees the answer: a message or a modal (or nothing will come)."""
    return action.expired or bool(action.messages) or bool(action.views)


async def click(fake: FakeSlack, member: FakeUser, message: FakeMessage, action_id: str) -> Click:
    """One click, then a wait (bounded) until its answer is there."""
    action = await fake.click(member, message, action_id)
    await action.changed.wait_until(
        lambda: answered(action), ANSWER_TIMEOUT, f"the answer to {action.label}"
    )
    acked = not action.expired and action.ack_status == 200
    return Click(
        sent_at=action.sent_at,
        ack_latency=action.ack_latency if acked else None,
        answered_after=fake.loop_time() - action.sent_at if acked else None,
    )


def measurer(args: argparse.Namespace) -> Measure:
    async def measure(
        url: str, data: CongressData, campaigns: Path, workdir: Path
    ) -> tuple[dict[str, Figure], dict[str, Any]]:
        """One replica on one database: install, warm up, burst, count."""
        spec = load_campaigns(campaigns).campaigns[0].spec
        fake = FakeSlack()
        await fake.start()
        try:
            workspace = fake.add_workspace("Callers", installed=False)
            channel = workspace.add_channel("action-alerts")
            workspace.add_user("olga", admin=True)
            members = [workspace.add_user(f"member{i}") for i in range(WARMUP_CLICKS + args.clicks)]
            settings = {
                "SLACK_SIGNING_SECRET": fake.signing_secret,
                "SLACK_CLIENT_ID": fake.client_id,
                "SLACK_CLIENT_SECRET": fake.client_secret,
                "SLACK_API_URL": fake.api_url,
                "SLACK_AUTHORIZE_URL": fake.authorize_url,
                "SLACK_HOST": "127.0.0.1",
                "SLACK_PORT": "0",
                **bot_settings(url, data, campaigns),
            }
            started = time.perf_counter()
            async with running_bot_process(settings, workdir) as bot:
                found = await bot.wait_for_log(
                    r"serving Slack over HTTP at (\S+) ", START_TIMEOUT, "start"
                )
                base = found[1]
                fake.deliver_http(base + "/slack/events")
                await fake.install(workspace, base + "/slack/install")
                start_s = time.perf_counter() - started
                reply, call_id, pledge_id = alert_reply(spec)
                body = render_message(reply)
                message = fake.create_message(workspace, channel.id, body, viewer=None)
                clicks, cpu_s = await warm_up_and_burst(
                    args,
                    bot,
                    members,
                    lambda member, action_id: click(fake, member, message, action_id),
                    pledge_id,
                    call_id,
                )
                memory = bot.memory_mb()
                # A trigger that aged past 3 s in a queue is answered with a button instead of
                # the form: Slack's own rule, recorded by the fake, not a fault of the replica.
                expired = [e for e in fake.errors if "trigger" in e]
                check_clean(bot, [e for e in fake.errors if "trigger" not in e])
            pledges = await pledges_stored_once(url, args.clicks)
        finally:
            await fake.stop()
        figures = burst_figures(clicks, cpu_s)
        del figures["deferred"]  # on Slack every answer follows its ack
        figures["rss_peak_mb"] = Figure(
            label="Replica peak resident memory (VmHWM)",
            unit="MiB",
            value=memory["peak"],
            summary=f"{memory['peak']:,.1f} MiB (after the burst: {memory['rss']:,.1f} MiB)",
        )
        facts = {
            "start_to_installed_s": round(start_s, 2),
            "pledges_stored": pledges,
            "stale_triggers": len(expired),
            "protocol_errors": len(fake.errors) - len(expired),
        }
        return figures, facts

    return measure


def facts_line(facts: dict[str, Any]) -> str:
    return (
        f"Start to installed: {facts['start_to_installed_s']} s. Pledges stored: "
        f"{facts['pledges_stored']:,} (one per pledge click). Forms that came too late to open "
        f"(trigger older than 3 s, answered with a button instead): {facts['stale_triggers']:,}."
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup = (
        "One replica (`callbot run` in HTTP mode, its own process) installed through OAuth into "
        f"a workspace of the loopback fake Slack. {args.clicks:,} members then clicked the Call "
        f"now / I'll call buttons of one alert, spread evenly over {args.burst} s, after "
        f"{WARMUP_CLICKS} warm-up clicks, each a signed block_actions request. Latency is measured "
        "by the fake: from sending the request to its HTTP 200 (ack), and to the member seeing "
        "the answer (response_url post or modal)."
    )
    suite = Suite(
        "slack",
        "Slack adapter benchmarks",
        {"replicas": 1, "clicks": args.clicks, "burst_s": args.burst, "warmup": WARMUP_CLICKS},
        measurer(args),
        setup,
        facts_line,
    )
    return run_and_report(args, suite)


if __name__ == "__main__":
    sys.exit(main())
