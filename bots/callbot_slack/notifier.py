"""Scheduled output (action alerts, tallies) posted into channels: the Slack `Notifier`.

A post uses the bot token of the workspace it is for (the one Socket Mode runs with, or the
installation stored for that workspace in HTTP mode), so it can only reach that workspace's
channels: Slack itself refuses another workspace's channel id to that token.

A reply's picture (the tally's chart) is uploaded as a file in the thread of its post; if that
fails, the post stands and the failure is logged.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from callbot.notify import BeforeSend, DeliveryError, DeliveryUncertain, DestinationGone
from callbot.replies import Reply
from callbot_slack.images import upload_image
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
        "user_not_found",
        "user_disabled",
        "cannot_dm_bot",
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
    Channel posts are public: `Reply.private` does not apply. Slack deduplicates no post, so
    none is repeatable (`repeats_safe_for` is zero): a post that may have gone out is left to
    its organizer."""

    platform = "slack"
    repeats_safe_for = timedelta(0)

    def __init__(self, client_for: ClientFor) -> None:
        self._client_for = client_for

    async def _client(self, community_id: str) -> AsyncWebClient:
        try:
            client = await self._client_for(community_id)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:  # Socket Mode's auth.test
            raise _translated(exc, f"finding the bot of workspace {community_id}") from exc
        if client is None:
            raise DestinationGone(f"callbot is not installed in Slack workspace {community_id}")
        return client

    async def _post(self, client: AsyncWebClient, channel: str, reply: Reply, doing: str) -> str:
        """chat.postMessage, then the picture in the post's thread; the ref of the post."""
        try:
            response = await client.chat_postMessage(
                channel=channel,
                unfurl_links=False,
                unfurl_media=False,
                **render_message(reply, image_uploaded=reply.image is not None),
            )
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            raise _translated(exc, doing) from exc
        posted_in, ts = str(response["channel"]), str(response["ts"])
        if reply.image is not None:
            await upload_image(client, posted_in, reply.image, thread_ts=ts)
        return f"{posted_in}/{ts}"

    async def post(
        self,
        community_id: str,
        channel_id: str,
        reply: Reply,
        *,
        key: str | None = None,
        before_send: BeforeSend | None = None,
    ) -> str:
        """Post `reply` in the workspace's channel; returns the ref `"channel_id/ts"`. The
        `key` has no use here (Slack has no idempotency key for chat.postMessage)."""
        client = await self._client(community_id)
        if before_send is not None:
            await before_send()
        return await self._post(client, channel_id, reply, f"posting in {channel_id}")

    async def direct(self, community_id: str, user_id: str, reply: Reply) -> None:
        """Tell a member privately, in the app's Messages tab with them."""
        client = await self._client(community_id)
        await self._post(client, user_id, reply, f"messaging {user_id}")

    async def edit(self, community_id: str, ref: str, reply: Reply) -> None:
        """Replace a posted message (a ref from `post`) with `reply`, e.g. updated counts. A
        new picture is not uploaded again: its alt text says what it would show."""
        channel_id, ts = parse_message_ref(ref)
        client = await self._client(community_id)
        try:
            await client.chat_update(channel=channel_id, ts=ts, **render_message(reply))
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            raise _translated(exc, f"updating a message in {channel_id}") from exc


def _translated(exc: Exception, doing: str) -> DeliveryError:
    """Slack's failure as the port's: gone for good, refused (Slack answered with an error:
    nothing was posted; worth trying again later), or uncertain (no answer: it may have
    been posted)."""
    if isinstance(exc, SlackApiError):
        error = str(exc.response.get("error") or "")
        if error in GONE:
            return DestinationGone(f"{doing}: {error}")
        return DeliveryError(f"{doing}: {error or exc.response.status_code}")
    if isinstance(exc, aiohttp.ClientConnectorError):  # the request never left
        return DeliveryError(f"{doing}: {exc}")
    return DeliveryUncertain(f"{doing}: {exc or type(exc).__name__}")
