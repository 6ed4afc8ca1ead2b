"""Contract between Slack's payloads, slack-bolt's parsing, and the fake.

Sample payloads in the shapes Slack sends (every key of slackapi/java-slack-sdk's
json-logs/samples/app-backend and bolt-python's scenario tests; our own values) go through
bolt's real request parsing (AsyncBoltRequest, payload_utils, context extraction) and
listener matching, over HTTP (signed, form-encoded or JSON) and in Socket Mode envelopes.
The test asserts that every field the adapter reads is where bolt expects it, and that the
fake's own payloads have the same shape and parse the same way. The day Slack or bolt moves a
field, this fails here rather than in production."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.authorization import AuthorizeResult
from slack_bolt.request import payload_utils
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.web.async_client import AsyncWebClient

from callbot.replies import Actor
from callbot_slack.actors import actor_from, team_id_of, user_id_of
from callbot_slack.alerts import CALLBACK_ID as ALERT_FORM
from callbot_slack.alerts import channel_name_of, submitted_alert
from callbot_slack.components import chosen
from callbot_slack.render import submitted_values
from callbot_slack.responder import Origin
from fakes import slack_payloads as payloads
from fakes.signal import Signal
from fakes.slack_fake import FakeSlack, FakeView

SECRET = "contract-signing-secret"
TEAM, USER, CHANNEL, BOT_USER = "T0CB1SPR1", "U0CB1AL1C", "C0CB1GEN1", "U0CB1B0T1"
APP, BOT, VIEW = "A0CALLBOT", "B0CB1B0T1", "V0CB1REP1"
TRIGGER = "1234567890123.1234567890.abcdef0123456789abcdef0123456789"
COMMAND_URL = "https://hooks.slack.com/commands/T0CB1SPR1/1234567890123/abcdEFGHijklMNOPqrst"
ACTION_URL = "https://hooks.slack.com/actions/T0CB1SPR1/1234567890124/qrstUVWXyzabCDEFghij"


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


USER_BRIEF = {"id": USER, "username": "alice", "name": "alice", "team_id": TEAM}
TEAM_BRIEF = {"id": TEAM, "domain": "springfield-callers"}

# -- Slack's shapes, our values -----------------------------------------------------------------

SLASH_COMMAND = {
    "token": "verificationToken0123",
    "team_id": TEAM,
    "team_domain": "springfield-callers",
    "channel_id": CHANNEL,
    "channel_name": "general",
    "user_id": USER,
    "user_name": "alice",
    "command": "/callbot",
    "text": "call 62704",
    "api_app_id": APP,
    "is_enterprise_install": "false",
    "response_url": COMMAND_URL,
    "trigger_id": TRIGGER,
}

MESSAGE_BLOCKS: list[dict[str, Any]] = [
    {
        "type": "section",
        "block_id": "ask",
        "text": {"type": "mrkdwn", "text": "Will you call today?", "verbatim": False},
    },
    {
        "type": "actions",
        "block_id": "answer",
        "elements": [
            {
                "type": "button",
                "action_id": "pledge:yes",
                "text": plain("I'll call"),
                "value": "yes",
            }
        ],
    },
]

BLOCK_ACTIONS_FROM_MESSAGE: dict[str, Any] = {
    "type": "block_actions",
    "user": USER_BRIEF,
    "api_app_id": APP,
    "token": "verificationToken0123",
    "container": {
        "type": "message",
        "message_ts": "1716812345.000200",
        "channel_id": CHANNEL,
        "is_ephemeral": False,
    },
    "trigger_id": TRIGGER,
    "team": TEAM_BRIEF,
    "enterprise": None,
    "is_enterprise_install": False,
    "channel": {"id": CHANNEL, "name": "general"},
    "message": {
        "user": BOT_USER,
        "type": "message",
        "ts": "1716812345.000200",
        "bot_id": BOT,
        "app_id": APP,
        "text": "Will you call today?",
        "team": TEAM,
        "blocks": MESSAGE_BLOCKS,
    },
    "state": {"values": {}},
    "response_url": ACTION_URL,
    "actions": [
        {
            "action_id": "pledge:yes",
            "block_id": "answer",
            "text": plain("I'll call"),
            "value": "yes",
            "type": "button",
            "action_ts": "1716812350.123456",
        }
    ],
}

# Slack omits `message` for ephemeral messages; the container says is_ephemeral.
BLOCK_ACTIONS_FROM_EPHEMERAL = {
    key: value for key, value in BLOCK_ACTIONS_FROM_MESSAGE.items() if key != "message"
} | {
    "container": {
        "type": "message",
        "message_ts": "1716812345.000300",
        "channel_id": CHANNEL,
        "is_ephemeral": True,
    }
}

MODAL_BLOCKS: list[dict[str, Any]] = [
    {
        "type": "input",
        "block_id": "outcome",
        "label": plain("Who did you reach?"),
        "optional": False,
        "dispatch_action": False,
        "element": {
            "type": "plain_text_input",
            "action_id": "text",
            "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
        },
    },
    {
        "type": "input",
        "block_id": "chamber",
        "label": plain("Chamber"),
        "optional": False,
        "dispatch_action": False,
        "element": {
            "type": "static_select",
            "action_id": "choice",
            "options": [
                {"text": plain("House"), "value": "house"},
                {"text": plain("Senate"), "value": "senate"},
            ],
        },
    },
    {
        "type": "input",
        "block_id": "where",
        "label": plain("Channel"),
        "optional": True,
        "dispatch_action": False,
        "element": {"type": "channels_select", "action_id": "channel"},
    },
    {
        "type": "actions",
        "block_id": "help",
        "elements": [{"type": "button", "action_id": "report:help", "text": plain("Help")}],
    },
]


#: What a modal opened from #general carries (ours: Slack gives it back untouched).
METADATA = json.dumps(Origin(TEAM, USER, channel_id=CHANNEL).modal_metadata())
ALERT_METADATA = json.dumps({**json.loads(METADATA), "channel_name": "general"})


def modal_view(
    state_values: dict[str, Any],
    *,
    callback_id: str = "report",
    blocks: list[dict[str, Any]] = MODAL_BLOCKS,
    metadata: str = METADATA,
) -> dict[str, Any]:
    return {
        "id": VIEW,
        "team_id": TEAM,
        "type": "modal",
        "blocks": blocks,
        "private_metadata": metadata,
        "callback_id": callback_id,
        "state": {"values": state_values},
        "hash": "1716812360.AbCdEfGh",
        "title": plain("Report a call"),
        "clear_on_close": False,
        "notify_on_close": False,
        "close": plain("Cancel"),
        "submit": plain("Log it"),
        "previous_view_id": None,
        "root_view_id": VIEW,
        "app_id": APP,
        "external_id": "",
        "app_installed_team_id": TEAM,
        "bot_id": BOT,
    }


SUBMITTED_VALUES = {
    "outcome": {"text": {"type": "plain_text_input", "value": "staffer"}},
    "chamber": {
        "choice": {
            "type": "static_select",
            "selected_option": {"text": plain("Senate"), "value": "senate"},
        }
    },
    "where": {"channel": {"type": "channels_select", "selected_channel": CHANNEL}},
}

BLOCK_ACTIONS_FROM_VIEW = {
    "type": "block_actions",
    "user": USER_BRIEF,
    "api_app_id": APP,
    "token": "verificationToken0123",
    "container": {"type": "view", "view_id": VIEW},
    "trigger_id": TRIGGER,
    "team": TEAM_BRIEF,
    "enterprise": None,
    "is_enterprise_install": False,
    "view": modal_view({}),
    "actions": [
        {
            "action_id": "report:help",
            "block_id": "help",
            "text": plain("Help"),
            "type": "button",
            "action_ts": "1716812361.000100",
        }
    ],
}

VIEW_SUBMISSION = {
    "type": "view_submission",
    "team": TEAM_BRIEF,
    "user": USER_BRIEF,
    "api_app_id": APP,
    "token": "verificationToken0123",
    "trigger_id": TRIGGER,
    "view": modal_view(SUBMITTED_VALUES),
    "response_urls": [],
    "is_enterprise_install": False,
    "enterprise": None,
}

# The alert form (callbot_slack.alerts.alert_modal's blocks), as Slack sends it back submitted.
ALERT_MODAL_BLOCKS: list[dict[str, Any]] = [
    {
        "type": "input",
        "block_id": "campaign",
        "label": plain("Campaign"),
        "optional": False,
        "dispatch_action": False,
        "element": {
            "type": "static_select",
            "action_id": "campaign",
            "options": [{"text": plain("Call the governor (governor)"), "value": "governor"}],
        },
    },
    {
        "type": "input",
        "block_id": "channel",
        "label": plain("Post it in"),
        "optional": False,
        "dispatch_action": False,
        "element": {
            "type": "conversations_select",
            "action_id": "channel",
            "initial_conversation": CHANNEL,
            "filter": {"include": ["public", "private"], "exclude_bot_users": True},
        },
    },
    {
        "type": "input",
        "block_id": "when",
        "label": plain("When"),
        "optional": False,
        "dispatch_action": False,
        "element": {
            "type": "plain_text_input",
            "action_id": "when",
            "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
        },
    },
    {
        "type": "input",
        "block_id": "message",
        "label": plain("Your message (optional)"),
        "optional": True,
        "dispatch_action": False,
        "element": {
            "type": "plain_text_input",
            "action_id": "message",
            "multiline": True,
            "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
        },
    },
]

SUBMITTED_ALERT = {
    "campaign": {
        "campaign": {
            "type": "static_select",
            "selected_option": {
                "text": plain("Call the governor (governor)"),
                "value": "governor",
            },
        }
    },
    "channel": {"channel": {"type": "conversations_select", "selected_conversation": CHANNEL}},
    "when": {"when": {"type": "plain_text_input", "value": "daily 18:00"}},
    "message": {"message": {"type": "plain_text_input", "value": "Call today!"}},
}

ALERT_SUBMISSION = VIEW_SUBMISSION | {
    "view": modal_view(
        SUBMITTED_ALERT, callback_id=ALERT_FORM, blocks=ALERT_MODAL_BLOCKS, metadata=ALERT_METADATA
    )
}

APP_HOME_OPENED = {
    "token": "verificationToken0123",
    "team_id": TEAM,
    "context_team_id": TEAM,
    "context_enterprise_id": None,
    "api_app_id": APP,
    "event": {
        "type": "app_home_opened",
        "user": USER,
        "channel": "D0CB1DM01",
        "tab": "home",
        "event_ts": "1716812370.000100",
    },
    "type": "event_callback",
    "event_id": "Ev0CB1HOME1",
    "event_time": 1716812370,
    "authorizations": [
        {
            "enterprise_id": None,
            "team_id": TEAM,
            "user_id": BOT_USER,
            "is_bot": True,
            "is_enterprise_install": False,
        }
    ],
    "is_ext_shared_channel": False,
    "event_context": "4-eyJldCI6ImFwcF9ob21lX29wZW5lZCJ9-T0CB1SPR1",
}

URL_VERIFICATION = {
    "token": "verificationToken0123",
    "challenge": "c3p0r2d2",
    "type": "url_verification",
}

# kind (Socket Mode envelope type), payload, is_x predicate, what bolt extracts into the context
SAMPLES: dict[str, tuple[str, dict[str, Any], Callable[[dict[str, Any]], bool], dict[str, Any]]] = {
    "slash_command": (
        "slash_commands",
        SLASH_COMMAND,
        payload_utils.is_slash_command,
        {"team_id": TEAM, "user_id": USER, "channel_id": CHANNEL, "response_url": COMMAND_URL},
    ),
    "block_actions_message": (
        "interactive",
        BLOCK_ACTIONS_FROM_MESSAGE,
        payload_utils.is_block_actions,
        {"team_id": TEAM, "user_id": USER, "channel_id": CHANNEL, "response_url": ACTION_URL},
    ),
    "block_actions_ephemeral": (
        "interactive",
        BLOCK_ACTIONS_FROM_EPHEMERAL,
        payload_utils.is_block_actions,
        {"team_id": TEAM, "user_id": USER, "channel_id": CHANNEL, "response_url": ACTION_URL},
    ),
    "block_actions_view": (
        "interactive",
        BLOCK_ACTIONS_FROM_VIEW,
        payload_utils.is_block_actions,
        {"team_id": TEAM, "user_id": USER, "channel_id": None, "response_url": None},
    ),
    "view_submission": (
        "interactive",
        VIEW_SUBMISSION,
        payload_utils.is_view_submission,
        {"team_id": TEAM, "user_id": USER, "channel_id": None, "response_url": None},
    ),
    "alert_submission": (
        "interactive",
        ALERT_SUBMISSION,
        payload_utils.is_view_submission,
        {"team_id": TEAM, "user_id": USER, "channel_id": None, "response_url": None},
    ),
    "app_home_opened": (
        "events_api",
        APP_HOME_OPENED,
        payload_utils.is_app_home_opened_event,
        {"team_id": TEAM, "user_id": USER, "channel_id": "D0CB1DM01", "response_url": None},
    ),
}

ALICE = Actor("slack", TEAM, USER, display_name="alice", community_name="springfield-callers")
#: What the adapter makes of each sample, through its own functions (`adapter_reads`).
READS: dict[str, dict[str, Any]] = {
    "slash_command": {
        "actor": ALICE,
        "origin": Origin(TEAM, USER, CHANNEL, COMMAND_URL, TRIGGER),
        "command": "/callbot",
        "text": "call 62704",
        "channel_name": "general",
    },
    "block_actions_message": {
        "actor": ALICE,
        "origin": Origin(TEAM, USER, CHANNEL, ACTION_URL, TRIGGER),
        "action_id": "pledge:yes",
        "choice": None,
        "action_ts": "1716812350.123456",
        "channel_name": "general",
    },
    "block_actions_ephemeral": {
        "actor": ALICE,
        "origin": Origin(TEAM, USER, CHANNEL, ACTION_URL, TRIGGER, card="pledge:yes"),
        "action_id": "pledge:yes",
        "choice": None,
        "action_ts": "1716812350.123456",
        "channel_name": "general",
    },
    "block_actions_view": {  # a view's click (a modal's or the Home tab's) answers in Messages
        "actor": ALICE,
        "origin": Origin(TEAM, USER, trigger_id=TRIGGER, home=True),
        "action_id": "report:help",
        "choice": None,
        "action_ts": "1716812361.000100",
        "channel_name": "",
    },
    "view_submission": {
        "actor": ALICE,
        "callback_id": "report",
        "view_id": VIEW,
        "origin": Origin(TEAM, USER, CHANNEL),
        # The core's forms are text inputs only: a channel select is not read there.
        "values": {"outcome": "staffer", "chamber": "senate", "where": ""},
    },
    "alert_submission": {
        "actor": ALICE,
        "callback_id": ALERT_FORM,
        "view_id": VIEW,
        "origin": Origin(TEAM, USER, CHANNEL),
        "alert": {
            "campaign": "governor",
            "channel_id": CHANNEL,
            "when": "daily 18:00",
            "message": "Call today!",
            "channel_label": "#general",
        },
    },
    "app_home_opened": {"actor": Actor("slack", TEAM, USER), "tab": "home"},
}


# -- helpers ------------------------------------------------------------------------------------


def http_request(kind: str, payload: dict[str, Any], secret: str = SECRET) -> AsyncBoltRequest:
    """The request as bolt's aiohttp adapter builds it from Slack's signed POST."""
    body, content_type = payloads.http_body(kind, payload)
    headers = payloads.signed_headers(secret, body, content_type)
    return AsyncBoltRequest(body=body.decode(), headers=dict(headers))


def socket_request(kind: str, payload: dict[str, Any]) -> AsyncBoltRequest:
    """The request as bolt's Socket Mode adapter builds it from an envelope."""
    envelope = json.loads(json.dumps(payloads.envelope(kind, payload)))
    request = SocketModeRequest.from_dict(envelope)
    assert request is not None and request.type == kind
    return AsyncBoltRequest(mode="socket_mode", body=request.payload)


