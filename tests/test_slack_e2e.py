"""The Slack adapter end to end: the real slack-bolt AsyncApp built by the adapter, the real
core on the test database, and the loopback fake Slack (tests/fakes). Most tests run in both
ways of running: Socket Mode (one workspace, tokens) and HTTP mode (signed requests, the app
installed through OAuth, tokens in the database). Each reads "a member does X; Slack received
Y", and at the end of every session the fake must have recorded no protocol violation."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

import callbot.services
from callbot.core import Core
from callbot.db.models import CallOutcome, Community
from callbot.notify import DestinationGone
from callbot.replies import OPEN_FORM_LABEL, Action, Reply, Style
from callbot_slack import cli
from callbot_slack.adapter import SlackAdapter
from callbot_slack.app import EVENTS_PATH, INSTALL_PATH, REDIRECT_PATH, SlackApp, build_slack_app
from callbot_slack.server import connected_socket_mode, serving_http
from callbot_slack.settings import SlackSettings
from conftest import FIXTURES, Clock, build_core, count, make_settings
from fakes.errors import take_errors
from fakes.slack_fake import (
    FakeAction,
    FakeChannel,
    FakeMessage,
    FakeSlack,
    FakeUser,
    FakeView,
    FakeWorkspace,
    running_slack,
)
from service_fixture import SINGLE_ZIP, SINGLE_ZIP_SENATORS, SPLIT_ZIP

MODES = ["socket", "http"]


@dataclass
class Team:
    """One Slack workspace: a channel, a member, and an admin (an organizer by right)."""

    workspace: FakeWorkspace
    channel: FakeChannel
    member: FakeUser
    admin: FakeUser


@pytest.fixture
async def core(engine: AsyncEngine, tmp_path: Path, clock: Clock, congress_dir: Path) -> Core:
    settings = make_settings(tmp_path, str(engine.url), FIXTURES / "service-campaigns")
    return await build_core(engine, settings, clock)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with running_slack() as started:
        yield started


def add_team(fake: FakeSlack, name: str, mode: str) -> Team:
    # In HTTP mode the app is installed through OAuth when it starts (see `slack_running`).
    workspace = fake.add_workspace(name, installed=mode == "socket")
    return Team(
        workspace=workspace,
        channel=workspace.add_channel("general"),
        member=workspace.add_user("alice"),
        admin=workspace.add_user("olga", admin=True),
    )


def settings_for(fake: FakeSlack, mode: str, workspace: FakeWorkspace) -> SlackSettings:
    if mode == "socket":
        return SlackSettings(
            app_token=workspace.app_token,
            bot_token=workspace.bot_token,
            api_url=fake.api_url,
            _env_file=None,  # type: ignore[call-arg]
        )
    return SlackSettings(
        signing_secret=fake.signing_secret,
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        api_url=fake.api_url,
        authorize_url=fake.authorize_url,
        host="127.0.0.1",
        port=0,
        _env_file=None,  # type: ignore[call-arg]
    )


@asynccontextmanager
async def slack_running(
    fake: FakeSlack, core: Core, mode: str, *teams: Team
) -> AsyncIterator[SlackApp]:
    """callbot's Slack app on `core`: connected in Socket Mode for the (one) team, or served
    over HTTP with every team installed through OAuth. At the end the answers in flight are
    drained and the fake must have seen no violation."""
    slack = build_slack_app(core, settings_for(fake, mode, teams[0].workspace))
    try:
        if mode == "socket":
            async with connected_socket_mode(slack):
                await fake.wait_socket(teams[0].workspace)
                yield slack
        else:
            async with serving_http(slack, "127.0.0.1", 0) as base:
                fake.deliver_http(base + EVENTS_PATH)
                for team in teams:
                    if not team.workspace.installed:
                        await fake.install(team.workspace, base + INSTALL_PATH)
                yield slack
        async with asyncio.timeout(10):
            await slack.responder.workload.drain()
    finally:
        await slack.responder.close()
    assert fake.errors == [], f"protocol violations: {fake.errors}"


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def team(fake: FakeSlack, mode: str) -> Team:
    return add_team(fake, "Springfield Callers", mode)


@pytest.fixture
async def slack(fake: FakeSlack, core: Core, mode: str, team: Team) -> AsyncIterator[SlackApp]:
    async with slack_running(fake, core, mode, team) as app:
        yield app


async def answered(action: FakeAction, count: int = 1) -> FakeMessage:
    """The message the member sees in answer (the `count`th this request led to)."""
    assert not action.expired, action
    messages = await action.wait_messages(count)
    return messages[count - 1]


async def private_card(
    fake: FakeSlack, user: FakeUser, channel: FakeChannel, count: int
) -> FakeMessage:
    """The `count`th private (ephemeral) message `user` has in `channel`, once it arrived."""
    await fake.wait_until(
        lambda: len(fake.ephemeral_messages(user, channel)) >= count,
        5,
        f"{count} private message(s) for {user.name}",
    )
    return fake.ephemeral_messages(user, channel)[count - 1]


async def opened_modal(action: FakeAction) -> FakeView:
    [view] = await action.wait_views(1)
    return view


def outcome_id(message: FakeMessage, result: str) -> str:
    [found] = [a for a in message.action_ids() if a.startswith("outcome:") and a.endswith(result)]
    return found


async def call_card(fake: FakeSlack, team: Team, campaign: str = "both-chambers") -> FakeMessage:
    """A new member runs /call and fills in the form: their first call card."""
    opened = await fake.slash(team.member, team.channel, "/call", campaign)
    form = await opened_modal(opened)
    await fake.submit(
        team.member, form, {"name": "Alice", "zip": SINGLE_ZIP, "city": "Springfield"}
    )
    return await private_card(fake, team.member, team.channel, 1)


# -- the call flow ------------------------------------------------------------------------------


async def test_a_new_member_calls_through_the_form_and_logs_three_outcomes(
    fake: FakeSlack, core: Core, team: Team, slack: SlackApp
) -> None:
    alice = team.member
    opened = await fake.slash(alice, team.channel, "/call", "both-chambers")
    form = await opened_modal(opened)
    # A member with no location gets a form first.
    assert form.callback_id == "profile:call:both-chambers"
    assert form.title == "About you" and set(form.input_block_ids()) == {"name", "zip", "city"}
    submitted = await fake.submit(
        alice, form, {"name": "Alice", "zip": SINGLE_ZIP, "city": "Springfield"}
    )
    assert fake.modal(alice) is None  # the form closed
    card = await private_card(fake, alice, team.channel, 1)
    text = card.visible_text()
    assert "Call 1 of 3" in text and "Hi, I'm Alice" in text
    assert any(senator in text for senator in SINGLE_ZIP_SENATORS)
    assert "Phone (Washington office)" in text
    assert next(b for b in card.action_ids() if b.startswith("outcome:")).endswith(":contact")
    assert "Talked to staff" in text and "Left voicemail" in text and "Skip" in text

    second = await fake.click(alice, card, outcome_id(card, "contact"))
    card = await answered(second)
    assert card.edits == 1  # the same card moves on in place
    assert (
        "Noted: you talked to staff" in card.visible_text() and "Call 2 of 3" in card.visible_text()
    )

    card = await answered(await fake.click(alice, card, outcome_id(card, "voicemail")))
    assert "Call 3 of 3" in card.visible_text()
    done = await answered(await fake.click(alice, card, outcome_id(card, "unavailable")))
    assert "You're done. Thank you!" in done.visible_text()
    assert done.action_ids() == ["leaderboard:both-chambers:all", "mystats"]
    assert await count(core, CallOutcome) == 3
    assert fake.channel_messages(team.channel) == []  # nothing was said in public
    assert submitted.response_action is None


async def test_a_split_zip_member_picks_their_district_from_a_select(
    fake: FakeSlack, team: Team, slack: SlackApp
) -> None:
    alice = team.member
    form = await opened_modal(await fake.slash(alice, team.channel, "/call", "house-budget"))
    await fake.submit(alice, form, {"name": "Alice", "zip": SPLIT_ZIP})
    picker = await private_card(fake, alice, team.channel, 1)
    assert "Which district do you live in?" in picker.visible_text()
    assert picker.action_ids() == ["district:house-budget"]
    picked = await answered(await fake.select(alice, picker, "district:house-budget", "CA-12"))
    assert "Call 1 of 1" in picked.visible_text() and "Morgan Ellis" in picked.visible_text()


async def test_a_button_sent_before_a_restart_still_works(
    fake: FakeSlack, core: Core, mode: str, team: Team
) -> None:
    async with slack_running(fake, core, mode, team):
        card = await call_card(fake, team)
    # The bot restarts: a new process, the same database.
    async with slack_running(fake, core, mode, team):
        clicked = await answered(await fake.click(team.member, card, outcome_id(card, "contact")))
        assert "Call 2 of 3" in clicked.visible_text()
    assert await count(core, CallOutcome) == 1


async def test_a_reconnect_between_two_clicks_changes_nothing_for_the_member(
    fake: FakeSlack, core: Core
) -> None:
    team = add_team(fake, "Springfield", "socket")
    async with slack_running(fake, core, "socket", team):
        card = await call_card(fake, team)
        card = await answered(await fake.click(team.member, card, outcome_id(card, "contact")))
        await fake.disconnect_sockets()  # Slack asks the app to reconnect
        card = await answered(await fake.click(team.member, card, outcome_id(card, "skip")))
        assert "Noted: you skipped" in card.visible_text() and "Call 3 of 3" in card.visible_text()
    assert await count(core, CallOutcome) == 2


async def test_an_expired_trigger_becomes_a_button_that_opens_the_form(
    fake: FakeSlack, team: Team, slack: SlackApp
) -> None:
    fake.trigger_ttl = 0.0  # every trigger_id has expired by the time the app uses it
    late = await answered(await fake.slash(team.member, team.channel, "/call", "governor"))
    assert "Tell us who you are" in late.visible_text()
    assert late.action_ids() == ["call:governor"]
    assert OPEN_FORM_LABEL in late.visible_text()
    fake.trigger_ttl = 3.0
    form = await opened_modal(await fake.click(team.member, late, "call:governor"))
    assert form.callback_id == "profile:call:governor"
    [error] = take_errors(fake)  # the expired trigger: what the test is about
    assert error.startswith("views.open: /call by alice: trigger_id used ")
    assert error.endswith("(expires after 0.0 s)")


# -- organizers -----------------------------------------------------------------------------------


async def test_only_organizers_change_the_setup(
    fake: FakeSlack, core: Core, team: Team, slack: SlackApp
) -> None:
    alice, olga = team.member, team.admin
    refused = await answered(await fake.slash(alice, team.channel, "/callbot", "setup"))
    assert "Only organizers" in refused.visible_text()
    assert fake.modal(alice) is None

    form = await opened_modal(await fake.slash(olga, team.channel, "/callbot", "setup"))
    assert form.callback_id == "callbot-setup"
    await fake.submit(
        olga,
        form,
        {
            "organizers": alice.id,
            "timezone": "America/Chicago",
            "featured": "house-budget",
            "alert_channel": team.channel.id,
            "tally_time": "5pm",
        },
    )
    saved = await private_card(fake, olga, team.channel, 1)
    assert "Setup saved" in saved.visible_text() and "America/Chicago" in saved.visible_text()
    async with core.sessions() as session:
        community = await session.scalar(
            select(Community).where(Community.external_id == team.workspace.id)
        )
    assert community is not None
    assert (community.timezone, community.featured_campaign) == ("America/Chicago", "house-budget")
    assert (
        community.organizer_user_ids == [alice.id] and community.alert_channel_id == team.channel.id
    )
    assert community.tally_time == "17:00"
    # Named an organizer, Alice may now open the setup too.
    form = await opened_modal(await fake.slash(alice, team.channel, "/callbot", "setup"))
    assert form.callback_id == "callbot-setup"


# -- safety ---------------------------------------------------------------------------------------


async def test_a_mass_mention_in_a_chosen_name_pings_nobody(
    fake: FakeSlack, team: Team, slack: SlackApp
) -> None:
    alice = team.member
    form = await opened_modal(await fake.slash(alice, team.channel, "/call", "governor"))
    await fake.submit(alice, form, {"name": "<!channel> @everyone *Boss*", "zip": SINGLE_ZIP})
    card = await private_card(fake, alice, team.channel, 1)
    text = card.visible_text()
    assert "<!channel>" not in text and "&lt;" in text  # shown, never a mention
    assert "@\u200beveryone" in text
    assert "∗Boss∗" in text  # the stars the member typed are shown, not read as bold
    # The fake flags anything that could ping a crowd; the fixture asserts it saw nothing.


async def test_two_workspaces_never_see_each_others_leaderboard(
    fake: FakeSlack, core: Core
) -> None:
    here, there = add_team(fake, "Springfield", "http"), add_team(fake, "Shelbyville", "http")
    async with slack_running(fake, core, "http", here, there) as slack:
        card = await call_card(fake, here, "governor")
        await answered(await fake.click(here.member, card, outcome_id(card, "contact")))
        mine = await answered(await fake.slash(here.member, here.channel, "/leaderboard"))
        theirs = await answered(await fake.slash(there.member, there.channel, "/leaderboard"))
        assert "1. Alice: 1 call" in mine.visible_text()
        assert "Alice" not in theirs.visible_text()
        assert "No completed calls yet" in theirs.visible_text()
        # An alert of one workspace cannot be posted into the other's channel.
        with pytest.raises(DestinationGone, match="channel_not_found"):
            await slack.notifier.post(here.workspace.id, there.channel.id, Reply("Hi"))
        [error] = take_errors(fake)  # the cross-workspace attempt: it was the point
        assert error == (
            f"chat.postMessage: tenancy: Springfield's token named channel {there.channel.id} "
            "of Shelbyville"
        )
    assert fake.channel_messages(there.channel) == []


async def test_replicas_share_installations_and_oauth_state_through_the_database(
    fake: FakeSlack, core: Core
) -> None:
    team = add_team(fake, "Springfield", "http")
    replicas = [build_slack_app(core, settings_for(fake, "http", team.workspace)) for _ in "ab"]
    try:
        async with (
            serving_http(replicas[0], "127.0.0.1", 0) as first,
            serving_http(replicas[1], "127.0.0.1", 0) as second,
        ):
            # Behind a load balancer: the install page comes from one replica, Slack's
            # redirect and then every request land on the other.
            fake.deliver_http(second + EVENTS_PATH)
            await fake.install(
                team.workspace, first + INSTALL_PATH, redirect_url=second + REDIRECT_PATH
            )
            pledged = await answered(
                await fake.slash(team.member, team.channel, "/pledge", "governor")
            )
            assert "Thank you for pledging" in pledged.visible_text()
            fake.deliver_http(first + EVENTS_PATH)
            again = await answered(
                await fake.slash(team.member, team.channel, "/pledge", "governor")
            )
            assert "You've already pledged" in again.visible_text()  # one database for both
    finally:
        for replica in replicas:
            await replica.responder.close()
    assert fake.errors == []


async def test_forged_or_stale_requests_are_refused(fake: FakeSlack, core: Core) -> None:
    team = add_team(fake, "Springfield", "http")
    async with slack_running(fake, core, "http", team):
        body = f"team_id={team.workspace.id}&user_id={team.member.id}&command=/mystats&text="
        forged = await fake.send_signed(
            team.workspace, body.encode(), "application/x-www-form-urlencoded", signature="v0=00"
        )
        assert forged[0] == 401
        stale = await fake.send_signed(
            team.workspace,
            body.encode(),
            "application/x-www-form-urlencoded",
            timestamp=int(time.time()) - 6 * 60,
        )
        assert stale[0] == 401
    assert await count(core, CallOutcome) == 0


# -- members --------------------------------------------------------------------------------------


async def test_forget_then_mystats_shows_nothing_is_left(
    fake: FakeSlack, core: Core, team: Team, slack: SlackApp
) -> None:
    alice = team.member
    card = await call_card(fake, team, "governor")
    await answered(await fake.click(alice, card, outcome_id(card, "contact")))
    asked = await answered(await fake.slash(alice, team.channel, "/callbot", "forget"))
    assert "Erase your data?" in asked.visible_text()
    erased = await answered(await fake.click(alice, asked, "forget:confirm"))
    assert "erased" in erased.visible_text().lower()
    stats = await answered(await fake.slash(alice, team.channel, "/mystats"))
    assert "You haven't logged a call here yet" in stats.visible_text()
    assert await count(core, CallOutcome) == 1  # the call still counts, linked to no one


async def test_text_after_a_command_is_read_forgivingly(
    fake: FakeSlack, team: Team, slack: SlackApp
) -> None:
    alice = team.member
    week = await answered(await fake.slash(alice, team.channel, "/leaderboard", "week"))
    assert "this week" in week.visible_text().lower()
    hint = await answered(await fake.slash(alice, team.channel, "/leaderboard", "a b c"))
    assert "Usage: /leaderboard [campaign] [week|month|all]" in hint.visible_text()
    unknown = await answered(await fake.slash(alice, team.channel, "/callbot", "frobnicate"))
    assert "Usage: /callbot profile" in unknown.visible_text()
    profile = await answered(await fake.slash(alice, team.channel, "/callbot", "profile zip"))
    assert "/callbot profile zip 94110" in profile.visible_text()
    pledged = await answered(await fake.slash(alice, team.channel, "/pledge", "governor"))
    assert "Thank you for pledging" in pledged.visible_text()


async def test_a_failure_gets_an_apology_with_the_reference_in_the_log(
    fake: FakeSlack,
    team: Team,
    slack: SlackApp,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(core: Core, actor: Any) -> Reply:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(callbot.services, "my_stats", broken)
    with caplog.at_level(logging.ERROR):
        failed = await answered(await fake.slash(team.member, team.channel, "/mystats"))
    match = re.search(r"reference ([0-9a-f]{8})", failed.visible_text())
    assert match is not None, failed.visible_text()
    logged = [r for r in caplog.records if f"ref={match[1]}" in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert "command='/mystats'" in logged[0].getMessage()
    # The app carries on.
    helped = await answered(await fake.slash(team.member, team.channel, "/callbot", "help"))
    assert (
        "/call [campaign]" in helped.visible_text() and "/callbot profile" in helped.visible_text()
    )


# -- App Home -------------------------------------------------------------------------------------


async def test_the_home_tab_shows_stats_campaigns_and_leaderboard_and_calls_from_there(
    fake: FakeSlack, team: Team, slack: SlackApp
) -> None:
    alice = team.member
    await fake.open_home(alice)
    await fake.wait_until(lambda: fake.home(alice) is not None, 5, "the Home tab")
    home = fake.home(alice)
    assert home is not None
    text = home.visible_text()
    assert "You haven't logged a call here yet" in text and "Campaigns" in text
    assert "Leaderboard" in text
    assert "pledge:governor" in home.action_ids() and "call:governor" in home.action_ids()
    pledged = await fake.click(alice, home, "pledge:governor")
    await fake.wait_until(lambda: len(fake.dm_messages(alice)) == 1, 5, "the answer in the DM")
    assert "Thank you for pledging" in fake.dm_messages(alice)[0].visible_text()
    form = await opened_modal(await fake.click(alice, fake.home(alice) or home, "call:governor"))
    assert form.callback_id == "profile:call:governor"
    await fake.submit(alice, form, {"name": "Alice", "zip": SINGLE_ZIP})
    await fake.wait_until(lambda: len(fake.dm_messages(alice)) == 2, 5, "the call card in the DM")
    assert "Call 1 of 1" in fake.dm_messages(alice)[1].visible_text()
    assert pledged.ack_status == 200


# -- alerts and tallies go through the notifier ---------------------------------------------------


async def test_an_alert_post_that_hits_a_rate_limit_is_retried_then_updated(
    fake: FakeSlack, team: Team, slack: SlackApp
) -> None:
    fake.fail_next("chat.postMessage", status=429, retry_after=0)
    alert = Reply(
        text="Call today!",
        title="Action alert: <!channel> call today",
        body="Block the bill.",
        actions=(
            Action("call:governor", "Call now", Style.PRIMARY),
            Action("pledge:governor", "I'll call"),
        ),
    )
    ref = await slack.notifier.post(team.workspace.id, team.channel.id, alert)
    assert len(fake.calls("chat.postMessage")) == 2  # refused once with 429, then sent
    [message] = fake.channel_messages(team.channel)
    assert ref == f"{team.channel.id}/{message.ts}"
    assert message.action_ids() == ["call:governor", "pledge:governor"]
    pledged = await answered(await fake.click(team.member, message, "pledge:governor"))
    assert pledged.ephemeral and "Thank you for pledging" in pledged.visible_text()
    assert message.edits == 0  # the public alert stays as it was
    await slack.notifier.edit(team.workspace.id, ref, Reply(text="Tally: 4 calls so far."))
    assert message.edits == 1 and "Tally: 4 calls so far." in message.visible_text()


async def test_a_deleted_channel_is_gone_for_good(
    fake: FakeSlack, team: Team, slack: SlackApp
) -> None:
    gone = team.workspace.add_channel("old-alerts")
    team.workspace.delete_channel(gone)
    with pytest.raises(DestinationGone, match="channel_not_found"):
        await slack.notifier.post(team.workspace.id, gone.id, Reply("Alert"))
    with pytest.raises(DestinationGone, match="not installed"):
        await slack.notifier.post("T0NOWHERE", team.channel.id, Reply("Alert"))


# -- running it -----------------------------------------------------------------------------------


async def test_callbot_run_serves_slack_in_socket_mode_from_its_settings(
    fake: FakeSlack, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = add_team(fake, "Springfield", "socket")
    monkeypatch.setenv("SLACK_APP_TOKEN", team.workspace.app_token)
    monkeypatch.setenv("SLACK_BOT_TOKEN", team.workspace.bot_token)
    monkeypatch.setenv("SLACK_API_URL", fake.api_url)
    adapter = SlackAdapter()
    assert adapter.configured({"SLACK_APP_TOKEN": "xapp-1", "SLACK_BOT_TOKEN": "xoxb-1"})
    running = asyncio.create_task(adapter.run(core))
    try:
        await fake.wait_socket(team.workspace)
        helped = await answered(await fake.slash(team.member, team.channel, "/callbot", "help"))
        assert "/call" in helped.visible_text()
        assert adapter.notifier is not None
    finally:
        running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert adapter.notifier is None
    assert fake.errors == []


async def test_a_refused_bot_token_stops_start_up_with_one_line(
    fake: FakeSlack, core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = add_team(fake, "Springfield", "socket")
    monkeypatch.setenv("SLACK_APP_TOKEN", team.workspace.app_token)
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-not-a-real-token")
    monkeypatch.setenv("SLACK_API_URL", fake.api_url)
    from callbot.config import SettingsError

    with pytest.raises(SettingsError, match="Slack refused the credentials \\(invalid_auth\\)"):
        await SlackAdapter().run(core)
    assert take_errors(fake) == ["auth.test: unknown token xoxb-not-a-r..."]


def test_the_manifest_lists_exactly_what_the_bot_uses(capsys: pytest.CaptureFixture[str]) -> None:
    import argparse

    assert cli.print_manifest(argparse.Namespace(url=None), None) == 0  # type: ignore[arg-type]
    socket = json.loads(capsys.readouterr().out)
    commands = [c["command"] for c in socket["features"]["slash_commands"]]
    assert commands == [
        "/call",
        "/pledge",
        "/leaderboard",
        "/mystats",
        "/callbot",
        "/alert",
        "/tally",
    ]
    assert socket["oauth_config"]["scopes"]["bot"] == [
        "commands",
        "chat:write",
        "chat:write.public",
        "users:read",
        "files:write",
    ]
    assert socket["settings"]["socket_mode_enabled"] is True
    assert socket["settings"]["event_subscriptions"]["bot_events"] == ["app_home_opened"]
    assert cli.print_manifest(argparse.Namespace(url="https://callbot.example.org"), None) == 0  # type: ignore[arg-type]
    http = json.loads(capsys.readouterr().out)
    assert http["settings"]["socket_mode_enabled"] is False
    assert (
        http["settings"]["interactivity"]["request_url"]
        == "https://callbot.example.org/slack/events"
    )
    assert http["oauth_config"]["redirect_urls"] == [
        "https://callbot.example.org/slack/oauth_redirect"
    ]
    assert {c["url"] for c in http["features"]["slash_commands"]} == {
        "https://callbot.example.org/slack/events"
    }
