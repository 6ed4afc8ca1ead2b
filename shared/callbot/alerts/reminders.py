"""Pledge reminders: a member who pledged and has not called gets one private reminder, while
the offices they would call are open (9:00-17:00 on weekdays in the office's time zone; the
Washington offices of Congress on Eastern time), before the campaign ends.

A reminder is claimed in the database (`pledges.reminded_at`, set only where it is still
empty) before it is sent, so two schedulers never both send it; members can turn reminders
off with one click.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from callbot.campaigns import CatalogEntry
from callbot.core import Core
from callbot.db.models import Community, Member, Pledge
from callbot.replies import Action, Reply, Style, component_id
from callbot.services.tallies import pledge_fulfilled
from callbot.services.targets import wants_congress

OPEN, CLOSE = time(9), time(17)
EASTERN = ZoneInfo("America/New_York")
SETTLE = timedelta(hours=2)  # a member who pledged just now may be calling already
BATCH = 200

#: The time zone of each state's capital, where a state office (a governor's) answers.
STATE_ZONES = {
    "AL": "America/Chicago", "AK": "America/Anchorage", "AZ": "America/Phoenix",
    "AR": "America/Chicago", "CA": "America/Los_Angeles", "CO": "America/Denver",
    "CT": "America/New_York", "DE": "America/New_York", "DC": "America/New_York",
    "FL": "America/New_York", "GA": "America/New_York", "HI": "Pacific/Honolulu",
    "ID": "America/Boise", "IL": "America/Chicago", "IN": "America/Indiana/Indianapolis",
    "IA": "America/Chicago", "KS": "America/Chicago", "KY": "America/New_York",
    "LA": "America/Chicago", "ME": "America/New_York", "MD": "America/New_York",
    "MA": "America/New_York", "MI": "America/Detroit", "MN": "America/Chicago",
    "MS": "America/Chicago", "MO": "America/Chicago", "MT": "America/Denver",
    "NE": "America/Chicago", "NV": "America/Los_Angeles", "NH": "America/New_York",
    "NJ": "America/New_York", "NM": "America/Denver", "NY": "America/New_York",
    "NC": "America/New_York", "ND": "America/Chicago", "OH": "America/New_York",
    "OK": "America/Chicago", "OR": "America/Los_Angeles", "PA": "America/New_York",
    "RI": "America/New_York", "SC": "America/New_York", "SD": "America/Chicago",
    "TN": "America/Chicago", "TX": "America/Chicago", "UT": "America/Denver",
    "VT": "America/New_York", "VA": "America/New_York", "WA": "America/Los_Angeles",
    "WV": "America/New_York", "WI": "America/Chicago", "WY": "America/Denver",
    "PR": "America/Puerto_Rico", "GU": "Pacific/Guam", "VI": "America/St_Thomas",
    "AS": "Pacific/Pago_Pago", "MP": "Pacific/Saipan",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Reminder:
    """One private reminder to send: to whom, on which platform, saying what."""

    platform: str
    community_id: str  # the platform's id of the community
    user_id: str
    reply: Reply


def office_zone(entry: CatalogEntry) -> ZoneInfo:
    """Where the offices a campaign asks members to call keep their hours: Eastern for
    Congress (its Washington offices), else the first state office's state."""
    targets = entry.spec.targets
    if wants_congress(entry.spec):
        return EASTERN
    for custom in targets.custom:
        if custom.state:
            return ZoneInfo(STATE_ZONES.get(custom.state, "America/New_York"))
    return EASTERN


def offices_open(entry: CatalogEntry, now: datetime) -> bool:
    """Whether the campaign's offices answer now: weekdays, 9:00 to 17:00 their time."""
    local = now.astimezone(office_zone(entry))
    return local.weekday() < 5 and OPEN <= local.time() < CLOSE


def reminder_reply(entry: CatalogEntry, now: datetime) -> Reply:
    spec = entry.spec
    zone = office_zone(entry)
    closes = now.astimezone(zone).replace(hour=CLOSE.hour, minute=0)
    ends = f" The campaign ends {spec.ends.astimezone(zone):%a %-d %b}." if spec.ends else ""
    return Reply(
        text=f"Reminder: you pledged to call for “{spec.title}”. Offices are open now.",
        title="A reminder: you pledged to call",
        body=f"You pledged to call for **{spec.title}**. The offices are open now, until "
        f"{closes:%-I %p %Z}.{ends} It takes two minutes, and we give you the script.",
        actions=(
            Action(component_id("call", spec.slug), "Call now", Style.PRIMARY),
            Action(component_id("profile", "reminders-off"), "No more reminders"),
        ),
    )


async def claim_reminders(core: Core, now: datetime, limit: int = BATCH) -> list[Reminder]:
    """The reminders due now, each claimed (marked sent) before it is returned: a pledge of
    a member with reminders on, who has not completed a call for the campaign, pledged a
    while ago, not reminded yet, for an open campaign whose offices answer now."""
    entries = [entry for entry in core.campaigns.open_campaigns(now) if offices_open(entry, now)]
    called = pledge_fulfilled()
    reminders: list[Reminder] = []
    for entry in entries:
        due = (
            select(Pledge.id)
            .join(Member, Member.id == Pledge.member_id)
            .where(
                Pledge.campaign_id == entry.id,
                Pledge.reminded_at.is_(None),
                Pledge.created_at <= now - SETTLE,
                Member.reminders.is_(True),
                Member.erased_at.is_(None),
                ~called,
            )
            .limit(limit - len(reminders))
        )
        async with core.sessions.begin() as session:
            ids = list(await session.scalars(due))
            if not ids:
                continue
            # Only where still empty: a second scheduler claiming the same pledge gets none.
            claimed = list(
                await session.scalars(
                    update(Pledge)
                    .where(Pledge.id.in_(ids), Pledge.reminded_at.is_(None))
                    .values(reminded_at=now)
                    .returning(Pledge.id)
                )
            )
            rows = await session.execute(
                select(Community.platform, Community.external_id, Member.user_id)
                .select_from(Pledge)
                .join(Member, Member.id == Pledge.member_id)
                .join(Community, Community.id == Pledge.community_id)
                .where(Pledge.id.in_(claimed))
            )
            reply = reminder_reply(entry, now)
            reminders += [Reminder(p, c, u, reply) for p, c, u in rows]
        if len(reminders) >= limit:
            break
    return reminders
