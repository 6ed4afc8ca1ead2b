"""The `callbot` command. Each feature module adds its own subcommands with `register()`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from importlib.metadata import entry_points

from callbot.config import Settings, SettingsError, load_settings
from callbot.printable import printable_output


def build_parser() -> argparse.ArgumentParser:
    from callbot import runner
    from callbot.campaigns import cli as campaigns_cli
    from callbot.civic import cli as civic_cli
    from callbot.db import cli as db_cli

    parser = argparse.ArgumentParser(
        prog="callbot", description="A chat bot that helps communities call Congress."
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (runner, db_cli, civic_cli, campaigns_cli):
        module.register(commands)
    # Adapters add their own commands (`callbot discord sync`) without the core importing them.
    for entry_point in sorted(entry_points(group="callbot.cli"), key=lambda ep: ep.name):
        entry_point.load()(commands)
    return parser


def configure_logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level_number,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    # Alembic reports every migration step at INFO; only its problems are worth a line.
    logging.getLogger("alembic").setLevel(max(settings.log_level_number, logging.WARNING))


def main(argv: Sequence[str] | None = None) -> int:
    # Whatever is printed (campaign titles, file names, settings, what a member typed) is
    # shown, never obeyed by the terminal.
    with printable_output():
        return _run(argv)


def _run(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"callbot: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings)
    try:
        result = args.handler(args, settings)
        if asyncio.iscoroutine(result):
            result = asyncio.run(result)
    except SettingsError as exc:  # found once the command ran (a database it cannot open)
        print(f"callbot: {exc}", file=sys.stderr)
        return 2
    return int(result or 0)


if __name__ == "__main__":
    sys.exit(main())
