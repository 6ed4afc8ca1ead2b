"""Scheduled output (action alerts, tallies) posted into channels: the Discord `Notifier`."""

from __future__ import annotations

import discord

from callbot.replies import Reply
from callbot_discord.render import render


def _snowflake(text: str, what: str) -> int:
    value = text.strip()
    if not value.isdigit() or int(value) <= 0:
        raise ValueError(f"{what} {text!r} is not a Discord id")
    return int(value)


def parse_message_ref(ref: str) -> tuple[int, int]:
    """`"channel_id/message_id"` (what `post` returns) -> the two ids."""
    channel, separator, message = ref.partition("/")
    if not separator:
        raise ValueError(f"message ref {ref!r} is not channel_id/message_id")
    return _snowflake(channel, "channel id"), _snowflake(message, "message id")


class DiscordNotifier:
    """Posts replies into channels and edits them later. Channel posts are public by nature:
    `Reply.private` does not apply, and mentions are always off."""

    platform = "discord"

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def post(self, channel_id: str, reply: Reply) -> str:
        """Post `reply` in the channel; returns the message ref `"channel_id/message_id"`."""
        channel = self.client.get_partial_messageable(_snowflake(channel_id, "channel id"))
        message = await channel.send(**render(reply).send_arguments())
        return f"{channel.id}/{message.id}"

    async def edit(self, ref: str, reply: Reply) -> None:
        """Replace a posted message (a ref from `post`) with `reply`, e.g. an updated tally."""
        channel_id, message_id = parse_message_ref(ref)
        message = self.client.get_partial_messageable(channel_id).get_partial_message(message_id)
        await message.edit(**render(reply).edit_arguments())
