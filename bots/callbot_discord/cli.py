"""`callbot discord sync` and `callbot discord invite` (entry point `callbot.cli: discord`)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

import discord

from callbot.config import Settings, SettingsError
from callbot_discord.client import apply_endpoints, intents
from callbot_discord.settings import DiscordSettings, load_discord_settings
from callbot_discord.tree import build_tree

SCOPES = ("bot", "applications.commands")


def invite_permissions() -> discord.Permissions:
    """Exactly what the bot needs: see and post in channels (alerts, tallies) with embeds and
    the tally's chart."""
    return discord.Permissions(
        view_channel=True,
        send_messages=True,
        embed_links=True,
        attach_files=True,
        read_message_history=True,
    )


def invite_url(application_id: int) -> str:
    """The OAuth2 link a server admin opens to add the bot with its slash commands."""
    return discord.utils.oauth_url(application_id, permissions=invite_permissions(), scopes=SCOPES)


def register(commands: Any) -> None:
    """Add `callbot discord ...` to callbot's command line."""
    parser = commands.add_parser("discord", help="Discord: publish slash commands, invite link")
    actions = parser.add_subparsers(dest="discord_command", metavar="ACTION", required=True)
    sync = actions.add_parser(
        "sync",
        help="publish the slash commands to every server (Discord may take up to an hour to "
        "show a change); --guild publishes to one server at once",
    )
    sync.add_argument("--guild", type=int, metavar="ID", help="only this server (guild) id")
    sync.set_defaults(handler=sync_commands)
    invite = actions.add_parser("invite", help="print the link that adds the bot to a server")
    invite.add_argument(
        "--application-id",
        type=int,
        metavar="ID",
        help="the application (client) id; default: ask Discord with DISCORD_TOKEN",
    )
    invite.set_defaults(handler=print_invite)


def _settings_with_token() -> tuple[DiscordSettings, str] | None:
    try:
        settings = load_discord_settings()
    except SettingsError as exc:
        print(f"callbot: {exc}", file=sys.stderr)
        return None
    if settings.token is None:
        print("callbot: set DISCORD_TOKEN (in the environment or .env) first.", file=sys.stderr)
        return None
    return settings, settings.token.get_secret_value()


async def sync_commands(args: argparse.Namespace, settings: Settings) -> int:
    """Publish the command tree globally, or to one server with --guild."""
    found = _settings_with_token()
    if found is None:
        return 2
    discord_settings, token = found
    apply_endpoints(discord_settings)
    client = discord.Client(intents=intents())
    tree = build_tree(client)
    try:
        async with client:
            await client.login(token)
            if args.guild:
                guild = discord.Object(id=args.guild)
                tree.copy_global_to(guild=guild)
                synced = await tree.sync(guild=guild)
            else:
                synced = await tree.sync()
    except discord.HTTPException as exc:
        print(f"callbot: Discord refused the sync: {exc}", file=sys.stderr)
        return 1
    where = f"server {args.guild}" if args.guild else "every server (global)"
    names = ", ".join(f"/{command.name}" for command in synced)
    print(f"Published {len(synced)} commands to {where}: {names}")
    return 0


async def print_invite(args: argparse.Namespace, settings: Settings) -> int:
    """Print the invite link; the application id comes from --application-id or Discord."""
    if args.application_id:
        print(invite_url(args.application_id))
        return 0
    found = _settings_with_token()
    if found is None:
        print("  (or pass --application-id from the developer portal)", file=sys.stderr)
        return 2
    discord_settings, token = found
    apply_endpoints(discord_settings)
    client = discord.Client(intents=intents())
    try:
        async with client:
            await client.login(token)
            application_id = client.application_id
    except discord.HTTPException as exc:
        print(f"callbot: Discord refused the token: {exc}", file=sys.stderr)
        return 1
    if application_id is None:
        print("callbot: Discord did not say the application id; use --application-id.")
        return 1
    print(invite_url(application_id))
    return 0
