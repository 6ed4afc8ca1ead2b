"""The member commands: /call, /pledge, /leaderboard, /mystats, /profile, /forget and /help.

Parsing only: each command turns its options into plain values for one core service. Command
descriptions come from the core's `MEMBER_COMMANDS`, so /help and Discord's menu agree.
"""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from callbot import services
from callbot.replies import Actor, Reply
from callbot.services.dispatch import call_reopen
from callbot.services.help import MEMBER_COMMANDS, ORGANIZER_COMMANDS, CommandInfo
from callbot.services.profile import CITY_MAX, NAME_MAX
from callbot_discord.choices import campaign_choices, safe_choices
from callbot_discord.responder import responder_of

ZIP_MAX = 10  # 12345-6789
DESCRIPTION_MAX = 100
CAMPAIGN_HELP = "The campaign (default: the featured one, or the only one open)"
PERIOD_CHOICES = [
    app_commands.Choice(name="This week", value="week"),
    app_commands.Choice(name="This month", value="month"),
    app_commands.Choice(name="All time", value="all"),
]


def describe(name: str, commands: tuple[CommandInfo, ...] = MEMBER_COMMANDS) -> str:
    """The core's one-line description of a command (a member's, unless told), cut to
    Discord's limit."""
    for info in commands:
        if info.name == name:
            return info.description[:DESCRIPTION_MAX]
    raise KeyError(f"the core describes no command {name!r}")


#: Autocomplete: the open campaigns matching what the member typed.
open_campaigns = safe_choices(
    "campaign", lambda interaction, typed: campaign_choices(responder_of(interaction).core, typed)
)
#: Autocomplete: every campaign matching it (the leaderboard of a closed one still exists).
any_campaigns = safe_choices(
    "campaign",
    lambda interaction, typed: campaign_choices(
        responder_of(interaction).core, typed, open_only=False
    ),
)


def member_commands() -> list[app_commands.Command[Any, ..., None]]:
    """Fresh command objects for one command tree."""

    @app_commands.command(name="call", description=describe("call"))
    @app_commands.guild_only()
    @app_commands.describe(campaign=CAMPAIGN_HELP)
    @app_commands.autocomplete(campaign=open_campaigns)
    async def call(
        interaction: discord.Interaction[Any],
        campaign: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        responder = responder_of(interaction)
        await responder.on_command(
            interaction,
            "call",
            lambda actor: services.start_call(responder.core, actor, campaign),
            reopen=call_reopen(campaign),
        )

    @app_commands.command(name="pledge", description=describe("pledge"))
    @app_commands.guild_only()
    @app_commands.describe(campaign=CAMPAIGN_HELP)
    @app_commands.autocomplete(campaign=open_campaigns)
    async def pledge(
        interaction: discord.Interaction[Any],
        campaign: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        responder = responder_of(interaction)
        await responder.on_command(
            interaction, "pledge", lambda actor: services.pledge(responder.core, actor, campaign)
        )

    @app_commands.command(name="leaderboard", description=describe("leaderboard"))
    @app_commands.guild_only()
    @app_commands.describe(
        campaign="Only this campaign (default: every campaign)",
        period="This week, this month or all time (default: all time)",
    )
    @app_commands.choices(period=PERIOD_CHOICES)
    @app_commands.autocomplete(campaign=any_campaigns)
    async def leaderboard(
        interaction: discord.Interaction[Any],
        campaign: app_commands.Range[str, 1, 100] | None = None,
        period: app_commands.Choice[str] | None = None,
    ) -> None:
        responder = responder_of(interaction)
        chosen = period.value if period else None
        await responder.on_command(
            interaction,
            "leaderboard",
            lambda actor: services.leaderboard(responder.core, actor, campaign, chosen),
        )

    @app_commands.command(name="mystats", description=describe("mystats"))
    @app_commands.guild_only()
    async def mystats(interaction: discord.Interaction[Any]) -> None:
        responder = responder_of(interaction)
        await responder.on_command(
            interaction, "mystats", lambda actor: services.my_stats(responder.core, actor)
        )

    @app_commands.command(name="profile", description=describe("profile"))
    @app_commands.guild_only()
    @app_commands.rename(zip_code="zip")
    @app_commands.describe(
        name="Your name, as you'll say it on calls",
        zip_code="Your ZIP code (finds your members of Congress)",
        city="Your city, as the script should say it",
        leaderboard="Show you on this server's leaderboard?",
    )
    async def profile(
        interaction: discord.Interaction[Any],
        name: app_commands.Range[str, 1, NAME_MAX] | None = None,
        zip_code: app_commands.Range[str, 1, ZIP_MAX] | None = None,
        city: app_commands.Range[str, 1, CITY_MAX] | None = None,
        leaderboard: bool | None = None,
    ) -> None:
        responder = responder_of(interaction)
        if name is None and zip_code is None and city is None and leaderboard is None:
            await responder.on_command(
                interaction, "profile", lambda actor: services.show_profile(responder.core, actor)
            )
            return
        await responder.on_command(
            interaction,
            "profile",
            lambda actor: services.set_profile(
                responder.core,
                actor,
                name=name,
                zip_code=zip_code,
                city=city,
                leaderboard_visible=leaderboard,
            ),
        )

    @app_commands.command(name="forget", description=describe("forget"))
    @app_commands.guild_only()
    async def forget(interaction: discord.Interaction[Any]) -> None:
        async def confirm(actor: Actor) -> Reply:
            return services.confirm_erase()

        await responder_of(interaction).on_command(interaction, "forget", confirm)

    @app_commands.command(name="help", description=describe("help"))
    @app_commands.guild_only()
    async def help_command(interaction: discord.Interaction[Any]) -> None:
        async def show_help(actor: Actor) -> Reply:
            return services.help_reply(MEMBER_COMMANDS, ORGANIZER_COMMANDS)

        await responder_of(interaction).on_command(interaction, "help", show_help)

    return [call, pledge, leaderboard, mystats, profile, forget, help_command]
