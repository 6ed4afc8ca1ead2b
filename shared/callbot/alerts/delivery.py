"""Posting what is due, exactly once: action alerts, daily tallies, reminders, and the edits
that keep an alert's counts current.

A run of an alert judges every occurrence since the last one judged (or since the alert was
scheduled): the latest is posted if it is not too late (callbot.alerts.due), the others are
recorded as missed and reported to the alert's organizer, once, with a "Post it now" button.
Every post is claimed at the moment it is sent and its message id recorded when the
platform answers (callbot.alerts.sending), so a restart, a second scheduler or a repeated
job never posts twice; what a crash leaves unconfirmed the leader settles
(callbot.alerts.settle). A channel that is gone disables its alert, and its organizer is told.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from callbot.alerts.due import due_since, has_fired, too_late
from callbot.alerts.notices import (
    disabled_notice,
    failed_notice,
    missed_notice,
    unconfirmed_notice,
)
from callbot.alerts.posts import alert_post, counts_shown, scheduled_tally
from callbot.alerts.reminders import claim_reminders
from callbot.alerts.schedules import Schedule, from_stored
from callbot.alerts.sending import (
    Claim,
    DeliveryModel,
    NotClaimed,
    Outgoing,
    Runtime,
    Sent,
    alert_post_key,
    send_claimed,
    tally_post_key,
)
from callbot.alerts.service import audit
from callbot.db.models import (
    Alert,
    AlertDelivery,
    AlertStatus,
    Community,
    DeliveryStatus,
    TallyDelivery,
)
from callbot.notify import DeliveryError, DestinationGone
from callbot.replies import Reply
from callbot.services.common import insert_new_rows
from callbot.services.tallies import Tally, campaign_tally, tally_all_communities

log = logging.getLogger(__name__)

#: How long an alert post keeps its counts current.
LIVE_FOR = timedelta(days=7)
#: A tally is daily: a run looks this far back for the occurrence it stands for.
TALLY_LOOKBACK = timedelta(days=1)
SYSTEM = "callbot"  # who the audit log names for what the scheduler does by itself


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


def _scheduled(alert: Alert) -> datetime:
    """Since when the alert is scheduled (its creation for alerts scheduled before that was
    recorded)."""
    return alert.scheduled_at or alert.created_at


def _latest_judged(alert_id: Any) -> Select[Any]:
    """The latest occurrence of an alert that a delivery records."""
    return select(func.max(AlertDelivery.occurrence)).where(AlertDelivery.alert_id == alert_id)


def _delivery_row(
    alert: Alert, occurrence: datetime, status: str, now: datetime
) -> dict[str, object]:
    return {
        "community_id": alert.community_id,
        "alert_id": alert.id,
        "occurrence": occurrence,
        "channel_id": alert.channel_id,
        "status": status,
        "claimed_at": now,
        "attempted_at": now,
        "attempts": 0 if status == DeliveryStatus.MISSED else 1,
    }


async def _finish_once(session: AsyncSession, alert: Alert) -> None:
    """A one-time alert is done once its one occurrence is judged."""
    if from_stored(alert.schedule).kind == "once":
        await session.execute(
            update(Alert).where(Alert.id == alert.id).values(status=AlertStatus.FINISHED)
        )


async def run_alert(runtime: Runtime, alert_id: int, now: datetime) -> str:
    """Judge the alert's occurrences due by `now` that no delivery records yet: post the
    latest (claimed as it is sent) unless it is too late, record and report the others as
    missed. Returns what happened, in a word, for the log and the tests."""
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
        judged: datetime | None = await session.scalar(_latest_judged(alert.id))
        since = _scheduled(alert) if judged is None else max(_scheduled(alert), judged)
        due = due_since(from_stored(alert.schedule), ZoneInfo(alert.timezone), since, now)
        if not due:
            return "not due"
        *missed, latest = due
        post, shown = None, ""
        if too_late(latest, now):
            missed.append(latest)
        else:
            tally = await campaign_tally(session, community.id, entry.id)
            post = alert_post(entry, alert.message, tally, ZoneInfo(community.timezone))
            shown = counts_shown(tally)
    outcome = await report_missed(runtime, alert, community, missed, now) if missed else ""
    if post is None:
        return outcome
    return await _post_occurrence(runtime, alert, community, latest, post, shown)


async def report_missed(
    runtime: Runtime,
    alert: Alert,
    community: Community,
    occurrences: Sequence[datetime],
    now: datetime,
) -> str:
    """Record `occurrences` of the alert as missed and tell its organizer, once (the
    occurrences another run recorded already are not reported again)."""
    async with runtime.core.sessions.begin() as session:
        recorded = await insert_new_rows(
            session,
            AlertDelivery.__table__,  # type: ignore[arg-type]
            [_delivery_row(alert, due, DeliveryStatus.MISSED, now) for due in occurrences],
            AlertDelivery.id,
            AlertDelivery.occurrence,
        )
        if recorded:
            await _finish_once(session, alert)
    if not recorded:
        return "already claimed"
    ordered = sorted(recorded, key=lambda row: row[1])
    notice = missed_notice(alert, [row[1] for row in ordered], ordered[-1][0], now)
    await tell_organizer(runtime, community, alert.created_by, notice)
    return "missed"


#: The row of a new delivery, given its status and the time of the claim.
NewRow = Callable[[str, datetime], dict[str, object]]


def _claim_new(
    runtime: Runtime,
    model: DeliveryModel,
    occurrence: datetime,
    row: NewRow,
    then: Callable[[AsyncSession], Awaitable[None]] | None = None,
) -> Claim:
    """The claim of an occurrence no row records yet: its row, inserted at the moment of
    sending (and `then` done in the same transaction); recorded as missed instead if it
    became too late while it waited its turn: the one lateness rule, applied at the claim."""

    async def claim(now: datetime) -> tuple[int, datetime]:
        status = DeliveryStatus.MISSED if too_late(occurrence, now) else DeliveryStatus.CLAIMED
        async with runtime.core.sessions.begin() as session:
            inserted = await insert_new_rows(
                session,
                model.__table__,  # type: ignore[arg-type]
                [row(status, now)],
                model.id,
            )
            if not inserted:
                raise NotClaimed("already claimed")
            if then is not None:
                await then(session)
        if status == DeliveryStatus.MISSED:
            raise NotClaimed("missed", inserted[0][0])
        return inserted[0][0], now

    return claim


async def _post_occurrence(
    runtime: Runtime,
    alert: Alert,
    community: Community,
    occurrence: datetime,
    post: Reply,
    shown: str,
) -> str:
    notifier = runtime.notifier(community)
    assert notifier is not None
    outgoing = Outgoing(
        AlertDelivery,
        community,
        alert.channel_id,
        post,
        alert_post_key(alert.id, occurrence, alert.channel_id),
        f"alert {alert.id}",
        {"shown": shown},
    )
    try:
        sent = await send_claimed(
            runtime,
            notifier,
            outgoing,
            _claim_new(
                runtime,
                AlertDelivery,
                occurrence,
                lambda status, now: _delivery_row(alert, occurrence, status, now),
                lambda session: _finish_once(session, alert),
            ),
        )
    except NotClaimed as exc:
        if exc.outcome == "missed" and exc.delivery_id is not None:
            notice = missed_notice(alert, [occurrence], exc.delivery_id, runtime.core.clock())
            await tell_organizer(runtime, community, alert.created_by, notice)
        return exc.outcome
    return await settle_alert_outcome(runtime, alert, community, occurrence, sent)


async def settle_alert_outcome(
    runtime: Runtime, alert: Alert, community: Community, occurrence: datetime, sent: Sent
) -> str:
    """What follows an alert's post: a channel that is gone turns the alert off; a post that
    failed or may not have gone out is reported to its organizer, with Post it now."""
    core = runtime.core
    if sent.status == DeliveryStatus.GONE:
        async with core.sessions.begin() as session:
            await session.execute(
                update(Alert)
                .where(Alert.id == alert.id)
                .values(status=AlertStatus.DISABLED, disabled_reason=sent.error)
            )
            audit(
                session,
                community.id,
                SYSTEM,
                "alert.disable",
                f"alert {alert.id}",
                core.clock(),
                sent.error or "",
            )
        notice = disabled_notice(alert, sent.error)
    elif sent.status == DeliveryStatus.FAILED:
        notice = failed_notice(alert, occurrence, sent.error, sent.delivery_id)
    elif sent.status == DeliveryStatus.UNCONFIRMED:
        notice = unconfirmed_notice(alert, occurrence, sent.delivery_id)
    else:
        return str(sent.status)
    await tell_organizer(runtime, community, alert.created_by, notice)
    return str(sent.status)


def tally_schedule(community: Community) -> Schedule:
    """When the community's daily tally is posted (its tally time, in its time zone)."""
    return Schedule("daily", at=time.fromisoformat(community.tally_time))


