"""Sending one scheduled post, claimed at the moment it goes out.

`send_claimed` hands the post to its platform's notifier with a `before_send` that claims it:
the claim (a new row under the post's unique key, or a row moved to `claimed`) is made only
once the notifier's turn under the platform's pace has come, just before the request. So a
crash leaves unconfirmed only the few posts whose requests were on the wire, never the queue
of posts waiting their turn; the platform's message id is recorded as soon as it answers.

A post the platform refused (a rate limit, an outage it answered) is tried again after a
while. One that may have gone out (no answer in time, a connection lost while waiting) is
sent again only where the platform makes that safe: with the same key, within the notifier's
`repeats_safe_for` (Discord deduplicates a message nonce for a few minutes); else it is
`unconfirmed`, for its organizer to decide. Every post carries a key derived from its
delivery's unique key, so a repeat by another process uses the same one.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import SQLAlchemyError

from callbot.core import Core
from callbot.db.models import AlertDelivery, Community, DeliveryStatus, TallyDelivery
from callbot.notify import (
    KEY_MAX,
    DeliveryError,
    DeliveryUncertain,
    DestinationGone,
    Notifier,
)
from callbot.replies import Reply

log = logging.getLogger(__name__)

#: Waits between attempts at a post that failed for a reason worth retrying.
RETRY_DELAYS = (2.0, 5.0, 15.0)
#: The longest one request to the platform may take once it is sent; after that it may or
#: may not have been made.
SEND_TIMEOUT = 10.0
#: A claim whose latest attempt began this long ago is no longer being sent by anyone.
SETTLE_AFTER = timedelta(seconds=SEND_TIMEOUT + 5.0)
#: Waits between tries at recording what the platform answered, through a database blip.
RECORD_DELAYS = (0.5, 1.0, 2.0, 4.0)
#: What a database that cannot be reached raises (TimeoutError is an OSError).
DATABASE_ERRORS = (SQLAlchemyError, OSError)

DeliveryModel = type[AlertDelivery] | type[TallyDelivery]


class NotClaimed(Exception):
    """The post was not claimed, so not sent. `outcome` says why in a word ("already
    claimed", "missed", "stepped down"); `delivery_id` is the row recorded instead, if any."""

    def __init__(self, outcome: str, delivery_id: int | None = None) -> None:
        super().__init__(outcome)
        self.outcome = outcome
        self.delivery_id = delivery_id


@dataclass
class Runtime:
    """What scheduled work needs: the core, a notifier per platform, and a way to wait
    (replaced in tests). `sending` holds the keys of the posts this process is sending now
    (never settled by it meanwhile); `active` turns False when its process stops leading,
    and nothing is claimed through it after that."""

    core: Core
    notifiers: Mapping[str, Notifier]
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)
    sending: set[str] = field(default_factory=set)
    active: bool = True

    def notifier(self, community: Community) -> Notifier | None:
        return self.notifiers.get(community.platform)


def post_key(*parts: object) -> str:
    """The key a post is sent with: the same in every process for the same delivery."""
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()[:KEY_MAX]


def alert_post_key(alert_id: int, occurrence: datetime, channel_id: str) -> str:
    return post_key("alert", alert_id, int(occurrence.timestamp()), channel_id)


def tally_post_key(community_id: int, campaign_id: int, occurrence: datetime) -> str:
    return post_key("tally", community_id, campaign_id, int(occurrence.timestamp()))


def repeat_is_safe(notifier: Notifier, first_sent: datetime | None, now: datetime) -> bool:
    """Whether a post first sent at `first_sent` (with its key) may be sent again at `now`
    without the risk of a second copy."""
    window = notifier.repeats_safe_for
    return first_sent is not None and window > timedelta(0) and now - first_sent < window


@dataclass(frozen=True)
class Outgoing:
    """One post to send: where, what, under which key, and the table its claim is kept in.
    `posted` holds what else to record once it is posted (an alert's counts shown)."""

    model: DeliveryModel
    community: Community
    channel_id: str
    reply: Reply
    key: str
    label: str  # names it in the log: "alert 12", "tally 3/4"
    posted: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Sent:
    """How a claimed post ended: its status (`CLAIMED` if it is left for the leader to
    settle), its row, the platform's message ref and the last error."""

    status: DeliveryStatus
    delivery_id: int
    ref: str | None = None
    error: str | None = None


#: Claims the post at `now`: returns its row id and when its key was first sent; raises
#: `NotClaimed` when it must not be sent.
Claim = Callable[[datetime], Awaitable[tuple[int, datetime]]]