def context_fields(request: AsyncBoltRequest) -> dict[str, Any]:
    context = request.context
    return {
        "team_id": context.team_id,
        "user_id": context.user_id,
        "channel_id": context.channel_id,
        "response_url": context.response_url,
    }


def adapter_reads(name: str, body: dict[str, Any]) -> dict[str, Any]:
    """What the Slack adapter takes from each kind of request, read by its own functions (as
    its listeners call them), so that a field Slack or bolt moves shows up here."""
    reads: dict[str, Any] = {"actor": actor_from(body)}
    if name == "slash_command":
        command = payload_utils.to_command(body)
        assert command is not None
        return reads | {
            "origin": Origin.of_command(command),
            "command": command.get("command"),
            "text": command.get("text"),
            "channel_name": channel_name_of(command),
        }
    if name.startswith("block_actions"):
        action = payload_utils.to_action(body)  # what bolt hands the listener as `action`
        assert action is not None
        action_id = str(action.get("action_id") or "")
        return reads | {
            "origin": Origin.of_action(body, action_id),
            "action_id": action_id,
            "choice": chosen(action),
            "action_ts": action.get("action_ts"),
            "channel_name": channel_name_of(body),
        }
    view = payload_utils.to_view(body)
    if view is not None:
        metadata = str(view.get("private_metadata") or "")
        reads |= {
            "callback_id": view.get("callback_id"),
            "view_id": view.get("id"),
            "origin": Origin.of_submission(team_id_of(body), user_id_of(body), metadata),
        }
        if view.get("callback_id") == ALERT_FORM:
            return reads | {"alert": submitted_alert(view)}
        return reads | {"values": submitted_values(view.get("state") or {})}
    event = payload_utils.to_event(body)
    assert event is not None
    return reads | {"tab": event.get("tab")}


