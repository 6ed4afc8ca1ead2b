"""`callbot run` (every configured adapter, or the playground) and `callbot try`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from typing import Any

from callbot.adapters import Adapter, PostsScheduled, StartupError, load_adapters
from callbot.config import Settings, SettingsError
from callbot.core import start_core
from callbot.scheduling.engine import Scheduler

ROLES = ("all", "discord", "slack", "scheduler")


def register(commands: Any) -> None:
    run = commands.add_parser("run", help="run the bot on every platform whose credentials are set")
    run.add_argument(
        "--role",
        choices=ROLES,
        default="all",
        help="what this process does: all (default: every configured platform and the "
        "scheduler), one platform only, or only the scheduler (scaled deployments)",
    )
    run.set_defaults(handler=run_bot)
    playground = commands.add_parser("try", help="try callbot in this terminal as a member")
    playground.set_defaults(handler=run_playground)


def _playground(adapters: list[Adapter]) -> Adapter:
    for adapter in adapters:
        if adapter.playground:
            return adapter
    raise SystemExit(
        "callbot: the terminal playground is not installed (package callbot_terminal)."
    )


def _stop_on_signals() -> asyncio.Event:
    """Ctrl-C (SIGINT) and SIGTERM (`docker stop`, systemd) stop the bot cleanly: adapters are
    cancelled and finish what is in flight (a second signal cuts that short). The event tells
    that a stop was asked for."""
    asked = asyncio.Event()
    main = asyncio.current_task()
    assert main is not None

    def stop() -> None:
        asked.set()
        main.cancel()

    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # no signal handlers on Windows
            loop.add_signal_handler(signum, stop)
    return asked


async def _serve(
    settings: Settings, adapters: Sequence[Adapter], posting: Sequence[PostsScheduled] = ()
) -> int:
    """Run `adapters` and, given platforms `posting` scheduled output, the scheduler, until
    stopped. The scheduler waits as a standby while another process leads."""
    core = await start_core(settings)
    stopped = _stop_on_signals()
    refused: list[BaseException] = []
    try:
        async with contextlib.AsyncExitStack() as stack:
            notifiers = {}
            for poster in posting:
                notifier = await stack.enter_async_context(poster.notifying(core))
                notifiers[notifier.platform] = notifier
            async with asyncio.TaskGroup() as group:
                for adapter in adapters:
                    group.create_task(adapter.run(core), name=f"adapter:{adapter.name}")
                if notifiers:
                    group.create_task(Scheduler(core, notifiers).run(), name="scheduler")
    except* (SettingsError, StartupError) as failures:
        refused.extend(failures.exceptions)
    except* asyncio.CancelledError:
        if not stopped.is_set():
            raise
    finally:
        await core.close()
    # A refused credential or an unreachable platform: one line saying so, not a traceback.
    for failure in refused:
        print(f"callbot: {failure}", file=sys.stderr)
    return 2 if refused else 0


async def run_bot(args: argparse.Namespace, settings: Settings) -> int:
    role = getattr(args, "role", "all")
    adapters = load_adapters()
    platforms = [a for a in adapters if not a.playground]
    configured = [a for a in platforms if a.configured(os.environ)]
    posting = [a for a in configured if isinstance(a, PostsScheduled)]
    if role == "scheduler":
        if not posting:
            print(
                "callbot: the scheduler posts on a chat platform: set Discord's or Slack's "
                "credentials (see .env.example).",
                file=sys.stderr,
            )
            return 2
        return await _serve(settings, [], posting)
    if role != "all":
        chosen = [a for a in configured if a.name == role]
        if not chosen:
            hint = next((a.setup_hint() for a in platforms if a.name == role), "")
            print(f"callbot: --role {role} needs its credentials: {hint}", file=sys.stderr)
            return 2
        return await _serve(settings, chosen)
    if not configured:
        print(
            "No chat platform is configured yet, so here is the local playground.", file=sys.stderr
        )
        for adapter in platforms:
            print(f"  {adapter.name}: {adapter.setup_hint()}", file=sys.stderr)
        print("  (put these in .env; see .env.example)\n", file=sys.stderr)
        return await _serve(settings, [_playground(adapters)])
    return await _serve(settings, configured, posting)


async def run_playground(args: argparse.Namespace, settings: Settings) -> int:
    return await _serve(settings, [_playground(load_adapters())])
