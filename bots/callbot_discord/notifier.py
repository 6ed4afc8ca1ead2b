"""Scheduled output (action alerts, tallies, reminders) posted into channels and direct
messages: the Discord `Notifier`."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from http import HTTPStatus
from typing import Any

import aiohttp
import discord

from callbot.notify import (
    BeforeSend,
    CredentialsRefused,
    DeliveryError,
    DeliveryUncertain,
    DestinationGone,
)
from callbot.pacing import Pace
from callbot.replies import Reply
from callbot_discord.render import render

log = logging.getLogger(__name__)

MISSING_PERMISSIONS = 50013
#: Requests a second, just under Discord's global limit of 50 per bot: a thousand posts
#: due at once go out at the limit instead of meeting a storm of 429s (bench/fanout_bench.py).
#: Interaction responses, the bot's other traffic, do not count against that limit.
REQUESTS_PER_SECOND = 49.0
#: Servers a REST-only notifier remembers (to check membership before a direct message).
GUILDS_REMEMBERED = 256
#: How long a post sent with a nonce may be sent again with it: Discord answers a repeat of a
#: nonce it has seen from the bot in the channel "in the past few minutes" (`enforce_nonce`)
#: with the first message. Two minutes stays well inside that.
NONCE_WINDOW = timedelta(minutes=2)


def _snowflake(text: str, what: str) -> int:
    """A Discord id; `DestinationGone` for anything else: nothing could ever be sent there."""
    value = text.strip()
    if not value.isdigit() or int(value) <= 0:
        raise DestinationGone(f"{what} {text!r} is not a Discord id")
    return int(value)


def parse_message_ref(ref: str) -> tuple[int, int]:
    """`"channel_id/message_id"` (what `post` returns) -> the two ids."""
    channel, separator, message = ref.partition("/")
    if not separator:
        raise ValueError(f"message ref {ref!r} is not channel_id/message_id")
    return _snowflake(channel, "channel id"), _snowflake(message, "message id")


class DiscordNotifier:
    """Posts replies into a server's channels, edits them later, and messages members
    directly (`callbot.notify.Notifier`).

    The channel must belong to the server named. How that is known depends on the client:

    - `verify_with_cache=True` (the default; the serving client, connected to the gateway):
      the cache of servers and channels the gateway keeps current must list the channel in the
      server; a channel deleted or a server left is `DestinationGone` before any request.
    - `verify_with_cache=False` (a client that only `login()`ed, as in the scheduler's
      `DiscordAdapter.notifying`): there is no cache, so the channel id the core stored is
      trusted. It was chosen from the server's own channels when the alert was made, and a
      channel never moves between servers; Discord's 404 or 403 says when it is gone.

    A direct message goes only to a current member of the server (asked of Discord each time),
    so a member who left is not messaged on that server's behalf. A post whose chart the
    channel refuses (no Attach Files permission) is sent again with the chart in words.
    Rate limits and server errors are retried by discord.py first; what still fails is a
    `DeliveryError`, and what cannot succeed later is `DestinationGone`."""

    platform = "discord"
    repeats_safe_for = NONCE_WINDOW

    def __init__(
        self,
        client: discord.Client,
        *,
        verify_with_cache: bool = True,
        rate: float = REQUESTS_PER_SECOND,
    ) -> None:
        self.client = client
        self.verify_with_cache = verify_with_cache
        self.pace = Pace(rate)
        self._fetched_guilds: OrderedDict[int, discord.Guild] = OrderedDict()

    def _cached_guild(self, guild_id: int) -> discord.Guild:
        guild = self.client.get_guild(guild_id)
        if guild is None:
            if not self.client.is_ready():
                raise DeliveryError("not connected to Discord yet")
            raise DestinationGone(f"the bot is no longer in server {guild_id}")
        if guild.unavailable:
            raise DeliveryError(f"server {guild_id} is unavailable (a Discord outage)")
        return guild

    def _channel(
        self, community_id: str, channel_id: int
    ) -> tuple[discord.PartialMessageable, str]:
        """Where to send, and how to name it in errors."""
        guild_id = _snowflake(community_id, "server id")
        if not self.verify_with_cache:
            target = self.client.get_partial_messageable(
                channel_id, guild_id=guild_id, type=discord.ChannelType.text
            )
            return target, f"channel {channel_id}"
        channel = self._cached_guild(guild_id).get_channel(channel_id)
        if channel is None:
            raise DestinationGone(f"channel {channel_id} no longer exists in server {guild_id}")
        if not isinstance(channel, discord.abc.Messageable):
            raise DestinationGone(f"#{channel.name} is not a channel messages can be posted in")
        target = self.client.get_partial_messageable(
            channel.id, guild_id=guild_id, type=channel.type
        )
        return target, f"#{channel.name}"

    async def post(
        self,
        community_id: str,
        channel_id: str,
        reply: Reply,
        *,
        key: str | None = None,
        before_send: BeforeSend | None = None,
    ) -> str:
        """Post `reply` in the server's channel; returns the ref `"channel_id/message_id"`.
        With a `key`, the message carries it as its nonce with `enforce_nonce` (discord.py
        sets that with any nonce): a repeat within `NONCE_WINDOW` gets the first message back."""
        channel, name = self._channel(community_id, _snowflake(channel_id, "channel id"))
        nonce: dict[str, Any] = {"nonce": key} if key else {}
        # The claim runs just before this request's slot, so the requests keep their pace.
        await self.pace.wait(ahead=before_send)
        with _translated_errors(f"posting in {name}"):
            try:
                message = await channel.send(**render(reply).send_arguments(), **nonce)
            except discord.Forbidden as error:
                if reply.image is None or error.code != MISSING_PERMISSIONS:
                    raise
                # Maybe only Attach Files is missing (servers that added the bot before
                # charts); if more is, this second try fails the same way. Refused, the first
                # made no message: the same nonce is free.
                log.info("%s refused the chart (%s); posting it in words", name, error)
                await self.pace.wait()
                words = render(reply, attach_image=False).send_arguments()
                message = await channel.send(**words, **nonce)
        return f"{channel.id}/{message.id}"

    async def edit(self, community_id: str, ref: str, reply: Reply) -> None:
        """Replace a posted message (a ref from `post`) with `reply`, e.g. an updated tally."""
        channel_id, message_id = parse_message_ref(ref)
        channel, name = self._channel(community_id, channel_id)
        with _translated_errors(f"editing a message in {name}"):
            await self.pace.wait()
            await channel.get_partial_message(message_id).edit(**render(reply).edit_arguments())

    async def direct(self, community_id: str, user_id: str, reply: Reply) -> None:
        """Send `reply` to the member in a direct message. `DestinationGone` when they left
        the server or do not accept direct messages from it."""
        guild_id = _snowflake(community_id, "server id")
        member_id = _snowflake(user_id, "user id")
        with _translated_errors(f"messaging member {member_id} of server {guild_id}"):
            guild = await self._guild(guild_id)
            try:
                await self.pace.wait()
                member = await guild.fetch_member(member_id)
            except discord.NotFound:
                raise DestinationGone(
                    f"user {member_id} is no longer a member of server {guild_id}"
                ) from None
            # create_dm: POST /users/@me/channels the first time; the client remembers the
            # channel, and then asks Discord nothing (so takes no slot of the pace).
            if member.dm_channel is None:
                await self.pace.wait()
            channel = await member.create_dm()
            await self.pace.wait()
            await channel.send(**render(reply).send_arguments())

    async def _guild(self, guild_id: int) -> discord.Guild:
        if self.verify_with_cache:
            return self._cached_guild(guild_id)
        guild = self._fetched_guilds.get(guild_id)
        if guild is None:
            await self.pace.wait()
            guild = await self.client.fetch_guild(guild_id, with_counts=False)
            self._fetched_guilds[guild_id] = guild
            if len(self._fetched_guilds) > GUILDS_REMEMBERED:
                self._fetched_guilds.popitem(last=False)
        else:
            self._fetched_guilds.move_to_end(guild_id)
        return guild


@contextmanager
def _translated_errors(doing: str) -> Iterator[None]:
    """discord.py's failures as the port's: gone for good, refused (worth trying again), or
    uncertain (the request may have been carried out: no answer, or a server error)."""
    try:
        yield
    except DeliveryError:
        raise
    except (discord.NotFound, discord.Forbidden) as error:
        raise DestinationGone(f"{doing}: {error}") from error
    except discord.HTTPException as error:
        if error.status == HTTPStatus.UNAUTHORIZED:
            raise CredentialsRefused(f"Discord refuses DISCORD_TOKEN ({doing}: {error})") from None
        if error.status >= HTTPStatus.INTERNAL_SERVER_ERROR:
            raise DeliveryUncertain(f"{doing}: {error}") from error
        raise DeliveryError(f"{doing}: {error}") from error
    except aiohttp.ClientConnectorError as error:  # the request never left
        raise DeliveryError(f"{doing}: {error}") from error
    except (aiohttp.ClientError, TimeoutError) as error:
        raise DeliveryUncertain(f"{doing}: {error or type(error).__name__}") from error
