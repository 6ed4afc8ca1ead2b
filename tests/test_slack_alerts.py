"""Scheduled action alerts on Slack, end to end: organizers' /alert and /tally, the alert form,
the alert buttons, charts uploaded as files, and the notifier the scheduler posts through (with
the app running, and on its own). The real bolt app, the real core on the test database, and
the loopback fake Slack, in Socket Mode and HTTP mode; the fake must see no violation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from aiohttp.client_reqrep import ConnectionKey

from callbot.adapters import PostsScheduled
from callbot.alerts import delivery, settle
from callbot.alerts.posts import alert_post
from callbot.alerts.sending import Runtime
from callbot.alerts.service import draft_alert
from callbot.core import Core
from callbot.db.models import Alert, AlertStatus, AuditEvent, Pledge
from callbot.notify import DeliveryError, DeliveryUncertain, DestinationGone
from callbot.replies import OPEN_FORM_LABEL, Actor, Image, Reply
from callbot.services import handle_component
from callbot.services.tallies import Tally
from callbot_slack.adapter import SlackAdapter
from callbot_slack.app import SlackApp
from callbot_slack.notifier import _translated as translated_error
from conftest import PNG_MAGIC, Clock, count, rows
from fakes.errors import take_errors
from fakes.slack_fake import FakeMessage, FakeSlack
from test_slack_e2e import (  # the shared end-to-end fixtures and helpers
    Team,
    add_team,
    answered,
    core,
    fake,
    mode,
    opened_modal,
    private_card,
    settings_for,
    slack,
    slack_running,
    team,
)

__all__ = ["core", "fake", "mode", "slack", "team"]  # fixtures, used by name

NEW_YORK = ZoneInfo("America/New_York")


def users_info_calls(fake: FakeSlack) -> int:
    return len(fake.calls("users.info"))


async def draft_through_the_form(
    fake: FakeSlack, team: Team, when: str = "daily 18:00", message: str = "Phones up!"
) -> FakeMessage:
    """The organizer opens /alert create, fills it in, and gets the private preview."""
    olga = team.admin
    earlier = len(fake.ephemeral_messages(olga, team.channel))
    form = await opened_modal(await fake.slash(olga, team.channel, "/alert", "create"))
    assert form.callback_id == "callbot-alert"
    await fake.submit(
        olga,
        form,
        {"campaign": "governor", "channel": team.channel.id, "when": when, "message": message},
    )
    assert fake.modal(olga) is None
    return await private_card(fake, olga, team.channel, earlier + 1)


# -- organizers create, list and cancel -----------------------------------------------------------


async def test_an_organizer_schedules_an_alert_through_the_form_then_lists_and_cancels_it(
    fake: FakeSlack, core: Core, team: Team, slack: SlackApp
) -> None:
    olga = team.admin
    opened = await fake.slash(olga, team.channel, "/alert", "create")
    form = await opened_modal(opened)
    text = form.visible_text()
    assert "Campaign" in text and "When" in text and "“weekdays 9:30”" in text
    assert "“cron 0 18 * * 1-5”" in text and "“mondays 6pm”" in text
    assert form.action_ids() == ["campaign", "channel", "when", "message"]
    channel_select = form.blocks[1]["element"]
    assert channel_select["type"] == "conversations_select"
    assert channel_select["filter"] == {"include": ["public", "private"], "exclude_bot_users": True}
    assert channel_select["initial_conversation"] == team.channel.id  # where it was opened
    assert form.blocks[3]["optional"] is True and form.blocks[3]["element"]["multiline"] is True
    await fake.submit(
        olga,
        form,
        {"campaign": "governor", "channel": team.channel.id, "when": "daily 18:00", "message": ""},
    )
    preview = await private_card(fake, olga, team.channel, 1)
    shown = preview.visible_text()
    assert "Preview: Action alert: Call the Governor" in shown
    assert "#general" in shown and "every day at 18:00 (America/New_York)" in shown
    # The test clock stands on Wednesday 18 November 2026, 10:00 in New York.
    assert "Wed 18 Nov 18:00 EST, Thu 19 Nov 18:00 EST, Fri 20 Nov 18:00 EST" in shown
    [draft] = await rows(core, Alert)
    assert (draft.status, draft.channel_id, draft.created_by) == (
        AlertStatus.DRAFT,
        team.channel.id,
        olga.id,
    )
    assert preview.action_ids() == [f"alert:confirm:{draft.id}", f"alert:discard:{draft.id}"]
    assert fake.channel_messages(team.channel) == []  # nothing public yet

    scheduled = await answered(await fake.click(olga, preview, f"alert:confirm:{draft.id}"))
    assert scheduled is preview and preview.edits == 1  # the preview card becomes the answer
    assert "Alert scheduled" in scheduled.visible_text()
    [alert] = await rows(core, Alert)
    assert alert.status == AlertStatus.ACTIVE
    [created] = await rows(core, AuditEvent)
    assert (created.action, created.user_id) == ("alert.create", olga.id)
    assert created.subject == f"alert {alert.id}: Call the Governor"

    listed = await answered(await fake.slash(olga, team.channel, "/alert", "list"))
    assert listed.ephemeral
    text = listed.visible_text()
    assert f"#{alert.id} Call the Governor" in text and "every day at 18:00" in text
    assert f"alert.create by {olga.id}" in text
    assert listed.action_ids() == [f"alert:cancel:{alert.id}"]

    cancelled = await answered(await fake.click(olga, listed, f"alert:cancel:{alert.id}"))
    assert f"Cancelled alert #{alert.id}" in cancelled.visible_text()
    [stopped] = await rows(core, Alert)
    assert (stopped.status, stopped.cancelled_by) == (AlertStatus.CANCELLED, olga.id)
    actions = [(e.action, e.user_id) for e in await rows(core, AuditEvent)]
    assert actions == [("alert.create", olga.id), ("alert.cancel", olga.id)]
    again = await answered(await fake.slash(olga, team.channel, "/alert", f"cancel #{alert.id}"))
    assert "not scheduled" in again.visible_text()


async def test_cancel_without_an_id_asks_which_and_discard_schedules_nothing(
    fake: FakeSlack, core: Core, team: Team, slack: SlackApp
) -> None:
    olga = team.admin
    preview = await draft_through_the_form(fake, team)
    [draft] = await rows(core, Alert)
    discarded = await answered(await fake.click(olga, preview, f"alert:discard:{draft.id}"))
    assert "nothing was scheduled" in discarded.visible_text()
    assert await count(core, Alert) == 0

    preview = await draft_through_the_form(fake, team, when="weekdays 9:30")
    [draft] = await rows(core, Alert)
    await answered(await fake.click(olga, preview, f"alert:confirm:{draft.id}"))
    asked = await answered(await fake.slash(olga, team.channel, "/alert", "cancel"))
    assert "Which alert do you want to cancel?" in asked.visible_text()
    assert asked.action_ids() == ["alert:cancel"]
    done = await answered(await fake.select(olga, asked, "alert:cancel", str(draft.id)))
    assert f"Cancelled alert #{draft.id}" in done.visible_text()
    assert [a.status for a in await rows(core, Alert)] == [AlertStatus.CANCELLED]


async def test_a_member_who_is_not_an_organizer_is_refused_and_nothing_is_stored(
    fake: FakeSlack, core: Core, team: Team, slack: SlackApp
) -> None:
    alice = team.member
    refused = await answered(await fake.slash(alice, team.channel, "/alert", "create"))
    assert "Only organizers" in refused.visible_text() and refused.ephemeral
    assert fake.modal(alice) is None
    for command, text in (("/alert", "list"), ("/alert", "cancel 1"), ("/tally", "governor")):
        answer = await answered(await fake.slash(alice, team.channel, command, text))
        assert "Only organizers" in answer.visible_text() and answer.ephemeral, command
    assert users_info_calls(fake) >= 1  # the core was told she is no workspace admin
    assert fake.channel_messages(team.channel) == [] and fake.shared_files() == []
    assert await count(core, Alert) == 0 and await count(core, AuditEvent) == 0


async def test_a_bad_when_gets_the_usage_hint_and_stores_nothing(
    fake: FakeSlack, core: Core, team: Team, slack: SlackApp
) -> None:
    hint = await draft_through_the_form(fake, team, when="whenever you like")
    text = hint.visible_text()
    assert text.startswith(":warning:") and "“daily 18:00”" in text and "cron 0 18" in text
    assert hint.action_ids() == []
    assert await count(core, Alert) == 0


async def test_alert_without_a_known_subcommand_gets_the_usage(
    fake: FakeSlack, team: Team, slack: SlackApp
) -> None:
    for text in ("", "frobnicate", "list everything"):
        hint = await answered(await fake.slash(team.member, team.channel, "/alert", text))
        assert "Usage: /alert create, /alert list" in hint.visible_text(), text
    assert users_info_calls(fake) == 0  # a usage hint asks Slack nothing


async def test_an_expired_trigger_offers_a_button_that_opens_the_alert_form(
    fake: FakeSlack, team: Team, slack: SlackApp
) -> None:
    olga = team.admin
    fake.trigger_ttl = 0.0  # every trigger_id has expired by the time the app uses it
    late = await answered(await fake.slash(olga, team.channel, "/alert", "create"))
    assert "Slack gave up waiting" in late.visible_text() and OPEN_FORM_LABEL in late.visible_text()
    assert late.action_ids() == ["alert:create"]
    fake.trigger_ttl = 3.0
    form = await opened_modal(await fake.click(olga, late, "alert:create"))
    assert form.callback_id == "callbot-alert"
    [error] = take_errors(fake)  # the expired trigger: what the test is about
    assert error.startswith("views.open: /alert by olga: trigger_id used ")
    assert error.endswith("(expires after 0.0 s)")


async def test_a_preview_shows_the_post_members_would_see(
    fake: FakeSlack, team: Team, slack: SlackApp
) -> None:
    olga = team.admin
    asked = await answered(await fake.slash(olga, team.channel, "/alert", "preview"))
    assert "Preview the alert of which campaign?" in asked.visible_text()
    shown = await answered(await fake.select(olga, asked, "alert:preview", "governor"))
    assert "Preview: Action alert: Call the Governor" in shown.visible_text()
    assert "Pledged to call" in shown.visible_text()
    named = await answered(await fake.slash(olga, team.channel, "/alert", "preview house-budget"))
    assert "Preview: Action alert: Cut the detention budget" in named.visible_text()


# -- tallies and charts -----------------------------------------------------------------------------


def assert_png_chart(fake: FakeSlack, message: FakeMessage) -> None:
    [chart] = message.files
    assert chart.data is not None and chart.data.startswith(PNG_MAGIC)
    assert chart.filename == "calls-per-day.png" and chart.mimetype == "image/png"
    assert chart.title.startswith("Completed calls per day: Call the Governor")
    assert chart.alt_txt.startswith("Completed calls per day: Call the Governor: ")


async def test_tally_posts_publicly_and_its_chart_arrives_as_an_uploaded_png(
    fake: FakeSlack, core: Core, team: Team, slack: SlackApp
) -> None:
    olga = team.admin
    action = await fake.slash(olga, team.channel, "/tally", "governor")
    posted = await answered(action)
    assert not posted.ephemeral and posted.action is action
    text = posted.visible_text()
    assert "Tally: Call the Governor" in text and "Top callers" not in text
    assert ":bar_chart:" not in text  # the chart itself comes, not its description
    await fake.wait_until(lambda: len(fake.shared_files(team.channel)) == 1, 5, "the chart")
    public = fake.channel_messages(team.channel)
    assert public[0] is posted and public[1].files
    assert_png_chart(fake, public[1])
    [audited] = await rows(core, AuditEvent)
    assert (audited.action, audited.user_id) == ("tally.post", olga.id)


async def test_tally_without_a_campaign_asks_which_then_posts_it_publicly(
    fake: FakeSlack, team: Team, slack: SlackApp
) -> None:
    olga = team.admin
    asked = await answered(await fake.slash(olga, team.channel, "/tally"))
    assert asked.ephemeral and asked.action_ids() == ["tallynow"]
    before = users_info_calls(fake)
    posted = await answered(await fake.select(olga, asked, "tallynow", "governor"))
    assert not posted.ephemeral and "Tally: Call the Governor" in posted.visible_text()
    await fake.wait_until(lambda: len(fake.shared_files(team.channel)) == 1, 5, "the chart")
    assert_png_chart(fake, fake.channel_messages(team.channel)[-1])
    # The pick is an organizer's: the admin check came from memory, not another lookup.
    assert users_info_calls(fake) == before


async def test_a_scheduled_tally_gets_its_chart_in_the_posts_thread(
    fake: FakeSlack, core: Core, team: Team, slack: SlackApp
) -> None:
    tally = await answered(await fake.slash(team.admin, team.channel, "/tally", "governor"))
    await fake.wait_until(lambda: len(fake.shared_files(team.channel)) == 1, 5, "the chart")
    [chart_message] = [m for m in fake.channel_messages(team.channel) if m.files]
    chart = chart_message.files[0]
    assert chart.data is not None
    reply = Reply(
        text="Tally", title="Tally: Call the Governor", private=False,
        image=Image(chart.data, chart.filename, chart.alt_txt),
    )  # fmt: skip
    ref = await slack.notifier.post(team.workspace.id, team.channel.id, reply)
    [post] = [m for m in fake.channel_messages(team.channel) if ref.endswith(m.ts)]
    assert post is not tally and ":bar_chart:" not in post.visible_text()
    [in_thread] = fake.thread(post)
    assert_png_chart(fake, in_thread)
    # Where a picture cannot be uploaded (an edit), its description stands in.
    await slack.notifier.edit(team.workspace.id, ref, reply)
    assert ":bar_chart: Completed calls per day: Call the Governor" in post.visible_text()


async def test_a_failed_upload_leaves_the_post_standing(
    fake: FakeSlack, team: Team, slack: SlackApp, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail_next("files.completeUploadExternal", error="ratelimited_upload")
    image = Image(PNG_MAGIC + b"\x00" * 8, "chart.png", "A chart")
    ref = await slack.notifier.post(
        team.workspace.id, team.channel.id, Reply("Tally", private=False, image=image)
    )
    [post] = fake.channel_messages(team.channel)
    assert ref == f"{team.channel.id}/{post.ts}" and fake.thread(post) == []
    assert any("could not upload chart.png" in r.getMessage() for r in caplog.records)


# -- alert posts and members ------------------------------------------------------------------------


async def pledges(core: Core) -> int:
    return await count(core, Pledge)


async def test_an_alert_post_has_call_now_and_ill_call_which_pledges_then_withdraws(
    fake: FakeSlack, core: Core, team: Team, slack: SlackApp
) -> None:
    entry = core.campaigns.get("governor")
    assert entry is not None
    post = alert_post(entry, "Phones up, <!channel>!", Tally(pledges=2), NEW_YORK)
    ref = await slack.notifier.post(team.workspace.id, team.channel.id, post)
    [message] = fake.channel_messages(team.channel)
    assert ref == f"{team.channel.id}/{message.ts}"
    assert message.action_ids() == ["call:governor", "pledge:governor:toggle"]
    text = message.visible_text()
    assert "Action alert: Call the Governor" in text and "Call now" in text and "I'll call" in text

    alice = team.member
    pledged = await answered(await fake.click(alice, message, "pledge:governor:toggle"))
    assert pledged.ephemeral and "pledg" in pledged.visible_text().lower()
    assert await pledges(core) == 1
    withdrawn = await answered(await fake.click(alice, message, "pledge:governor:toggle"))
    assert "withdrawn" in withdrawn.visible_text() and withdrawn is not pledged
    assert await pledges(core) == 0
    assert message.edits == 0  # the public alert stays as it was
    form = await opened_modal(await fake.click(alice, message, "call:governor"))
    assert form.callback_id == "profile:call:governor"  # a new member says who they are first
    assert users_info_calls(fake) == 0  # members' clicks cost no users.info lookup


async def test_notifier_direct_reaches_the_members_messages_tab(
    fake: FakeSlack, team: Team, slack: SlackApp
) -> None:
    alice = team.member
    reminder = Reply(text="You pledged to call the Governor today.", title="Reminder")
    await slack.notifier.direct(team.workspace.id, alice.id, reminder)
    [dm] = fake.dm_messages(alice)
    assert "You pledged to call the Governor today." in dm.visible_text()
    assert fake.ephemeral_messages(alice) == [] and fake.channel_messages(team.channel) == []
    with pytest.raises(DestinationGone, match="not installed"):
        await slack.notifier.direct("T0NOWHERE", alice.id, reminder)


# -- the notifier on its own (the scheduler's) ------------------------------------------------------


def use_settings(monkeypatch: pytest.MonkeyPatch, fake: FakeSlack, mode: str, team: Team) -> None:
    settings = settings_for(fake, mode, team.workspace)
    values = {
        "SLACK_API_URL": settings.api_url,
        "SLACK_APP_TOKEN": settings.app_token,
        "SLACK_BOT_TOKEN": settings.bot_token,
        "SLACK_SIGNING_SECRET": settings.signing_secret,
        "SLACK_CLIENT_ID": settings.client_id,
        "SLACK_CLIENT_SECRET": settings.client_secret,
    }
    for name, value in values.items():
        secret = getattr(value, "get_secret_value", None)
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, secret() if secret else str(value))


async def test_the_adapter_posts_scheduled_output_without_serving(
    fake: FakeSlack, core: Core, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = add_team(fake, "Springfield", mode)
    if mode == "http":  # installed once through OAuth: its token is in the database
        async with slack_running(fake, core, mode, team):
            pass
    use_settings(monkeypatch, fake, mode, team)
    adapter = SlackAdapter()
    assert isinstance(adapter, PostsScheduled)
    async with adapter.notifying(core) as notifier:
        ref = await notifier.post(team.workspace.id, team.channel.id, Reply("Call today!"))
        [message] = fake.channel_messages(team.channel)
        assert ref == f"{team.channel.id}/{message.ts}" and message.visible_text() == "Call today!"
        await notifier.direct(team.workspace.id, team.member.id, Reply("Your reminder"))
        assert [m.visible_text() for m in fake.dm_messages(team.member)] == ["Your reminder"]
        gone = team.workspace.add_channel("old-alerts")
        team.workspace.delete_channel(gone)
        with pytest.raises(DestinationGone, match="channel_not_found"):
            await notifier.post(team.workspace.id, gone.id, Reply("Alert"))
        with pytest.raises(DestinationGone, match="not installed"):
            await notifier.post("T0NOWHERE", team.channel.id, Reply("Alert"))
    assert fake.calls("apps.connections.open") == []  # nothing served: no Socket Mode asked
    assert fake.errors == []


async def test_notifying_needs_slack_credentials(
    core: Core, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from callbot.config import SettingsError

    monkeypatch.chdir(tmp_path)  # no .env here
    for name in (
        "SLACK_APP_TOKEN",
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "SLACK_CLIENT_ID",
        "SLACK_CLIENT_SECRET",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SettingsError, match="no Slack credentials"):
        async with SlackAdapter().notifying(core):
            pass


def test_the_alert_form_and_commands_read_what_organizers_type() -> None:
    from callbot_slack.alerts import submitted_alert

    metadata = '{"channel": "C1", "home": "", "channel_name": "general"}'
    view: dict[str, Any] = {
        "private_metadata": metadata,
        "state": {
            "values": {
                "campaign": {"campaign": {"selected_option": {"value": "governor"}}},
                "channel": {"channel": {"selected_conversation": "C1"}},
                "when": {"when": {"value": "daily 18:00"}},
                "message": {"message": {"value": None}},
            }
        },
    }
    assert submitted_alert(view) == {
        "campaign": "governor",
        "channel_id": "C1",
        "when": "daily 18:00",
        "message": "",
        "channel_label": "#general",
    }
    view["state"]["values"]["channel"]["channel"]["selected_conversation"] = "C2"
    assert submitted_alert(view)["channel_label"] == ""  # a name only for the channel known


# -- posts that did not simply go out -------------------------------------------------------------


async def test_an_organizer_posts_a_missed_alert_from_the_notice_in_the_messages_tab(
    fake: FakeSlack, core: Core, team: Team, slack: SlackApp, clock: Clock
) -> None:
    olga = Actor("slack", team.workspace.id, team.admin.id, "Olga", is_admin=True)
    preview = await draft_alert(
        core, olga, campaign="governor", channel_id=team.channel.id, when="daily 18:00"
    )
    await handle_component(core, olga, preview.actions[0].id, interaction_id="confirm")
    [alert] = await rows(core, Alert)
    runtime = Runtime(core, {"slack": slack.notifier})
    clock.now = datetime(2026, 11, 18, 23, 30, tzinfo=UTC)  # half an hour late: missed
    assert await delivery.run_alert(runtime, alert.id, clock.now) == "missed"
    [notice] = fake.dm_messages(team.admin)
    assert "was not posted" in notice.visible_text()
    [button] = [a for a in notice.action_ids() if a.startswith("alert:postnow:")]
    asked = await answered(await fake.click(team.admin, notice, button))
    assert "will be posted in its channel within a few seconds" in asked.visible_text()
    assert await settle.settle(runtime, clock.now) == 1
    [post] = fake.channel_messages(team.channel)
    assert "Action alert: Call the Governor" in post.visible_text()
    # The answer took the notice's place in the Messages tab: no button is left to press twice.
    [answer] = fake.dm_messages(team.admin)
    assert answer.action_ids() == [] and "will be posted" in answer.visible_text()
    assert len(fake.channel_messages(team.channel)) == 1


async def test_a_post_slack_refused_can_be_tried_again_but_one_without_an_answer_cannot(
    fake: FakeSlack, team: Team, slack: SlackApp
) -> None:
    assert slack.notifier.repeats_safe_for == timedelta(0)  # Slack deduplicates no post
    fake.fail_next("chat.postMessage", error="fatal_error")
    with pytest.raises(DeliveryError) as refused:
        await slack.notifier.post(team.workspace.id, team.channel.id, Reply("Call today!"))
    assert not isinstance(refused.value, DeliveryUncertain)  # Slack answered: nothing posted
    assert fake.channel_messages(team.channel) == []
    # No answer (a timeout, the connection lost while waiting): it may have been posted.
    for lost in (aiohttp.ServerDisconnectedError(), TimeoutError()):
        assert isinstance(translated_error(lost, "posting"), DeliveryUncertain)
    never_left = aiohttp.ClientConnectorError(
        ConnectionKey("slack.com", 443, True, True, None, None, None), OSError(111, "refused")
    )
    assert type(translated_error(never_left, "posting")) is DeliveryError
