"""The port for scheduled output: each platform's adapter posts replies into its channels.

Action alerts and tallies are posted by the scheduler, not in answer to a member, so they go
through a `Notifier` that the running adapter provides. A post names the community as well as
the channel: an adapter refuses a channel that does not belong to that community, so one
community's alert can never land in another's channel.

A post is claimed in the database at the moment it is sent, not before it waits its turn:
`post` calls `before_send` when its request is about to go out (its slot under the
platform's pace granted), and a failure of `before_send` stops it unsent. A post sent with a
`key` may be repeated with the same key for `repeats_safe_for` after it was first sent: the
platform then answers with the first post instead of making a second one (Discord's message
nonce). Where the platform has no such thing (Slack), `repeats_safe_for` is zero and a post
that may have gone out is never sent again on the notifier's own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Protocol, runtime_checkable

from callbot.replies import Reply

#: The longest `key` a post may carry (Discord's limit for a message nonce).
KEY_MAX = 25

BeforeSend = Callable[[], Awaitable[None]]


class DeliveryError(Exception):
    """A post or edit failed and was not made (a rate limit, an outage the platform answered,
    a connection that never opened): worth trying again later."""


class DeliveryUncertain(DeliveryError):
    """The request may have reached the platform (a timeout, a connection lost while waiting
    for the answer): the post may have been made. Repeat it only with its key, within the
    notifier's `repeats_safe_for`."""


class DestinationGone(DeliveryError):
    """The channel or message is gone, or the bot may no longer post there: retrying cannot
    help (the alert should be disabled and its organizers told). The message says why."""


class CredentialsRefused(Exception):
    """The platform refuses the bot's credentials (a revoked token): nothing can be posted
    until an operator sets new ones. Not a `DeliveryError`: retrying cannot help."""


@runtime_checkable
class Notifier(Protocol):
    """Posts into one platform's channels. Channel posts are public: `Reply.private` does not
    apply, and mentions are always off."""

    platform: str
    #: How long after a keyed post was first sent a repeat with the same key returns it
    #: instead of posting again (zero: never; such a post is not repeated).
    repeats_safe_for: timedelta

    async def post(
        self,
        community_id: str,
        channel_id: str,
        reply: Reply,
        *,
        key: str | None = None,
        before_send: BeforeSend | None = None,
    ) -> str:
        """Post `reply` in the community's channel; returns a message ref for `edit`.
        `before_send` is awaited just before the request goes out; `key` (at most `KEY_MAX`
        characters) makes a repeat within `repeats_safe_for` return this same post."""

    async def edit(self, community_id: str, ref: str, reply: Reply) -> None:
        """Replace the message `ref` (from `post`) with `reply`, e.g. with updated counts."""

    async def direct(self, community_id: str, user_id: str, reply: Reply) -> None:
        """Tell one member privately (a reminder; an organizer's notice), in a direct message."""
