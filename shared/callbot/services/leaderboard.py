"""The leaderboard: members ranked by completed calls (talked to staff + voicemail).

Members who opted out are left out and do not take up a rank; ties share a rank (1, 1, 3).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from callbot.core import Core
from callbot.db.models import COMPLETED_OUTCOMES, CallOutcome, Member
from callbot.errors import UserError, problem
from callbot.replies import Action, Actor, Fact, Reply, component_id
from callbot.safety import member_text
from callbot.services.common import community_zone, ensure_community, find_member

PERIODS = {"week": "this week", "month": "this month", "all": "all time"}
DEFAULT_SIZE = 10


@dataclass(frozen=True, slots=True)
class Standing:
    rank: int
    member_id: int
    name: str
    completed: int


def period_start(period: str, now: datetime, zone: ZoneInfo) -> datetime | None:
    """The start of the calendar week (Monday) or month in the community's time zone."""
    local = now.astimezone(zone)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        return midnight - timedelta(days=local.weekday())
    if period == "month":
        return midnight.replace(day=1)
    return None


def parse_period(text: str | None) -> str:
    period = (text or "all").strip().lower()
    aliases = {
        "weekly": "week",
        "monthly": "month",
        "all-time": "all",
        "alltime": "all",
        "ever": "all",
    }
    period = aliases.get(period, period)
    if period not in PERIODS:
        raise UserError("The period can be week, month or all.")
    return period


def _ranked(
    community_id: int, campaign_id: int | None, since: datetime | None
) -> Select[tuple[int, str | None, int, int]]:
    counts = select(CallOutcome.member_id, func.count().label("completed")).where(
        CallOutcome.community_id == community_id, CallOutcome.result.in_(COMPLETED_OUTCOMES)
    )
    if campaign_id is not None:
        counts = counts.where(CallOutcome.campaign_id == campaign_id)
    if since is not None:
        counts = counts.where(CallOutcome.created_at >= since)
    per_member = counts.group_by(CallOutcome.member_id).subquery()
    return (
        select(
            Member.id,
            Member.name,
            per_member.c.completed,
            func.rank().over(order_by=per_member.c.completed.desc()).label("rank"),
        )
        .join(per_member, per_member.c.member_id == Member.id)
        .where(Member.community_id == community_id, Member.leaderboard_visible.is_(True))
    )


async def standings(
    session: AsyncSession,
    community_id: int,
    campaign_id: int | None,
    since: datetime | None,
    limit: int = DEFAULT_SIZE,
    member_id: int | None = None,
) -> tuple[list[Standing], Standing | None]:
    """The top `limit` visible members (more when the last place is shared), and the standing
    of `member_id` if they are visible and have calls, in one ranking pass."""
    ranked = _ranked(community_id, campaign_id, since).subquery()
    wanted = ranked.c.rank <= limit
    if member_id is not None:
        wanted = or_(wanted, ranked.c.id == member_id)
    rows = await session.execute(
        select(ranked).where(wanted).order_by(ranked.c.rank, ranked.c.name, ranked.c.id)
    )
    top: list[Standing] = []
    own = None
    for row_id, name, done, rank in rows:
        standing = Standing(int(rank), int(row_id), name or "", int(done))
        if standing.rank <= limit:
            top.append(standing)
        if standing.member_id == member_id:
            own = standing
    return top, own


async def completed_calls(
    session: AsyncSession, member: Member, campaign_id: int | None, since: datetime | None
) -> int:
    """The member's completed calls, whether or not they show on the leaderboard."""
    query = select(func.count()).where(
        CallOutcome.member_id == member.id, CallOutcome.result.in_(COMPLETED_OUTCOMES)
    )
    if campaign_id is not None:
        query = query.where(CallOutcome.campaign_id == campaign_id)
    if since is not None:
        query = query.where(CallOutcome.created_at >= since)
    return int(await session.scalar(query) or 0)


async def leaderboard(
    core: Core,
    actor: Actor,
    campaign: str | None = None,
    period: str | None = None,
    size: int = DEFAULT_SIZE,
) -> Reply:
    """Top callers in the actor's community, and where the actor stands."""
    try:
        chosen_period = parse_period(period)
    except UserError as exc:
        return problem(str(exc))
    entry = None
    if campaign and campaign != "-":
        entry = core.campaigns.get(campaign.strip().lower())
        if entry is None:
            return problem(f"There is no campaign called “{member_text(campaign, 40)}”.")
    async with core.sessions.begin() as session:
        community = await ensure_community(session, core, actor)
        since = period_start(chosen_period, core.clock(), community_zone(community))
        campaign_id = entry.id if entry else None
        member = await find_member(session, community, actor.user_id)
        top, own = await standings(
            session, community.id, campaign_id, since, size, member.id if member else None
        )
        hidden = member is not None and not member.leaderboard_visible
        rank, completed = (own.rank, own.completed) if own else (None, 0)
        if hidden and member is not None:
            completed = await completed_calls(session, member, campaign_id, since)
    scope = f"“{entry.spec.title}”, " if entry else ""
    title = f"Leaderboard: {scope}{PERIODS[chosen_period]}"
    if top:
        lines = [
            f"{s.rank}. {member_text(s.name) or 'A caller'}: {s.completed} call{'s' if s.completed != 1 else ''}"
            for s in top
        ]
        body = "\n".join(lines)
    else:
        body = "No completed calls yet. Be the first: type /call."
    if hidden:
        you = f"You're hidden from the leaderboard; you have {completed} completed call{'s' if completed != 1 else ''}. Change that in /profile."
    elif rank is not None:
        you = f"You're #{rank} with {completed} completed call{'s' if completed != 1 else ''}."
    else:
        you = "You have no completed calls here yet."
    slug = entry.spec.slug if entry else "-"
    return Reply(
        text=f"{title}. {you}",
        title=title,
        body=body,
        facts=(Fact("You", you),),
        actions=tuple(
            Action(component_id("leaderboard", slug, other), PERIODS[other].capitalize())
            for other in PERIODS
            if other != chosen_period
        ),
    )
