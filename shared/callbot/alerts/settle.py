"""Settling scheduled posts: the claims a crash or a lost answer left unconfirmed, and the
posts organizers asked for with "Post it now".

The leader settles when it starts leading and every few seconds. A claim still `claimed`
that this process is not sending is one nobody else will confirm:

- where the platform makes a repeat safe (Discord, within the window of the post's nonce), it
  is sent again with the same key at once: the platform answers with the post if it went
  out, or makes it now, and the message id is recorded either way: posted exactly once;
- otherwise, once no process can still be sending it (`SETTLE_AFTER` after its latest
  attempt), an alert's post is marked unconfirmed and its organizer told, with Post it now;
  a tally is let go: a second tally in the channel would be worse than a missing one, the
  next day's carries the same counts, and organizers can post one any time with /tally.

A post an organizer asked for is claimed as every post is, at the moment it is sent.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from callbot.alerts.delivery import settle_alert_outcome, tell_organizer
from callbot.alerts.notices import unconfirmed_notice
from callbot.alerts.posts import alert_post, scheduled_tally
from callbot.alerts.sending import (
    SETTLE_AFTER,
    Claim,
    DeliveryModel,
    NotClaimed,
    Outgoing,
    Runtime,
    alert_post_key,
    repeat_is_safe,
    send_claimed,
    tally_post_key,
)
from callbot.db.models import Alert, AlertDelivery, Community, DeliveryStatus, TallyDelivery
from callbot.replies import Reply
from callbot.services.tallies import campaign_tally

log = logging.getLogger(__name__)


async def settle(runtime: Runtime, now: datetime) -> int:
    """Settle every claim left unconfirmed and send the posts organizers asked for; returns
    how many posts were settled."""
    return (
        await _settle_alert_claims(runtime, now)
        + await _settle_tally_claims(runtime, now)
        + await _post_requested(runtime)
    )


def _moving(
    runtime: Runtime,
    model: DeliveryModel,
    delivery_id: int,
    expected: DeliveryStatus,
    first_sent: datetime | None,
) -> Claim:
    """The claim of a row that exists: it moves from `expected` to `claimed` (only if nobody
    moved it meanwhile). The repeat window runs from `first_sent`, or from now."""

    async def claim(now: datetime) -> tuple[int, datetime]:
        values: dict[str, object] = {
            "status": DeliveryStatus.CLAIMED,
            "attempted_at": now,
            "attempts": model.attempts + 1,
        }
        if first_sent is None:
            values["claimed_at"] = now
        async with runtime.core.sessions.begin() as session:
            moved = await session.scalar(
                update(model)
                .where(model.id == delivery_id, model.status == expected)
                .values(values)
                .returning(model.id)
            )
        if moved is None:
            raise NotClaimed("already claimed")
        return delivery_id, first_sent or now

    return claim


def _abandoned(last_attempt: datetime, now: datetime) -> bool:
    """Whether no process can still be sending a claim whose latest attempt began then."""
    return now - last_attempt >= SETTLE_AFTER


async def _mark_unconfirmed(runtime: Runtime, model: DeliveryModel, delivery_id: int) -> bool:
    """`claimed` -> `unconfirmed`; False if another process settled it first."""
    async with runtime.core.sessions.begin() as session:
        moved = await session.scalar(
            update(model)
            .where(model.id == delivery_id, model.status == DeliveryStatus.CLAIMED)
            .values(status=DeliveryStatus.UNCONFIRMED, last_error="not confirmed by the platform")
            .returning(model.id)
        )
    return moved is not None


async def _alert_reply(runtime: Runtime, alert: Alert, community: Community) -> Reply | None:
    """The alert's post as it would be posted now (None when its campaign is gone)."""
    entry = runtime.core.campaigns.by_id(alert.campaign_id)
    if entry is None:
        return None
    async with runtime.core.sessions() as session:
        tally = await campaign_tally(session, community.id, entry.id)
    return alert_post(entry, alert.message, tally, ZoneInfo(community.timezone))


async def _alert_rows(
    runtime: Runtime, status: DeliveryStatus
) -> list[tuple[AlertDelivery, Alert, Community]]:
    async with runtime.core.sessions() as session:
        rows = await session.execute(
            select(AlertDelivery, Alert, Community)
            .join(Alert, Alert.id == AlertDelivery.alert_id)
            .join(Community, Community.id == AlertDelivery.community_id)
            .where(AlertDelivery.status == status)
            .order_by(AlertDelivery.id)
        )
        return [(delivery, alert, community) for delivery, alert, community in rows]


