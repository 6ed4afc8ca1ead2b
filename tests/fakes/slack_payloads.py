"""The requests Slack sends an app, as Slack shapes them: slash commands (form fields),
interaction payloads (block_actions, view_submission), Events API callbacks
(app_home_opened), url_verification, Socket Mode envelopes, and request signing.

Pure functions of the fake's world objects; `tests/test_slack_contract.py` checks that they
parse in slack-bolt exactly like Slack's own sample payloads."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

if TYPE_CHECKING:
    from fakes.slack_world import FakeChannel, FakeMessage, FakeUser, FakeView, FakeWorkspace

# The deprecated verification token Slack still puts in every payload.
VERIFICATION_TOKEN = "fakeVerificationTokenAbc123"


def sign(signing_secret: str, timestamp: int | str, body: bytes) -> str:
    """Slack's v0 request signature: v0=hex(hmac_sha256(secret, "v0:{ts}:{body}"))."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    signing_secret: str,
    body: bytes,
    content_type: str,
    *,
    timestamp: int | None = None,
    signature: str | None = None,
) -> dict[str, str]:
    """The headers of a request Slack POSTs to an app's Request URL."""
    stamp = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": signature or sign(signing_secret, stamp, body),
        "User-Agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
    }


def slash_command(
    *,
    app_id: str,
    user: FakeUser,
    channel: FakeChannel,
    command: str,
    text: str,
    response_url: str,
    trigger_id: str,
) -> dict[str, str]:
    """A slash command's fields, in Slack's order (form-encoded over HTTP, a JSON object of
    strings in a Socket Mode envelope)."""
    workspace = user.workspace
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": workspace.id,
        "team_domain": workspace.domain,
        "channel_id": channel.id,
        "channel_name": channel.name,
        "user_id": user.id,
        "user_name": user.name,
        "command": command,
        "text": text,
        "api_app_id": app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def _team(workspace: FakeWorkspace) -> dict[str, Any]:
    return {"id": workspace.id, "domain": workspace.domain}


def action_ts() -> str:
    """An action_ts ("1716812345.123456")."""
    return f"{time.time():.6f}"


def block_action(
    block: dict[str, Any], element: dict[str, Any], *, selected: dict[str, Any] | None = None
) -> dict[str, Any]:
    """actions[0] of a block_actions payload: what was clicked or chosen."""
    kind = element.get("type")
    data: dict[str, Any] = {
        "type": kind,
        "action_id": element.get("action_id"),
        "block_id": block.get("block_id"),
    }
    if kind == "button":
        data["text"] = element.get("text")
        if element.get("value") is not None:
            data["value"] = element["value"]
        if element.get("style") is not None:
            data["style"] = element["style"]
        if element.get("url") is not None:
            data["url"] = element["url"]
    else:
        data.update(selected or {})
        if element.get("placeholder") is not None:
            data["placeholder"] = element["placeholder"]
    data["action_ts"] = action_ts()
    return data


def block_actions_on_message(
    *,
    app_id: str,
    user: FakeUser,
    message: FakeMessage,
    channel_name: str,
    action: dict[str, Any],
    state_values: dict[str, Any],
    response_url: str,
    trigger_id: str,
) -> dict[str, Any]:
    """block_actions from a message. Slack omits `message` for ephemeral messages, whose
    container says is_ephemeral."""
    workspace = user.workspace
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": user.brief(),
        "api_app_id": app_id,
        "token": VERIFICATION_TOKEN,
        "container": {
            "type": "message",
            "message_ts": message.ts,
            "channel_id": message.channel_id,
            "is_ephemeral": message.ephemeral,
        },
        "trigger_id": trigger_id,
        "team": _team(workspace),
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": message.channel_id, "name": channel_name},
    }
    if not message.ephemeral:
        payload["message"] = message.payload()
    payload["state"] = {"values": state_values}
    payload["response_url"] = response_url
    payload["actions"] = [action]
    return payload


def block_actions_in_view(
    *, app_id: str, user: FakeUser, view: FakeView, action: dict[str, Any], trigger_id: str
) -> dict[str, Any]:
    """block_actions from a modal or the Home tab (no channel, no response_url)."""
    return {
        "type": "block_actions",
        "user": user.brief(),
        "api_app_id": app_id,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "view", "view_id": view.id},
        "trigger_id": trigger_id,
        "team": _team(user.workspace),
        "enterprise": None,
        "is_enterprise_install": False,
        "view": view.payload(),
        "actions": [action],
    }


def view_submission(
    *,
    app_id: str,
    user: FakeUser,
    view: FakeView,
    state_values: dict[str, Any],
    trigger_id: str,
) -> dict[str, Any]:
    """A modal's submission, with the typed and chosen values in view.state.values."""
    return {
        "type": "view_submission",
        "team": _team(user.workspace),
        "user": user.brief(),
        "api_app_id": app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": view.payload(state_values),
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_closed(*, app_id: str, user: FakeUser, view: FakeView) -> dict[str, Any]:
    """A modal the member closed (sent only when the view asked notify_on_close)."""
    return {
        "type": "view_closed",
        "team": _team(user.workspace),
        "user": user.brief(),
        "api_app_id": app_id,
        "token": VERIFICATION_TOKEN,
        "view": view.payload(),
        "is_cleared": False,
        "is_enterprise_install": False,
        "enterprise": None,
    }


def event_callback(
    *, app_id: str, workspace: FakeWorkspace, event: dict[str, Any], event_id: str
) -> dict[str, Any]:
    """An Events API callback wrapping `event`."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": workspace.id,
        "context_team_id": workspace.id,
        "context_enterprise_id": None,
        "api_app_id": app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": workspace.id,
                "user_id": workspace.bot_user.id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-eyJldCI6ImFwcF9ob21lX29wZW5lZCJ9-{workspace.id}",
    }


def app_home_opened(
    *, user: FakeUser, dm_id: str, home: FakeView | None, event_ts: str
) -> dict[str, Any]:
    """The app_home_opened event (tab "home"); `view` only once a Home was published."""
    event: dict[str, Any] = {
        "type": "app_home_opened",
        "user": user.id,
        "channel": dm_id,
        "tab": "home",
        "event_ts": event_ts,
    }
    if home is not None:
        event["view"] = home.payload()
    return event


def url_verification(challenge: str) -> dict[str, Any]:
    """What Slack sends when a Request URL is set."""
    return {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}


def envelope(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A Socket Mode envelope: {envelope_id, payload, type, accepts_response_payload}."""
    return {
        "envelope_id": str(uuid.uuid4()),
        "payload": payload,
        "type": kind,
        "accepts_response_payload": kind != "events_api",
    }


def http_body(kind: str, payload: dict[str, Any]) -> tuple[bytes, str]:
    """The body and Content-Type of the POST to the app's Request URL: form fields for
    slash commands, `payload=<json>` for interactions, JSON for events."""
    if kind == "slash_commands":
        return urlencode(payload).encode(), "application/x-www-form-urlencoded"
    if kind == "interactive":
        form = urlencode({"payload": json.dumps(payload, separators=(",", ":"))})
        return form.encode(), "application/x-www-form-urlencoded"
    return json.dumps(payload).encode(), "application/json"
