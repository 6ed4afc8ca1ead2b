"""What the scheduler posts: an action alert with live counts, and the daily tally."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from callbot.alerts.chart import calls_per_day_chart
from callbot.campaigns import CatalogEntry
from callbot.db.models import COMPLETED_OUTCOMES, CallOutcome, Community
from callbot.replies import Action, Fact, Reply, Style, component_id
from callbot.safety import clean_text, member_text, neutralize_mentions
from callbot.services.leaderboard import standings
from callbot.services.pledges import TOGGLE
from callbot.services.tallies import Tally, campaign_tally, goal_fact, tally_reply

CHART_DAYS = 14
TOP_CALLERS = 5
MESSAGE_MAX = 1000


def the_ask(entry: CatalogEntry) -> str:
    """Who the members are asked to call, in words."""
    targets = entry.spec.targets
    offices = []
    if targets.house:
        offices.append("your Representative")
    if targets.senate:
        offices.append("your two Senators")
    offices += [f"{custom.title} {custom.name}" for custom in targets.custom]
    who = " and ".join([", ".join(offices[:-1]), offices[-1]] if len(offices) > 1 else offices)
    return f"Call {who or 'the offices listed'} today: it takes two minutes, and we give you the script."


def organizer_text(message: str) -> str:
    """An organizer's own words for a post: Markdown kept, mentions broken, length capped."""
    kept = "\n".join(clean_text(line, MESSAGE_MAX) for line in message.splitlines())
    return neutralize_mentions(kept.strip())[:MESSAGE_MAX]


def counts_shown(tally: Tally) -> str:
    """What an alert post shows that can change; a post is edited only when this does."""
    return f"{tally.pledges}/{tally.callers}/{tally.completed}"


def alert_post(entry: CatalogEntry, message: str, tally: Tally, zone: ZoneInfo) -> Reply:
    """The public alert: the organizer's message, the campaign, the ask, the deadline, the
    counts so far, and the Call now and I'll call buttons (pressing I'll call again withdraws)."""
    spec = entry.spec
    parts = [organizer_text(message), neutralize_mentions(spec.summary), f"**{the_ask(entry)}**"]
    facts = []
    if spec.ends is not None:
        facts.append(Fact("Deadline", f"{spec.ends.astimezone(zone):%a %-d %b, %-I:%M %p %Z}"))
    facts += [
        Fact("Pledged to call", str(tally.pledges)),
        Fact("Members who called", str(tally.callers)),
        Fact("Completed calls", str(tally.completed)),
    ]
    if spec.goal:
        facts.append(goal_fact(spec.goal, tally))
    return Reply(
        text=f"Action alert: {spec.title}. {the_ask(entry)}",
        title=f"Action alert: {spec.title}",
        body="\n\n".join(part for part in parts if part),
        facts=tuple(facts),
        actions=(
            Action(component_id("call", spec.slug), "Call now", Style.PRIMARY),
            Action(component_id("pledge", spec.slug, TOGGLE), "I'll call"),
        ),
        footer="Pressing “I'll call” again withdraws your pledge. Scripts are sent privately.",
        private=False,
    )


async def calls_per_day(
    session: AsyncSession, community_id: int, campaign_id: int, zone: ZoneInfo, now: datetime
) -> list[tuple[datetime, int]]:
    """Completed calls per local day for the last `CHART_DAYS` days, oldest first. Counted by
    the database per hour, then hours gathered into the community's days."""
    start = (now.astimezone(zone) - timedelta(days=CHART_DAYS - 1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    if session.get_bind().dialect.name == "postgresql":
        hour = func.date_trunc("hour", CallOutcome.created_at)
    else:
        hour = func.strftime("%Y-%m-%d %H:00:00", CallOutcome.created_at)
    rows = await session.execute(
        select(hour, func.count())
        .where(
            CallOutcome.community_id == community_id,
            CallOutcome.campaign_id == campaign_id,
            CallOutcome.result.in_(COMPLETED_OUTCOMES),
            CallOutcome.created_at >= start.astimezone(UTC),
        )
        .group_by(hour)
    )
    per_day: Counter[object] = Counter()
    for started, count in rows:
        moment = started if isinstance(started, datetime) else datetime.fromisoformat(started)
        moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
        per_day[moment.astimezone(zone).date()] += int(count)
    days = [(start + timedelta(days=offset)) for offset in range(CHART_DAYS)]
    return [(day, per_day[day.date()]) for day in days]


async def scheduled_tally(
    session: AsyncSession, community: Community, entry: CatalogEntry, now: datetime
) -> Reply:
    """The daily tally: the counts, pledges not yet fulfilled, the top callers who show on
    the leaderboard, and a chart of completed calls per day."""
    zone = ZoneInfo(community.timezone)
    tally = await campaign_tally(session, community.id, entry.id)
    top, _ = await standings(session, community.id, entry.id, None, TOP_CALLERS)
    reply = tally_reply(entry, tally, community.name, private=False)
    leaders = "\n".join(
        f"{standing.rank}. {member_text(standing.name or 'A member')}: {standing.completed} "
        f"call{'s' if standing.completed != 1 else ''}"
        for standing in top
    )
    days = await calls_per_day(session, community.id, entry.id, zone, now)
    chart = calls_per_day_chart(
        [(day.date(), count) for day, count in days], f"Completed calls per day: {entry.spec.title}"
    )
    body = reply.body + (f"\n\n**Top callers**\n{leaders}" if leaders else "")
    return Reply(
        text=reply.text,
        title=reply.title,
        body=body,
        facts=reply.facts,
        actions=reply.actions,
        footer=f"Tally of {now.astimezone(zone):%a %-d %b, %-I:%M %p %Z}. Leaderboard shows only "
        "members who chose to be on it.",
        private=False,
        image=chart,
    )
