"""The port for scheduled output: each platform's adapter posts replies into its channels.

Action alerts and tallies are posted by the scheduler, not in answer to a member, so they go
through a `Notifier` that the running adapter provides. A post names the community as well as
the channel: an adapter refuses a channel that does not belong to that community, so one
community's alert can never land in another's channel.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from callbot.replies import Reply


class DeliveryError(Exception):
    """A post or edit failed in a way worth trying again later (rate limit, outage, network)."""


class DestinationGone(DeliveryError):
    """The channel or message is gone, or the bot may no longer post there: retrying cannot
    help (the alert should be disabled and its organizers told). The message says why."""


@runtime_checkable
class Notifier(Protocol):
    """Posts into one platform's channels. Channel posts are public: `Reply.private` does not
    apply, and mentions are always off."""

    platform: str

    async def post(self, community_id: str, channel_id: str, reply: Reply) -> str:
        """Post `reply` in the community's channel; returns a message ref for `edit`."""

    async def edit(self, community_id: str, ref: str, reply: Reply) -> None:
        """Replace the message `ref` (from `post`) with `reply`, e.g. with updated counts."""

    async def direct(self, community_id: str, user_id: str, reply: Reply) -> None:
        """Tell one member privately (a reminder; an organizer's notice), in a direct message."""