def filled(reads: dict[str, Any]) -> dict[str, tuple[type, bool]]:
    """Each read (the fields of an actor or origin, the keys of a dict) by its type and
    whether it is empty: what a payload with other ids must still match."""
    flat: dict[str, tuple[type, bool]] = {}
    for key, value in reads.items():
        if is_dataclass(value) and not isinstance(value, type):
            value = asdict(value)
        if isinstance(value, dict):
            flat |= {f"{key}.{k}": (type(v), bool(v)) for k, v in value.items()}
        else:
            flat[key] = (type(value), bool(value))
    return flat


def shape(value: Any) -> Any:
    """The JSON shape of a value: keys and types, lists by their first item."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def missing_from(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Where `actual` lacks a key of `expected` or has another type (None matches
    anything: Slack sends null for absent optional values)."""
    if expected == "NoneType" or actual == "NoneType":
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: an object in Slack's payload, {actual} in the fake's"]
        problems: list[str] = []
        for key, item in expected.items():
            if key not in actual:
                problems.append(f"{path}.{key}: missing")
            else:
                problems += missing_from(item, actual[key], f"{path}.{key}")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: an array in Slack's payload, {actual} in the fake's"]
        if expected and actual:
            return missing_from(expected[0], actual[0], f"{path}[0]")
        return []
    return (
        []
        if expected == actual
        else [f"{path}: {expected} in Slack's payload, {actual} in the fake's"]
    )


