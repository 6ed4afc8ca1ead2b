"""Scheduled output (action alerts, tallies) posted into channels: the Discord `Notifier`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import aiohttp
import discord

from callbot.notify import DeliveryError, DestinationGone
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
    """Posts replies into a server's channels and edits them later (`callbot.notify.Notifier`).

    The channel must belong to the server named: the bot's cache of servers and channels says
    so (kept current by the gateway), and a channel deleted, a server left or a permission lost
    is `DestinationGone`. Rate limits and server errors are retried by discord.py first; what
    still fails is a `DeliveryError`."""

    platform = "discord"

    def __init__(self, client: discord.Client) -> None:
        self.client = client

    def _channel(self, community_id: str, channel_id: int) -> discord.abc.GuildChannel:
        guild_id = _snowflake(community_id, "server id")
        guild = self.client.get_guild(guild_id)
        if guild is None:
            if not self.client.is_ready():
                raise DeliveryError("not connected to Discord yet")
            raise DestinationGone(f"the bot is no longer in server {guild_id}")
        if guild.unavailable:
            raise DeliveryError(f"server {guild_id} is unavailable (a Discord outage)")
        channel = guild.get_channel(channel_id)
        if channel is None:
            raise DestinationGone(f"channel {channel_id} no longer exists in server {guild_id}")
        return channel

    async def post(self, community_id: str, channel_id: str, reply: Reply) -> str:
        """Post `reply` in the server's channel; returns the ref `"channel_id/message_id"`."""
        channel = self._channel(community_id, _snowflake(channel_id, "channel id"))
        if not isinstance(channel, discord.abc.Messageable):
            raise DestinationGone(f"#{channel.name} is not a channel messages can be posted in")
        with _translated_errors(f"posting in #{channel.name}"):
            message = await channel.send(**render(reply).send_arguments())
        return f"{channel.id}/{message.id}"

    async def edit(self, community_id: str, ref: str, reply: Reply) -> None:
        """Replace a posted message (a ref from `post`) with `reply`, e.g. an updated tally."""
        channel_id, message_id = parse_message_ref(ref)
        channel = self._channel(community_id, channel_id)
        message = self.client.get_partial_messageable(channel.id).get_partial_message(message_id)
        with _translated_errors(f"editing a message in #{channel.name}"):
            await message.edit(**render(reply).edit_arguments())


@contextmanager
def _translated_errors(doing: str) -> Iterator[None]:
    """discord.py's failures as the port's: gone for good, or worth trying again."""
    try:
        yield
    except (discord.NotFound, discord.Forbidden) as error:
        raise DestinationGone(f"{doing}: {error}") from error
    except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
        raise DeliveryError(f"{doing}: {error}") from error
