"""Pledges, tallies, leaderboards, stats and erasure through the services, on a real database."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from callbot.core import Core
from callbot.db.models import CallOutcome, Member, Pledge
from callbot.replies import Actor, Reply
from callbot.services import (
    erase_member,
    handle_component,
    leaderboard,
    my_stats,
    pledge,
    set_profile,
    show_profile,
    start_call,
    tally,
    unpledge,
)
from conftest import FIXTURES, Clock, build_core, make_settings

COMMUNITY = "server-1"
CLICKS = itertools.count()  # every click has its own interaction id, as on the platforms


def member(user: str, community: str = COMMUNITY) -> Actor:
    return Actor("terminal", community, user, user.title())


@pytest.fixture
async def core(engine: AsyncEngine, tmp_path: Path, clock: Clock) -> AsyncIterator[Core]:
    settings = make_settings(tmp_path, str(engine.url), FIXTURES / "service-campaigns")
    yield await build_core(engine, settings, clock, with_directory=False)


async def call(
    core: Core, actor: Actor, result: str = "contact", campaign: str = "governor"
) -> Reply:
    """One whole call session to the governor (a custom target: no congress data needed)."""
    reply = await start_call(core, actor, campaign)
    if reply.form is not None:
        reply = await handle_component(
            core, actor, reply.form.id, interaction_id="form", values={"name": actor.display_name}
        )
    button = next(a.id for a in reply.actions if a.id.endswith(":" + result))
    return await handle_component(core, actor, button, interaction_id=f"click-{next(CLICKS)}")


def facts(reply: Reply) -> dict[str, str]:
    return {fact.name: fact.value for fact in reply.facts}


async def test_pledge_is_one_per_member_and_can_be_withdrawn(core: Core) -> None:
    first = await pledge(core, member("ana"), "governor")
    second = await pledge(core, member("ana"), "governor")
    assert first.title == "Pledged" and second.title == "Already pledged"
    assert facts(await tally(core, member("ana"), "governor"))["Pledged to call"] == "1"
    withdrawn = await unpledge(core, member("ana"), "governor")
    assert "withdrawn" in withdrawn.text
    assert "no pledge" in (await unpledge(core, member("ana"), "governor")).text
    assert facts(await tally(core, member("ana"), "governor"))["Pledged to call"] == "0"


async def test_tally_counts_pledges_callers_outcomes_and_goal(core: Core) -> None:
    for user in ("ana", "ben", "cy"):
        await pledge(core, member(user), "house-budget")
    await pledge(core, member("ana"), "governor")
    await call(core, member("ana"), "contact")
    await call(core, member("ana"), "voicemail")
    await call(core, member("ben"), "unavailable")
    await call(core, member("cy"), "skip")
    await call(core, member("dee", "server-2"), "contact")  # another community
    result = facts(await tally(core, member("ana"), "governor"))
    assert result["Pledged to call"] == "1"
    assert result["Members who called"] == "2"  # a skip is not a call
    assert result["Completed calls"].startswith("2 ")
    assert result["Couldn't get through"] == "1"
    assert result["Pledges not yet fulfilled"] == "0"
    budget = facts(await tally(core, member("ana"), "house-budget"))
    assert budget["Pledges not yet fulfilled"] == "3"
    assert "0 of 4 (0%)" in budget["Goal"]


async def test_leaderboard_ties_share_a_rank_and_opt_out_is_honoured(core: Core) -> None:
    for user, calls in (("ana", 3), ("ben", 3), ("cy", 1), ("dee", 5)):
        for _ in range(calls):
            await call(core, member(user))
    await call(core, member("ed"), "unavailable")  # not a completed call
    await set_profile(core, member("dee"), leaderboard_visible=False)
    board = await leaderboard(core, member("cy"))
    lines = board.body.splitlines()
    assert lines == ["1. Ana: 3 calls", "1. Ben: 3 calls", "3. Cy: 1 call"]
    assert "#3" in facts(board)["You"]
    hidden = await leaderboard(core, member("dee"))
    assert "hidden" in facts(hidden)["You"] and "5" in facts(hidden)["You"]


async def test_leaderboard_periods_follow_the_calendar(core: Core, clock: Clock) -> None:
    await call(core, member("ana"))
    clock.advance(days=7)  # next week
    await call(core, member("ben"))
    await call(core, member("ben"))
    week = await leaderboard(core, member("ana"), period="week")
    assert week.body.splitlines() == ["1. Ben: 2 calls"]
    all_time = await leaderboard(core, member("ana"), period="all")
    assert all_time.body.splitlines() == ["1. Ben: 2 calls", "2. Ana: 1 call"]
    assert "period can be" in (await leaderboard(core, member("ana"), period="decade")).text


async def test_two_communities_never_see_each_other(core: Core) -> None:
    await call(core, member("ana", "server-1"))
    await call(core, member("zed", "server-2"))
    one = await leaderboard(core, member("x", "server-1"))
    two = await leaderboard(core, member("x", "server-2"))
    assert "Ana" in one.body and "Zed" not in one.body
    assert "Zed" in two.body and "Ana" not in two.body
    assert (
        facts(await tally(core, member("x", "server-2"), "governor"))["Members who called"] == "1"
    )


async def test_my_stats_totals_and_weekly_streak(core: Core, clock: Clock) -> None:
    for _ in range(3):
        await call(core, member("ana"), "contact")
        clock.advance(weeks=1)
    await call(core, member("ana"), "unavailable")
    stats = facts(await my_stats(core, member("ana")))
    assert stats["Completed calls"] == "3"
    assert stats["Couldn't get through"] == "1"
    assert stats["Weekly streak"] == "3 weeks"  # this week has no completed call yet; still alive
    clock.advance(weeks=2)
    assert facts(await my_stats(core, member("ana")))["Weekly streak"] == "0 weeks"


async def test_profile_shows_everything_and_rejects_bad_values(core: Core) -> None:
    await set_profile(core, member("ana"), name="Ana", city="Oakland")
    shown = facts(await show_profile(core, member("ana")))
    assert shown["Name"] == "Ana" and shown["City"] == "Oakland"
    refused = await set_profile(core, member("ana"), name="   ")
    assert refused.tone == "warning"
    assert facts(await show_profile(core, member("ana")))["Name"] == "Ana"


async def test_erase_removes_personal_data_for_good_but_keeps_anonymous_totals(core: Core) -> None:
    await call(core, member("ana"))
    await pledge(core, member("ana"), "house-budget")
    await set_profile(core, member("ana"), city="Oakland")
    erased = await erase_member(core, member("ana"))
    assert "erased" in erased.text
    async with core.sessions() as session:
        rows = (await session.scalars(select(Member))).all()
        assert [(m.user_id.startswith("erased-"), m.name, m.city, m.zip_code) for m in rows] == [
            (True, None, None, None)
        ]
        assert (await session.scalars(select(Pledge))).all() == []
        assert len((await session.scalars(select(CallOutcome))).all()) == 1
    assert "No completed calls" in (await leaderboard(core, member("ben"))).body
    assert "haven't logged a call" in (await my_stats(core, member("ana"))).text
    assert facts(await tally(core, member("ben"), "governor"))["Completed calls"].startswith("1 ")
    assert facts(await show_profile(core, member("ana")))["Name"] == "not set"


async def test_forget_asks_for_confirmation_first(core: Core) -> None:
    await call(core, member("ana"))
    kept = await handle_component(core, member("ana"), "forget:cancel", interaction_id="c")
    assert "Nothing was erased" in kept.text
    assert facts(await my_stats(core, member("ana")))["Completed calls"] == "1"
    await handle_component(core, member("ana"), "forget:confirm", interaction_id="f")
    assert "haven't logged" in (await my_stats(core, member("ana"))).text


async def test_tally_of_all_communities_matches_each_community(core: Core) -> None:
    from callbot.db.models import Community
    from callbot.services.tallies import campaign_tally, tally_all_communities

    await pledge(core, member("ana", "server-1"), "governor")
    await call(core, member("ana", "server-1"), "voicemail")
    await call(core, member("ben", "server-1"), "skip")
    await call(core, member("zed", "server-2"), "unavailable")
    entry = core.campaigns.get("governor")
    assert entry is not None
    async with core.sessions() as session:
        everyone = await tally_all_communities(session, entry.id)
        communities = (await session.scalars(select(Community))).all()
        assert len(everyone) == 2
        for community in communities:
            assert everyone[community.id] == await campaign_tally(session, community.id, entry.id)
    totals = sorted((t.completed, t.callers, t.pledges) for t in everyone.values())
    assert totals == [(0, 1, 0), (1, 1, 1)]