class Seen(dict[str, dict[str, Any]]):
    """What each listener received. Event listeners run after bolt's automatic ack, so a
    test waits for them."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = Signal()

    def __setitem__(self, key: str, value: dict[str, Any]) -> None:
        super().__setitem__(key, value)
        self.changed.fire()

    async def wait(self, name: str) -> dict[str, Any]:
        await self.changed.wait_until(lambda: name in self, 5, f"the {name} listener")
        return self[name]


def contract_app(seen: Seen) -> AsyncApp:
    """A bolt app with one listener per kind of request; no network (authorize answers
    directly, the client points at a closed port)."""

    async def authorize(
        enterprise_id: str | None, team_id: str, user_id: str | None
    ) -> AuthorizeResult:
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            bot_token="xoxb-contract",
            bot_id=BOT,
            bot_user_id=BOT_USER,
        )

    app = AsyncApp(
        signing_secret=SECRET,
        authorize=authorize,
        client=AsyncWebClient(base_url="http://127.0.0.1:9/api/"),
    )

    @app.command("/callbot")
    async def command(ack: Any, body: dict[str, Any]) -> None:
        seen["slash_command"] = body
        await ack()

    @app.action("pledge:yes")
    async def pledge(ack: Any, body: dict[str, Any]) -> None:
        seen[
            "block_actions_ephemeral"
            if body["container"]["is_ephemeral"]
            else "block_actions_message"
        ] = body
        await ack()

    @app.action({"action_id": "report:help", "block_id": "help"})
    async def help_clicked(ack: Any, body: dict[str, Any]) -> None:
        seen["block_actions_view"] = body
        await ack()

    @app.view_submission("report")
    async def submitted(ack: Any, body: dict[str, Any]) -> None:
        seen["view_submission"] = body
        await ack(response_action="errors", errors={"outcome": "Who picked up?"})

    @app.view_submission(ALERT_FORM)
    async def alert_submitted(ack: Any, body: dict[str, Any]) -> None:
        seen["alert_submission"] = body
        await ack()

    @app.event("app_home_opened")
    async def home(event: dict[str, Any], body: dict[str, Any]) -> None:
        seen["app_home_opened"] = body

    return app


# -- Slack's samples through bolt ---------------------------------------------------------------


@pytest.mark.parametrize("name", list(SAMPLES))
@pytest.mark.parametrize("mode", ["http", "socket_mode"])
async def test_bolt_parses_slacks_samples_where_the_adapter_reads_them(
    name: str, mode: str
) -> None:
    kind, payload, predicate, context = SAMPLES[name]
    request = http_request(kind, payload) if mode == "http" else socket_request(kind, payload)
    assert request.body == payload  # form fields, payload=<json> and JSON all decode back
    assert predicate(request.body)
    assert context_fields(request) == context
    assert adapter_reads(name, request.body) == READS[name]

    seen = Seen()
    response = await contract_app(seen).async_dispatch(request)
    assert response.status == 200, response.body
    assert await seen.wait(name) == payload  # the listener registered for it ran
    if name == "view_submission":
        assert json.loads(response.body) == {
            "response_action": "errors",
            "errors": {"outcome": "Who picked up?"},
        }


async def test_bolt_answers_url_verification_and_refuses_bad_signatures() -> None:
    app = contract_app(Seen())
    response = await app.async_dispatch(http_request("events_api", URL_VERIFICATION))
    assert response.status == 200 and json.loads(response.body) == {"challenge": "c3p0r2d2"}
    forged = http_request("slash_commands", SLASH_COMMAND, secret="someone-else")
    assert (await app.async_dispatch(forged)).status == 401


# -- the fake's payloads: same shape, same parse ------------------------------------------------


def fake_payloads() -> dict[str, tuple[str, dict[str, Any]]]:
    """The fake's own payload for each sample, built from a small fake world."""
    fake = FakeSlack(app_id=APP)  # not started: nothing is served in this test
    workspace = fake.add_workspace("Springfield Callers")
    general = workspace.add_channel("general")
    alice = workspace.add_user("alice")
    trigger = "1.2.3"
    hook = f"http://127.0.0.1:8080/hooks/{workspace.id}/1/secret"
    message = fake.create_message(
        workspace,
        general.id,
        {"text": "Will you call today?", "blocks": MESSAGE_BLOCKS},
        viewer=None,
    )
    ephemeral = fake.create_message(
        workspace, general.id, {"text": "Will you call?", "blocks": MESSAGE_BLOCKS}, viewer=alice
    )
    metadata = json.dumps(Origin(workspace.id, alice.id, channel_id=general.id).modal_metadata())

    def fake_view(**options: Any) -> FakeView:
        keys = ("type", "blocks", "private_metadata", "callback_id", "title", "close", "submit")
        definition = {k: v for k, v in modal_view({}, **options).items() if k in keys}
        return FakeView(view_id=fake.ids.next("V"), user=alice, definition=definition)

    view = fake_view(metadata=metadata)
    alert_view = fake_view(
        callback_id=ALERT_FORM,
        blocks=ALERT_MODAL_BLOCKS,
        metadata=json.dumps({**json.loads(metadata), "channel_name": general.name}),
    )
    # The fake fills each input as its `submit` does.
    typed = {"campaign": "governor", "channel": general.id, "when": "daily 18:00", "message": "Hi"}
    alert_state = {
        block["block_id"]: {
            block["element"]["action_id"]: fake._input_value(
                alice, block["block_id"], block["element"], typed[block["block_id"]], required=True
            )
        }
        for block in ALERT_MODAL_BLOCKS
    }
    button = MESSAGE_BLOCKS[1]["elements"][0]
    help_button = MODAL_BLOCKS[3]["elements"][0]
    on_message: dict[str, Any] = {
        "app_id": APP,
        "user": alice,
        "channel_name": "general",
        "action": payloads.block_action(MESSAGE_BLOCKS[1], button),
        "state_values": {},
        "response_url": hook,
        "trigger_id": trigger,
    }
    state = {
        "outcome": {"text": {"type": "plain_text_input", "value": "staffer"}},
        "chamber": {
            "choice": {
                "type": "static_select",
                "selected_option": {"text": plain("Senate"), "value": "senate"},
            }
        },
        "where": {"channel": {"type": "channels_select", "selected_channel": general.id}},
    }
    home = payloads.app_home_opened(
        user=alice, dm_id=workspace.dm_id(alice), home=None, event_ts="1.2"
    )
    return {
        "slash_command": (
            "slash_commands",
            payloads.slash_command(
                app_id=APP,
                user=alice,
                channel=general,
                command="/callbot",
                text="call 62704",
                response_url=hook,
                trigger_id=trigger,
            ),
        ),
        "block_actions_message": (
            "interactive",
            payloads.block_actions_on_message(message=message, **on_message),
        ),
        "block_actions_ephemeral": (
            "interactive",
            payloads.block_actions_on_message(message=ephemeral, **on_message),
        ),
        "block_actions_view": (
            "interactive",
            payloads.block_actions_in_view(
                app_id=APP,
                user=alice,
                view=view,
                action=payloads.block_action(MODAL_BLOCKS[3], help_button),
                trigger_id=trigger,
            ),
        ),
        "view_submission": (
            "interactive",
            payloads.view_submission(
                app_id=APP, user=alice, view=view, state_values=state, trigger_id=trigger
            ),
        ),
        "alert_submission": (
            "interactive",
            payloads.view_submission(
                app_id=APP,
                user=alice,
                view=alert_view,
                state_values=alert_state,
                trigger_id=trigger,
            ),
        ),
        "app_home_opened": (
            "events_api",
            payloads.event_callback(app_id=APP, workspace=workspace, event=home, event_id="Ev1"),
        ),
    }


