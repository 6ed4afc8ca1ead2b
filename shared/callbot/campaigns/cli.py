"""`callbot campaigns check [PATH]` and `callbot campaigns list`."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from callbot.campaigns.loader import LoadResult, Problem, check_campaigns, load_campaigns
from callbot.campaigns.schema import CampaignSpec
from callbot.campaigns.script import PLACEHOLDERS
from callbot.config import Settings


def register(commands: Any) -> None:
    campaigns = commands.add_parser("campaigns", help="check and list campaign files")
    actions = campaigns.add_subparsers(dest="campaigns_command", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="validate campaign files and print every problem with its line",
        description="Validate campaign files; print each problem as path:line: field: message.",
        epilog="Script placeholders: " + ", ".join(sorted(PLACEHOLDERS)),
    )
    check.add_argument(
        "path",
        nargs="?",
        type=Path,
        help="a campaign file or a folder of them (default: CAMPAIGNS_DIR)",
    )
    check.set_defaults(handler=run_check)
    listing = actions.add_parser("list", help="list the campaigns in CAMPAIGNS_DIR")
    listing.set_defaults(handler=run_list)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _report_problems(problems: list[Problem]) -> None:
    for problem in problems:
        print(problem)
    files = len({problem.path for problem in problems})
    print(
        f"{_plural(len(problems), 'problem')} in {_plural(files, 'file')}.",
        file=sys.stderr,
    )


def run_check(args: argparse.Namespace, settings: Settings) -> int:
    """Print every problem as `path:line: field: message`; exit 1 if there is any."""
    path: Path = args.path if args.path is not None else settings.campaigns_dir
    result = check_campaigns(path)
    if result.problems:
        _report_problems(result.problems)
        return 1
    print(f"{_plural(len(result.campaigns), 'campaign')} OK")
    return 0


def describe_targets(spec: CampaignSpec) -> str:
    """Who a campaign calls, in a few words: "house, senate, 2 custom"."""
    parts = [chamber for chamber in ("house", "senate") if getattr(spec.targets, chamber)]
    if spec.targets.custom:
        parts.append(f"{len(spec.targets.custom)} custom")
    return ", ".join(parts)


def describe_status(spec: CampaignSpec, now: datetime) -> str:
    """ "open", or "closed" and why."""
    if spec.is_open(now):
        return "open"
    if not spec.active:
        return "closed (inactive)"
    if spec.starts is not None and now < spec.starts:
        return f"closed (starts {spec.starts:%Y-%m-%d %H:%M} UTC)"
    ended = spec.ends or now
    return f"closed (ended {ended:%Y-%m-%d %H:%M} UTC)"


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]


def run_list(args: argparse.Namespace, settings: Settings) -> int:
    """A table of the campaign files: slug, title, targets, open or closed, and file."""
    folder = settings.campaigns_dir
    if not folder.is_dir():
        print(f"callbot: campaigns folder {folder} does not exist", file=sys.stderr)
        return 1
    result: LoadResult = load_campaigns(folder)
    now = datetime.now(UTC)
    if result.campaigns:
        rows: list[tuple[str, ...]] = [("SLUG", "TITLE", "TARGETS", "STATUS", "FILE")]
        rows.extend(
            (
                item.spec.slug,
                item.spec.title,
                describe_targets(item.spec),
                describe_status(item.spec, now),
                str(item.path),
            )
            for item in sorted(result.campaigns, key=lambda item: item.spec.slug)
        )
        for line in _table(rows):
            print(line)
    else:
        print(f"No campaigns in {folder}.")
    if result.problems:
        print("\nThese files were skipped:", file=sys.stderr)
        for problem in result.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    return 0
