"""Scheduled output (action alerts, tallies) posted into channels: the Slack `Notifier`.

A post uses the bot token of the workspace it is for (the one Socket Mode runs with, or the
installation stored for that workspace in HTTP mode), so it can only reach that workspace's
channels: Slack itself refuses another workspace's channel id to that token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from callbot.notify import DeliveryError, DestinationGone
from callbot.replies import Reply
from callbot_slack.render import render_message

#: Slack errors that retrying cannot fix: the alert should be disabled and organizers told.
GONE = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "message_not_found",
        "cant_update_message",
        "invalid_auth",
        "account_inactive",
        "token_revoked",
        "not_authed",
        "team_access_not_granted",
        "restricted_action",
        "ekm_access_denied",
    }
)

#: The web client for a workspace id, or None when callbot is not installed there.
ClientFor = Callable[[str], Awaitable[AsyncWebClient | None]]


def parse_message_ref(ref: str) -> tuple[str, str]:
    """`"channel_id/ts"` (what `post` returns) -> channel id and message ts."""
    channel, separator, ts = ref.partition("/")
    if not separator or not channel or not ts:
        raise ValueError(f"message ref {ref!r} is not channel_id/ts")
    return channel, ts


class SlackNotifier:
    """Posts replies into a workspace's channels and updates them (`callbot.notify.Notifier`).
    Channel posts are public: `Reply.private` does not apply."""

    platform = "slack"

    def __init__(self, client_for: ClientFor) -> None:
        self._client_for = client_for

    async def _client(self, community_id: str) -> AsyncWebClient:
        client = await self._client_for(community_id)
        if client is None:
            raise DestinationGone(f"callbot is not installed in Slack workspace {community_id}")
        return client

    async def post(self, community_id: str, channel_id: str, reply: Reply) -> str:
        """Post `reply` in the workspace's channel; returns the ref `"channel_id/ts"`."""
        client = await self._client(community_id)
        try:
            response = await client.chat_postMessage(
                channel=channel_id, unfurl_links=False, unfurl_media=False, **render_message(reply)
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            raise _translated(exc, f"posting in {channel_id}") from exc
        return f"{response['channel']}/{response['ts']}"

    async def edit(self, community_id: str, ref: str, reply: Reply) -> None:
        """Replace a posted message (a ref from `post`) with `reply`, e.g. updated counts."""
        channel_id, ts = parse_message_ref(ref)
        client = await self._client(community_id)
        try:
            await client.chat_update(channel=channel_id, ts=ts, **render_message(reply))
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            raise _translated(exc, f"updating a message in {channel_id}") from exc


def _translated(exc: Exception, doing: str) -> DeliveryError:
    """Slack's failure as the port's: gone for good, or worth trying again later."""
    if isinstance(exc, SlackApiError):
        error = str(exc.response.get("error") or "")
        if error in GONE:
            return DestinationGone(f"{doing}: {error}")
        return DeliveryError(f"{doing}: {error or exc.response.status_code}")
    return DeliveryError(f"{doing}: {exc}")
