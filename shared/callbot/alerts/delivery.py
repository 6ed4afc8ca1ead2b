"""Posting what is due, exactly once: alerts, daily tallies, reminders, and the edits that
keep an alert's counts current.

Every post is claimed first: a row under a unique key (alert, occurrence, channel; or
community, campaign, occurrence) is inserted before anything is sent, and only the process
whose insert went in posts. A restart, a second scheduler or a repeated job therefore never
posts twice. A claim whose post fails stays claimed (with the error): at most once, never
twice. Rate limits and outages are retried with backoff; a channel that is gone disables its
alert, and the organizer who made it is told, as for an alert missed while callbot was down.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from callbot.alerts.posts import alert_post, counts_shown, scheduled_tally
from callbot.alerts.reminders import claim_reminders
from callbot.alerts.schedules import Schedule, from_stored
from callbot.alerts.service import audit
from callbot.core import Core
from callbot.db.models import (
    Alert,
    AlertDelivery,
    AlertStatus,
    Community,
    TallyDelivery,
)
from callbot.notify import DeliveryError, DestinationGone, Notifier
from callbot.replies import Reply, Tone
from callbot.services.common import insert_ignoring_conflicts
from callbot.services.tallies import Tally, campaign_tally, tally_all_communities

log = logging.getLogger(__name__)

#: Waits between attempts at a post that failed for a reason worth retrying.
RETRY_DELAYS = (2.0, 5.0, 15.0)
#: How long an alert post keeps its counts current.
LIVE_FOR = timedelta(days=7)
SYSTEM = "callbot"  # who the audit log names for what the scheduler does by itself


@dataclass
class Runtime:
    """What scheduled work needs: the core, a notifier per platform, and a way to wait
    (replaced in tests)."""

    core: Core
    notifiers: Mapping[str, Notifier]
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep)

    def notifier(self, community: Community) -> Notifier | None:
        return self.notifiers.get(community.platform)


async def _with_retries(runtime: Runtime, what: str, send: Callable[[], Awaitable[str]]) -> str:
    """`send()`, again after each delay while it fails in a way worth retrying."""
    for delay in (*RETRY_DELAYS, None):
        try:
            return await send()
        except DestinationGone:
            raise
        except DeliveryError as exc:
            if delay is None:
                raise
            log.warning("%s failed (%s); retrying in %.0f s", what, exc, delay)
            await runtime.sleep(delay)
    raise AssertionError("unreachable")


async def tell_organizer(
    runtime: Runtime, community: Community, user_id: str, reply: Reply
) -> None:
    """A private notice to an organizer; a failure is only logged (there is no one else)."""
    notifier = runtime.notifier(community)
    if notifier is None:
        return
    try:
        await notifier.direct(community.external_id, user_id, reply)
    except DeliveryError as exc:
        log.warning("could not tell organizer %s of community %s: %s", user_id, community.id, exc)
    except Exception:
        log.exception("could not tell organizer %s of community %s", user_id, community.id)


async def _load(session: AsyncSession, alert_id: int) -> tuple[Alert, Community] | None:
    row = (
        await session.execute(
            select(Alert, Community)
            .join(Community, Community.id == Alert.community_id)
            .where(Alert.id == alert_id)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def _claim(
    session: AsyncSession, alert: Alert, occurrence: datetime, status: str, now: datetime
) -> bool:
    """Claim the alert's occurrence in its channel; False when it was claimed already."""
    return await insert_ignoring_conflicts(
        session,
        AlertDelivery.__table__,  # type: ignore[arg-type]
        {
            "community_id": alert.community_id,
            "alert_id": alert.id,
            "occurrence": occurrence,
            "channel_id": alert.channel_id,
            "status": status,
            "claimed_at": now,
            "attempts": 0,
        },
    )


async def run_alert(runtime: Runtime, alert_id: int, now: datetime, window: timedelta) -> str:
    """Post the alert's occurrence due at or a little before `now` (within `window`), once.
    Returns what happened, in a word, for the log and the tests."""
    core = runtime.core
    async with core.sessions.begin() as session:
        found = await _load(session, alert_id)
        if found is None or found[0].status != AlertStatus.ACTIVE:
            return "inactive"
        alert, community = found
        entry = core.campaigns.by_id(alert.campaign_id)
        if entry is None or not entry.spec.is_open(now):
            alert.status = AlertStatus.FINISHED  # its campaign is over
            return "campaign closed"
        notifier = runtime.notifier(community)
        if notifier is None:
            log.warning("no %s notifier here for alert %s", community.platform, alert_id)
            return "no notifier"
        schedule = from_stored(alert.schedule)
        zone = ZoneInfo(alert.timezone)
        occurrence = schedule.occurrence(zone, now, window)
        if occurrence is None:
            return "not due"
        claimed = await _claim(session, alert, occurrence, "claimed", now)
        if not claimed:
            return "already claimed"
        tally = await campaign_tally(session, community.id, entry.id)
        post = alert_post(entry, alert.message, tally, ZoneInfo(community.timezone))
        if schedule.kind == "once":
            alert.status = AlertStatus.FINISHED
    # The claim is committed before anything is sent.
    return await _post_claimed_alert(
        runtime, notifier, alert, community, occurrence, post, counts_shown(tally)
    )