async def send_claimed(
    runtime: Runtime, notifier: Notifier, outgoing: Outgoing, claim: Claim
) -> Sent:
    """Send `outgoing`, claimed by `claim` at the moment its request goes out; try again
    what is safe to try again; record the outcome. `NotClaimed` if it was not claimed."""
    core = runtime.core
    delivery_id: int | None = None
    first_sent: datetime | None = None
    started = asyncio.Event()

    async def before_send() -> None:
        nonlocal delivery_id, first_sent
        if not runtime.active:
            raise NotClaimed("stepped down")
        now = core.clock()
        if delivery_id is None:
            delivery_id, first_sent = await claim(now)
        else:
            await _mark_attempt(core, outgoing.model, delivery_id, now)
        started.set()

    status, ref, error = DeliveryStatus.FAILED, None, None
    runtime.sending.add(outgoing.key)
    try:
        for delay in (*RETRY_DELAYS, None):
            started.clear()
            try:
                ref = await _attempt(
                    notifier.post(
                        outgoing.community.external_id,
                        outgoing.channel_id,
                        outgoing.reply,
                        key=outgoing.key,
                        before_send=before_send,
                    ),
                    started,
                )
                status = DeliveryStatus.POSTED
                break
            except NotClaimed:
                if delivery_id is None:
                    raise
                status = DeliveryStatus.CLAIMED  # stepped down between tries: left to settle
                break
            except DestinationGone as exc:
                status, error = DeliveryStatus.GONE, str(exc)
                break
            except DeliveryError as exc:
                error = str(exc)
                if not isinstance(exc, DeliveryUncertain) or not started.is_set():
                    status = DeliveryStatus.FAILED  # refused, or never sent: not posted
                elif repeat_is_safe(notifier, first_sent, core.clock()):
                    status = DeliveryStatus.CLAIMED  # repeated below, or by the leader later
                else:
                    status = DeliveryStatus.UNCONFIRMED
                    break
            if delay is None:
                break
            log.warning("%s not posted (%s); trying again in %.0f s", outgoing.label, error, delay)
            await runtime.sleep(delay)
        if delivery_id is None:
            # Refused before any request went out (its channel gone, not connected yet):
            # claimed now, to record why.
            delivery_id, _ = await claim(core.clock())
        if status != DeliveryStatus.CLAIMED:
            await _record(runtime, outgoing, delivery_id, status, ref, error)
    finally:
        runtime.sending.discard(outgoing.key)
    return Sent(status, delivery_id, ref, error)


async def _attempt(post: Awaitable[str], started: asyncio.Event) -> str:
    """One call of `notifier.post`: as long as it waits for its turn, then at most
    `SEND_TIMEOUT` once its request is sent (`started`): no answer by then is uncertain."""
    task = asyncio.ensure_future(post)
    waiter = asyncio.ensure_future(started.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            return task.result()
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                return await task
        except TimeoutError as exc:
            raise DeliveryUncertain(f"no answer within {SEND_TIMEOUT:.0f} s") from exc
    finally:
        waiter.cancel()
        if not task.done():
            task.cancel()


async def _mark_attempt(core: Core, model: DeliveryModel, delivery_id: int, now: datetime) -> None:
    async with core.sessions.begin() as session:
        await session.execute(
            update(model)
            .where(model.id == delivery_id)
            .values(attempted_at=now, attempts=model.attempts + 1)
        )


async def _record(
    runtime: Runtime,
    outgoing: Outgoing,
    delivery_id: int,
    status: DeliveryStatus,
    ref: str | None,
    error: str | None,
) -> None:
    """What the platform answered, kept through a database blip (a post that went out must
    not stay unconfirmed for want of one write). Only a post overrides another outcome."""
    model = outgoing.model
    values: dict[str, Any] = {"status": status, "last_error": error}
    where = [model.id == delivery_id]
    if status == DeliveryStatus.POSTED:
        values |= {"message_ref": ref, "posted_at": runtime.core.clock(), **outgoing.posted}
    else:
        where.append(model.status == DeliveryStatus.CLAIMED)
    for delay in (*RECORD_DELAYS, None):
        try:
            async with runtime.core.sessions.begin() as session:
                await session.execute(update(model).where(*where).values(values))
            return
        except DATABASE_ERRORS as exc:
            if delay is None:
                raise
            log.warning("%s: could not record %s yet (%s)", outgoing.label, status, exc)
            await runtime.sleep(delay)
