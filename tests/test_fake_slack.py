"""The loopback fake Slack, tested with the real slack-bolt AsyncApp: a tiny app written here
(not the callbot adapter) served over HTTP on 127.0.0.1 or connected in Socket Mode.

Most tests run in both modes (the `world` fixture is parametrized). Each reads "a member does
X; the platform received Y", and the fixture's teardown asserts the fake recorded no protocol
violation (tests that provoke one assert it and clear `errors`)."""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.oauth.installation_store import FileInstallationStore
from slack_sdk.oauth.state_store import FileOAuthStateStore
from slack_sdk.web.async_client import AsyncWebClient

from conftest import PNG_MAGIC
from fakes.errors import take_errors
from fakes.signal import Signal
from fakes.slack_blocks import (
    blocks_problems,
    mention_problems,
    message_problems,
    view_problems,
)
from fakes.slack_fake import (
    FakeChannel,
    FakeSlack,
    FakeSlackError,
    FakeUser,
    FakeWorkspace,
    running_slack,
    running_socket_mode,
    serving_bolt_http,
)
from fakes.slack_payloads import sign, url_verification

MODES = ["http", "socket"]


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if block_id is not None:
        block["block_id"] = block_id
    return block


PLEDGE_BLOCKS = [
    section("Will you call Rep. Smith today?", "ask"),
    {
        "type": "actions",
        "block_id": "answer",
        "elements": [
            {
                "type": "button",
                "action_id": "pledge:yes",
                "text": plain("I'll call"),
                "style": "primary",
                "value": "yes",
            },
            {
                "type": "static_select",
                "action_id": "pledge:chamber",
                "placeholder": plain("Chamber"),
                "options": [option("House", "house"), option("Senate", "senate")],
            },
        ],
    },
]


def report_modal(tip: str | None = None) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {
            "type": "input",
            "block_id": "outcome",
            "label": plain("Who did you reach?"),
            "element": {"type": "plain_text_input", "action_id": "text", "max_length": 20},
        },
        {
            "type": "input",
            "block_id": "notes",
            "optional": True,
            "label": plain("Notes"),
            "element": {"type": "plain_text_input", "action_id": "text", "multiline": True},
        },
        {
            "type": "input",
            "block_id": "chamber",
            "label": plain("Chamber"),
            "element": {
                "type": "static_select",
                "action_id": "choice",
                "options": [option("House", "house"), option("Senate", "senate")],
            },
        },
        {
            "type": "input",
            "block_id": "where",
            "optional": True,
            "label": plain("Channel to share in"),
            "element": {"type": "channels_select", "action_id": "channel"},
        },
        {
            "type": "actions",
            "block_id": "help",
            "elements": [{"type": "button", "action_id": "report:help", "text": plain("Help")}],
        },
    ]
    if tip is not None:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": tip}]})
    return {
        "type": "modal",
        "callback_id": "report",
        "private_metadata": "campaign:42",
        "title": plain("Report a call"),
        "submit": plain("Log it"),
        "close": plain("Cancel"),
        "blocks": blocks,
    }


def wizard_step(step: int) -> dict[str, Any]:
    deeper = {"type": "button", "action_id": "wizard:deeper", "text": plain("More")}
    return {
        "type": "modal",
        "callback_id": "wizard",
        "private_metadata": str(step),
        "notify_on_close": True,
        "title": plain(f"Step {step}"),
        "submit": plain("Next"),
        "blocks": [section(f"This is step {step}"), {"type": "actions", "elements": [deeper]}],
    }


def home_view(text: str) -> dict[str, Any]:
    return {
        "type": "home",
        "callback_id": "home",
        "blocks": [
            {"type": "header", "text": plain("Callbot")},
            section(text),
            {
                "type": "actions",
                "elements": [
                    {"type": "button", "action_id": "home:refresh", "text": plain("Refresh")}
                ],
            },
        ],
    }


class Probe:
    """What the tiny app's listeners ran into, for the test to wait on, and events that hold
    a listener back until the test releases it."""

    def __init__(self) -> None:
        self.records: dict[str, list[Any]] = {}
        self.changed = Signal()
        self.releases: dict[str, asyncio.Event] = {}

    def record(self, name: str, value: Any) -> None:
        self.records.setdefault(name, []).append(value)
        self.changed.fire()

    async def wait(self, name: str, count: int = 1) -> list[Any]:
        await self.changed.wait_until(
            lambda: len(self.records.get(name, [])) >= count, 5, f"{count} x {name}"
        )
        return self.records[name]

    def release(self, name: str) -> asyncio.Event:
        return self.releases.setdefault(name, asyncio.Event())


def error_of(call: Any) -> str:
    """The Slack error code of a failed call."""
    assert isinstance(call, SlackApiError)
    return str(call.response["error"])