async def _post_claimed_alert(
    runtime: Runtime,
    notifier: Notifier,
    alert: Alert,
    community: Community,
    occurrence: datetime,
    post: Reply,
    shown: str,
) -> str:
    attempts = 0

    async def send() -> str:
        nonlocal attempts
        attempts += 1
        return await notifier.post(community.external_id, alert.channel_id, post)

    status, ref, error = "posted", None, None
    try:
        ref = await _with_retries(runtime, f"alert {alert.id}", send)
    except DestinationGone as exc:
        status, error = "gone", str(exc)
    except DeliveryError as exc:
        status, error = "failed", str(exc)
    core = runtime.core
    async with core.sessions.begin() as session:
        outcome: dict[str, object] = {"status": status, "attempts": attempts, "last_error": error}
        if ref is not None:
            outcome |= {"message_ref": ref, "posted_at": core.clock(), "shown": shown}
        await session.execute(
            update(AlertDelivery)
            .where(
                AlertDelivery.alert_id == alert.id,
                AlertDelivery.occurrence == occurrence,
                AlertDelivery.channel_id == alert.channel_id,
            )
            .values(outcome)
        )
        if status == "gone":
            stored = await session.get(Alert, alert.id)
            assert stored is not None
            stored.status, stored.disabled_reason = AlertStatus.DISABLED, error
            audit(
                session,
                community.id,
                SYSTEM,
                "alert.disable",
                f"alert {alert.id}",
                core.clock(),
                error or "",
            )
    if status == "gone":
        await tell_organizer(runtime, community, alert.created_by, _disabled_notice(alert, error))
    elif status == "failed":
        await tell_organizer(
            runtime, community, alert.created_by, _failed_notice(alert, occurrence, error)
        )
    return status


def _disabled_notice(alert: Alert, reason: str | None) -> Reply:
    return Reply(
        text=f"Alert #{alert.id} is turned off: callbot can no longer post in its channel.",
        title="An alert was turned off",
        body=f"Alert #{alert.id} could not be posted: its channel is gone, or callbot may no "
        f"longer post there ({reason}). It is turned off; create it again in another channel "
        "with /alert create.",
        tone=Tone.WARNING,
    )


def _failed_notice(alert: Alert, occurrence: datetime, reason: str | None) -> Reply:
    zone = ZoneInfo(alert.timezone)
    after = (
        "It was to be posted this once: create it again with /alert create if it still matters."
        if from_stored(alert.schedule).kind == "once"
        else "It stays scheduled for its next time."
    )
    return Reply(
        text=f"Alert #{alert.id} due {occurrence.astimezone(zone):%H:%M} could not be posted.",
        title="An alert could not be posted",
        body=f"Alert #{alert.id}, due {occurrence.astimezone(zone):%a %-d %b %H:%M %Z}, could "
        f"not be posted after several tries ({reason}). {after}",
        tone=Tone.WARNING,
    )


async def report_missed(runtime: Runtime, alert_id: int, due: datetime, now: datetime) -> str:
    """An occurrence found past its grace time (callbot was down): claimed as missed, so that
    nothing posts it late, and its organizer is told."""
    core = runtime.core
    async with core.sessions.begin() as session:
        found = await _load(session, alert_id)
        if found is None or found[0].status != AlertStatus.ACTIVE:
            return "inactive"
        alert, community = found
        claimed = await _claim(session, alert, due, "missed", now)
        schedule = from_stored(alert.schedule)
        if schedule.kind == "once":
            alert.status = AlertStatus.FINISHED  # its one time is gone
    if not claimed:
        return "already claimed"
    zone = ZoneInfo(alert.timezone)
    upcoming = schedule.next_runs(zone, now, 1)
    then = f" It runs again {upcoming[0]:%a %-d %b %H:%M %Z}." if upcoming else ""
    await tell_organizer(
        runtime,
        community,
        alert.created_by,
        Reply(
            text=f"Alert #{alert.id} due {due.astimezone(zone):%H:%M} was not posted: callbot "
            "was offline.",
            title="An alert was missed",
            body=f"Alert #{alert.id}, due {due.astimezone(zone):%a %-d %b %H:%M %Z}, was not "
            f"posted: callbot was offline then, and a late alert would confuse members.{then}",
            tone=Tone.WARNING,
        ),
    )
    return "missed"