def _tally_row(
    community: Community, campaign_id: int, occurrence: datetime, status: str, now: datetime
) -> dict[str, object]:
    return {
        "community_id": community.id,
        "campaign_id": campaign_id,
        "occurrence": occurrence,
        "channel_id": community.alert_channel_id,
        "status": status,
        "claimed_at": now,
        "attempted_at": now,
        "attempts": 0 if status == DeliveryStatus.MISSED else 1,
    }


async def run_tally(runtime: Runtime, community_id: int, campaign_id: int, now: datetime) -> str:
    """Post the community's daily tally of a campaign due by `now` into its alert channel,
    once, claimed as it is sent; a tally found too late is recorded as missed (and let go:
    the next day's carries the same counts, and organizers can post one with /tally)."""
    core = runtime.core
    async with core.sessions() as session:
        community = await session.get(Community, community_id)
        entry = core.campaigns.by_id(campaign_id)
        if community is None or entry is None or not entry.spec.is_open(now):
            return "inactive"
        if not community.alert_channel_id:
            return "no channel"
        notifier = runtime.notifier(community)
        if notifier is None:
            return "no notifier"
        zone = ZoneInfo(community.timezone)
        # Never a tally from before the community was there.
        since = max(now - TALLY_LOOKBACK, community.created_at)
        due = due_since(tally_schedule(community), zone, since, now)
        if not due:
            return "not due"
        occurrence = due[-1]
        judged = await session.scalar(
            select(TallyDelivery.id).where(
                TallyDelivery.community_id == community.id,
                TallyDelivery.campaign_id == campaign_id,
                TallyDelivery.occurrence == occurrence,
            )
        )
        if judged is not None:
            return "already claimed"
        post = (
            None
            if too_late(occurrence, now)
            else await scheduled_tally(session, community, entry, now)
        )
    if post is None:
        async with core.sessions.begin() as session:
            await insert_new_rows(
                session,
                TallyDelivery.__table__,  # type: ignore[arg-type]
                [_tally_row(community, campaign_id, occurrence, DeliveryStatus.MISSED, now)],
                TallyDelivery.id,
            )
        log.warning("tally %s/%s due %s: found too late", community_id, campaign_id, occurrence)
        return "missed"
    outgoing = Outgoing(
        TallyDelivery,
        community,
        community.alert_channel_id,
        post,
        tally_post_key(community.id, campaign_id, occurrence),
        f"tally {community_id}/{campaign_id}",
    )
    try:
        sent = await send_claimed(
            runtime,
            notifier,
            outgoing,
            _claim_new(
                runtime,
                TallyDelivery,
                occurrence,
                lambda status, now: _tally_row(community, campaign_id, occurrence, status, now),
            ),
        )
    except NotClaimed as exc:
        return exc.outcome
    if sent.status != DeliveryStatus.POSTED:
        log.warning("tally %s/%s: %s (%s)", community_id, campaign_id, sent.status, sent.error)
    return str(sent.status)


async def unjudged_alerts(runtime: Runtime, until: datetime) -> list[int]:
    """The active alerts (of the platforms this process posts on) with an occurrence due by
    `until` that no delivery records: a run that never came, or failed, while no scheduler
    led or the database was away. The leader's sweep judges them."""
    async with runtime.core.sessions() as session:
        rows = await session.execute(
            select(
                Alert.id,
                Alert.schedule,
                Alert.timezone,
                Alert.scheduled_at,
                Alert.created_at,
                _latest_judged(Alert.id).scalar_subquery(),
            )
            .join(Community, Community.id == Alert.community_id)
            .where(
                Alert.status == AlertStatus.ACTIVE, Community.platform.in_(set(runtime.notifiers))
            )
        )
        found = []
        for alert_id, schedule, zone, scheduled_at, created_at, judged in rows:
            since = scheduled_at or created_at
            if judged is not None:
                since = max(since, judged)
            if has_fired(from_stored(schedule), ZoneInfo(zone), since, until):
                found.append(int(alert_id))
    return found


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
                .where(
                    AlertDelivery.status == DeliveryStatus.POSTED,
                    AlertDelivery.posted_at >= now - LIVE_FOR,
                )
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
            status = DeliveryStatus.GONE  # deleted: nothing left to keep current
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
