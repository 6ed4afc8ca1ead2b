"""Scheduled action alerts on Discord, end to end: the real discord.py client and the real core
against the loopback fake. Organizers create, list and cancel alerts and post tallies; members
press an alert's buttons; the notifier posts, edits and sends direct messages, also from a
REST-only client as the scheduler runs it. Every bot session ends with the fake having recorded
no protocol violation (see `discord_helpers.bot_running`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

import discord_helpers
from callbot.adapters import PostsScheduled
from callbot.alerts import delivery, settle
from callbot.alerts.posts import alert_post
from callbot.alerts.sending import Runtime, alert_post_key
from callbot.alerts.service import post_tally_now
from callbot.core import Core
from callbot.db.models import Alert, AlertStatus, AuditEvent, Pledge
from callbot.notify import DestinationGone, Notifier
from callbot.replies import Action, Actor, Reply
from callbot.services.tallies import Tally
from callbot_discord.adapter import DiscordAdapter
from callbot_discord.client import CallbotClient
from callbot_discord.notifier import NONCE_WINDOW
from conftest import PNG_MAGIC, Clock, count, rows
from discord_helpers import Server, answer, bot_running, caught_up, private, use_fake_discord
from fakes.discord_fake import FakeDiscord, FakeDiscordError, FakeMessage
from fakes.discord_payloads import (
    ATTACHMENT_SIZE_LIMIT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    UPDATE_MESSAGE,
)
from fakes.errors import take_errors

# The shared fixtures (tests/discord_helpers.py).
core = discord_helpers.core
fake = discord_helpers.fake
server = discord_helpers.server
bot = discord_helpers.bot

CHART = "calls-per-day.png"
ZONE = ZoneInfo("America/New_York")  # the default time zone of a new community


def public(message: FakeMessage) -> FakeMessage:
    assert not message.ephemeral, f"{message} is private"
    assert message.allowed_mentions == {"parse": []}, message.allowed_mentions
    return message


def assert_chart(message: FakeMessage) -> None:
    """The message shows the tally chart: uploaded as a PNG and placed in its embed."""
    [embed] = message.embeds
    assert embed["image"] == {"url": f"attachment://{CHART}"}
    [attachment] = message.attachments
    assert attachment["filename"] == CHART and attachment["content_type"] == "image/png"
    assert attachment["description"].startswith("Completed calls per day")
    assert message.attachment_data(CHART).startswith(PNG_MAGIC)


async def create_alert(
    fake: FakeDiscord, server: Server, when: str = "daily 18:00", **options: Any
) -> FakeMessage:
    created = await fake.slash(
        server.admin,
        server.guild,
        "alert",
        {"campaign": "governor", "channel": server.channel, "when": when, **options},
        subcommand="create",
    )
    return private(answer(created))


async def scheduled_alert(fake: FakeDiscord, server: Server, when: str = "daily 18:00") -> int:
    """An organizer creates an alert and presses Schedule it; its id."""
    preview = await create_alert(fake, server, when)
    [confirm, _] = preview.custom_ids()
    confirmed = await fake.click(server.admin, preview, confirm)
    assert "Alert scheduled" in answer(confirmed).text(), answer(confirmed).text()
    return int(confirm.rsplit(":", 1)[1])


# -- organizers -----------------------------------------------------------------------------------


async def test_an_organizer_previews_schedules_lists_and_cancels_an_alert(
    fake: FakeDiscord, core: Core, server: Server, bot: CallbotClient
) -> None:
    olga = server.admin
    preview = await create_alert(fake, server, message="Big vote on Thursday!")
    text = preview.text()
    assert "Preview: Action alert: Call the Governor" in text
    assert "Big vote on Thursday!" in text and "Ask the Governor to veto the bill." in text
    # The core escapes the label's "#" as Markdown; Discord shows "#general".
    assert f"Posted in\n\\#{server.channel.name}" in text
    assert "When\nevery day at 18:00 (America/New_York)" in text
    # The test clock says Wednesday 18 November 2026, 10:00 in New York.
    assert "Next posts\nWed 18 Nov 18:00 EST, Thu 19 Nov 18:00 EST, Fri 20 Nov 18:00 EST" in text
    [draft] = await rows(core, Alert)
    assert draft.status == AlertStatus.DRAFT
    assert preview.custom_ids() == [f"alert:confirm:{draft.id}", f"alert:discard:{draft.id}"]
    assert fake.channel_messages(server.channel) == []  # a preview is for the organizer only

    confirmed = await fake.click(olga, preview, f"alert:confirm:{draft.id}")
    assert confirmed.response_type == UPDATE_MESSAGE  # the preview becomes the confirmation
    card = private(answer(confirmed))
    assert "Alert scheduled" in card.text() and card.custom_ids() == [f"alert:cancel:{draft.id}"]
    [alert] = await rows(core, Alert)
    assert alert.status == AlertStatus.ACTIVE and alert.schedule == "daily:18:00"
    assert alert.channel_id == str(server.channel.id) and alert.created_by == str(olga.id)
    assert alert.message == "Big vote on Thursday!"
    [created] = await rows(core, AuditEvent)
    assert (created.action, created.user_id) == ("alert.create", str(olga.id))

    listed = private(answer(await fake.slash(olga, server.guild, "alert", subcommand="list")))
    assert f"#{alert.id} Call the Governor\nevery day at 18:00; next: Wed 18 Nov" in listed.text()
    assert f"alert.create by {olga.id}" in listed.text()
    assert listed.custom_ids() == [f"alert:cancel:{alert.id}"]

    cancelled = await fake.slash(
        olga, server.guild, "alert", {"alert": alert.id}, subcommand="cancel"
    )
    assert f"Cancelled alert #{alert.id}" in private(answer(cancelled)).text()
    [alert] = await rows(core, Alert)
    assert alert.status == AlertStatus.CANCELLED and alert.cancelled_by == str(olga.id)
    assert [(e.action, e.user_id) for e in await rows(core, AuditEvent)] == [
        ("alert.create", str(olga.id)),
        ("alert.cancel", str(olga.id)),
    ]
    again = await fake.slash(olga, server.guild, "alert", {"alert": alert.id}, subcommand="cancel")
    assert "That alert is not scheduled" in private(answer(again)).text()


async def test_help_tells_members_what_organizers_can_do(
    fake: FakeDiscord, server: Server, bot: CallbotClient
) -> None:
    helped = private(answer(await fake.slash(server.member, server.guild, "help")))
    assert "For organizers:" in helped.text()
    assert "/alert create | list | cancel | preview" in helped.text()
    assert "/tally [campaign]" in helped.text()


async def test_cancel_without_a_number_asks_which_alert(
    fake: FakeDiscord, core: Core, server: Server, bot: CallbotClient
) -> None:
    daily = await scheduled_alert(fake, server, "daily 18:00")
    weekly = await scheduled_alert(fake, server, "mondays 9:30am")
    asked = private(
        answer(await fake.slash(server.admin, server.guild, "alert", subcommand="cancel"))
    )
    assert asked.custom_ids() == ["alert:cancel"]
    [select_menu] = [c for row in asked.components for c in row["components"]]
    assert [o["value"] for o in select_menu["options"]] == [str(daily), str(weekly)]
    assert select_menu["options"][1]["description"] == "every Monday at 09:30"
    picked = await fake.select(server.admin, asked, "alert:cancel", [str(weekly)])
    assert f"Cancelled alert #{weekly}" in answer(picked).text()
    statuses = {alert.id: alert.status for alert in await rows(core, Alert)}
    assert statuses == {daily: AlertStatus.ACTIVE, weekly: AlertStatus.CANCELLED}


async def test_discard_drops_the_preview(
    fake: FakeDiscord, core: Core, server: Server, bot: CallbotClient
) -> None:
    preview = await create_alert(fake, server, "tomorrow 18:00")
    assert "once, on Thu 19 Nov 2026 at 18:00" in preview.text()
    discarded = await fake.click(server.admin, preview, preview.custom_ids()[1])
    assert "Discarded: nothing was scheduled." in answer(discarded).text()
    assert await count(core, Alert) == 0 and await count(core, AuditEvent) == 0


async def test_a_member_who_is_not_an_organizer_is_refused_and_nothing_is_stored(
    fake: FakeDiscord, core: Core, server: Server, bot: CallbotClient
) -> None:
    alice, guild = server.member, server.guild
    # Discord offers /alert and /tally only to members with Manage Server ...
    with pytest.raises(FakeDiscordError, match="does not see /alert"):
        await fake.slash(alice, guild, "alert", subcommand="list")
    with pytest.raises(FakeDiscordError, match="does not see /tally"):
        await fake.slash(alice, guild, "tally")
    # ... but a server can open them to everyone (Integrations settings): the core still checks.
    commands = fake.commands(guild.id)
    for command in commands:
        command["default_member_permissions"] = None
    fake.store_commands(guild.id, commands)
    refusals = [
        await fake.slash(
            alice,
            guild,
            "alert",
            {"campaign": "governor", "channel": server.channel, "when": "daily 18:00"},
            subcommand="create",
        ),
        await fake.slash(alice, guild, "alert", subcommand="list"),
        await fake.slash(alice, guild, "alert", {"alert": 1}, subcommand="cancel"),
        await fake.slash(alice, guild, "alert", subcommand="preview"),
        await fake.slash(alice, guild, "tally", {"campaign": "governor"}),
    ]
    for refused in refusals:
        assert "Only organizers" in private(answer(refused)).text(), refused
    assert await count(core, Alert) == 0 and await count(core, AuditEvent) == 0
    assert fake.channel_messages(server.channel) == []


async def test_a_when_that_does_not_read_gets_the_usage_hint(
    fake: FakeDiscord, core: Core, server: Server, bot: CallbotClient
) -> None:
    refused = await create_alert(fake, server, "whenever you like")
    assert "Say when as a date and time" in refused.text()
    assert "“daily 18:00”" in refused.text() and refused.custom_ids() == []
    too_often = await create_alert(fake, server, "cron */10 * * * *")
    assert "at most once an hour" in too_often.text()
    assert await count(core, Alert) == 0


async def test_when_and_campaign_are_suggested_as_the_organizer_types(
    fake: FakeDiscord, server: Server, bot: CallbotClient
) -> None:
    olga, guild = server.admin, server.guild

    async def suggested(focused: str, typed: str) -> list[str]:
        choices = await fake.autocomplete(olga, guild, "alert", focused, typed, subcommand="create")
        return [choice["value"] for choice in choices]

    assert await suggested("when", "") == [
        "tomorrow 18:00",
        "daily 18:00",
        "weekdays 09:30",
        "mondays 18:00",
        "weekly friday 12:00",
        "cron 0 18 * * 1-5",
    ]
    assert await suggested("when", "week") == ["week", "weekdays 09:30", "weekly friday 12:00"]
    assert await suggested("when", "7pm") == [
        "7pm",
        "tomorrow 7pm",
        "daily 7pm",
        "weekdays 7pm",
        "mondays 7pm",
        "fridays 7pm",
    ]
    assert await suggested("campaign", "gov") == ["governor"]
    # A suggestion is what the core reads.
    preview = await create_alert(fake, server, "fridays 7pm")
    assert "every Friday at 19:00" in preview.text()


async def test_preview_shows_the_alert_as_members_will_see_it(
    fake: FakeDiscord, server: Server, bot: CallbotClient
) -> None:
    olga, guild = server.admin, server.guild
    # Several campaigns are open: the organizer picks one.
    asked = private(answer(await fake.slash(olga, guild, "alert", subcommand="preview")))
    assert asked.custom_ids() == ["alert:preview"]
    picked = await fake.select(olga, asked, "alert:preview", ["governor"])
    shown = private(answer(picked))
    assert "Preview: Action alert: Call the Governor" in shown.text()
    assert "Pledged to call\n0" in shown.text()
    named = await fake.slash(olga, guild, "alert", {"campaign": "governor"}, subcommand="preview")
    assert private(answer(named)).text() == shown.text()


# -- the tally ------------------------------------------------------------------------------------


async def test_tally_is_posted_for_everyone_with_its_chart(
    fake: FakeDiscord, core: Core, server: Server, bot: CallbotClient
) -> None:
    pledged = await fake.slash(server.member, server.guild, "pledge", {"campaign": "governor"})
    assert "Thank you for pledging" in answer(pledged).text()
    posted = await fake.slash(server.admin, server.guild, "tally", {"campaign": "governor"})
    assert posted.response_type == CHANNEL_MESSAGE and not posted.ephemeral()
    [message] = fake.channel_messages(server.channel)
    assert public(message) is answer(posted)
    assert "Call the Governor" in message.text() and "Pledged to call\n1" in message.text()
    assert_chart(message)
    [audited] = await rows(core, AuditEvent)
    assert (audited.action, audited.user_id) == ("tally.post", str(server.admin.id))


async def test_tally_without_a_campaign_asks_privately_then_posts_for_everyone(
    fake: FakeDiscord, server: Server, bot: CallbotClient
) -> None:
    asked = private(answer(await fake.slash(server.admin, server.guild, "tally")))
    assert asked.custom_ids() == ["tallynow"]
    picked = await fake.select(server.admin, asked, "tallynow", ["house-budget"])
    assert picked.response_type == CHANNEL_MESSAGE
    [message] = fake.channel_messages(server.channel)
    assert public(message) is answer(picked)
    assert "Goal" in message.text()
    assert_chart(message)


async def test_a_slow_tally_is_deferred_privately_and_still_posted_for_everyone(
    fake: FakeDiscord, core: Core, server: Server
) -> None:
    # A budget of zero: every answer counts as slow, so each one is deferred first.
    async with bot_running(fake, core, server, budget=0.0):
        posted = await fake.slash(server.admin, server.guild, "tally", {"campaign": "governor"})
        assert posted.response_type == DEFERRED_CHANNEL_MESSAGE and posted.ephemeral()
        note, message = await posted.wait_messages(2)
    assert "Posted in this channel" in private(note).text()
    assert fake.channel_messages(server.channel) == [public(message)]
    assert "Call the Governor" in message.text()
    assert_chart(message)


# -- members and the alert post -------------------------------------------------------------------


async def test_ill_call_on_an_alert_post_pledges_then_withdraws(
    fake: FakeDiscord, core: Core, server: Server, bot: CallbotClient
) -> None:
    entry = core.campaigns.get("governor")
    assert entry is not None
    post = alert_post(entry, "Vote is Thursday: call today!", Tally(), ZONE)
    ref = await bot.notifier.post(str(server.guild.id), str(server.channel.id), post)
    [alert] = fake.channel_messages(server.channel)
    assert ref == f"{server.channel.id}/{alert.id}"
    assert public(alert).custom_ids() == ["call:governor", "pledge:governor:toggle"]
    assert "Vote is Thursday: call today!" in alert.text()

    alice = server.member
    first = await fake.click(alice, alert, "pledge:governor:toggle")
    assert first.response_type == CHANNEL_MESSAGE  # a private answer; the alert stays as it is
    assert "Thank you for pledging" in private(answer(first)).text()
    assert await count(core, Pledge) == 1
    second = await fake.click(alice, alert, "pledge:governor:toggle")
    assert "Your pledge for “Call the Governor” is withdrawn" in private(answer(second)).text()
    assert await count(core, Pledge) == 0
    assert alert.edits == 0 and fake.channel_messages(server.channel) == [alert]


# -- the notifier ---------------------------------------------------------------------------------


async def test_a_direct_message_reaches_the_member_and_only_a_member(
    fake: FakeDiscord, server: Server, bot: CallbotClient
) -> None:
    reminder = Reply(
        text="You pledged to call the Governor: today is a good day.",
        title="A reminder from Springfield Callers",
        actions=(Action("call:governor", "Call now"),),
    )
    community = str(server.guild.id)
    await bot.notifier.direct(community, str(server.member.id), reminder)
    [message] = fake.direct_messages(server.member)
    assert message.text().startswith("A reminder from Springfield Callers")
    assert message.custom_ids() == ["call:governor"] and message.allowed_mentions == {"parse": []}
    assert [r.json for r in fake.requests if r.path == "/users/@me/channels"] == [
        {"recipient_id": server.member.id}
    ]
    # Someone of another server is not messaged on this one's behalf ...
    stranger = fake.add_guild("Shelbyville Callers").add_member("Sam")
    with pytest.raises(DestinationGone, match="no longer a member"):
        await bot.notifier.direct(community, str(stranger.id), reminder)
    # ... and a member who turned direct messages off is gone for good.
    server.member.accepts_dms = False
    with pytest.raises(DestinationGone, match="Cannot send messages to this user"):
        await bot.notifier.direct(community, str(server.member.id), reminder)
    assert fake.direct_messages(stranger) == [] and len(fake.direct_messages(server.member)) == 1


async def test_a_channel_that_refuses_files_gets_the_chart_in_words(
    fake: FakeDiscord, core: Core, server: Server, bot: CallbotClient
) -> None:
    no_files = server.guild.add_channel("no-files", bot_can_attach=False)
    organizer = Actor("discord", str(server.guild.id), str(server.admin.id), is_admin=True)
    tally = await post_tally_now(core, organizer, "governor")
    assert tally.image is not None
    await caught_up(fake, server)  # the bot has heard of the new channel
    await bot.notifier.post(str(server.guild.id), str(no_files.id), tally)
    [message] = fake.channel_messages(no_files)
    assert message.attachments == [] and "image" not in message.embeds[0]
    assert tally.image.alt in message.text()
    posts = [r for r in fake.request_log if r.method == "POST" and r.path.endswith("/messages")]
    assert [r.status for r in posts] == [403, 200]  # refused with the file, sent without


async def test_the_rest_only_notifier_posts_edits_and_knows_a_deleted_channel(
    fake: FakeDiscord, core: Core, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_fake_discord(monkeypatch, fake)
    adapter = DiscordAdapter()
    assert isinstance(adapter, PostsScheduled)  # what the scheduler looks for
    entry = core.campaigns.get("governor")
    assert entry is not None
    organizer = Actor("discord", str(server.guild.id), str(server.admin.id), is_admin=True)
    tally = await post_tally_now(core, organizer, "governor")
    community = str(server.guild.id)
    async with adapter.notifying(core) as notifier:
        assert isinstance(notifier, Notifier)
        ref = await notifier.post(
            community, str(server.channel.id), alert_post(entry, "", Tally(), ZONE)
        )
        await notifier.edit(community, ref, alert_post(entry, "", Tally(pledges=3), ZONE))
        await notifier.post(community, str(server.channel.id), tally)
        await notifier.direct(community, str(server.member.id), Reply(text="Thanks for calling!"))
        gone = server.guild.add_channel("old-actions")
        server.guild.delete_channel(gone)
        with pytest.raises(DestinationGone, match="Unknown Channel"):
            await notifier.post(community, str(gone.id), tally)
    assert notifier.platform == "discord" and notifier.client.is_closed()
    alert, chart = fake.channel_messages(server.channel)
    assert alert.edits == 1 and "Pledged to call\n3" in alert.text()
    assert alert.custom_ids() == ["call:governor", "pledge:governor:toggle"]
    assert_chart(chart)
    [thanks] = fake.direct_messages(server.member)
    assert thanks.content == "Thanks for calling!"
    assert fake.gateway_sessions == 0  # REST only: it never opened the gateway
    assert fake.errors == []


# -- the fake is as strict about uploads as Discord -----------------------------------------------


async def test_the_fake_checks_uploads_like_discord(fake: FakeDiscord, server: Server) -> None:
    url = f"{fake.api_base}/channels/{server.channel.id}/messages"
    headers = {
        "Authorization": f"Bot {fake.token}",
        "User-Agent": "DiscordBot (https://example.org, 1.0)",
    }

    def upload(
        field: str, data: bytes, embed_image: str, attachment_id: int = 0
    ) -> aiohttp.FormData:
        payload = {
            "embeds": [{"title": "Tally", "image": {"url": embed_image}}],
            "attachments": [{"id": attachment_id, "filename": CHART}],
            "allowed_mentions": {"parse": []},
        }
        form = aiohttp.FormData()
        form.add_field("payload_json", json.dumps(payload), content_type="application/json")
        form.add_field(field, data, filename=CHART, content_type="application/octet-stream")
        return form

    chart = PNG_MAGIC + b"rest of the picture"
    async with aiohttp.ClientSession(headers=headers) as session:
        statuses = []
        for form in (
            upload("files[0]", chart, f"attachment://{CHART}"),  # right
            upload("file", chart, f"attachment://{CHART}"),  # not files[n]
            upload("files[0]", chart, f"attachment://{CHART}", attachment_id=1),  # no files[1]
            upload("files[0]", b"x" * (ATTACHMENT_SIZE_LIMIT + 1), f"attachment://{CHART}"),
            upload("files[0]", chart, "attachment://other.png"),  # names no attachment
        ):
            async with session.post(url, data=form) as response:
                statuses.append(response.status)
    assert statuses == [200, 400, 400, 413, 200]
    first, hole = fake.channel_messages(server.channel)
    assert first.attachment_data(CHART) == chart
    assert first.attachments[0]["content_type"] == "image/png"
    problems = take_errors(fake)
    assert len(problems) == 4, problems
    assert "not named files[n]" in problems[0] and "files[1], not uploaded" in problems[1]
    assert "over the upload limit" in problems[2]
    assert f"message {hole.id}: embeds[0].image: attachment://other.png names no" in problems[3]


# -- posts that did not simply go out ---------------------------------------------------------


async def test_a_post_sent_again_with_its_key_by_another_process_is_the_same_message(
    fake: FakeDiscord, core: Core, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two schedulers' REST-only notifiers: the second sends the post the first one sent (its
    # answer lost in a crash) with the key derived from the delivery: Discord's nonce.
    use_fake_discord(monkeypatch, fake)
    adapter = DiscordAdapter()
    entry = core.campaigns.get("governor")
    assert entry is not None
    post = alert_post(entry, "", Tally(), ZONE)
    channel = str(server.channel.id)
    key = alert_post_key(12, datetime(2026, 11, 18, 23, 0, tzinfo=UTC), channel)
    async with adapter.notifying(core) as first, adapter.notifying(core) as second:
        assert first.repeats_safe_for == NONCE_WINDOW
        ref = await first.post(str(server.guild.id), channel, post, key=key)
        again = await second.post(str(server.guild.id), channel, post, key=key)
    [message] = fake.channel_messages(server.channel)
    assert again == ref == f"{channel}/{message.id}" and message.nonce == key
    assert fake.nonce_repeats == 1 and fake.errors == []


async def test_an_organizer_posts_a_missed_alert_from_the_direct_message_that_told_them(
    fake: FakeDiscord, core: Core, server: Server, bot: CallbotClient, clock: Clock
) -> None:
    alert_id = await scheduled_alert(fake, server, "daily 18:00")
    runtime = Runtime(core, {"discord": bot.notifier})
    clock.now = datetime(2026, 11, 18, 23, 30, tzinfo=UTC)  # half an hour late: missed
    assert await delivery.run_alert(runtime, alert_id, clock.now) == "missed"
    [notice] = fake.direct_messages(server.admin)
    assert "was not posted" in notice.text() and notice.allowed_mentions == {"parse": []}
    [button] = [c for c in notice.custom_ids() if c.startswith("alert:postnow:")]
    with pytest.raises(FakeDiscordError, match="cannot see direct message"):
        await fake.click(server.member, notice, button)  # only the organizer told sees it
    asked = private(answer(await fake.click(server.admin, notice, button)))
    assert "will be posted in its channel within a few seconds" in asked.text()
    assert await settle.settle(runtime, clock.now) == 1  # as the leader does every few seconds
    [post] = fake.channel_messages(server.channel)
    assert post.text().startswith("Action alert: Call the Governor")
    again = answer(await fake.click(server.admin, notice, button))
    assert "was posted already" in again.text()
    assert len(fake.channel_messages(server.channel)) == 1