def tally_schedule(community: Community) -> Schedule:
    """When the community's daily tally is posted (its tally time, in its time zone)."""
    return Schedule("daily", at=time.fromisoformat(community.tally_time))


async def run_tally(
    runtime: Runtime, community_id: int, campaign_id: int, now: datetime, window: timedelta
) -> str:
    """Post the community's daily tally of a campaign due at or a little before `now`
    (within `window`) into its alert channel, once."""
    core = runtime.core
    async with core.sessions.begin() as session:
        community = await session.get(Community, community_id)
        entry = core.campaigns.by_id(campaign_id)
        if community is None or entry is None or not entry.spec.is_open(now):
            return "inactive"
        due = tally_schedule(community).occurrence(ZoneInfo(community.timezone), now, window)
        if due is None:
            return "not due"
        if not community.alert_channel_id:
            return "no channel"
        notifier = runtime.notifier(community)
        if notifier is None:
            return "no notifier"
        channel = community.alert_channel_id
        claimed = await insert_ignoring_conflicts(
            session,
            TallyDelivery.__table__,  # type: ignore[arg-type]
            {
                "community_id": community.id,
                "campaign_id": entry.id,
                "occurrence": due,
                "channel_id": channel,
                "status": "claimed",
                "claimed_at": now,
            },
        )
        if not claimed:
            return "already claimed"
        post = await scheduled_tally(session, community, entry, now)
    status, ref = "posted", None
    try:
        ref = await _with_retries(
            runtime,
            f"tally {community_id}/{campaign_id}",
            lambda: notifier.post(community.external_id, channel, post),
        )
    except DeliveryError as exc:  # gone or failed: the tally simply does not run today
        status = "gone" if isinstance(exc, DestinationGone) else "failed"
        log.warning("tally %s/%s not posted: %s", community_id, campaign_id, exc)
    async with core.sessions.begin() as session:
        await session.execute(
            update(TallyDelivery)
            .where(
                TallyDelivery.community_id == community_id,
                TallyDelivery.campaign_id == campaign_id,
                TallyDelivery.occurrence == due,
            )
            .values(status=status, message_ref=ref, posted_at=core.clock() if ref else None)
        )
    return status


async def refresh_alert_posts(runtime: Runtime, now: datetime) -> int:
    """Edit the alert posts of the last days whose counts changed; returns how many. Run
    every few seconds, it turns a burst of clicks into one edit per post."""
    core = runtime.core
    async with core.sessions() as session:
        rows = (
            await session.execute(
                select(AlertDelivery, Alert, Community)
                .join(Alert, Alert.id == AlertDelivery.alert_id)
                .join(Community, Community.id == AlertDelivery.community_id)
                .where(AlertDelivery.status == "posted", AlertDelivery.posted_at >= now - LIVE_FOR)
            )
        ).all()
        # Two grouped queries per campaign, however many communities posted it.
        tallies = {
            campaign_id: await tally_all_communities(session, campaign_id)
            for campaign_id in {alert.campaign_id for _, alert, _ in rows}
        }
    edited = 0
    refreshed: list[dict[str, object]] = []
    for delivery, alert, community in rows:
        entry = core.campaigns.by_id(alert.campaign_id)
        notifier = runtime.notifier(community)
        tally = tallies[alert.campaign_id].get(community.id, Tally())
        shown = counts_shown(tally)
        if entry is None or notifier is None or shown == delivery.shown or not delivery.message_ref:
            continue
        post = alert_post(entry, alert.message, tally, ZoneInfo(community.timezone))
        status = delivery.status
        try:
            await notifier.edit(community.external_id, delivery.message_ref, post)
            edited += 1
        except DestinationGone:
            status = "gone"  # deleted: nothing left to keep current
        except DeliveryError as exc:
            log.info("alert post %s not refreshed this time: %s", delivery.id, exc)
            continue
        refreshed.append({"id": delivery.id, "shown": shown, "status": status})
    if refreshed:  # one transaction for the pass, by primary key
        async with core.sessions.begin() as session:
            await session.execute(update(AlertDelivery), refreshed)
    return edited


async def send_reminders(runtime: Runtime, now: datetime) -> int:
    """Send the reminders due now (each claimed before it is sent); returns how many went."""
    sent = 0
    for reminder in await claim_reminders(runtime.core, now):
        notifier = runtime.notifiers.get(reminder.platform)
        if notifier is None:
            continue
        try:
            await notifier.direct(reminder.community_id, reminder.user_id, reminder.reply)
            sent += 1
        except DeliveryError as exc:  # one reminder only: a closed DM is not retried
            log.info("reminder to %s not delivered: %s", reminder.user_id, exc)
    return sent