def register(app: AsyncApp, probe: Probe) -> None:
    """The tiny app: one listener per behaviour under test. No exception escapes a listener
    (bolt 1.30 drops the ack if one does right after ack())."""

    @app.command("/pledge")
    async def pledge(ack: Any) -> None:
        await ack(text="Will you call Rep. Smith today?", blocks=PLEDGE_BLOCKS)

    @app.action("pledge:yes")
    async def pledged(ack: Any, respond: Any) -> None:
        await ack()
        await respond(text="Thanks for pledging!", replace_original=True)

    @app.action("pledge:chamber")
    async def chose(ack: Any, action: dict[str, Any], respond: Any) -> None:
        await ack()
        probe.record("chamber", action)
        await respond(text=f"You chose {action['selected_option']['value']}")

    @app.command("/report")
    async def report(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=report_modal())

    @app.action("report:help")
    async def report_help(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        view = body["view"]
        await client.views_update(
            view_id=view["id"], hash=view["hash"], view=report_modal(tip="Say who picked up.")
        )

    @app.view("report")
    async def reported(
        ack: Any, body: dict[str, Any], view: dict[str, Any], client: AsyncWebClient
    ) -> None:
        values = view["state"]["values"]
        outcome = values["outcome"]["text"]["value"]
        if outcome == "nobody":
            await ack(response_action="errors", errors={"outcome": "Who picked up?"})
            return
        await ack()
        probe.record("report", body)
        chamber = values["chamber"]["choice"]["selected_option"]["value"]
        await client.chat_postMessage(
            channel=body["user"]["id"], text=f"Logged {outcome} ({chamber})"
        )

    @app.command("/twice")
    async def twice(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=report_modal())
        try:
            await client.views_open(trigger_id=body["trigger_id"], view=report_modal())
        except SlackApiError as refused:
            probe.record("twice", error_of(refused))

    @app.command("/slowmodal")
    async def slow_modal(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await probe.release("slowmodal").wait()
        try:
            await client.views_open(trigger_id=body["trigger_id"], view=report_modal())
            probe.record("slowmodal", "opened")
        except SlackApiError as refused:
            probe.record("slowmodal", error_of(refused))

    @app.event("app_home_opened")
    async def home_opened(event: dict[str, Any], client: AsyncWebClient) -> None:
        probe.record("home", event)
        await client.views_publish(user_id=event["user"], view=home_view("3 calls this week"))

    @app.action("home:refresh")
    async def refresh(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_publish(user_id=body["user"]["id"], view=home_view("Refreshed"))

    @app.command("/spam")
    async def spam(ack: Any, respond: Any) -> None:
        await ack()
        statuses = [(await respond(f"Reminder {n}")).status_code for n in range(6)]
        probe.record("spam", statuses)

    @app.command("/alert")
    async def alert(ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        try:
            posted = await client.chat_postMessage(channel=command["text"], text="Call today!")
            probe.record("alert", posted["ts"])
        except SlackApiError as refused:
            probe.record("alert", error_of(refused))

    @app.command("/bad-blocks")
    async def bad_blocks(ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        button = {"type": "button", "action_id": "go", "text": plain("x" * 76)}
        try:
            await client.chat_postMessage(
                channel=command["channel_id"],
                text="Call",
                blocks=[{"type": "actions", "elements": [button]}],
            )
        except SlackApiError as refused:
            probe.record("bad-blocks", error_of(refused))

    @app.command("/bad-ack")
    async def bad_ack(ack: Any) -> None:
        field = {"type": "plain_text_input", "action_id": "zip"}
        await ack(blocks=[{"type": "input", "label": plain("ZIP"), "element": field}])

    @app.command("/shout")
    async def shout(ack: Any) -> None:
        await ack(text="<!channel> call your senator now", response_type="in_channel")

    @app.command("/late")
    async def late(ack: Any) -> None:
        await probe.release("late").wait()
        await ack("Too late")
        probe.record("late", "acked")

    @app.command("/peek")
    async def peek(ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        target = command["text"]
        for name, call in (
            ("post", lambda: client.chat_postMessage(channel=target, text="hi")),
            ("user", lambda: client.users_info(user=target)),
        ):
            try:
                await call()
                probe.record(f"peek-{name}", "ok")
            except SlackApiError as refused:
                probe.record(f"peek-{name}", error_of(refused))

    @app.command("/whoami")
    async def whoami(
        ack: Any, command: dict[str, Any], client: AsyncWebClient, respond: Any
    ) -> None:
        await ack()
        info = (await client.users_info(user=command["user_id"]))["user"]
        team = (await client.team_info())["team"]
        await respond(
            text=f"You are {info['real_name']} in {team['name']} (admin: {info['is_admin']})"
        )

    @app.command("/later")
    async def later(ack: Any, respond: Any) -> None:
        await ack()
        await probe.release("later").wait()
        probe.record("later", (await respond("Still there?")).status_code)

    @app.command("/whisper")
    async def whisper(ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        channel, user = command["text"].split()
        try:
            await client.chat_postEphemeral(channel=channel, user=user, text="Only you see this")
            probe.record("whisper", "ok")
        except SlackApiError as refused:
            probe.record("whisper", error_of(refused))

    @app.command("/hello")
    async def hello(ack: Any, command: dict[str, Any]) -> None:
        await ack(f"Hello, {command['user_name']}!")

    @app.command("/announce")
    async def announce(ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        done = {"type": "button", "action_id": "announce:done", "text": plain("I called")}
        await client.chat_postMessage(
            channel=command["channel_id"],
            text="Call Rep. Smith today",
            blocks=[section("Call Rep. Smith today"), {"type": "actions", "elements": [done]}],
        )

    @app.action("announce:done")
    async def announced(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        probe.record("announce", body)
        await client.chat_update(
            channel=body["channel"]["id"],
            ts=body["message"]["ts"],
            text=f"<@{body['user']['id']}> called",
        )

    @app.command("/cleanup")
    async def cleanup(ack: Any, respond: Any) -> None:
        await ack("This goes away")
        await probe.release("cleanup").wait()  # until the member saw the ack's message
        await respond(delete_original=True)
        probe.record("cleanup", "done")

    @app.command("/wizard")
    async def wizard(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await client.views_open(trigger_id=body["trigger_id"], view=wizard_step(1))

    @app.view("wizard")
    async def wizard_next(ack: Any, view: dict[str, Any]) -> None:
        step = int(view["private_metadata"])
        if step == 1:
            await ack(response_action="update", view=wizard_step(2))
        elif step == 2:
            await ack(response_action="push", view=wizard_step(3))
        else:
            await ack(response_action="clear")

    @app.view_closed("wizard")
    async def wizard_closed(ack: Any, view: dict[str, Any]) -> None:
        await ack()
        probe.record("closed", view["private_metadata"])

    @app.action("wizard:deeper")
    async def deeper(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        try:
            await client.views_push(trigger_id=body["trigger_id"], view=wizard_step(9))
            probe.record("deeper", "pushed")
        except SlackApiError as refused:
            probe.record("deeper", error_of(refused))

    @app.command("/dm")
    async def dm(ack: Any, command: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        opened = await client.conversations_open(users=command["user_id"])
        await client.chat_postMessage(channel=opened["channel"]["id"], text="Your call list")
        await client.chat_postMessage(channel=command["user_id"], text="Reminder: call today")
        probe.record("dm", opened["channel"]["id"])


def tiny_app(fake: FakeSlack, token: str, probe: Probe) -> AsyncApp:
    """A single-workspace app whose client retries 429s (slack_sdk only does with a retry
    handler)."""
    client = AsyncWebClient(
        token=token,
        base_url=fake.api_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    app = AsyncApp(client=client, signing_secret=fake.signing_secret)
    register(app, probe)
    return app


@asynccontextmanager
async def connected(
    fake: FakeSlack, app: AsyncApp, mode: str, *workspaces: FakeWorkspace
) -> AsyncIterator[None]:
    """The app reachable in `mode`: served over HTTP (the fake POSTs to it) or connected
    in Socket Mode with each workspace's app token."""
    if mode == "http":
        async with serving_bolt_http(app) as server:
            fake.deliver_http(server.events_url)
            yield
    else:
        async with running_socket_mode(fake, app, *workspaces):
            yield


@dataclass
class World:
    fake: FakeSlack
    mode: str
    probe: Probe
    workspace: FakeWorkspace
    general: FakeChannel
    quiet: FakeChannel
    alice: FakeUser
    bob: FakeUser
    olivia: FakeUser


@pytest.fixture(params=MODES)
async def world(request: pytest.FixtureRequest) -> AsyncIterator[World]:
    async with running_slack() as fake:
        workspace = fake.add_workspace("Springfield Callers")
        general = workspace.add_channel("general")
        quiet = workspace.add_channel("quiet", bot_is_member=False)
        olivia = workspace.add_user("olivia", owner=True)
        alice = workspace.add_user("alice")
        bob = workspace.add_user("bob")
        probe = Probe()
        app = tiny_app(fake, workspace.bot_token, probe)
        async with connected(fake, app, request.param, workspace):
            yield World(fake, request.param, probe, workspace, general, quiet, alice, bob, olivia)
            assert fake.errors == [], f"protocol violations: {fake.errors}"


# -- handshake ----------------------------------------------------------------------------------


async def test_handshake_and_first_request(world: World) -> None:
    fake, workspace = world.fake, world.workspace
    if world.mode == "socket":
        [opened] = fake.calls("apps.connections.open")
        assert opened.token == workspace.app_token and opened.workspace is workspace
        assert fake.socket_connections(workspace) == 1
    else:
        assert fake.calls("apps.connections.open") == []
        assert await fake.verify_request_url()  # bolt echoes the url_verification challenge
    asked = await fake.slash(world.alice, world.general, "/pledge")
    assert asked.via == world.mode and asked.kind == "slash_commands"
    assert not asked.expired and asked.ack_status == 200
    assert asked.ack_latency is not None  # acknowledged (in time: not expired)
    # bolt authorized the request with auth.test, using the workspace's bot token
    [auth] = fake.calls("auth.test")
    assert auth.token == workspace.bot_token and auth.workspace is workspace and auth.ok

    hello = await fake.slash(world.alice, world.general, "/hello")
    # ack("text") is text/plain over HTTP but {"text": ...} over Socket Mode; same message
    assert hello.ack_body == (
        "Hello, alice!" if world.mode == "http" else {"text": "Hello, alice!"}
    )
    assert [m.visible_text() for m in hello.messages] == ["Hello, alice!"]


# -- slash commands, clicks, selects -----------------------------------------------------------


async def test_a_slash_ack_is_the_members_ephemeral_message_and_only_its_buttons_work(
    world: World,
) -> None:
    fake, alice = world.fake, world.alice
    asked = await fake.slash(alice, world.general, "/pledge", "today")
    assert asked.payload["text"] == "today" and asked.trigger_id and asked.response_url
    [message] = asked.messages
    assert message.ephemeral and message.user_id == alice.id
    assert message.visible_text() == "Will you call Rep. Smith today?\nI'll call"
    assert message.action_ids() == ["pledge:yes", "pledge:chamber"]
    assert message.button_value("pledge:yes") == "yes"
    assert fake.ephemeral_messages(alice, world.general) == [message]
    assert fake.channel_messages(world.general) == []  # nobody else sees it
    assert fake.ephemeral_messages(world.bob) == []

    with pytest.raises(FakeSlackError, match="no element 'pledge:no'"):
        await fake.click(alice, message, "pledge:no")
    with pytest.raises(FakeSlackError, match="cannot see an ephemeral"):
        await fake.click(world.bob, message, "pledge:yes")
    with pytest.raises(FakeSlackError, match="static_select"):
        await fake.click(alice, message, "pledge:chamber")

    clicked = await fake.click(alice, message, "pledge:yes")
    # Slack omits `message` for ephemeral messages; the container says so
    assert "message" not in clicked.payload
    assert clicked.payload["container"] == {
        "type": "message",
        "message_ts": message.ts,
        "channel_id": world.general.id,
        "is_ephemeral": True,
    }
    assert clicked.payload["actions"][0]["value"] == "yes"
    assert await clicked.wait_messages(1) == [message]  # replaced in place
    assert message.visible_text() == "Thanks for pledging!" and message.edits == 1
    assert message.action_ids() == []
    with pytest.raises(FakeSlackError, match="no element"):
        await fake.click(alice, message, "pledge:yes")


async def test_a_select_sends_the_chosen_option(world: World) -> None:
    fake, alice = world.fake, world.alice
    [message] = (await fake.slash(alice, world.general, "/pledge")).messages
    with pytest.raises(FakeSlackError, match="offers"):
        await fake.select(alice, message, "pledge:chamber", "governor")
    chose = await fake.select(alice, message, "pledge:chamber", "senate")
    [action] = await world.probe.wait("chamber")
    assert action["type"] == "static_select" and action["block_id"] == "answer"
    assert action["selected_option"] == {"text": plain("Senate"), "value": "senate"}
    assert chose.payload["state"]["values"]["answer"]["pledge:chamber"]["type"] == "static_select"
    [answer] = await chose.wait_messages(1)
    assert answer.visible_text() == "You chose senate" and answer.ephemeral
    assert fake.ephemeral_messages(alice) == [message, answer]


async def test_a_click_on_a_channel_message_carries_the_message(world: World) -> None:
    fake = world.fake
    await fake.slash(world.olivia, world.general, "/announce")
    await fake.wait_until(lambda: len(fake.channel_messages(world.general)) == 1)
    [message] = fake.channel_messages(world.general)
    assert message.user_id == world.workspace.bot_user.id and not message.ephemeral
    assert message.action_ids() == ["announce:done"]

    posted_blocks = list(message.blocks)
    clicked = await fake.click(world.bob, message, "announce:done")  # everyone sees it
    [body] = await world.probe.wait("announce")
    assert body["message"]["ts"] == message.ts and body["message"]["blocks"] == posted_blocks
    assert body["message"]["bot_id"] == world.workspace.bot_id
    assert body["container"]["is_ephemeral"] is False and body["channel"]["id"] == world.general.id
    assert clicked.response_url is not None
    await fake.wait_until(lambda: message.edits == 1)
    assert message.visible_text() == f"<@{world.bob.id}> called" and message.blocks == []
    [update] = fake.calls("chat.update")
    assert update.args["ts"] == message.ts


async def test_a_response_url_deletes_the_original(world: World) -> None:
    fake = world.fake
    asked = await fake.slash(world.alice, world.general, "/cleanup")
    [message] = asked.messages
    world.probe.release("cleanup").set()
    await world.probe.wait("cleanup")
    assert message.deleted and fake.ephemeral_messages(world.alice) == []


async def test_a_request_the_app_does_not_handle_is_an_error(world: World) -> None:
    fake = world.fake
    fake.ack_deadline = 0.3  # over Socket Mode bolt sends no ack at all; keep the wait short
    unknown = await fake.slash(world.alice, world.general, "/unknown")
    [error] = take_errors(fake)
    if world.mode == "http":
        assert unknown.ack_status == 404 and not unknown.expired
        assert "the app answered HTTP 404" in error
    else:
        assert unknown.expired and "not acknowledged" in error
    assert unknown.messages == []


# -- modals -------------------------------------------------------------------------------------


async def test_a_modal_opens_through_the_trigger_and_submits_required_inputs(world: World) -> None:
    fake, alice = world.fake, world.alice
    opened = await fake.slash(alice, world.general, "/report")
    assert opened.messages == []  # an empty ack shows nothing
    [modal] = await opened.wait_views(1)
    assert fake.modal(alice) is modal and fake.modal(world.bob) is None
    assert (modal.type, modal.callback_id, modal.title) == ("modal", "report", "Report a call")
    assert modal.private_metadata == "campaign:42"
    assert modal.input_block_ids() == ["outcome", "notes", "chamber", "where"]
    assert fake.calls("views.open")[0].args["trigger_id"] == opened.trigger_id

    # a click inside the modal: block_actions from a view; the app updates it in place
    helped = await fake.click(alice, modal, "report:help")
    assert helped.payload["container"] == {"type": "view", "view_id": modal.id}
    assert "response_url" not in helped.payload
    assert await helped.wait_views(1) == [modal]
    assert modal.updates == 1 and modal.visible_text().endswith("Say who picked up.")

    with pytest.raises(FakeSlackError, match="'outcome' is required"):
        await fake.submit(alice, modal, {"chamber": "house"})
    with pytest.raises(FakeSlackError, match="no input block"):
        await fake.submit(alice, modal, {"outcome": "staffer", "chamber": "house", "zip": "1"})
    with pytest.raises(FakeSlackError, match=r"0\.\.20 characters"):
        await fake.submit(alice, modal, {"outcome": "x" * 21, "chamber": "house"})
    with pytest.raises(FakeSlackError, match="offers"):
        await fake.submit(alice, modal, {"outcome": "staffer", "chamber": "governor"})
    with pytest.raises(FakeSlackError, match="cannot see"):
        await fake.submit(world.bob, modal, {"outcome": "staffer", "chamber": "house"})
    with pytest.raises(FakeSlackError, match="pass the value to submit"):
        await fake.select(alice, modal, "choice", "house")

    refused = await fake.submit(alice, modal, {"outcome": "nobody", "chamber": "house"})
    assert refused.response_action == "errors"
    assert refused.view_errors == {"outcome": "Who picked up?"}
    assert fake.modal(alice) is modal  # the modal stays, showing the error

    submitted = await fake.submit(
        alice, modal, {"outcome": "staffer", "chamber": "senate", "where": world.general.id}
    )
    assert submitted.response_action is None and fake.modal(alice) is None and modal.closed
    [body] = await world.probe.wait("report")
    assert body["view"]["state"]["values"] == {
        "outcome": {"text": {"type": "plain_text_input", "value": "staffer"}},
        "notes": {"text": {"type": "plain_text_input", "value": None}},
        "chamber": {
            "choice": {
                "type": "static_select",
                "selected_option": {"text": plain("Senate"), "value": "senate"},
            }
        },
        "where": {"channel": {"type": "channels_select", "selected_channel": world.general.id}},
    }
    await fake.wait_until(lambda: len(fake.dm_messages(alice)) == 1)
    assert fake.dm_messages(alice)[0].visible_text() == "Logged staffer (senate)"


async def test_a_trigger_id_is_single_use(world: World) -> None:
    fake = world.fake
    opened = await fake.slash(world.alice, world.general, "/twice")
    assert await world.probe.wait("twice") == ["exchanged_trigger_id"]
    assert len(opened.views) == 1
    [error] = take_errors(fake)
    assert "trigger_id used twice" in error


async def test_a_trigger_id_expires(world: World) -> None:
    fake = world.fake
    assert fake.trigger_ttl == 3.0
    opened = await fake.slash(world.alice, world.general, "/slowmodal")
    fake.advance_clock(3.5)  # the app dawdles past the trigger's 3 s
    world.probe.release("slowmodal").set()
    assert await world.probe.wait("slowmodal") == ["expired_trigger_id"]
    assert opened.views == [] and fake.modal(world.alice) is None
    [error] = take_errors(fake)
    assert "expires after 3.0 s" in error


async def test_submissions_update_push_and_clear_the_modal_stack(world: World) -> None:
    fake, alice = world.fake, world.alice
    [first] = await (await fake.slash(alice, world.general, "/wizard")).wait_views(1)
    assert first.title == "Step 1" and fake.modal_stack(alice) == [first]

    updated = await fake.submit(alice, first, {})
    assert updated.response_action == "update" and updated.views == [first]
    assert first.title == "Step 2" and first.updates == 1 and fake.modal(alice) is first

    pushed = await fake.submit(alice, first, {})
    [second] = pushed.views
    assert pushed.response_action == "push" and second.title == "Step 3"
    assert fake.modal_stack(alice) == [first, second]
    assert (second.previous_view_id, second.root_view_id) == (first.id, first.id)
    with pytest.raises(FakeSlackError, match="not the modal on top"):
        await fake.submit(alice, first, {})

    # views.push through a click's trigger: a third view, then Slack's limit of 3
    more = await fake.click(alice, second, "wizard:deeper")
    [third] = await more.wait_views(1)
    assert fake.modal_stack(alice) == [first, second, third]
    await fake.click(alice, third, "wizard:deeper")
    assert await world.probe.wait("deeper", 2) == ["pushed", "push_limit_reached"]
    [error] = take_errors(fake)
    assert "more than 3 views" in error

    closed = await fake.close_modal(alice)  # the member closes the top view
    assert closed is not None and closed.payload["type"] == "view_closed"
    assert await world.probe.wait("closed") == ["9"]
    assert fake.modal_stack(alice) == [first, second] and third.closed

    cleared = await fake.submit(alice, second, {})
    assert cleared.response_action == "clear"
    assert fake.modal_stack(alice) == [] and all(v.closed for v in (first, second, third))
    with pytest.raises(FakeSlackError, match="no open modal"):
        await fake.close_modal(alice)


# -- Home tab -----------------------------------------------------------------------------------


async def test_the_home_tab_is_published_when_the_member_opens_it(world: World) -> None:
    fake, alice = world.fake, world.alice
    assert fake.home(alice) is None
    opened = await fake.open_home(alice)
    assert opened.kind == "events_api" and opened.ack_status == 200 and opened.trigger_id is None
    [event] = await world.probe.wait("home")
    assert (event["type"], event["tab"], event["user"]) == ("app_home_opened", "home", alice.id)
    assert "view" not in event  # nothing was published yet
    await fake.wait_until(lambda: fake.home(alice) is not None)
    home = fake.home(alice)
    assert home is not None and home.type == "home"
    assert home.visible_text() == "Callbot\n3 calls this week\nRefresh"
    assert fake.home(world.bob) is None

    await fake.click(alice, home, "home:refresh")
    await fake.wait_until(lambda: home.updates == 1)
    assert "Refreshed" in home.visible_text() and fake.home(alice) is home
    await fake.open_home(alice)
    events = await world.probe.wait("home", 2)
    assert events[1]["view"]["id"] == home.id  # the published Home comes along now


# -- response_url -------------------------------------------------------------------------------


async def test_a_response_url_takes_five_posts(world: World) -> None:
    fake = world.fake
    assert fake.response_url_uses == 5
    asked = await fake.slash(world.alice, world.general, "/spam")
    assert await world.probe.wait("spam") == [[200, 200, 200, 200, 200, 404]]
    assert [m.visible_text() for m in asked.messages] == [f"Reminder {n}" for n in range(5)]
    assert all(m.ephemeral for m in asked.messages)
    [error] = take_errors(fake)
    assert "response_url used more than 5 times" in error

    later = await fake.slash(world.alice, world.general, "/later")
    fake.advance_clock(31 * 60)  # response_urls last 30 minutes
    world.probe.release("later").set()
    assert await world.probe.wait("later") == [404]
    assert later.messages == []
    [error] = take_errors(fake)
    assert "response_url used after 30 minutes" in error


# -- Web API strictness through the app ---------------------------------------------------------


async def test_a_429_is_retried_by_slack_sdks_retry_handler(world: World) -> None:
    fake = world.fake
    fake.fail_next("chat.postMessage", retry_after=0)  # "Retry-After: 0" keeps this test fast
    await fake.slash(world.olivia, world.general, "/alert", world.general.id)
    [ts] = await world.probe.wait("alert")
    assert [(c.status, c.error) for c in fake.calls("chat.postMessage")] == [
        (429, "ratelimited"),
        (200, None),
    ]
    assert [m.ts for m in fake.channel_messages(world.general)] == [ts]
    assert fake.errors == []  # a 429 is not a violation

    fake.fail_next("chat.postMessage", error="channel_not_found")
    await fake.slash(world.olivia, world.general, "/alert", world.general.id)
    assert (await world.probe.wait("alert", 2))[1] == "channel_not_found"


async def test_the_bot_cannot_post_where_it_was_not_invited(world: World) -> None:
    await world.fake.slash(world.olivia, world.general, "/alert", world.quiet.id)
    assert await world.probe.wait("alert") == ["not_in_channel"]
    assert world.fake.channel_messages(world.quiet) == []


async def test_invalid_blocks_are_refused(world: World) -> None:
    fake = world.fake
    await fake.slash(world.alice, world.general, "/bad-blocks")
    assert await world.probe.wait("bad-blocks") == ["invalid_blocks"]
    assert fake.channel_messages(world.general) == []
    [error] = take_errors(fake)
    assert "text.text: must be at most 75 characters (has 76)" in error

    acked = await fake.slash(world.alice, world.general, "/bad-ack")
    assert acked.ack_status == 200 and acked.messages == []  # the member sees nothing
    [error] = take_errors(fake)
    assert "input blocks are only allowed in modals and Home tabs" in error


async def test_text_that_could_ping_everyone_is_a_violation(world: World) -> None:
    fake = world.fake
    shouted = await fake.slash(world.alice, world.general, "/shout")
    [message] = shouted.messages
    assert not message.ephemeral and fake.channel_messages(world.general) == [message]
    [error] = take_errors(fake)
    assert "could ping everyone" in error and "<!channel>" in error


async def test_a_workspaces_token_cannot_reach_another_workspace(world: World) -> None:
    fake = world.fake
    other = fake.add_workspace("Shelbyville Callers")
    elsewhere = other.add_channel("general")
    stranger = other.add_user("sam")

    await fake.slash(world.alice, world.general, "/peek", elsewhere.id)
    await fake.slash(world.alice, world.general, "/peek", stranger.id)
    assert await world.probe.wait("peek-post", 2) == ["channel_not_found", "channel_not_found"]
    assert await world.probe.wait("peek-user", 2) == ["user_not_found", "user_not_found"]
    errors = take_errors(fake)
    assert len(errors) == 4 and all("tenancy: Springfield Callers's token" in e for e in errors)

    # a made-up id is merely not found (no tenancy violation)
    await fake.slash(world.alice, world.general, "/peek", "C0FFEE00000")
    assert (await world.probe.wait("peek-post", 3))[2] == "channel_not_found"
    assert fake.errors == []

    [message] = (await fake.slash(world.alice, world.general, "/pledge")).messages
    with pytest.raises(FakeSlackError, match="not a member"):
        await fake.click(stranger, message, "pledge:yes")
    with pytest.raises(FakeSlackError, match="not a member"):
        await fake.slash(stranger, world.general, "/pledge")


async def test_members_dms_and_profiles(world: World) -> None:
    fake, olivia = world.fake, world.olivia
    whoami = await fake.slash(olivia, world.general, "/whoami")
    [answer] = await whoami.wait_messages(1)
    assert answer.visible_text() == "You are Olivia in Springfield Callers (admin: True)"
    info = fake.calls("users.info")[0]
    assert info.args["user"] == olivia.id and info.ok

    alice, general = world.alice, world.general
    await fake.slash(alice, general, "/whisper", f"{general.id} {alice.id}")
    await fake.slash(alice, general, "/whisper", f"{world.quiet.id} {alice.id}")
    await fake.slash(alice, general, "/whisper", f"{general.id} U0NOBODY000")
    assert await world.probe.wait("whisper", 3) == ["ok", "not_in_channel", "user_not_found"]
    [whispered] = [m for m in fake.ephemeral_messages(alice) if m.text == "Only you see this"]
    assert whispered.channel_id == general.id and whispered.user_id == alice.id
    assert fake.channel_messages(general) == [] and fake.ephemeral_messages(world.bob) == []

    await fake.slash(world.alice, world.general, "/dm")
    [dm_id] = await world.probe.wait("dm")
    assert dm_id.startswith("D") and fake.calls("conversations.open")[0].args["users"] == (
        world.alice.id
    )
    await fake.wait_until(lambda: len(fake.dm_messages(world.alice)) == 2)
    assert [m.visible_text() for m in fake.dm_messages(world.alice)] == [
        "Your call list",
        "Reminder: call today",
    ]
    assert {m.channel_id for m in fake.dm_messages(world.alice)} == {dm_id}
    assert fake.dm_messages(world.bob) == [] and fake.channel_messages(world.general) == []


# -- acks ---------------------------------------------------------------------------------------


async def test_an_ack_after_the_deadline_expires(world: World) -> None:
    fake = world.fake
    fake.ack_deadline = 0.3  # Slack's 3 s, shortened to keep the test fast
    late = await fake.slash(world.alice, world.general, "/late")
    assert late.expired and late.ack_latency is None and late.ack_status is None
    world.probe.release("late").set()
    await world.probe.wait("late")
    if world.mode == "socket":  # the late ack arrives, and is ignored as Slack ignores it
        await fake.wait_until(
            lambda: any(m.get("envelope_id") == late.envelope_id for m in fake.socket.received)
        )
    assert late.messages == [] and late.ack_status is None
    [error] = take_errors(fake)
    assert "not acknowledged within 0.3 s" in error and "operation_timeout" in error


# -- HTTP mode only -----------------------------------------------------------------------------


async def test_bolt_refuses_forged_and_stale_signatures() -> None:
    async with running_slack() as fake:
        workspace = fake.add_workspace("Springfield Callers")
        app = tiny_app(fake, workspace.bot_token, Probe())
        async with connected(fake, app, "http"):
            body = json.dumps(url_verification("abc123")).encode()
            status, text = await fake.send_signed(workspace, body, "application/json")
            assert (status, json.loads(text)) == (200, {"challenge": "abc123"})
            forged = sign("not-the-secret", int(time.time()), body)
            assert (await fake.send_signed(workspace, body, "application/json", signature=forged))[
                0
            ] == 401
            stale = int(time.time()) - 6 * 60
            assert (await fake.send_signed(workspace, body, "application/json", timestamp=stale))[
                0
            ] == 401
            assert fake.errors == []


# -- Socket Mode only ---------------------------------------------------------------------------


async def test_socket_mode_reconnects_after_a_disconnect_message() -> None:
    async with running_slack() as fake:
        workspace = fake.add_workspace("Springfield Callers")
        general = workspace.add_channel("general")
        alice = workspace.add_user("alice")
        app = tiny_app(fake, workspace.bot_token, Probe())
        async with connected(fake, app, "socket", workspace):
            await fake.disconnect_sockets(reason="refresh_requested")
            assert fake.socket.opened(workspace) == 2 and fake.socket_connections(workspace) == 1
            assert len(fake.calls("apps.connections.open")) == 2
            asked = await fake.slash(alice, general, "/pledge")
            assert asked.via == "socket" and asked.ack_status == 200 and len(asked.messages) == 1
            assert fake.errors == []


async def test_the_socket_mode_protocol_with_a_raw_websocket() -> None:
    async with running_slack() as fake, aiohttp.ClientSession() as http:
        workspace = fake.add_workspace("Raw Town")
        general = workspace.add_channel("general")
        alice = workspace.add_user("alice")
        url = fake.api_url + "apps.connections.open"

        bot = {"Authorization": f"Bearer {workspace.bot_token}"}
        async with http.post(url, headers=bot) as answer:
            assert (await answer.json())["error"] == "not_allowed_token_type"
        async with http.post(url, data={"token": workspace.app_token}) as answer:
            assert (await answer.json())["error"] == "invalid_auth"  # header only, for this one
        assert len(take_errors(fake)) == 2

        with pytest.raises(FakeSlackError, match="no Socket Mode connection"):
            await fake.slash(alice, general, "/pledge")

        app_auth = {"Authorization": f"Bearer {workspace.app_token}"}
        async with http.post(url, headers=app_auth) as answer:
            assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
            socket_url = (await answer.json())["url"]
        async with http.ws_connect(socket_url) as sock:
            hello = await sock.receive_json()
            assert hello["type"] == "hello" and hello["num_connections"] == 1
            assert hello["connection_info"] == {"app_id": fake.app_id}
            with pytest.raises(aiohttp.WSServerHandshakeError):
                await http.ws_connect(socket_url)  # tickets are single-use

            asked = asyncio.create_task(fake.slash(alice, general, "/pledge", "now"))
            envelope = await sock.receive_json()
            assert envelope["type"] == "slash_commands" and envelope["accepts_response_payload"]
            assert envelope["payload"]["command"] == "/pledge"
            assert envelope["payload"]["team_id"] == workspace.id
            await sock.send_json(
                {"envelope_id": envelope["envelope_id"], "payload": {"text": "OK"}}
            )
            action = await asyncio.wait_for(asked, 5)
            assert action.ack_body == {"text": "OK"}
            assert [m.visible_text() for m in action.messages] == ["OK"]

            await sock.send_json({"envelope_id": envelope["envelope_id"]})
            await sock.send_json({"envelope_id": "no-such-envelope"})
            await sock.send_str("hello?")
            await fake.wait_until(lambda: len(fake.errors) == 3)
        assert [e.split(":")[0] for e in take_errors(fake)] == [
            "/pledge by alice",
            "socket mode",
            "socket mode",
        ]


# -- raw Web API --------------------------------------------------------------------------------


async def test_the_web_api_with_a_raw_client() -> None:
    async with running_slack() as fake, aiohttp.ClientSession() as http:
        workspace = fake.add_workspace("Raw Town")
        general = workspace.add_channel("general")
        alice = workspace.add_user("alice")
        api = fake.api_url

        form = {"token": workspace.bot_token, "channel": general.id, "text": "form body"}
        async with http.post(api + "chat.postMessage", data=form) as answer:
            assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
            posted = await answer.json()
        assert posted["ok"] and posted["channel"] == general.id
        bearer = {"Authorization": f"Bearer {workspace.bot_token}"}
        blocks = json.dumps([section("json string blocks")])
        form = {"channel": general.id, "text": "x", "blocks": blocks}
        async with http.post(api + "chat.postMessage", data=form, headers=bearer) as answer:
            assert (await answer.json())["ok"]
        body = {"channel": general.id, "ts": posted["ts"], "text": "edited"}
        async with http.post(api + "chat.update", json=body, headers=bearer) as answer:
            assert (await answer.json())["ok"]
        async with http.get(api + "users.info", params={"user": alice.id}, headers=bearer) as r:
            user = (await r.json())["user"]
        assert (user["id"], user["is_admin"], user["tz"]) == (alice.id, False, "America/New_York")
        assert user["profile"]["display_name"] == "alice"
        assert [m.visible_text() for m in fake.channel_messages(general)] == [
            "edited",
            "json string blocks",
        ]
        assert fake.channel_messages(general)[0].edits == 1

        refusals = {
            "no token": ({}, "not_authed"),
            "unknown token": ({"Authorization": "Bearer xoxb-stolen"}, "invalid_auth"),
            "app token": ({"Authorization": f"Bearer {workspace.app_token}"}, None),
        }
        for name, (headers, expected) in refusals.items():
            async with http.post(api + "auth.test", headers=headers) as answer:
                error = (await answer.json())["error"]
            assert error == (expected or "not_allowed_token_type"), name
        token_in_json = {"token": workspace.bot_token}  # JSON wants the Authorization header
        async with http.post(api + "auth.test", json=token_in_json) as answer:
            assert (await answer.json())["error"] == "not_authed"
        async with http.post(api + "chat.unfurl", headers=bearer) as answer:
            assert (await answer.json())["error"] == "unknown_method"
        errors = take_errors(fake)
        assert len(errors) == 5 and "does not serve the method chat.unfurl" in errors[-1]

        async with http.post(
            api + "chat.postEphemeral",
            json={"channel": general.id, "user": alice.id, "text": "psst"},
            headers=bearer,
        ) as answer:
            ephemeral_ts = (await answer.json())["message_ts"]
        update = {"channel": general.id, "ts": ephemeral_ts, "text": "x"}
        async with http.post(api + "chat.update", json=update, headers=bearer) as answer:
            assert (await answer.json())["error"] == "message_not_found"
        [error] = take_errors(fake)
        assert "use the response_url" in error
        remove = {"channel": general.id, "ts": posted["ts"]}
        async with http.post(api + "chat.delete", json=remove, headers=bearer) as answer:
            assert (await answer.json())["ok"]
        assert [m.visible_text() for m in fake.channel_messages(general)] == ["json string blocks"]
        query = {"channel": general.id}
        async with http.get(api + "conversations.info", params=query, headers=bearer) as r:
            conversation = (await r.json())["channel"]
        assert (conversation["name"], conversation["is_member"]) == ("general", True)
        quiet = workspace.add_channel("quiet", bot_is_member=False)
        async with http.post(
            api + "conversations.join", json={"channel": quiet.id}, headers=bearer
        ) as answer:
            assert (await answer.json())["channel"]["is_member"] and quiet.bot_is_member
        async with http.get(api + "conversations.list", headers=bearer) as answer:
            listed = (await answer.json())["channels"]
        assert [c["name"] for c in listed] == ["general", "quiet"]
        workspace.archive_channel(quiet)
        workspace.delete_channel(general)
        for gone, expected in ((quiet, "is_archived"), (general, "channel_not_found")):
            message = {"channel": gone.id, "text": "Still there?"}
            async with http.post(api + "chat.postMessage", json=message, headers=bearer) as r:
                assert (await r.json())["error"] == expected
        opening = {"trigger_id": "12345.98765.abcd", "view": json.dumps(report_modal())}
        async with http.post(api + "views.open", data=opening, headers=bearer) as answer:
            assert (await answer.json())["error"] == "invalid_trigger_id"
        [error] = take_errors(fake)
        assert "unknown trigger_id" in error

        fake.channel_burst = 2  # chat.postMessage: 2 at once, then about 1 per second
        busy = workspace.add_channel("busy")
        statuses = []
        for _ in range(3):
            message = {"channel": busy.id, "text": "Call now"}
            async with http.post(api + "chat.postMessage", json=message, headers=bearer) as r:
                statuses.append((r.status, r.headers.get("Retry-After")))
        assert statuses == [(200, None), (200, None), (429, "1")]
        fake.rate_limits = False
        async with http.post(api + "chat.postMessage", json=message, headers=bearer) as answer:
            assert answer.status == 200
        assert fake.errors == []


PNG = PNG_MAGIC + b"\x00" * 40  # enough of a PNG for the fake to sniff


async def test_slack_sdks_files_upload_v2_shares_a_file_in_a_channel_a_thread_or_nowhere() -> None:
    async with running_slack() as fake:
        workspace = fake.add_workspace("Upload Town")
        general = workspace.add_channel("general")
        client = AsyncWebClient(token=workspace.bot_token, base_url=fake.api_url)

        shared = await client.files_upload_v2(
            channel=general.id,
            file=PNG,
            filename="chart.png",
            title="Calls per day",
            alt_txt="Calls per day: Nov 05 3",
            initial_comment="Today's chart",
        )
        [asked] = fake.calls("files.getUploadURLExternal")
        assert (asked.args["filename"], asked.args["length"]) == ("chart.png", str(len(PNG)))
        [completed] = fake.calls("files.completeUploadExternal")
        assert json.loads(completed.args["files"])[0]["title"] == "Calls per day"
        [message] = fake.channel_messages(general)
        [file] = message.files
        assert shared["file"]["id"] == file.id and shared["file"]["mimetype"] == "image/png"
        assert (file.data, file.title, file.alt_txt) == (
            PNG,
            "Calls per day",
            "Calls per day: Nov 05 3",
        )
        assert message.visible_text() == "Today's chart\nCalls per day"
        assert message.payload()["files"][0]["name"] == "chart.png"

        parent = await client.chat_postMessage(channel=general.id, text="Tally")
        await client.files_upload_v2(
            channel=general.id, thread_ts=parent["ts"], file=b"abc", filename="notes.txt"
        )
        [reply] = fake.thread(fake.channel_messages(general)[1])
        assert reply.files[0].data == b"abc" and reply.files[0].thread_ts == parent["ts"]
        assert reply.files[0].title == "notes.txt"  # the filename when no title is given
        assert fake.shared_files(general) == [file, reply.files[0]]

        private = await client.files_upload_v2(file=b"secret", filename="private.txt")
        assert fake.upload(private["file"]["id"]) is not None
        assert len(fake.shared_files()) == 2  # completed, shared nowhere
        assert fake.errors == []


async def test_the_upload_flow_is_as_strict_as_slack() -> None:
    async with running_slack() as fake, aiohttp.ClientSession() as http:
        workspace = fake.add_workspace("Strict Town")
        general = workspace.add_channel("general")
        quiet = workspace.add_channel("quiet", bot_is_member=False)
        other = fake.add_workspace("Elsewhere")
        api = fake.api_url

        async def call(method: str, token: str = workspace.bot_token, **args: Any) -> Any:
            headers = {"Authorization": f"Bearer {token}"}
            async with http.post(api + method, data=args, headers=headers) as answer:
                return await answer.json()

        async def new_upload(length: int, token: str = workspace.bot_token) -> tuple[str, str]:
            answer = await call(
                "files.getUploadURLExternal", token, filename="a.png", length=length
            )
            return answer["upload_url"], answer["file_id"]

        def complete(file_id: str, **args: Any) -> Any:
            files = json.dumps([{"id": file_id, "title": "A chart"}])
            return call("files.completeUploadExternal", files=files, **args)

        # getUploadURLExternal checks its arguments.
        refused = {
            "no filename": ({"length": 3}, "invalid_arguments"),
            "no length": ({"filename": "a.png"}, "invalid_arguments"),
            "empty file": ({"filename": "a.png", "length": 0}, "missing_argument"),
            "alt text too long": (
                {"filename": "a.png", "length": 3, "alt_txt": "x" * 1001},
                "alt_txt_too_large",
            ),
        }
        for name, (args, expected) in refused.items():
            assert (await call("files.getUploadURLExternal", **args))["error"] == expected, name
        assert len(take_errors(fake)) == len(refused)

        # The bytes: exactly as many as declared, once.
        url, file_id = await new_upload(len(PNG))
        async with http.post(url, data=PNG[:-1]) as answer:
            assert answer.status == 400
        [error] = take_errors(fake)
        assert "bytes sent" in error
        async with http.post(url, data=PNG) as answer:
            assert (answer.status, await answer.text()) == (200, f"OK - {len(PNG)}")
        async with http.post(url, data=PNG) as answer:
            assert answer.status == 410
        [error] = take_errors(fake)
        assert "used twice" in error
        async with http.post(url + "x", data=PNG) as answer:
            assert answer.status == 404
        [error] = take_errors(fake)
        assert "unknown upload URL" in error

        # Completing: where the bot may post, a parent message for a thread, once.
        assert (await complete(file_id, channel_id=quiet.id))["error"] == "not_in_channel"
        no_thread = await complete(file_id, channel_id=general.id, thread_ts="1.000100")
        assert no_thread["error"] == "invalid_thread_ts"
        [error] = take_errors(fake)
        assert "no message 1.000100" in error
        assert (await complete(file_id, channel_id=general.id))["ok"]
        assert (await complete(file_id, channel_id=general.id))["error"] == "file_not_found"
        [error] = take_errors(fake)
        assert "completed twice" in error
        [message] = fake.channel_messages(general)
        assert message.files[0].data == PNG and message.files[0].title == "A chart"

        pending_url, pending = await new_upload(3)
        assert (await complete(pending, channel_id=general.id))["error"] == "file_not_found"
        [error] = take_errors(fake)
        assert "before its bytes came" in error
        form = aiohttp.FormData()
        form.add_field("filename", b"abc", filename="a.png")
        async with http.post(pending_url, data=form) as answer:  # multipart works too
            assert answer.status == 200
        theirs = await call(
            "files.completeUploadExternal",
            other.bot_token,
            files=json.dumps([{"id": pending}]),
            channel_id=general.id,
        )
        assert theirs["error"] == "file_not_found"
        [error] = take_errors(fake)
        assert "tenancy" in error

        # Without the files:write scope, nothing goes up.
        workspace.scopes = ["commands", "chat:write"]
        missing = await call("files.getUploadURLExternal", filename="a.png", length=3)
        assert (missing["error"], missing["needed"]) == ("missing_scope", "files:write")
        [error] = take_errors(fake)
        assert "files:write" in error


async def test_a_workspace_not_yet_installed_refuses_its_token_and_members() -> None:
    async with running_slack() as fake:
        workspace = fake.add_workspace("Later Town", installed=False)
        general = workspace.add_channel("general")
        alice = workspace.add_user("alice")
        client = AsyncWebClient(token=workspace.bot_token, base_url=fake.api_url)
        with pytest.raises(SlackApiError) as refused:
            await client.auth_test()
        assert refused.value.response["error"] == "invalid_auth"
        with pytest.raises(FakeSlackError, match="not installed"):
            await fake.slash(alice, general, "/pledge")
        [error] = take_errors(fake)
        assert "not installed" in error


# -- OAuth --------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
# slack_sdk 3.47 builds oauth.v2.access's Basic auth with aiohttp's deprecated BasicAuth.
@pytest.mark.filterwarnings("ignore:BasicAuth is deprecated:DeprecationWarning")
async def test_an_oauth_install_sends_that_workspaces_events_with_its_own_token(
    mode: str, tmp_path: Path
) -> None:
    async with running_slack() as fake, AsyncExitStack() as stack:
        towns = []
        for name in ("Springfield Callers", "Shelbyville Callers"):
            workspace = fake.add_workspace(name, installed=False)
            towns.append(
                (
                    workspace,
                    workspace.add_channel("general"),
                    workspace.add_user("owner", owner=True),
                )
            )
        settings = AsyncOAuthSettings(
            client_id=fake.client_id,
            client_secret=fake.client_secret,
            scopes=["commands", "chat:write", "users:read"],
            installation_store=FileInstallationStore(base_dir=str(tmp_path / "installations")),
            state_store=FileOAuthStateStore(
                expiration_seconds=300, base_dir=str(tmp_path / "state")
            ),
            authorization_url=fake.authorize_url,
        )
        app = AsyncApp(
            signing_secret=fake.signing_secret,
            oauth_settings=settings,
            client=AsyncWebClient(base_url=fake.api_url),
        )
        register(app, Probe())
        server = await stack.enter_async_context(serving_bolt_http(app))
        assert server.install_url is not None

        for workspace, _, owner in towns:
            await fake.install(workspace, server.install_url)
            assert workspace.installed and workspace.installer is owner
        exchanges = fake.calls("oauth.v2.access")
        assert [(c.ok, c.workspace) for c in exchanges] == [(True, w) for w, _, _ in towns]
        assert workspace.scopes == ["commands", "chat:write", "users:read"]

        if mode == "http":
            fake.deliver_http(server.events_url)
        else:
            await stack.enter_async_context(
                running_socket_mode(fake, app, *(w for w, _, _ in towns))
            )
        for workspace, general, owner in towns:
            asked = await fake.slash(owner, general, "/whoami")
            assert asked.via == mode
            [answer] = await asked.wait_messages(1)
            assert answer.visible_text() == f"You are Owner in {workspace.name} (admin: True)"
            lookup = fake.calls("users.info")[-1]
            assert lookup.token == workspace.bot_token and lookup.workspace is workspace

        # the code is single-use
        reuse = fake.oauth.grants[next(iter(fake.oauth.grants))].code
        client = AsyncWebClient(base_url=fake.api_url)
        with pytest.raises(SlackApiError) as refused:
            await client.oauth_v2_access(
                client_id=fake.client_id, client_secret=fake.client_secret, code=reuse
            )
        assert refused.value.response["error"] == "invalid_code"
        [error] = take_errors(fake)
        assert "single-use" in error


async def test_proxy_variables_are_cleared_while_the_fake_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    async with running_slack() as fake:
        assert "HTTPS_PROXY" not in os.environ and "http_proxy" not in os.environ
        workspace = fake.add_workspace("Proxy Town")
        client = AsyncWebClient(token=workspace.bot_token, base_url=fake.api_url)
        assert (await client.auth_test())["team_id"] == workspace.id
    assert os.environ["HTTPS_PROXY"] == os.environ["http_proxy"] == "http://127.0.0.1:9"


# -- Block Kit rules ----------------------------------------------------------------------------


def test_message_blocks_follow_slacks_limits() -> None:
    button = {"type": "button", "action_id": "call", "text": plain("Call")}
    actions = {"type": "actions", "elements": [button]}
    assert message_problems({"text": "hi", "blocks": [section("Call"), actions]}) == []

    def problems(*blocks: dict[str, Any]) -> list[str]:
        return blocks_problems(list(blocks), "message")

    assert problems(*[section("x")] * 51) == ["blocks: must have at most 50 blocks (has 51)"]
    assert problems(section("x" * 3001)) == [
        "blocks[0].text.text: must be at most 3000 characters (has 3001)"
    ]
    fields = {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}
    assert problems(fields) == ["blocks[0].fields: must have at most 10 items (has 11)"]
    assert problems({"type": "header", "text": plain("h" * 151)}) == [
        "blocks[0].text.text: must be at most 150 characters (has 151)"
    ]
    assert problems({"type": "header", "text": {"type": "mrkdwn", "text": "h"}}) == [
        "blocks[0].text: must be a plain_text object"
    ]
    assert problems({"type": "actions", "elements": [{**button, "value": "v" * 2001}]}) == [
        "blocks[0].elements[0].value: must be at most 2000 characters (has 2001)"
    ]
    assert problems({"type": "actions", "elements": [{**button, "url": "u" * 3001}]}) == [
        "blocks[0].elements[0].url: must be at most 3000 characters (has 3001)"
    ]
    # action_ids are unique within a block; the same one may recur in another block
    assert problems(actions, actions) == []
    same = {"type": "actions", "elements": [button, {**button, "text": plain("Again")}]}
    assert problems(same) == [
        "blocks[0].elements[1].action_id: duplicate action_id 'call' in a block"
    ]
    assert problems(section("a", "same"), section("b", "same")) == [
        "blocks[1].block_id: duplicate block_id 'same'"
    ]
    assert problems(section("a", "b" * 256)) == [
        "blocks[0].block_id: must be at most 255 characters (has 256)"
    ]
    disabled = {**button, "disabled": True}
    assert problems({"type": "actions", "elements": [disabled]}) == [
        "blocks[0].elements[0]: invalid additional property: disabled"
    ]
    options = [option(f"o{n}", f"v{n}") for n in range(101)]
    select = {"type": "static_select", "action_id": "s", "options": options}
    assert problems({"type": "actions", "elements": [select]}) == [
        "blocks[0].elements[0].options: must have 1 to 100 options (has 101)"
    ]
    long_value = {**select, "options": [option("o", "v" * 151)]}
    assert problems({"type": "actions", "elements": [long_value]}) == [
        "blocks[0].elements[0].options[0].value: must be at most 150 characters (has 151)"
    ]
    assert problems({"type": "section", "text": {"type": "markdown", "text": "x"}}) == [
        "blocks[0].text: type must be plain_text or mrkdwn, not 'markdown'"
    ]
    assert problems({"type": "carousel"}) == ["blocks[0]: unknown block type 'carousel'"]
    assert problems(section("")) == [  # text objects need 1 character
        "blocks[0].text.text: must be at least 1 characters"
    ]


def test_views_follow_slacks_limits() -> None:
    field = {"type": "plain_text_input", "action_id": "zip"}
    input_block = {"type": "input", "block_id": "zip", "label": plain("ZIP"), "element": field}
    modal = {
        "type": "modal",
        "title": plain("Find reps"),
        "submit": plain("Go"),
        "blocks": [input_block],
    }
    assert view_problems(modal, expected="modal") == []
    assert view_problems({**modal, "title": plain("T" * 25)}) == [
        "view.title.text: must be at most 24 characters (has 25)"
    ]
    assert view_problems({**modal, "submit": plain("S" * 25)}) == [
        "view.submit.text: must be at most 24 characters (has 25)"
    ]
    assert view_problems({**modal, "private_metadata": "m" * 3001}) == [
        "view.private_metadata: must be at most 3000 characters (has 3001)"
    ]
    assert view_problems({**modal, "callback_id": "c" * 256}) == [
        "view.callback_id: must be at most 255 characters (has 256)"
    ]
    assert view_problems({k: v for k, v in modal.items() if k != "submit"}) == [
        "view.submit: is required when the view has input blocks"
    ]
    assert view_problems({**modal, "blocks": [section("x")] * 101}) == [
        "view.blocks: must have at most 100 blocks (has 101)"
    ]
    too_long = {**input_block, "element": {**field, "max_length": 3001}}
    assert view_problems({**modal, "blocks": [too_long]}) == [
        "view.blocks[0].element.max_length: must be an integer from 1 to 3000"
    ]
    # Slack's own fields are not the app's to send
    assert view_problems({**modal, "state": {}}) == ["view: invalid additional property: state"]
    assert view_problems(modal, expected="home") == ["view.type: must be home here, not 'modal'"]
    home = {"type": "home", "blocks": [section("Hi"), input_block]}
    assert view_problems(home, expected="home") == []
    assert view_problems({**home, "title": plain("Home")}) == [
        "view: invalid additional property: title"
    ]


def test_texts_that_could_ping_a_crowd_are_found() -> None:
    assert mention_problems({"text": "Call <@U123> and <#C123>"}) == []
    for text in ("<!everyone>", "<!channel>", "<!here|here>", "<!subteam^S123>"):
        assert mention_problems({"blocks": [section(f"hey {text}")]}), text
    assert mention_problems({"text": "@channel call", "link_names": True})
    assert mention_problems({"text": "@channel call"}) == []  # without link_names it is text
    broadcast = {"type": "rich_text", "elements": [{"type": "broadcast", "range": "here"}]}
    assert mention_problems({"blocks": [broadcast]})
