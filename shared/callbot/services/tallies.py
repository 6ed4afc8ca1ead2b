"""Tallies: how a campaign is going in a community. The database does the counting."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import case, distinct, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.expression import Exists

from callbot.campaigns import CatalogEntry
from callbot.core import Core
from callbot.db.models import COMPLETED_OUTCOMES, CallOutcome, Outcome, Pledge
from callbot.errors import UserError, problem
from callbot.replies import Action, Actor, Fact, Reply, Style, component_id
from callbot.services.calling import campaign_picker
from callbot.services.common import ensure_community, pick_campaign

PROGRESS_BAR_WIDTH = 20


@dataclass(frozen=True, slots=True)
class Tally:
    pledges: int = 0
    unfulfilled_pledges: int = 0
    callers: int = 0  # members with at least one call that was not skipped
    calls: dict[str, int] = field(default_factory=dict)  # by outcome

    @property
    def completed(self) -> int:
        return sum(self.calls.get(result, 0) for result in COMPLETED_OUTCOMES)

    @property
    def attempted(self) -> int:
        return sum(count for result, count in self.calls.items() if result != Outcome.SKIP)


def progress_bar(done: int, goal: int) -> str:
    filled = min(PROGRESS_BAR_WIDTH, PROGRESS_BAR_WIDTH * done // goal) if goal else 0
    return "█" * filled + "░" * (PROGRESS_BAR_WIDTH - filled)


def goal_percent(goal: int, tally: Tally) -> int:
    return 100 * tally.completed // goal


def goal_fact(goal: int, tally: Tally) -> Fact:
    """Completed calls against the campaign's goal, with a progress bar."""
    done = tally.completed
    return Fact(
        "Goal", f"{progress_bar(done, goal)} {done} of {goal} ({goal_percent(goal, tally)}%)"
    )


def pledge_fulfilled() -> Exists:
    """Whether the pledge's member has completed a call for its campaign (a correlated
    EXISTS on `Pledge`)."""
    return exists().where(
        CallOutcome.member_id == Pledge.member_id,
        CallOutcome.campaign_id == Pledge.campaign_id,
        CallOutcome.result.in_(COMPLETED_OUTCOMES),
    )


def _outcome_columns() -> list[Any]:
    """Calls by outcome and the number of members who called, as one row of aggregates."""
    not_skipped = CallOutcome.result != Outcome.SKIP.value
    return [
        *(func.count().filter(CallOutcome.result == outcome.value) for outcome in Outcome),
        func.count(distinct(CallOutcome.member_id)).filter(not_skipped),
    ]


def _pledge_columns() -> list[Any]:
    return [
        func.count(Pledge.id),
        func.coalesce(func.sum(case((pledge_fulfilled(), 0), else_=1)), 0),
    ]


def _tally_from(calls_row: Sequence[Any], pledge_row: Sequence[Any]) -> Tally:
    *by_outcome, callers = calls_row
    return Tally(
        pledges=int(pledge_row[0]),
        unfulfilled_pledges=int(pledge_row[1]),
        callers=int(callers or 0),
        calls={o.value: int(n) for o, n in zip(Outcome, by_outcome, strict=True) if n},
    )


async def campaign_tally(session: AsyncSession, community_id: int, campaign_id: int) -> Tally:
    """Pledges, callers and calls by outcome for one campaign in one community (two queries,
    both answered from covering indexes)."""
    calls_row = (
        await session.execute(
            select(*_outcome_columns()).where(
                CallOutcome.community_id == community_id, CallOutcome.campaign_id == campaign_id
            )
        )
    ).one()
    pledge_row = (
        await session.execute(
            select(*_pledge_columns()).where(
                Pledge.community_id == community_id, Pledge.campaign_id == campaign_id
            )
        )
    ).one()
    return _tally_from(calls_row, pledge_row)


async def tally_all_communities(session: AsyncSession, campaign_id: int) -> dict[int, Tally]:
    """Every community's tally for one campaign, in two grouped queries."""
    calls = {
        row[0]: row[1:]
        for row in await session.execute(
            select(CallOutcome.community_id, *_outcome_columns())
            .where(CallOutcome.campaign_id == campaign_id)
            .group_by(CallOutcome.community_id)
        )
    }
    pledges = {
        row[0]: row[1:]
        for row in await session.execute(
            select(Pledge.community_id, *_pledge_columns())
            .where(Pledge.campaign_id == campaign_id)
            .group_by(Pledge.community_id)
        )
    }
    no_calls = [0] * (len(Outcome) + 1)
    return {
        community_id: _tally_from(
            calls.get(community_id, no_calls), pledges.get(community_id, (0, 0))
        )
        for community_id in set(calls) | set(pledges)
    }


def tally_reply(
    entry: CatalogEntry, tally: Tally, community_name: str = "", *, private: bool
) -> Reply:
    """The tally as a message, ready to post in a channel or show privately."""
    spec = entry.spec
    facts = [
        Fact("Pledged to call", str(tally.pledges)),
        Fact("Members who called", str(tally.callers)),
        Fact(
            "Completed calls",
            f"{tally.completed} (talked to staff {tally.calls.get('contact', 0)}, "
            f"voicemail {tally.calls.get('voicemail', 0)})",
        ),
        Fact("Couldn't get through", str(tally.calls.get(Outcome.UNAVAILABLE.value, 0))),
        Fact("Pledges not yet fulfilled", str(tally.unfulfilled_pledges)),
    ]
    summary = (
        f"{tally.completed} completed calls from {tally.callers} members; {tally.pledges} pledged."
    )
    if spec.goal:
        facts.append(goal_fact(spec.goal, tally))
        summary += f" Goal: {goal_percent(spec.goal, tally)}%."
    where = f" in {community_name}" if community_name else ""
    return Reply(
        text=f"{spec.title}{where}: {summary}",
        title=f"Tally: {spec.title}",
        body=spec.summary,
        facts=tuple(facts),
        actions=(
            Action(component_id("call", spec.slug), "Call now", Style.PRIMARY),
            Action(component_id("pledge", spec.slug), "I'll call"),
        ),
        private=private,
    )


async def tally(
    core: Core, actor: Actor, campaign: str | None = None, *, private: bool = True
) -> Reply:
    """How a campaign is going in the actor's community."""
    async with core.sessions.begin() as session:
        community = await ensure_community(session, core, actor)
        try:
            entry = pick_campaign(core, community, campaign)
        except UserError as exc:
            return problem(str(exc))
        if entry is None:
            return campaign_picker(core, component_id("tally"), "Which campaign's tally?")
        counts = await campaign_tally(session, community.id, entry.id)
        return tally_reply(entry, counts, community.name, private=private)
