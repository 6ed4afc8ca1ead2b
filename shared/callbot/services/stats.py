"""A member's own impact: calls by outcome, per campaign, and their weekly streak."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from callbot.core import Core
from callbot.db.models import COMPLETED_OUTCOMES, CallOutcome, Member, Outcome
from callbot.replies import Action, Actor, Fact, Reply, Style, component_id
from callbot.services.common import community_zone, find_member_of


def week_of(day: date) -> date:
    """The Monday that starts `day`'s week."""
    return day - timedelta(days=day.weekday())


def weekly_streak(call_times: list[datetime], now: datetime, zone: ZoneInfo) -> int:
    """Consecutive weeks with a completed call, ending this week (or last week, while this
    week is still young enough to keep the streak alive)."""
    weeks = {week_of(moment.astimezone(zone).date()) for moment in call_times}
    current = week_of(now.astimezone(zone).date())
    if current not in weeks:
        current -= timedelta(weeks=1)
    streak = 0
    while current in weeks:
        streak += 1
        current -= timedelta(weeks=1)
    return streak


async def _completed_times(session: AsyncSession, member: Member) -> list[datetime]:
    return list(
        await session.scalars(
            select(CallOutcome.created_at).where(
                CallOutcome.community_id == member.community_id,
                CallOutcome.member_id == member.id,
                CallOutcome.result.in_(COMPLETED_OUTCOMES),
            )
        )
    )


async def my_stats(core: Core, actor: Actor) -> Reply:
    """Totals by outcome, per campaign, and the weekly streak of the asking member."""
    async with core.sessions() as session:
        community, member = await find_member_of(session, actor)
        if community is None or member is None:
            return _no_calls_yet()
        by_outcome: dict[str, int] = dict(
            (
                await session.execute(
                    select(CallOutcome.result, func.count())
                    .where(
                        CallOutcome.community_id == community.id, CallOutcome.member_id == member.id
                    )
                    .group_by(CallOutcome.result)
                )
            ).all()
        )
        per_campaign = (
            await session.execute(
                select(CallOutcome.campaign_id, func.count())
                .where(
                    CallOutcome.community_id == community.id,
                    CallOutcome.member_id == member.id,
                    CallOutcome.result.in_(COMPLETED_OUTCOMES),
                )
                .group_by(CallOutcome.campaign_id)
                .order_by(func.count().desc())
            )
        ).all()
        streak = weekly_streak(
            await _completed_times(session, member), core.clock(), community_zone(community)
        )
        campaign_lines = []
        for campaign_id, count in per_campaign:
            entry = core.campaigns.by_id(campaign_id)
            campaign_lines.append(
                f"- {entry.spec.title if entry else 'An earlier campaign'}: {count}"
            )
    if not by_outcome:
        return _no_calls_yet()
    completed = sum(by_outcome.get(result, 0) for result in COMPLETED_OUTCOMES)
    facts = (
        Fact("Completed calls", str(completed)),
        Fact("Talked to staff", str(by_outcome.get(Outcome.CONTACT.value, 0))),
        Fact("Left voicemail", str(by_outcome.get(Outcome.VOICEMAIL.value, 0))),
        Fact("Couldn't get through", str(by_outcome.get(Outcome.UNAVAILABLE.value, 0))),
        Fact("Skipped", str(by_outcome.get(Outcome.SKIP.value, 0))),
        Fact("Weekly streak", f"{streak} week{'s' if streak != 1 else ''}"),
    )
    cheer = f"You've made {completed} completed call{'s' if completed != 1 else ''}"
    cheer += (
        f" and kept calling {streak} week{'s' if streak != 1 else ''} in a row."
        if streak > 1
        else "."
    )
    return Reply(
        text=cheer,
        title="Your calls",
        body=cheer + ("\n\n" + "\n".join(campaign_lines) if campaign_lines else ""),
        facts=facts,
        actions=(Action(component_id("call"), "Make a call", Style.PRIMARY),),
    )


def _no_calls_yet() -> Reply:
    return Reply(
        text="You haven't logged a call here yet. Type /call to make your first one!",
        title="Your calls",
        actions=(Action(component_id("call"), "Make a call", Style.PRIMARY),),
    )