async def _resend_alert(
    runtime: Runtime,
    delivery: AlertDelivery,
    alert: Alert,
    community: Community,
    claim: Claim,
) -> str | None:
    """Send an alert's post for an existing delivery row; its outcome (None if it was not
    claimed, or cannot be built any more)."""
    notifier = runtime.notifier(community)
    post = await _alert_reply(runtime, alert, community)
    if notifier is None or post is None:
        return None
    # A repeat may be answered with the first post, showing older counts: refreshed next.
    outgoing = Outgoing(
        AlertDelivery,
        community,
        delivery.channel_id,
        post,
        alert_post_key(alert.id, delivery.occurrence, delivery.channel_id),
        f"alert {alert.id}",
        {"shown": None},
    )
    try:
        sent = await send_claimed(runtime, notifier, outgoing, claim)
    except NotClaimed:
        return None
    return await settle_alert_outcome(runtime, alert, community, delivery.occurrence, sent)


async def _settle_alert_claims(runtime: Runtime, now: datetime) -> int:
    settled = 0
    for delivery, alert, community in await _alert_rows(runtime, DeliveryStatus.CLAIMED):
        key = alert_post_key(alert.id, delivery.occurrence, delivery.channel_id)
        notifier = runtime.notifier(community)
        if key in runtime.sending or notifier is None:
            continue  # being sent by this process, or by one that posts on that platform
        if repeat_is_safe(notifier, delivery.claimed_at, now):
            claim = _moving(
                runtime, AlertDelivery, delivery.id, DeliveryStatus.CLAIMED, delivery.claimed_at
            )
            outcome = await _resend_alert(runtime, delivery, alert, community, claim)
            if outcome is None:
                continue
            log.info(
                "alert %s due %s: sent again with its key: %s",
                alert.id,
                delivery.occurrence,
                outcome,
            )
        elif _abandoned(delivery.attempted_at or delivery.claimed_at, now):
            if not await _mark_unconfirmed(runtime, AlertDelivery, delivery.id):
                continue
            log.warning(
                "alert %s due %s: unconfirmed, and not safe to send again; its organizer is told",
                alert.id,
                delivery.occurrence.isoformat(),
            )
            notice = unconfirmed_notice(alert, delivery.occurrence, delivery.id)
            await tell_organizer(runtime, community, alert.created_by, notice)
        else:
            continue
        settled += 1
    return settled


async def _settle_tally_claims(runtime: Runtime, now: datetime) -> int:
    async with runtime.core.sessions() as session:
        rows = [
            (delivery, community)
            for delivery, community in await session.execute(
                select(TallyDelivery, Community)
                .join(Community, Community.id == TallyDelivery.community_id)
                .where(TallyDelivery.status == DeliveryStatus.CLAIMED)
                .order_by(TallyDelivery.id)
            )
        ]
    settled = 0
    for delivery, community in rows:
        key = tally_post_key(community.id, delivery.campaign_id, delivery.occurrence)
        notifier = runtime.notifier(community)
        entry = runtime.core.campaigns.by_id(delivery.campaign_id)
        if key in runtime.sending or notifier is None:
            continue
        label = f"tally {community.id}/{delivery.campaign_id}"
        if entry is not None and repeat_is_safe(notifier, delivery.claimed_at, now):
            async with runtime.core.sessions() as session:
                post = await scheduled_tally(session, community, entry, delivery.occurrence)
            outgoing = Outgoing(TallyDelivery, community, delivery.channel_id, post, key, label)
            claim = _moving(
                runtime, TallyDelivery, delivery.id, DeliveryStatus.CLAIMED, delivery.claimed_at
            )
            try:
                sent = await send_claimed(runtime, notifier, outgoing, claim)
            except NotClaimed:
                continue
            log.info(
                "%s due %s: sent again with its key: %s", label, delivery.occurrence, sent.status
            )
        elif _abandoned(delivery.attempted_at or delivery.claimed_at, now):
            if not await _mark_unconfirmed(runtime, TallyDelivery, delivery.id):
                continue
            log.warning("%s due %s: unconfirmed, let go", label, delivery.occurrence.isoformat())
        else:
            continue
        settled += 1
    return settled


async def _post_requested(runtime: Runtime) -> int:
    """The posts organizers asked for with Post it now, each claimed as it is sent."""
    posted = 0
    for delivery, alert, community in await _alert_rows(runtime, DeliveryStatus.REQUESTED):
        claim = _moving(runtime, AlertDelivery, delivery.id, DeliveryStatus.REQUESTED, None)
        outcome = await _resend_alert(runtime, delivery, alert, community, claim)
        if outcome is not None:
            log.info(
                "alert %s due %s: posted on request: %s", alert.id, delivery.occurrence, outcome
            )
            posted += 1
    return posted
