"""`callbot data update [--from DIR]` and `callbot lookup ZIP`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TransferSpeedColumn,
)
from rich.text import Text

from callbot.civic.directory import CongressDirectory
from callbot.civic.errors import DataInvalid, DataMissing, InvalidZip
from callbot.civic.report import report_lines, report_table, zip_report
from callbot.civic.update import DownloadError, import_from_dir, update_from_urls
from callbot.config import Settings
from callbot.printable import unwrapped


def register(commands: Any) -> None:
    data = commands.add_parser("data", help="manage the congress data (members and ZIP codes)")
    actions = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    update = actions.add_parser(
        "update", help="download the latest congress data, or import it from a folder"
    )
    update.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="DIR",
        help="import legislators-current.json, legislators-district-offices.json and "
        "zccd.csv from this folder instead of downloading them",
    )
    update.set_defaults(handler=run_update)
    lookup = commands.add_parser("lookup", help="show who represents a ZIP code, with phones")
    lookup.add_argument("zip_code", metavar="ZIP", help="a 5-digit ZIP code, or ZIP+4")
    lookup.set_defaults(handler=run_lookup)


def _fail(message: str, code: int = 1) -> int:
    print(f"callbot: {message}", file=sys.stderr)
    return code


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=Console(file=unwrapped(sys.stderr)),
        disable=not sys.stderr.isatty(),
    )


def run_update(args: argparse.Namespace, settings: Settings) -> int:
    """Fetch or import the data into the data directory and say what was loaded."""
    folder = settings.congress_dir
    try:
        if args.source is not None:
            print(f"Importing congress data from {args.source} into {folder} ...")
            import_from_dir(args.source, folder)
        else:
            print(f"Downloading congress data into {folder} ...")
            with _progress() as progress:
                update_from_urls(folder, progress=progress)
        directory = CongressDirectory.load(folder)
    except (DataInvalid, DataMissing, DownloadError) as exc:
        return _fail(str(exc))
    except OSError as exc:
        return _fail(
            f"CALLBOT_DATA_DIR: could not write the congress data to {folder}: "
            f"{exc.strerror or exc}"
        )
    print(f"Loaded {directory.summary}.")
    vacant = directory.vacant_seats
    if vacant:
        print(f"Vacant House seats: {', '.join(seat.label for seat in vacant)}.")
    return 0


def run_lookup(args: argparse.Namespace, settings: Settings) -> int:
    """Print who represents a ZIP code. Exit 1 without data, 2 for a bad ZIP."""
    try:
        directory = CongressDirectory.load(settings.congress_dir)
    except (DataMissing, DataInvalid) as exc:
        return _fail(str(exc))
    try:
        report = zip_report(directory, args.zip_code)
    except InvalidZip as exc:
        return _fail(str(exc), 2)
    if not sys.stdout.isatty():
        print("\n".join(report_lines(report)))
        return 0
    console = Console(file=unwrapped(sys.stdout))
    for note in report.notes:
        console.print(Text(note, style="yellow"))
    console.print(report_table(report))
    for line in report.closing:
        console.print(Text(line))
    return 0
