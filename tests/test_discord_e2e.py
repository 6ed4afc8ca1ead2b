"""The Discord adapter end to end: the real discord.py client, the real core on the test
database, and the loopback fake Discord (tests/fakes). Each test reads "a member does X;
Discord received Y". At the end of every bot session the fixture proves that the client is
still running and that the fake saw no protocol violation (late or double answers, messages
that could mention someone, unknown components ...)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import signal
import sys
from typing import Any

import discord
import pytest
from sqlalchemy import func, select

import callbot.services
import discord_helpers
from callbot.core import Core
from callbot.db.models import CallOutcome, Community, Pledge
from callbot.notify import DestinationGone
from callbot.replies import OPEN_FORM_LABEL, Action, Fact, Reply, Style, Tone
from callbot.safety import ZERO_WIDTH_SPACE
from callbot.workload import Workload
from callbot_discord import cli
from callbot_discord.adapter import DiscordAdapter
from callbot_discord.client import CallbotClient, build_client
from callbot_discord.settings import DiscordSettings
from conftest import count
from discord_helpers import (
    Server,
    add_server,
    answer,
    bot_running,
    caught_up,
    private,
    use_fake_discord,
)
from fakes.discord_fake import (
    FakeDiscord,
    FakeDiscordError,
    FakeInteraction,
    FakeMessage,
    FakeUser,
    running_bot,
    running_fake,
)
from fakes.discord_payloads import MODAL, UPDATE_MESSAGE, shard_of
from service_fixture import SINGLE_ZIP, SINGLE_ZIP_REP, SINGLE_ZIP_SENATORS, SPLIT_ZIP

CHANNEL_MESSAGE, DEFERRED = 4, 5
OUTCOME_LABELS = ("Talked to staff", "Left voicemail", "Couldn't get through", "Skip")

# The shared fixtures (tests/discord_helpers.py).
core = discord_helpers.core
fake = discord_helpers.fake
server = discord_helpers.server
bot = discord_helpers.bot


def outcome_id(message: FakeMessage, result: str) -> str:
    [custom_id] = [
        c for c in message.custom_ids() if c.startswith("outcome:") and c.endswith(result)
    ]
    return custom_id


async def fill_profile(
    fake: FakeDiscord, user: FakeUser, opened: FakeInteraction, **values: str
) -> FakeMessage:
    assert opened.response_type == MODAL, opened.response
    submitted = await fake.submit_modal(user, opened, values)
    return private(answer(submitted))


# -- the call flow ------------------------------------------------------------------------------


async def test_a_new_member_calls_through_the_form_and_logs_three_outcomes(
    fake: FakeDiscord, core: Core, server: Server, bot: CallbotClient
) -> None:
    alice = server.member
    opened = await fake.slash(alice, server.guild, "call", {"campaign": "both-chambers"})
    # A member with no location gets a form first.
    assert opened.response_type == MODAL and opened.modal is not None
    assert opened.modal["custom_id"] == "profile:call:both-chambers"
    assert opened.modal["title"] == "About you"
    card = await fill_profile(fake, alice, opened, name="Alice", zip=SINGLE_ZIP, city="Springfield")
    text = card.text()
    assert "Call 1 of 3" in text and "Hi, I'm Alice" in text
    assert any(senator in text for senator in SINGLE_ZIP_SENATORS)
    assert "Phone (Washington office)" in text
    buttons = [c for row in card.components for c in row["components"]]
    assert [b["label"] for b in buttons[:4]] == list(OUTCOME_LABELS)

    second = await fake.click(alice, card, outcome_id(card, "contact"))
    assert second.response_type == UPDATE_MESSAGE  # the card moves on in place
    card = private(answer(second))
    assert card.edits == 1
    assert "Noted: you talked to staff" in card.text() and "Call 2 of 3" in card.text()

    third = await fake.click(alice, card, outcome_id(card, "voicemail"))
    card = private(answer(third))
    assert "Call 3 of 3" in card.text() and SINGLE_ZIP_REP in card.text()

    done = await fake.click(alice, card, outcome_id(card, "unavailable"))
    card = private(answer(done))
    assert "You're done. Thank you!" in card.text()
    assert "Your completed calls for this campaign\n2" in card.text()
    assert card.custom_ids() == ["leaderboard:both-chambers:all", "mystats"]
    assert await count(core, CallOutcome) == 3
    assert fake.channel_messages(server.channel) == []  # nothing was said in public


async def test_a_split_zip_member_picks_their_district_from_a_select(
    fake: FakeDiscord, server: Server, bot: CallbotClient
) -> None:
    alice = server.member
    opened = await fake.slash(alice, server.guild, "call", {"campaign": "house-budget"})
    picker = await fill_profile(fake, alice, opened, name="Alice", zip=SPLIT_ZIP)
    assert "Which district do you live in?" in picker.text()
    [select] = [c for row in picker.components for c in row["components"] if c["type"] == 3]
    assert select["custom_id"] == "district:house-budget"
    labels = {option["value"]: option["label"] for option in select["options"]}
    assert labels == {"CA-11": "CA-11: Rep. Riley Tanaka", "CA-12": "CA-12: Rep. Morgan Ellis"}

    picked = await fake.select(alice, picker, "district:house-budget", ["CA-12"])
    card = private(answer(picked))
    assert picked.response_type == UPDATE_MESSAGE
    assert "Call 1 of 1" in card.text() and "Morgan Ellis" in card.text()


async def test_a_button_sent_before_a_restart_still_works(
    fake: FakeDiscord, core: Core, server: Server
) -> None:
    alice = server.member
    async with bot_running(fake, core, server):
        opened = await fake.slash(alice, server.guild, "call", {"campaign": "both-chambers"})
        card = await fill_profile(fake, alice, opened, name="Alice", zip=SINGLE_ZIP)
    # The bot restarts: a new process, the same database.
    async with bot_running(fake, core, server):
        clicked = await fake.click(alice, card, outcome_id(card, "contact"))
        assert "Call 2 of 3" in private(answer(clicked)).text()
    assert fake.gateway_sessions == 2
    assert await count(core, CallOutcome) == 1


async def test_a_reconnect_between_two_clicks_changes_nothing_for_the_member(
    fake: FakeDiscord, core: Core, server: Server, bot: CallbotClient
) -> None:
    alice = server.member
    opened = await fake.slash(alice, server.guild, "call", {"campaign": "both-chambers"})
    card = await fill_profile(fake, alice, opened, name="Alice", zip=SINGLE_ZIP)
    card = answer(await fake.click(alice, card, outcome_id(card, "contact")))
    await fake.drop_gateway()
    card = answer(await fake.click(alice, card, outcome_id(card, "skip")))
    assert "Noted: you skipped" in card.text() and "Call 3 of 3" in card.text()
    assert fake.resumes == 1 and fake.gateway_sessions == 1
    assert await count(core, CallOutcome) == 2


# -- organizers -----------------------------------------------------------------------------------


async def test_only_organizers_change_the_setup(
    fake: FakeDiscord, core: Core, server: Server, bot: CallbotClient
) -> None:
    olga, alice, guild = server.admin, server.member, server.guild
    # Discord shows /callbot only to members with Manage Server ...
    with pytest.raises(FakeDiscordError, match="does not see /callbot"):
        await fake.slash(alice, guild, "callbot", {}, subcommand="show")
    organizers = guild.add_role("Organizers")
    saved = await fake.slash(
        olga,
        guild,
        "callbot",
        {
            "organizer_role": organizers,
            "timezone": "America/Chicago",
            "alert_channel": server.channel,
            "tally_time": "7:15pm",
        },
        subcommand="setup",
    )
    text = private(answer(saved)).text()
    assert "Setup saved." in text and "America/Chicago" in text and "19:15" in text
    assert str(organizers.id) in text and str(server.channel.id) in text
    # ... but a server can let everyone use it (Integrations settings): the core still checks.
    commands = fake.commands(guild.id)
    for command in commands:
        if command["name"] == "callbot":
            command["default_member_permissions"] = None
    fake.store_commands(guild.id, commands)
    refused = await fake.slash(
        alice, guild, "callbot", {"timezone": "Pacific/Honolulu"}, subcommand="setup"
    )
    assert "Only organizers can do that here" in private(answer(refused)).text()
    async with core.sessions() as session:
        community = await session.scalar(select(Community))
        assert community is not None and community.timezone == "America/Chicago"
    # A member given the organizer role is an organizer from then on.
    carol = guild.add_member("Carol", roles=[organizers])
    shown = await fake.slash(carol, guild, "callbot", {}, subcommand="show")
    assert "callbot setup" in private(answer(shown)).text()


async def test_setup_autocompletes_time_zones_and_campaigns(
    fake: FakeDiscord, server: Server, bot: CallbotClient
) -> None:
    olga, guild = server.admin, server.guild
    zones = await fake.autocomplete(olga, guild, "callbot", "timezone", "chic", subcommand="setup")
    assert zones == [{"name": "America/Chicago", "value": "America/Chicago"}]
    campaigns = await fake.autocomplete(
        olga, guild, "callbot", "featured_campaign", "gov", subcommand="setup"
    )
    assert [c["value"] for c in campaigns] == ["governor"]
    featured = await fake.slash(
        olga, guild, "callbot", {"featured_campaign": "governor"}, subcommand="setup"
    )
    assert "Call the Governor" in answer(featured).text()
    # Now /call without a campaign means the featured one.
    opened = await fake.slash(server.member, guild, "call")
    assert opened.modal is not None and opened.modal["custom_id"] == "profile:call:governor"


# -- safety ---------------------------------------------------------------------------------------


async def test_a_mass_mention_in_a_chosen_name_pings_nobody(
    fake: FakeDiscord, server: Server, bot: CallbotClient
) -> None:
    alice = server.member
    saved = await fake.slash(alice, server.guild, "profile", {"name": "@everyone <@&123> Al"})
    profile = private(answer(saved))
    assert "@everyone" not in profile.text() and "<@&" not in profile.text()
    assert f"@{ZERO_WIDTH_SPACE}everyone" in profile.text()
    # Her name on the leaderboard, seen by someone else, is just as harmless.
    card = private(answer(await fake.slash(alice, server.guild, "call", {"campaign": "governor"})))
    await fake.click(alice, card, outcome_id(card, "contact"))
    board = await fake.slash(server.admin, server.guild, "leaderboard")
    text = private(answer(board)).text()
    assert f"1. @{ZERO_WIDTH_SPACE}everyone" in text and "Al: 1 call" in text
    assert "@everyone" not in text and "<@&" not in text
    assert all(m.allowed_mentions == {"parse": []} for m in fake.messages.values())


async def test_two_servers_never_see_each_others_leaderboard(
    fake: FakeDiscord, core: Core, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = add_server(fake, "Shelbyville Callers")
    # Published once for every server, the way `callbot discord sync` does it.
    use_fake_discord(monkeypatch, fake)
    assert await cli.sync_commands(argparse.Namespace(guild=None), core.settings) == 0
    assert {c["name"] for c in fake.commands()} >= {"call", "leaderboard", "callbot"}
    async with bot_running(fake, core, None):
        alice = server.member
        opened = await fake.slash(alice, server.guild, "call", {"campaign": "governor"})
        card = await fill_profile(fake, alice, opened, name="Alice")
        await fake.click(alice, card, outcome_id(card, "voicemail"))
        here = answer(await fake.slash(server.admin, server.guild, "leaderboard"))
        there = answer(await fake.slash(other.member, other.guild, "leaderboard"))
    assert "1. Alice: 1 call" in here.text()
    assert "Alice" not in there.text() and "No completed calls yet" in there.text()


# -- delivery -------------------------------------------------------------------------------------


async def test_an_alert_post_that_hits_a_rate_limit_is_retried(
    fake: FakeDiscord, server: Server, bot: CallbotClient
) -> None:
    fake.fail_next("POST", "/channels/{id}/messages", status=429, retry_after=0.05)
    alert = Reply(
        text="Call today!",
        title="Action alert: @everyone call today",
        body="Block the bill.",
        facts=(Fact("Pledged", "3"),),
        private=True,  # a channel post is public whatever the reply says
    )
    ref = await bot.notifier.post(str(server.guild.id), str(server.channel.id), alert)
    posts = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/messages")]
    assert len(posts) == 2  # refused once with 429, then sent
    [message] = fake.channel_messages(server.channel)
    assert ref == f"{server.channel.id}/{message.id}"
    assert not message.ephemeral and message.allowed_mentions == {"parse": []}
    await bot.notifier.edit(
        str(server.guild.id), ref, Reply(text="Tally: 4 calls so far.", tone=Tone.SUCCESS)
    )
    assert message.edits == 1
    assert message.content == "Tally: 4 calls so far." and message.embeds == []


async def test_an_alert_never_lands_in_another_servers_channel(
    fake: FakeDiscord, core: Core, server: Server
) -> None:
    other = add_server(fake, "Shelbyville Callers")
    async with bot_running(fake, core, server) as client:
        with pytest.raises(DestinationGone, match="no longer exists"):
            # Springfield's alert aimed (by mistake or malice) at Shelbyville's channel.
            await client.notifier.post(str(server.guild.id), str(other.channel.id), Reply("Hi"))
    assert fake.channel_messages(other.channel) == []
    assert not [r for r in fake.requests if r.path.endswith("/messages") and r.method == "POST"]


async def test_a_deleted_or_closed_channel_is_gone_for_good(
    fake: FakeDiscord, server: Server, bot: CallbotClient
) -> None:
    community = str(server.guild.id)
    readonly = server.guild.add_channel("announcements", bot_can_post=False)
    await caught_up(fake, server)
    with pytest.raises(DestinationGone, match="Missing Permissions"):
        await bot.notifier.post(community, str(readonly.id), Reply("Alert"))
    ref = await bot.notifier.post(community, str(server.channel.id), Reply("Alert"))
    server.guild.delete_channel(server.channel)
    await caught_up(fake, server, server.guild.channels[0])
    with pytest.raises(DestinationGone, match="no longer exists"):
        await bot.notifier.post(community, str(server.channel.id), Reply("Alert"))
    with pytest.raises(DestinationGone):
        await bot.notifier.edit(community, ref, Reply("Tally"))


async def test_a_slow_answer_is_deferred_and_a_late_form_becomes_a_button(
    fake: FakeDiscord, core: Core, server: Server
) -> None:
    alice = server.member
    # A budget of zero: every answer counts as slow, so each one is deferred first.
    async with bot_running(fake, core, server, budget=0.0) as client:
        stats = await fake.slash(alice, server.guild, "mystats")
        assert stats.response_type == DEFERRED and stats.ephemeral()
        [message] = await stats.wait_messages(1)
        assert "You haven't logged a call here yet" in private(message).text()

        late = await fake.slash(alice, server.guild, "call", {"campaign": "governor"})
        assert late.response_type == DEFERRED
        [message] = await late.wait_messages(1)
        assert "Tell us who you are" in private(message).text()
        assert message.custom_ids() == ["call:governor"]
        button = next(c for row in message.components for c in row["components"])
        assert button["label"] == OPEN_FORM_LABEL
        client.callbot.budget = 2.0  # the service is quick again
        reopened = await fake.click(alice, message, "call:governor")
        assert reopened.response_type == MODAL


class Backlogged(Workload):
    """A workload whose queue would take a minute to get through."""

    def expected_wait(self) -> float:
        return 60.0


async def test_behind_a_long_queue_a_click_is_deferred_at_once_then_answered(
    fake: FakeDiscord, core: Core, server: Server, caplog: pytest.LogCaptureFixture
) -> None:
    async with bot_running(fake, core, server, workload=Backlogged()) as client:
        await client.notifier.post(
            str(server.guild.id),
            str(server.channel.id),
            Reply(text="Alert", actions=(Action("pledge:governor", "I'll call"),)),
        )
        [alert] = fake.channel_messages(server.channel)
        with caplog.at_level(logging.WARNING):
            pledged = await fake.click(server.member, alert, "pledge:governor")
            # Acknowledged before the service ran: a deferral, not the budget running out.
            assert pledged.response_type == DEFERRED and pledged.ephemeral()
            [message] = await pledged.wait_messages(1)
        assert "Thank you for pledging" in private(message).text()
        assert not [r for r in caplog.records if "deferring" in r.getMessage()]


async def test_a_click_in_flight_when_the_bot_stops_is_answered_and_kept(
    fake: FakeDiscord, core: Core, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_fake_discord(monkeypatch, fake)
    entered, proceed = asyncio.Event(), asyncio.Event()
    handle_component = callbot.services.handle_component

    async def slow(*args: Any, **kwargs: Any) -> Reply:
        entered.set()
        await proceed.wait()
        return await handle_component(*args, **kwargs)

    monkeypatch.setattr(callbot.services, "handle_component", slow)
    adapter = DiscordAdapter()
    running = asyncio.create_task(adapter.run(core))
    try:
        await fake.wait_ready(commands=False)
        assert adapter.client is not None
        await adapter.client.wait_until_ready()
        await adapter.client.notifier.post(
            str(server.guild.id),
            str(server.channel.id),
            Reply(text="Alert", actions=(Action("pledge:governor", "Pledge"),)),
        )
        [alert] = fake.channel_messages(server.channel)
        clicking = asyncio.create_task(fake.click(server.member, alert, "pledge:governor"))
        await entered.wait()
        running.cancel()  # the operator stops the bot while the pledge is being saved
        proceed.set()
        pledged = await clicking
        assert "Thank you for pledging" in private(answer(pledged)).text()
    finally:
        running.cancel()
        proceed.set()
    with pytest.raises(asyncio.CancelledError):
        await running
    async with core.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Pledge)) == 1
    assert fake.errors == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_callbot_run_stops_cleanly_on_a_signal(
    fake: FakeDiscord, core: Core, server: Server, signum: signal.Signals
) -> None:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DISCORD_", "SLACK_", "CALLBOT_", "DATABASE_URL"))
    }
    environment |= {
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "DISCORD_GUILD_READY_TIMEOUT": "0.05",
        "DISCORD_DEV_GUILD_ID": str(server.guild.id),
        "DATABASE_URL": core.engine.url.render_as_string(hide_password=False),
        "CALLBOT_DATA_DIR": str(core.settings.data_dir),
        "CAMPAIGNS_DIR": str(core.settings.campaigns_dir),
    }
    bot = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "callbot.cli",
        "run",
        cwd=core.settings.data_dir,  # no .env of the checkout
        env=environment,
        stdin=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    assert bot.stderr is not None
    log: list[str] = []
    async with asyncio.timeout(60):
        async for line in bot.stderr:
            log.append(line.decode())
            if "connected to Discord" in log[-1]:
                break
        helped = await fake.slash(server.member, server.guild, "help", channel=server.channel)
        assert "/call" in answer(helped).text()
        bot.send_signal(signum)
        log += [line.decode() async for line in bot.stderr]
        assert await bot.wait() == 0, "".join(log)
    assert not [line for line in log if "Traceback" in line or " ERROR " in line], "".join(log)


async def test_a_failure_gets_an_apology_with_the_reference_in_the_log(
    fake: FakeDiscord,
    server: Server,
    bot: CallbotClient,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken(core: Core, actor: Any) -> Reply:
        raise RuntimeError("database on fire")

    monkeypatch.setattr(callbot.services, "my_stats", broken)
    with caplog.at_level(logging.ERROR):
        failed = await fake.slash(server.member, server.guild, "mystats")
    text = private(answer(failed)).text()
    match = re.search(r"reference ([0-9a-f]{8})", text)
    assert match is not None, text
    logged = [r for r in caplog.records if f"ref={match[1]}" in r.getMessage()]
    assert logged and logged[0].exc_info is not None
    assert "command='mystats'" in logged[0].getMessage()
    # The bot carries on.
    assert "callbot" in answer(await fake.slash(server.member, server.guild, "help")).text()


# -- members --------------------------------------------------------------------------------------


async def test_forget_then_mystats_shows_nothing_is_left(
    fake: FakeDiscord, core: Core, server: Server, bot: CallbotClient
) -> None:
    alice = server.member
    opened = await fake.slash(alice, server.guild, "call", {"campaign": "governor"})
    card = await fill_profile(fake, alice, opened, name="Alice")
    await fake.click(alice, card, outcome_id(card, "contact"))
    before = answer(await fake.slash(alice, server.guild, "mystats"))
    assert "Completed calls\n1" in before.text()

    asked = private(answer(await fake.slash(alice, server.guild, "forget")))
    assert asked.custom_ids() == ["forget:confirm", "forget:cancel"]
    erased = await fake.click(alice, asked, "forget:confirm")
    assert erased.response_type == UPDATE_MESSAGE  # the question is replaced, buttons gone
    assert "your data is erased" in answer(erased).text() and answer(erased).custom_ids() == []

    after = answer(await fake.slash(alice, server.guild, "mystats"))
    assert "You haven't logged a call here yet" in after.text()
    assert await count(core, CallOutcome) == 1  # the anonymous call still counts for the server


async def test_pledge_with_several_open_campaigns_asks_which(
    fake: FakeDiscord, server: Server, bot: CallbotClient
) -> None:
    alice = server.member
    asked = private(answer(await fake.slash(alice, server.guild, "pledge")))
    assert asked.custom_ids() == ["pledge"]
    pledged = await fake.select(alice, asked, "pledge", ["house-budget"])
    assert pledged.response_type == UPDATE_MESSAGE
    assert "Thank you for pledging" in answer(pledged).text()
    again = answer(await fake.slash(alice, server.guild, "pledge", {"campaign": "house-budget"}))
    assert "You've already pledged" in again.text()
    choices = await fake.autocomplete(alice, server.guild, "pledge", "campaign", "BILL")
    assert choices == [{"name": "Block the bill (both-chambers)", "value": "both-chambers"}]


async def test_profile_edit_opens_a_form_and_the_card_updates_in_place(
    fake: FakeDiscord, server: Server, bot: CallbotClient
) -> None:
    alice = server.member
    card = private(
        answer(await fake.slash(alice, server.guild, "profile", {"name": "Al", "zip": SINGLE_ZIP}))
    )
    assert "Saved." in card.text()
    edit = await fake.click(alice, card, "profile:edit")
    assert edit.modal is not None
    defaults = {
        c["component"]["custom_id"]: c["component"].get("value") for c in edit.modal["components"]
    }
    assert defaults == {"name": "Al", "zip": SINGLE_ZIP, "city": None}
    saved = await fake.submit_modal(
        alice, edit, {"name": "Alice", "zip": SINGLE_ZIP, "city": "Oakland"}
    )
    assert saved.response_type == UPDATE_MESSAGE and answer(saved) is card
    assert "Alice" in card.text() and "Oakland" in card.text()
    hidden = await fake.click(alice, card, "profile:hide")
    assert "no (hidden)" in answer(hidden).text()
    board = await fake.slash(alice, server.guild, "leaderboard", {"period": "week"})
    assert "Leaderboard: this week" in answer(board).text()
    month = await fake.click(alice, answer(board), "leaderboard:-:month")
    assert "Leaderboard: this month" in answer(month).text()


# -- running it -----------------------------------------------------------------------------------


async def test_callbot_run_serves_discord_from_its_settings(
    fake: FakeDiscord, core: Core, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_fake_discord(monkeypatch, fake)
    monkeypatch.setenv("DISCORD_DEV_GUILD_ID", str(server.guild.id))
    adapter = DiscordAdapter()
    assert adapter.configured({"DISCORD_TOKEN": fake.token})
    running = asyncio.create_task(adapter.run(core))
    await fake.wait_ready()
    assert {c["name"] for c in fake.commands(server.guild.id)} >= {"call", "callbot"}
    assert adapter.client is not None and adapter.notifier is not None
    helped = await fake.slash(server.member, server.guild, "help")
    assert "/call" in answer(helped).text()
    assert not running.done()
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert adapter.client is None
    [identify] = fake.identifies
    assert identify["intents"] == 1  # guilds only: nothing privileged
    assert fake.errors == []


async def test_callbot_discord_sync_and_invite_talk_to_discord(
    fake: FakeDiscord,
    server: Server,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    core: Core,
) -> None:
    use_fake_discord(monkeypatch, fake)
    assert await cli.sync_commands(argparse.Namespace(guild=server.guild.id), core.settings) == 0
    assert "Published 10 commands to server" in capsys.readouterr().out
    assert fake.commands() == [] and len(fake.commands(server.guild.id)) == 10
    assert await cli.print_invite(argparse.Namespace(application_id=None), core.settings) == 0
    assert capsys.readouterr().out.strip() == cli.invite_url(fake.app_id)
    assert fake.errors == []


async def test_shards_share_the_servers_and_each_answers_its_own(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_fake(shards=2) as fake:
        servers: list[Server] = []
        while {shard_of(s.guild.id, 2) for s in servers} != {0, 1}:
            assert len(servers) < 8, "the fake keeps putting servers on one shard"
            servers.append(add_server(fake, f"Server {len(servers)}"))
            fake.new_id()  # an odd number of ids per server, so the next one may change shard
        use_fake_discord(monkeypatch, fake)
        assert await cli.sync_commands(argparse.Namespace(guild=None), core.settings) == 0
        settings = DiscordSettings(
            token=fake.token, shard_count=2, guild_ready_timeout=0.05, _env_file=None
        )
        client = build_client(core, settings)
        assert isinstance(client, discord.AutoShardedClient)
        async with running_bot(fake, client):
            async with asyncio.timeout(5):
                await client.wait_until_ready()
            assert client.shard_count == 2 and len(client.guilds) == len(servers)
            for server in servers:
                helped = await fake.slash(server.member, server.guild, "help")
                assert "/call" in answer(helped).text()
        assert {identify["shard"][0] for identify in fake.identifies} == {0, 1}


async def test_a_call_button_on_a_public_alert_answers_privately(
    fake: FakeDiscord, server: Server, bot: CallbotClient
) -> None:
    alert = Reply(
        text="Action alert: call the Governor today.",
        title="Action alert",
        body="Ask the Governor to veto the bill.",
        actions=(
            Action("call:governor", "Call now", Style.PRIMARY),
            Action("pledge:governor", "Pledge"),
        ),
    )
    await bot.notifier.post(str(server.guild.id), str(server.channel.id), alert)
    [posted] = fake.channel_messages(server.channel)
    alice = server.member
    opened = await fake.click(alice, posted, "call:governor")
    card = await fill_profile(fake, alice, opened, name="Alice")
    assert "Call 1 of 1: Governor Pat Example" in card.text()
    pledged = await fake.click(server.admin, posted, "pledge:governor")
    assert pledged.response_type == CHANNEL_MESSAGE  # a new private message, not an edit
    assert "Thank you for pledging" in private(answer(pledged)).text()
    assert posted.edits == 0 and fake.channel_messages(server.channel) == [posted]


async def test_a_button_the_core_no_longer_routes_gets_a_clear_answer(
    fake: FakeDiscord, core: Core, server: Server
) -> None:
    async with bot_running(fake, core, server) as old_version:
        # A button an earlier version of the bot sent, with an id nothing routes today.
        legacy = discord.ui.View(timeout=None)
        legacy.add_item(discord.ui.Button(label="Old button", custom_id="survey:42"))
        channel = old_version.get_partial_messageable(server.channel.id)
        await channel.send(
            "An old message", view=legacy, allowed_mentions=discord.AllowedMentions.none()
        )
    [posted] = fake.channel_messages(server.channel)
    async with bot_running(fake, core, server):
        clicked = await fake.click(server.member, posted, "survey:42")
        assert "That button is out of date" in private(answer(clicked)).text()
