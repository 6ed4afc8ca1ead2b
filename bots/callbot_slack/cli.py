"""`callbot slack manifest` (entry point `callbot.cli: slack`)."""

from __future__ import annotations

import argparse
import json
from typing import Any

import yarl

from callbot.config import Settings
from callbot_slack.manifest import manifest


def _base_url(text: str) -> str:
    url = yarl.URL(text.strip())
    if url.scheme != "https" or not url.host:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not the https:// URL Slack can reach, such as https://callbot.example.org"
        )
    return str(url).rstrip("/")


def register(commands: Any) -> None:
    """Add `callbot slack ...` to callbot's command line."""
    parser = commands.add_parser("slack", help="Slack: the app manifest to create the app with")
    actions = parser.add_subparsers(dest="slack_command", metavar="ACTION", required=True)
    printing = actions.add_parser(
        "manifest",
        help="print the app manifest (JSON) to paste at api.slack.com/apps; Socket Mode "
        "unless --url gives the public base URL of an HTTP deployment",
    )
    printing.add_argument(
        "--url",
        type=_base_url,
        metavar="URL",
        help="HTTP mode: the https:// base URL where Slack reaches callbot",
    )
    printing.set_defaults(handler=print_manifest)


def print_manifest(args: argparse.Namespace, settings: Settings) -> int:
    print(json.dumps(manifest(args.url), indent=2))
    return 0
