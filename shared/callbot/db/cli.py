"""`callbot db upgrade`: apply the database migrations."""

from __future__ import annotations

import argparse
from typing import Any

from callbot.config import Settings
from callbot.db.opening import open_database


def register(commands: Any) -> None:
    db = commands.add_parser("db", help="manage the database")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = actions.add_parser("upgrade", help="apply all migrations (also done at start-up)")
    up.set_defaults(handler=run_upgrade)


async def run_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    engine = await open_database(settings)
    await engine.dispose()
    print(f"Database is up to date ({engine.url.render_as_string(hide_password=True)}).")
    return 0
