"""The command tree: every callbot slash command, and what happens when one fails early."""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from callbot_discord.alerts import alert_group, tally_command
from callbot_discord.commands import member_commands
from callbot_discord.organizer import organizer_group
from callbot_discord.responder import responder_of

log = logging.getLogger(__name__)


class CallbotTree(app_commands.CommandTree[Any]):
    """A command tree whose errors become a private answer, never a silent failure."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError, /
    ) -> None:
        try:
            await responder_of(interaction).on_app_command_error(interaction, error)
        except Exception:
            log.exception("could not answer a failed command (%s)", error)


def build_tree(client: discord.Client) -> CallbotTree:
    """A tree holding the member commands and the organizers' `/callbot`, `/alert` and
    `/tally`."""
    tree = CallbotTree(client)
    for command in member_commands():
        tree.add_command(command)
    tree.add_command(organizer_group())
    tree.add_command(alert_group())
    tree.add_command(tally_command())
    return tree