@pytest.mark.parametrize("name", list(SAMPLES))
def test_the_fakes_payloads_have_slacks_shape(name: str) -> None:
    kind, payload = fake_payloads()[name]
    sample_kind, sample, _, _ = SAMPLES[name]
    assert kind == sample_kind
    assert missing_from(shape(sample), shape(payload)) == []
    # no keys Slack would not send, either (at the top level)
    assert set(payload) == set(sample)


@pytest.mark.parametrize("name", list(SAMPLES))
@pytest.mark.parametrize("mode", ["http", "socket_mode"])
async def test_the_fakes_payloads_parse_like_slacks(name: str, mode: str) -> None:
    kind, payload = fake_payloads()[name]
    _, _, predicate, expected_context = SAMPLES[name]
    request = http_request(kind, payload) if mode == "http" else socket_request(kind, payload)
    assert request.body == payload and predicate(request.body)
    context = context_fields(request)
    # the same context fields are filled (the values are the fake's ids)
    assert {k: v is None for k, v in context.items()} == {
        k: v is None for k, v in expected_context.items()
    }
    # the adapter finds every field it reads (the values are the fake's)
    assert filled(adapter_reads(name, request.body)) == filled(READS[name])
    seen = Seen()
    response = await contract_app(seen).async_dispatch(request)
    assert response.status == 200 and await seen.wait(name) == payload


def test_the_fakes_signatures_verify_with_slack_sdk() -> None:
    body = urlencode(SLASH_COMMAND).encode()
    now = int(time.time())
    headers = payloads.signed_headers(
        SECRET, body, "application/x-www-form-urlencoded", timestamp=now
    )
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )
    assert not verifier.is_valid(body + b"x", str(now), headers["X-Slack-Signature"])
    assert not SignatureVerifier("other").is_valid(body, str(now), headers["X-Slack-Signature"])
    assert payloads.sign(SECRET, now, body) == headers["X-Slack-Signature"]


def test_the_fake_signs_slacks_documented_example() -> None:
    # The worked example of Slack's "Verifying requests from Slack" page, byte for byte.
    body = (
        b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow"
        b"&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner"
        b"&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com"
        b"%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
        b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    assert (
        payloads.sign("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", body)
        == "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )
