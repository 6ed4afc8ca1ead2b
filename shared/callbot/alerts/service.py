"""Organizers' alert commands: create (with a preview before saving), list, cancel, preview,
and post the tally now. Only organizers; every create and cancel goes to the audit log.

Alerts are rows; the scheduler turns the active ones into jobs (callbot.scheduling). A new
alert is a draft until its organizer has seen the preview and pressed "Schedule it".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from callbot.alerts.posts import alert_post, scheduled_tally
from callbot.alerts.schedules import Schedule, from_stored, parse_schedule
from callbot.core import Core
from callbot.db.models import (
    Alert,
    AlertDelivery,
    AlertStatus,
    AuditEvent,
    Community,
    DeliveryStatus,
)
from callbot.errors import UserError, problem
from callbot.numbers import whole_number
from callbot.replies import Action, Actor, Choice, Fact, Picker, Reply, Style, Tone, component_id
from callbot.safety import member_text
from callbot.services.calling import campaign_picker
from callbot.services.common import is_organizer, pick_campaign
from callbot.services.communities import NOT_ORGANIZER, organizer_community
from callbot.services.tallies import campaign_tally

NEXT_RUNS_SHOWN = 3
LISTED_MAX = 20
PICKED_MAX = 25  # the most options a picker holds (Discord's and Slack's limit)
AUDIT_SHOWN = 5
DRAFT_LIFETIME = timedelta(days=1)  # a preview never confirmed is forgotten after a day


def _channel_label(channel_id: str, label: str) -> str:
    return member_text(label, 80) if label else f"channel {member_text(channel_id, 64)}"


def _next_runs(schedule: Schedule, zone: ZoneInfo, now: datetime) -> str:
    runs = schedule.next_runs(zone, now, NEXT_RUNS_SHOWN)
    return ", ".join(f"{run:%a %-d %b %H:%M %Z}" for run in runs) or "none left"


def audit(
    session: AsyncSession,
    community_id: int,
    user_id: str,
    action: str,
    subject: str,
    at: datetime,
    detail: str = "",
) -> None:
    """Add an entry to the community's audit log: who did what, to what, when."""
    session.add(
        AuditEvent(
            community_id=community_id,
            user_id=user_id,
            action=action,
            subject=subject[:200],
            detail=detail,
            created_at=at,
        )
    )


async def draft_alert(
    core: Core,
    actor: Actor,
    *,
    campaign: str | None,
    channel_id: str,
    when: str,
    message: str = "",
    channel_label: str = "",
) -> Reply:
    """Check what an organizer asked for and show the alert as it will be posted, with the
    schedule and its next runs; "Schedule it" saves it. Nothing is scheduled yet."""
    now = core.clock()
    async with core.sessions.begin() as session:
        community = await organizer_community(session, core, actor)
        if isinstance(community, Reply):
            return community
        zone = ZoneInfo(community.timezone)
        try:
            entry = pick_campaign(core, community, campaign)
            if entry is None:
                raise UserError("Name the campaign the alert is for.")
            if not entry.spec.is_open(now):
                raise UserError(f"“{entry.spec.title}” is closed: alerts are for open campaigns.")
            if not channel_id.strip():
                raise UserError("Choose the channel the alert is posted in.")
            schedule = parse_schedule(when, zone, now)
        except UserError as exc:
            return problem(str(exc))
        await session.execute(
            delete(Alert).where(
                Alert.status == AlertStatus.DRAFT, Alert.created_at < now - DRAFT_LIFETIME
            )
        )
        alert = Alert(
            community_id=community.id,
            campaign_id=entry.id,
            channel_id=channel_id.strip()[:64],
            schedule=schedule.stored(),
            timezone=community.timezone,
            message=message,
            status=AlertStatus.DRAFT,
            created_by=actor.user_id,
            created_at=now,
        )
        session.add(alert)
        await session.flush()
        post = alert_post(
            entry, message, await campaign_tally(session, community.id, entry.id), zone
        )
    return Reply(
        text=f"Preview of the alert for “{entry.spec.title}”, {schedule.describe()}.",
        title=f"Preview: {post.title}",
        body=post.body,
        facts=(
            Fact("Posted in", _channel_label(channel_id, channel_label)),
            Fact("When", f"{schedule.describe()} ({community.timezone})"),
            Fact("Next posts", _next_runs(schedule, zone, now)),
            *post.facts,
        ),
        actions=(
            Action(component_id("alert", "confirm", str(alert.id)), "Schedule it", Style.SUCCESS),
            Action(component_id("alert", "discard", str(alert.id)), "Discard"),
        ),
        footer="Members will see Call now and I'll call buttons under the alert.",
    )


async def _active_alerts(session: AsyncSession, community: Community, limit: int) -> list[Alert]:
    return list(
        await session.scalars(
            select(Alert)
            .where(Alert.community_id == community.id, Alert.status == AlertStatus.ACTIVE)
            .order_by(Alert.id)
            .limit(limit)
        )
    )


ALERT_ID_MAX = 2**31 - 1  # the id column's range: a larger number names no alert


def _alert_label(core: Core, alert: Alert) -> str:
    entry = core.campaigns.by_id(alert.campaign_id)
    return f"#{alert.id} {entry.spec.title if entry else 'campaign gone'}"[:100]


async def _own_alert(
    session: AsyncSession, community: Community, alert_id: str, *statuses: AlertStatus
) -> Alert | None:
    number = whole_number(alert_id)
    if number is None or number > ALERT_ID_MAX:
        return None
    return await session.scalar(
        select(Alert).where(
            Alert.id == number,
            Alert.community_id == community.id,  # never another community's alert
            Alert.status.in_([status.value for status in statuses]),
        )
    )


async def confirm_alert(core: Core, actor: Actor, alert_id: str) -> Reply:
    """Schedule a previewed alert."""
    now = core.clock()
    async with core.sessions.begin() as session:
        community = await organizer_community(session, core, actor)
        if isinstance(community, Reply):
            return community
        alert = await _own_alert(session, community, alert_id, AlertStatus.DRAFT)
        if alert is None or alert.created_at < now - DRAFT_LIFETIME:
            return problem("That preview has expired or was already used. Create the alert again.")
        schedule = from_stored(alert.schedule)
        zone = ZoneInfo(alert.timezone)
        if not schedule.next_runs(zone, now, 1):
            return problem("Its time has passed since the preview. Create the alert again.")
        alert.status = AlertStatus.ACTIVE
        alert.scheduled_at = now
        entry = core.campaigns.by_id(alert.campaign_id)
        title = entry.spec.title if entry else "a campaign"
        audit(
            session,
            community.id,
            actor.user_id,
            "alert.create",
            f"alert {alert.id}: {title}",
            now,
            f"{schedule.describe()} in {alert.channel_id}",
        )
        return Reply(
            text=f"Scheduled: the alert for “{title}” is posted {schedule.describe()}.",
            title="Alert scheduled",
            facts=(Fact("Next posts", _next_runs(schedule, zone, now)),),
            actions=(
                Action(component_id("alert", "cancel", str(alert.id)), "Cancel it", Style.DANGER),
            ),
            tone=Tone.SUCCESS,
        )


async def discard_alert(core: Core, actor: Actor, alert_id: str) -> Reply:
    """Drop a preview without scheduling it."""
    async with core.sessions.begin() as session:
        community = await organizer_community(session, core, actor)
        if isinstance(community, Reply):
            return community
        alert = await _own_alert(session, community, alert_id, AlertStatus.DRAFT)
        if alert is not None:
            await session.delete(alert)
    return Reply(text="Discarded: nothing was scheduled.")


async def list_alerts(core: Core, actor: Actor) -> Reply:
    """The community's scheduled alerts with their next runs (in its time zone), a Cancel
    button each, and the latest entries of the audit log."""
    now = core.clock()
    async with core.sessions() as session:
        community = await organizer_community(session, core, actor)
        if isinstance(community, Reply):
            return community
        alerts = await _active_alerts(session, community, LISTED_MAX)
        events = list(
            await session.scalars(
                select(AuditEvent)
                .where(AuditEvent.community_id == community.id)
                .order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())
                .limit(AUDIT_SHOWN)
            )
        )
    zone = ZoneInfo(community.timezone)
    facts = []
    actions = []
    for alert in alerts:
        schedule = from_stored(alert.schedule)
        facts.append(
            Fact(
                _alert_label(core, alert),
                f"{schedule.describe()}; next: {_next_runs(schedule, ZoneInfo(alert.timezone), now)}",
            )
        )
        actions.append(
            Action(component_id("alert", "cancel", str(alert.id)), f"Cancel #{alert.id}")
        )
    log_lines = "\n".join(
        f"- {event.created_at.astimezone(zone):%a %-d %b %H:%M}: {event.action} by "
        f"{member_text(event.user_id, 64)}: {member_text(event.subject, 120)}"
        for event in events
    )
    body = "No alert is scheduled." if not alerts else f"{len(alerts)} alert(s) scheduled."
    if log_lines:
        body += f"\n\n**Recent changes**\n{log_lines}"
    return Reply(
        text=body.split("\n")[0],
        title="Scheduled alerts",
        body=body,
        facts=tuple(facts),
        actions=tuple(actions),
        footer=f"Times in {community.timezone}.",
    )


async def cancel_alert(core: Core, actor: Actor, alert_id: str | None = None) -> Reply:
    """Stop a scheduled alert ("12" or "#12", as lists show it); without an id, ask which."""
    now = core.clock()
    alert_id = alert_id.strip().removeprefix("#") if alert_id else None
    async with core.sessions.begin() as session:
        community = await organizer_community(session, core, actor)
        if isinstance(community, Reply):
            return community
        if alert_id is None:
            alerts = await _active_alerts(session, community, PICKED_MAX)
            if not alerts:
                return Reply(text="No alert is scheduled, so there is nothing to cancel.")
            choices = [
                Choice(
                    _alert_label(core, alert),
                    str(alert.id),
                    from_stored(alert.schedule).describe()[:100],
                )
                for alert in alerts
            ]
            return Reply(
                text="Which alert do you want to cancel?",
                picker=Picker(component_id("alert", "cancel"), "Choose an alert", tuple(choices)),
            )
        stopped = await _own_alert(session, community, alert_id, AlertStatus.ACTIVE)
        if stopped is None:
            return problem("That alert is not scheduled (it was cancelled, or has run).")
        stopped.status = AlertStatus.CANCELLED
        stopped.cancelled_at = now
        stopped.cancelled_by = actor.user_id
        audit(session, community.id, actor.user_id, "alert.cancel", f"alert {stopped.id}", now)
    return Reply(
        text=f"Cancelled alert #{alert_id}: it will not be posted again.", tone=Tone.SUCCESS
    )


async def preview_alert(core: Core, actor: Actor, campaign: str | None = None) -> Reply:
    """How an alert for the campaign looks right now, shown privately to the organizer."""
    async with core.sessions() as session:
        community = await organizer_community(session, core, actor)
        if isinstance(community, Reply):
            return community
        try:
            entry = pick_campaign(core, community, campaign)
        except UserError as exc:
            return problem(str(exc))
        if entry is None:
            return campaign_picker(
                core, component_id("alert", "preview"), "Preview the alert of which campaign?"
            )
        tally = await campaign_tally(session, community.id, entry.id)
    post = alert_post(entry, "", tally, ZoneInfo(community.timezone))
    return Reply(
        text=post.text,
        title=f"Preview: {post.title}",
        body=post.body,
        facts=post.facts,
        footer="This is how an alert looks to members (with its buttons). Create one with /alert create.",
    )


async def post_tally_now(core: Core, actor: Actor, campaign: str | None = None) -> Reply:
    """The campaign's tally, posted publicly in the channel by an organizer."""
    async with core.sessions.begin() as session:
        community = await organizer_community(session, core, actor)
        if isinstance(community, Reply):
            return community
        try:
            entry = pick_campaign(core, community, campaign)
        except UserError as exc:
            return problem(str(exc))
        if entry is None:
            return campaign_picker(
                core, component_id("tallynow"), "Post the tally of which campaign?"
            )
        audit(session, community.id, actor.user_id, "tally.post", entry.spec.title, core.clock())
        return await scheduled_tally(session, community, entry, core.clock())


#: The posts Post it now may post: they are known not to be in the channel, or may not be.
POSTABLE = (DeliveryStatus.MISSED, DeliveryStatus.FAILED, DeliveryStatus.UNCONFIRMED)
ALERT_GONE = "That alert is gone (it was deleted), so there is nothing to post."


async def post_it_now(core: Core, actor: Actor, delivery_id: str) -> Reply:
    """ "Post it now" on a notice about an alert's post that was missed, refused or may not
    have gone out: the scheduler posts that occurrence once, claimed as every post is, within
    a few seconds. Says so, or that it was posted meanwhile, or that its alert is gone.

    Who may: an organizer of the alert's community; in a direct message that names no
    community (Discord), the organizer the notice was sent to (the alert's creator)."""
    if not delivery_id.isdigit():
        return problem(ALERT_GONE)
    async with core.sessions.begin() as session:
        found = (
            await session.execute(
                select(AlertDelivery, Alert, Community)
                .join(Alert, Alert.id == AlertDelivery.alert_id)
                .join(Community, Community.id == AlertDelivery.community_id)
                .where(AlertDelivery.id == int(delivery_id), Community.platform == actor.platform)
            )
        ).first()
        if found is None:
            return problem(ALERT_GONE)
        delivery, alert, community = found
        if actor.in_direct_message:
            allowed = actor.user_id == alert.created_by
        elif actor.community_id != community.external_id:
            return problem(ALERT_GONE)  # never another community's alert
        else:
            allowed = is_organizer(community, actor)
        if not allowed:
            return problem(NOT_ORGANIZER)
        if alert.status in (AlertStatus.CANCELLED, AlertStatus.DISABLED):
            return problem(
                f"Alert #{alert.id} was {'cancelled' if alert.status == AlertStatus.CANCELLED else 'turned off'}"
                ", so it was not posted. Create it again with /alert create if it still matters."
            )
        entry = core.campaigns.by_id(alert.campaign_id)
        if entry is None or not entry.spec.is_open(core.clock()):
            return problem(f"The campaign of alert #{alert.id} is over, so it was not posted.")
        if delivery.status == DeliveryStatus.POSTED:
            return Reply(text=f"Alert #{alert.id} was posted already: nothing more was posted.")
        if delivery.status in (DeliveryStatus.CLAIMED, DeliveryStatus.REQUESTED):
            return Reply(text=f"Alert #{alert.id} is being posted now.")
        if delivery.status not in POSTABLE:  # gone: its channel closed to callbot
            return problem(
                f"Alert #{alert.id} cannot be posted: callbot may not post in its channel."
            )
        requested = await session.scalar(
            update(AlertDelivery)
            .where(AlertDelivery.id == delivery.id, AlertDelivery.status == delivery.status)
            .values(status=DeliveryStatus.REQUESTED)
            .returning(AlertDelivery.id)
        )
        if requested is None:  # another click was first
            return Reply(text=f"Alert #{alert.id} is being posted now.")
        audit(
            session,
            community.id,
            actor.user_id,
            "alert.postnow",
            f"alert {alert.id}",
            core.clock(),
            f"due {delivery.occurrence.isoformat()}",
        )
    return Reply(
        text=f"Alert #{alert.id} will be posted in its channel within a few seconds.",
        tone=Tone.SUCCESS,
    )
