"""The call flow through the services: form, district picker, targets, outcomes, thank-you.

Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from callbot.core import Core
from callbot.db.models import CallOutcome
from callbot.plaintext import render_plain
from callbot.replies import Actor, Reply, parse_component_id
from callbot.services import handle_component, record_outcome, start_call
from conftest import FIXTURES, Clock, build_core, make_settings
from service_fixture import (
    DC_ZIP,
    SINGLE_ZIP,
    SINGLE_ZIP_REP,
    SINGLE_ZIP_REP_PHONE,
    SINGLE_ZIP_SENATORS,
    SPLIT_ZIP,
    SPLIT_ZIP_CHOICE,
    SPLIT_ZIP_CHOICE_REP,
    VACANT_ZIP,
)

ALICE = Actor("terminal", "community-a", "alice", "Alice")


@pytest.fixture
async def core(
    engine: AsyncEngine, tmp_path: Path, clock: Clock, congress_dir: Path
) -> AsyncIterator[Core]:
    settings = make_settings(tmp_path, str(engine.url), FIXTURES / "service-campaigns")
    yield await build_core(engine, settings, clock)


def outcome_ids(reply: Reply) -> dict[str, str]:
    """Outcome name -> button id."""
    return {parse_component_id(a.id)[1][-1]: a.id for a in reply.actions if a.kind == "outcome"}


async def fill_form(core: Core, actor: Actor, reply: Reply, **values: str) -> Reply:
    assert reply.form is not None, render_plain(reply)
    return await handle_component(
        core, actor, reply.form.id, interaction_id="form-1", values=values
    )


async def test_first_call_asks_who_you_are_then_gives_a_filled_script(core: Core) -> None:
    reply = await start_call(core, ALICE, "house-budget")
    assert reply.form is not None and [f.key for f in reply.form.fields] == ["name", "zip", "city"]
    reply = await fill_form(core, ALICE, reply, name="Alice", zip=SINGLE_ZIP, city="Springfield")
    text = render_plain(reply)
    assert "Hello, my name is Alice and I live in Springfield" in text
    assert SINGLE_ZIP_REP in text and SINGLE_ZIP_REP_PHONE in text
    assert "[" not in reply.body.replace("\\[", "")  # no 5 Calls placeholder left
    assert set(outcome_ids(reply)) == {"contact", "voicemail", "unavailable", "skip"}
    assert reply.private


async def test_a_bad_zip_in_the_form_changes_nothing(core: Core) -> None:
    reply = await start_call(core, ALICE, "house-budget")
    answer = await fill_form(core, ALICE, reply, name="Alice", zip="1234")
    assert "1234" in answer.text and answer.actions[0].kind == "call"
    again = await start_call(core, ALICE, "house-budget")
    assert again.form is not None  # nothing was saved, not even the name
    assert again.form.fields[0].default == ""


async def test_house_then_senate_order_is_configurable(core: Core) -> None:
    reply = await start_call(core, ALICE, "both-chambers")
    reply = await fill_form(core, ALICE, reply, name="Alice", zip=SINGLE_ZIP)
    seen = []
    for step in range(3):
        seen.append(reply.title)
        assert reply.title.startswith(f"Call {step + 1} of 3")
        reply = await handle_component(
            core, ALICE, outcome_ids(reply)["voicemail"], interaction_id=f"i{step}"
        )
    assert all("Senator" in title for title in seen[:2]) and "Representative" in seen[2]
    assert any(senator in " ".join(seen) for senator in SINGLE_ZIP_SENATORS)
    assert reply.title.startswith("You're done")
    assert "3" in render_plain(reply)


async def test_split_zip_offers_the_candidates_with_names(core: Core) -> None:
    reply = await start_call(core, ALICE, "house-budget")
    reply = await fill_form(core, ALICE, reply, name="Alice", zip=SPLIT_ZIP)
    assert reply.picker is not None, render_plain(reply)
    labels = [choice.label for choice in reply.picker.choices]
    assert len(labels) >= 2
    assert any(SPLIT_ZIP_CHOICE_REP in label for label in labels)
    reply = await handle_component(
        core, ALICE, reply.picker.id, interaction_id="pick", choice=SPLIT_ZIP_CHOICE
    )
    assert SPLIT_ZIP_CHOICE_REP in render_plain(reply)
    # The choice is remembered: the next /call goes straight to the script.
    again = await start_call(core, ALICE, "house-budget")
    assert SPLIT_ZIP_CHOICE_REP in render_plain(again) and again.picker is None


async def test_a_district_not_offered_is_refused(core: Core) -> None:
    reply = await start_call(core, ALICE, "house-budget")
    await fill_form(core, ALICE, reply, name="Alice", zip=SPLIT_ZIP)
    refused = await handle_component(
        core, ALICE, "district:house-budget", interaction_id="x", choice="ZZ-99"
    )
    assert "not one of the districts" in refused.text


async def test_vacant_seat_offers_the_fallback_number(core: Core) -> None:
    reply = await start_call(core, ALICE, "both-chambers")
    reply = await fill_form(core, ALICE, reply, name="Alice", zip=VACANT_ZIP)
    while "vacant" not in render_plain(reply).lower():
        assert reply.actions, render_plain(reply)
        reply = await handle_component(
            core, ALICE, outcome_ids(reply)["skip"], interaction_id=reply.title
        )
    assert "202-555-0188" in render_plain(reply)


async def test_dc_has_no_senators_and_says_so(core: Core) -> None:
    reply = await start_call(core, ALICE, "both-chambers")
    reply = await fill_form(core, ALICE, reply, name="Alice", zip=DC_ZIP)
    text = render_plain(reply)
    assert "Call 1 of 1" in text and "no Senators" in text


async def test_outcomes_are_idempotent_by_interaction_and_by_step(core: Core) -> None:
    reply = await start_call(core, ALICE, "house-budget")
    reply = await fill_form(core, ALICE, reply, name="Alice", zip=SINGLE_ZIP)
    button = outcome_ids(reply)["contact"]
    first = await handle_component(core, ALICE, button, interaction_id="same")
    retried = await handle_component(core, ALICE, button, interaction_id="same")
    clicked_again = await handle_component(core, ALICE, button, interaction_id="other")
    assert first.title == retried.title == clicked_again.title
    async with core.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(CallOutcome)) == 1


async def test_buttons_survive_a_restart(
    core: Core, engine: AsyncEngine, tmp_path: Path, clock: Clock
) -> None:
    reply = await start_call(core, ALICE, "house-budget")
    reply = await fill_form(core, ALICE, reply, name="Alice", zip=SINGLE_ZIP)
    button = outcome_ids(reply)["voicemail"]
    restarted = await build_core(engine, core.settings, clock)
    done = await handle_component(restarted, ALICE, button, interaction_id="after-restart")
    assert done.title.startswith("You're done")


async def test_stale_or_forged_buttons_are_refused_politely(core: Core) -> None:
    for component in (
        "outcome:house-budget:zz:K000001:contact",
        "outcome:nope:abcdef12:K1:contact",
        "outcome:house-budget:abcdef12:K1:party",
        "bogus:1",
        "outcome:too:few",
    ):
        reply = await handle_component(core, ALICE, component, interaction_id=component)
        assert reply.tone == "warning", component
    async with core.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(CallOutcome)) == 0


async def test_custom_targets_work_without_congress_data(
    engine: AsyncEngine, tmp_path: Path, clock: Clock
) -> None:
    settings = make_settings(tmp_path, str(engine.url), FIXTURES / "service-campaigns")
    core = await build_core(engine, settings, clock, with_directory=False)
    reply = await start_call(core, ALICE, "governor")
    assert reply.form is not None and not reply.form.fields[1].required  # no ZIP needed
    reply = await fill_form(core, ALICE, reply, name="Alice", zip="")
    assert "Hello Governor Example, my name is Alice" in render_plain(reply)
    no_data = await start_call(core, ALICE, "house-budget")
    no_data = (
        await fill_form(core, ALICE, no_data, name="Alice", zip=SINGLE_ZIP)
        if no_data.form
        else no_data
    )
    assert "callbot data update" in render_plain(no_data)


async def test_member_text_cannot_ping_or_inject_markup(core: Core) -> None:
    reply = await start_call(core, ALICE, "house-budget")
    reply = await fill_form(
        core,
        ALICE,
        reply,
        name="@everyone **boss** [x](http://evil)",
        zip=SINGLE_ZIP,
        city="<@&123>",
    )
    body = reply.body
    assert "@everyone" not in body and "<@&" not in body
    assert "**boss**" not in body and "[x](http" not in body


async def test_no_campaign_named_lists_the_open_ones(core: Core) -> None:
    reply = await start_call(core, ALICE)
    assert reply.picker is not None
    assert {c.value for c in reply.picker.choices} == {"house-budget", "both-chambers", "governor"}
    unknown = await start_call(core, ALICE, "@everyone")
    assert "@everyone" not in unknown.text and "house-budget" in unknown.text


async def test_record_outcome_counts_each_community_apart(core: Core) -> None:
    bob = Actor(
        "terminal", "community-b", "alice", "Alice elsewhere"
    )  # same user id, other community
    for actor in (ALICE, bob):
        reply = await start_call(core, actor, "house-budget")
        reply = await fill_form(core, actor, reply, name="Alice", zip=SINGLE_ZIP)
        key = parse_component_id(outcome_ids(reply)["contact"])[1]
        done = await record_outcome(core, actor, *key[:3], "contact", interaction_id="shared-id")
        assert "community's completed calls: 1" in render_plain(done)


async def test_first_call_shows_the_summary_and_why_it_matters(
    engine: AsyncEngine, tmp_path: Path, clock: Clock, congress_dir: Path
) -> None:
    from conftest import REPO

    settings = make_settings(tmp_path, str(engine.url), REPO / "campaigns")
    core = await build_core(engine, settings, clock)
    reply = await start_call(core, ALICE, "defund-hate-budget")
    reply = await fill_form(core, ALICE, reply, name="Alice", zip=SINGLE_ZIP)
    spec = core.campaigns.get("defund-hate-budget")
    assert spec is not None and reply.body.startswith(spec.spec.summary)
    about = next(a for a in reply.actions if a.kind == "about")
    info = await handle_component(core, ALICE, about.id, interaction_id="about")
    assert "Homeland Security appropriations bill" in info.body
    assert "(https://appropriations.house.gov/)" in info.body
