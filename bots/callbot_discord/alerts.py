"""Organizers' action alerts: `/alert create|list|cancel|preview`, and `/tally` for everyone.

Like `/callbot`, Discord offers them only to members with Manage Server (a server can grant them
to an organizer role in its integration settings); the core checks again on every use, so a
member who reaches them anyway gets its refusal privately and nothing is stored. Parsing only:
every option goes as typed to one service of `callbot.alerts.service`.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from callbot.alerts.posts import MESSAGE_MAX
from callbot.alerts.schedules import WHEN_EXAMPLES as WHEN_EXAMPLES  # re-exported
from callbot.alerts.schedules import WHEN_MAX, schedule_suggestions
from callbot.alerts.service import (
    cancel_alert,
    draft_alert,
    list_alerts,
    post_tally_now,
    preview_alert,
)
from callbot.replies import Actor, Reply
from callbot.services.help import ORGANIZER_COMMANDS
from callbot_discord.choices import CHOICES_MAX, safe_choices
from callbot_discord.commands import CAMPAIGN_HELP, any_campaigns, describe, open_campaigns
from callbot_discord.organizer import ORGANIZERS_ONLY
from callbot_discord.responder import responder_of

GROUP_NAME = "alert"
CHOICE_VALUE_MAX = 100
ALERT_ID_MAX = 2**53  # Discord's integer options stop here


def when_choices(typed: str) -> list[app_commands.Choice[str]]:
    """The core's suggestions for `when` (`schedule_suggestions`), as Discord offers them."""
    # Discord takes values of at most 100 characters; a longer one could not be picked.
    found = [item for item in schedule_suggestions(typed) if len(item) <= CHOICE_VALUE_MAX]
    return [app_commands.Choice(name=item, value=item) for item in found[:CHOICES_MAX]]


_when = safe_choices("when", lambda interaction, typed: when_choices(typed))


def alert_group() -> app_commands.Group:
    """A fresh `/alert` group for one command tree."""
    group = app_commands.Group(
        name=GROUP_NAME,
        description=describe("alert", ORGANIZER_COMMANDS),
        default_permissions=ORGANIZERS_ONLY,
        guild_only=True,
    )

    @group.command(name="create", description="Schedule an action alert; you see a preview first")
    @app_commands.describe(
        campaign="The campaign the alert asks members to call for",
        channel="Where the alert is posted",
        when="When: “tomorrow 18:00”, “daily 18:00”, “weekdays 9:30”, “mondays 6pm”",
        message="Your own words at the top of the alert (optional)",
    )
    @app_commands.autocomplete(campaign=open_campaigns, when=_when)
    async def create(
        interaction: discord.Interaction[Any],
        campaign: app_commands.Range[str, 1, 100],
        channel: discord.TextChannel,
        when: app_commands.Range[str, 1, WHEN_MAX],
        message: app_commands.Range[str, 1, MESSAGE_MAX] | None = None,
    ) -> None:
        responder = responder_of(interaction)

        async def draft(actor: Actor) -> Reply:
            return await draft_alert(
                responder.core,
                actor,
                campaign=campaign,
                channel_id=str(channel.id),
                when=when,
                message=message or "",
                channel_label=f"#{channel.name}",
            )

        await responder.on_command(interaction, "alert create", draft)

    @group.command(name="list", description="The scheduled alerts and the latest changes")
    async def list_command(interaction: discord.Interaction[Any]) -> None:
        responder = responder_of(interaction)
        await responder.on_command(
            interaction, "alert list", lambda actor: list_alerts(responder.core, actor)
        )

    @group.command(name="cancel", description="Stop a scheduled alert")
    @app_commands.describe(alert="The alert's number, as /alert list shows it (default: ask)")
    async def cancel(
        interaction: discord.Interaction[Any],
        alert: app_commands.Range[int, 1, ALERT_ID_MAX] | None = None,
    ) -> None:
        responder = responder_of(interaction)
        chosen = str(alert) if alert is not None else None
        await responder.on_command(
            interaction, "alert cancel", lambda actor: cancel_alert(responder.core, actor, chosen)
        )

    @group.command(name="preview", description="See how an alert for a campaign looks now")
    @app_commands.describe(campaign=CAMPAIGN_HELP)
    @app_commands.autocomplete(campaign=open_campaigns)
    async def preview(
        interaction: discord.Interaction[Any],
        campaign: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        responder = responder_of(interaction)
        await responder.on_command(
            interaction,
            "alert preview",
            lambda actor: preview_alert(responder.core, actor, campaign),
        )

    return group


def tally_command() -> app_commands.Command[Any, ..., None]:
    """A fresh `/tally` (organizers): the campaign's tally and chart, posted for everyone."""

    @app_commands.command(name="tally", description=describe("tally", ORGANIZER_COMMANDS))
    @app_commands.guild_only()
    @app_commands.default_permissions(ORGANIZERS_ONLY)
    @app_commands.describe(campaign=CAMPAIGN_HELP)
    @app_commands.autocomplete(campaign=any_campaigns)
    async def tally(
        interaction: discord.Interaction[Any],
        campaign: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        responder = responder_of(interaction)
        await responder.on_command(
            interaction, "tally", lambda actor: post_tally_now(responder.core, actor, campaign)
        )

    return tally
