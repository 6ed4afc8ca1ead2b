"""Organizer setup: only organizers may change it, and bad values change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from callbot.core import Core
from callbot.replies import Actor
from callbot.services.communities import configure_community, show_setup
from conftest import FIXTURES, Clock, build_core, make_settings

ADMIN = Actor("discord", "g1", "admin", is_admin=True)
MEMBER = Actor("discord", "g1", "member", roles=frozenset({"r-fan"}))
ORGANIZER = Actor("discord", "g1", "org", roles=frozenset({"r-org"}))


@pytest.fixture
async def core(engine: AsyncEngine, tmp_path: Path, clock: Clock) -> AsyncIterator[Core]:
    settings = make_settings(tmp_path, str(engine.url), FIXTURES / "service-campaigns")
    yield await build_core(engine, settings, clock, with_directory=False)


def facts(reply: object) -> dict[str, str]:
    return {f.name: f.value for f in reply.facts}  # type: ignore[attr-defined]


async def test_only_organizers_change_setup(core: Core) -> None:
    refused = await configure_community(core, MEMBER, timezone="America/Chicago")
    assert "Only organizers" in refused.text
    saved = await configure_community(
        core, ADMIN, timezone="America/Chicago", organizer_role_id="r-org"
    )
    assert facts(saved)["Time zone"] == "America/Chicago"
    by_role = await configure_community(core, ORGANIZER, featured_campaign="governor")
    assert facts(by_role)["Featured campaign"] == "Call the Governor"
    assert "Only organizers" in (await show_setup(core, MEMBER)).text


async def test_added_organizers_and_bad_values(core: Core) -> None:
    await configure_community(core, ADMIN, add_organizer="member")
    assert facts(await show_setup(core, MEMBER))["Organizers"] == "member"
    bad_zone = await configure_community(
        core, MEMBER, timezone="Mars/Base", featured_campaign="governor"
    )
    assert "not a time zone" in bad_zone.text
    assert facts(await show_setup(core, MEMBER))["Featured campaign"].startswith("none")
    bad_campaign = await configure_community(core, MEMBER, featured_campaign="@everyone")
    assert "@everyone" not in bad_campaign.text and "no campaign" in bad_campaign.text
    await configure_community(core, ADMIN, remove_organizer="member")
    assert "Only organizers" in (await show_setup(core, MEMBER)).text


async def test_the_daily_tally_time_is_set_in_words_and_checked(core: Core) -> None:
    assert facts(await show_setup(core, ADMIN))["Daily tally"] == (
        "18:00, once an alert channel is set"
    )
    saved = await configure_community(core, ADMIN, tally_time="6:30pm", alert_channel_id="C9")
    assert facts(saved)["Daily tally"] == "18:30, in the alert channel"
    for wrong in ("25:00", "noon-ish", "13pm"):
        refused = await configure_community(core, ADMIN, tally_time=wrong, timezone="UTC")
        assert "is not a time of day" in refused.text and "18:00 or 6pm" in refused.text
    unchanged = facts(await show_setup(core, ADMIN))
    assert unchanged["Daily tally"].startswith("18:30") and unchanged["Time zone"] != "UTC"


async def test_featured_campaign_is_the_default_for_call(core: Core) -> None:
    from callbot.services import start_call

    await configure_community(core, ADMIN, featured_campaign="governor")
    reply = await start_call(core, MEMBER)
    assert reply.form is not None and reply.form.id == "profile:call:governor"


async def test_open_campaigns_lists_each_with_call_and_pledge(core: Core) -> None:
    from callbot.services.overview import open_campaigns

    reply = open_campaigns(core, MEMBER)
    assert [a.id for a in reply.actions][:2] == ["call:both-chambers", "pledge:both-chambers"]
    assert len(reply.actions) == 6 and "Call the Governor" in reply.body
