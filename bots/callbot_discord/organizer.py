"""Organizer setup: `/callbot setup` and `/callbot show`.

Discord shows the `/callbot` group only to members with Manage Server (a server can grant it to
an organizer role in its integration settings); the core checks again on every use, so a member
who reaches it anyway gets a clear refusal and nothing changes.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from callbot.replies import Actor, Reply
from callbot.services.communities import configure_community, show_setup
from callbot_discord.choices import safe_choices, timezone_choices
from callbot_discord.commands import any_campaigns
from callbot_discord.responder import responder_of

GROUP_NAME = "callbot"
#: Who Discord offers the organizers' commands to (the core decides again on every use).
ORGANIZERS_ONLY = discord.Permissions(manage_guild=True)


_timezones = safe_choices("time zone", lambda interaction, typed: timezone_choices(typed))


def organizer_group() -> app_commands.Group:
    """A fresh `/callbot` group for one command tree."""
    group = app_commands.Group(
        name=GROUP_NAME,
        description="Set up callbot for this server (organizers)",
        default_permissions=ORGANIZERS_ONLY,
        guild_only=True,
    )

    @group.command(
        name="setup",
        description="Set the organizer role, time zone, featured campaign, alert channel, tally time",
    )
    @app_commands.describe(
        organizer_role="Members with this role can change the setup",
        timezone="Time zone for alerts and weekly leaderboards, e.g. America/Chicago",
        featured_campaign="The campaign /call and /pledge use when none is named",
        alert_channel="Where scheduled action alerts and tallies are posted",
        tally_time="When the daily tally is posted, e.g. 18:00 or 6pm (server time zone)",
    )
    @app_commands.autocomplete(timezone=_timezones, featured_campaign=any_campaigns)
    async def setup(
        interaction: discord.Interaction[Any],
        organizer_role: discord.Role | None = None,
        timezone: app_commands.Range[str, 1, 64] | None = None,
        featured_campaign: app_commands.Range[str, 1, 100] | None = None,
        alert_channel: discord.TextChannel | None = None,
        tally_time: app_commands.Range[str, 1, 16] | None = None,
    ) -> None:
        responder = responder_of(interaction)
        chosen = (organizer_role, timezone, featured_campaign, alert_channel, tally_time)
        if all(value is None for value in chosen):
            await responder.on_command(
                interaction, "callbot setup", lambda actor: show_setup(responder.core, actor)
            )
            return

        async def configure(actor: Actor) -> Reply:
            return await configure_community(
                responder.core,
                actor,
                timezone=timezone,
                organizer_role_id=str(organizer_role.id) if organizer_role else None,
                featured_campaign=featured_campaign,
                alert_channel_id=str(alert_channel.id) if alert_channel else None,
                tally_time=tally_time,
            )

        await responder.on_command(interaction, "callbot setup", configure)

    @group.command(name="show", description="Show callbot's setup for this server")
    async def show(interaction: discord.Interaction[Any]) -> None:
        responder = responder_of(interaction)
        await responder.on_command(
            interaction, "callbot show", lambda actor: show_setup(responder.core, actor)
        )

    return group
