"""Who is asking: an `Actor` from a Discord interaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import discord
from discord.utils import escape_mentions

from callbot.replies import Actor
from callbot.safety import clean_text, neutralize_mentions
from callbot.services.dispatch import usable_in_direct_messages

PLATFORM = "discord"
NAME_MAX = 100


def platform_text(text: str) -> str:
    """Text Discord gave us about people or servers (names), made safe to place in a message:
    the core's neutralising, then discord.py's own mention escaping on top."""
    return escape_mentions(neutralize_mentions(clean_text(text, NAME_MAX)))


def actor_from_interaction(interaction: discord.Interaction[Any]) -> Actor | None:
    """The member and server behind an interaction; None outside a server (a DM), except
    for a component the core answers there (an organizer's Post it now): then the user,
    with no community (the core finds it from the component) and no permissions.

    `roles` are the member's role ids; `is_admin` means Manage Server, Administrator or owner,
    as Discord computed them for this interaction. The core decides what they allow.
    """
    guild_id = interaction.guild_id
    if guild_id is None:
        data: Mapping[str, Any] = interaction.data or {}
        custom_id = str(data.get("custom_id", ""))
        if interaction.type is discord.InteractionType.component and usable_in_direct_messages(
            custom_id
        ):
            user = interaction.user
            return Actor(PLATFORM, "", str(user.id), platform_text(user.display_name))
        return None
    user = interaction.user
    guild = interaction.guild
    roles: frozenset[str] = frozenset()
    if isinstance(user, discord.Member):
        roles = frozenset(str(role.id) for role in user.roles)
    permissions = interaction.permissions
    owner = guild is not None and guild.owner_id == user.id
    return Actor(
        platform=PLATFORM,
        community_id=str(guild_id),
        user_id=str(user.id),
        display_name=platform_text(user.display_name),
        community_name=platform_text(guild.name) if guild is not None and guild.name else "",
        roles=roles,
        is_admin=permissions.administrator or permissions.manage_guild or owner,
    )
