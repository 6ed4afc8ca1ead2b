"""The hostile-input corpus, raw Slack HTTP requests: unsigned, stale, forged, oversized,
undecodable, deep, malformed and of the wrong types (tests/fixtures/hostile/slack_*.yaml),
each POSTed to callbot's real HTTP endpoint (bolt behind `callbot_slack.server`) on the test
database, with one workspace installed through the fake Slack's OAuth.

Every case must get the status its file names, with an answer that says what was wrong, and
leave no traceback: nothing logged with exc_info or at ERROR, and the server still serving."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
import pytest_asyncio

from callbot_slack.app import EVENTS_PATH, INSTALL_PATH, SlackApp, build_slack_app
from callbot_slack.server import serving_http
from fakes import slack_payloads
from fakes.slack_fake import FakeAction, FakeSlack, FakeWorkspace, running_slack
from hostile import cases, data, service_core, slack_http_settings, tracebacks, unescape
from service_fixture import SINGLE_ZIP

pytestmark = pytest.mark.asyncio(loop_scope="module")


@dataclass
class Endpoint:
    fake: FakeSlack
    slack: SlackApp
    url: str
    http: aiohttp.ClientSession
    workspace: FakeWorkspace
    ids: dict[str, str]
    templates: dict[str, FakeAction]  # requests members made, to send again altered

    async def post(
        self, body: bytes, content_type: str | None, headers: dict[str, str]
    ) -> tuple[int, str]:
        sent = dict(headers)
        if content_type is not None:
            sent["Content-Type"] = content_type
        async with (
            asyncio.timeout(10),
            self.http.post(
                self.url, data=body, headers=sent, skip_auto_headers=["Content-Type"]
            ) as answer,
        ):
            return answer.status, await answer.text()


async def _record_templates(fake: FakeSlack, workspace: FakeWorkspace) -> dict[str, Any]:
    """Real requests, as the fake sends them when a member does things."""
    channel = workspace.channels[0] if workspace.channels else workspace.add_channel("general")
    alice = workspace.add_user("alice")
    first = len(fake.actions)
    opened = await fake.slash(alice, channel, "/call", "governor")
    form = next(view for view in await opened.wait_views(1))
    await fake.submit(alice, form, {"name": "Alice", "zip": SINGLE_ZIP, "city": "Springfield"})
    await fake.wait_until(lambda: fake.ephemeral_messages(alice, channel), what="the call card")
    card = fake.ephemeral_messages(alice, channel)[-1]
    outcome = next(a for a in card.action_ids() if a.startswith("outcome:"))
    await fake.click(alice, card, outcome)
    await fake.open_home(alice)
    await fake.wait_until(lambda: fake.home(alice) is not None, 5, "the Home tab")
    home = fake.home(alice)
    assert home is not None
    # A click that only shows something (a pledge would start the alert counts' refresh).
    await fake.click(alice, home, next(a for a in home.action_ids() if a.startswith("leaderboard")))
    edit = await fake.slash(alice, channel, "/callbot", "profile edit")
    profile = next(view for view in await edit.wait_views(1))
    # callbot asks no notify_on_close, so Slack would not send view_closed; a forger might.
    closed = slack_payloads.view_closed(app_id=fake.app_id, user=alice, view=profile)
    await fake.close_modal(alice)
    sent = fake.actions[first:]

    def find(kind: str, check: Any) -> FakeAction:
        found = next((a for a in sent if a.kind == kind and check(a.payload)), None)
        assert found is not None, [(a.kind, a.payload.get("type")) for a in sent]
        return found

    return {
        "slash-command": find("slash_commands", lambda p: p["command"] == "/call"),
        "submission": find("interactive", lambda p: p["type"] == "view_submission"),
        "click-on-message": find(
            "interactive",
            lambda p: p["type"] == "block_actions" and p["container"]["type"] == "message",
        ),
        "click-in-modal": find(
            "interactive",
            lambda p: p["type"] == "block_actions" and p["container"]["type"] == "view",
        ),
        "modal-closed": FakeAction(kind="interactive", label="closed", user=alice, payload=closed),
        "home-opened": find("events_api", lambda p: p["type"] == "event_callback"),
    }


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def endpoint(
    migrated_database: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Endpoint]:
    folder = tmp_path_factory.mktemp("hostile-slack")
    core = await service_core(migrated_database, folder, datetime.now(UTC))
    # Hundreds of answers go to one member's DM: the per-channel posting limit would make
    # each wait its turn (the limit is the e2e tests' business, not the corpus's).
    async with running_slack(rate_limits=False) as fake:
        workspace = fake.add_workspace("Springfield", installed=False)
        workspace.add_channel("general")
        workspace.add_user("olga", admin=True)
        slack = build_slack_app(core, slack_http_settings(fake))
        try:
            async with serving_http(slack, "127.0.0.1", 0) as base, aiohttp.ClientSession() as http:
                fake.deliver_http(base + EVENTS_PATH)
                await fake.install(workspace, base + INSTALL_PATH)
                templates = await _record_templates(fake, workspace)
                user = workspace.users[-1]
                ids = {"TEAM": workspace.id, "USER": user.id, "CHANNEL": workspace.channels[0].id}
                yield Endpoint(fake, slack, base + EVENTS_PATH, http, workspace, ids, templates)
                async with asyncio.timeout(10):
                    await slack.responder.workload.drain()
        finally:
            await slack.responder.close()
    await core.engine.dispose()


def _headers(endpoint: Endpoint, case: dict[str, Any], body: bytes) -> dict[str, str]:
    sign = case.get("sign", "valid")
    headers: dict[str, str] = {}
    if sign == "none":
        pass
    else:
        stamp = int(time.time()) - int(case.get("age", 0))
        secret = "not-the-secret" if sign == "wrong-secret" else endpoint.fake.signing_secret
        headers["X-Slack-Request-Timestamp"] = str(stamp)
        headers["X-Slack-Signature"] = slack_payloads.sign(secret, stamp, body)
        if sign == "forged":
            headers["X-Slack-Signature"] = "v0=" + "0" * 64
    if "timestamp" in case:
        headers["X-Slack-Request-Timestamp"] = str(case["timestamp"])
        if sign != "none" and "signature" not in case:
            headers["X-Slack-Signature"] = slack_payloads.sign(
                endpoint.fake.signing_secret, str(case["timestamp"]), body
            )
    if "signature" in case:
        headers["X-Slack-Signature"] = str(unescape(str(case["signature"])).decode())
    return headers


async def _check(
    endpoint: Endpoint,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str | None,
    headers: dict[str, str],
    status: int | list[int],
    says: str | None,
) -> tuple[int, str]:
    caplog.set_level(logging.WARNING)
    got, text = await endpoint.post(body, content_type, headers)
    allowed = status if isinstance(status, list) else [status]
    assert got in allowed, (got, text[:300])
    if got >= 400:
        assert text.strip(), "a refusal says what was wrong"
    if says is not None:
        assert says.lower() in text.lower(), text[:300]
    # Let the answer the request started finish before judging the log.
    async with asyncio.timeout(10):
        await endpoint.slack.responder.workload.drain()
    assert tracebacks(caplog.records) == []
    return got, text


@pytest.mark.parametrize("case", cases("slack_requests.yaml"))
async def test_a_raw_request(
    endpoint: Endpoint, caplog: pytest.LogCaptureFixture, case: dict[str, Any]
) -> None:
    text = str(case.get("body", ""))
    for name, value in endpoint.ids.items():
        text = text.replace(name, value)
    body = unescape(text)
    content_type = case.get("content_type", "application/x-www-form-urlencoded")
    await _check(
        endpoint,
        caplog,
        body,
        content_type,
        _headers(endpoint, case, body),
        case["status"],
        case.get("says"),
    )


def _type_cases() -> list[Any]:
    spec = data("slack_payload_types.yaml")
    return [
        pytest.param(template, path, value, id=f"{template}:{path}={json.dumps(value)}")
        for template, paths in spec["templates"].items()
        for path in paths
        for value in spec["values"]
    ]


def _at(payload: Any, path: str) -> tuple[Any, str | int] | None:
    """The container holding `path` in `payload` and the key there; None when absent."""
    parts = path.split(".")
    node = payload
    for part in parts[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    last = parts[-1]
    if isinstance(node, dict) and last in node:
        return node, last
    if isinstance(node, list) and last.isdigit() and int(last) < len(node):
        return node, int(last)
    return None


@pytest.mark.parametrize(("template", "path", "value"), _type_cases())
async def test_a_field_of_the_wrong_type(
    endpoint: Endpoint, caplog: pytest.LogCaptureFixture, template: str, path: str, value: Any
) -> None:
    template_action = endpoint.templates[template]
    kind, payload = template_action.kind, endpoint.fake.again(template_action)
    found = _at(payload, path)
    assert found is not None, f"the recorded {template} has no {path}"
    container, key = found
    if kind == "slash_commands":
        # Form fields are text: the field's text is the value's JSON, or the field is gone.
        if value is None:
            del container[key]
        else:
            container[key] = value if isinstance(value, str) else json.dumps(value)
        body = urlencode(payload).encode()
        content_type = "application/x-www-form-urlencoded"
    else:
        container[key] = value
        body, content_type = slack_payloads.http_body(kind, payload)
    headers = slack_payloads.signed_headers(endpoint.fake.signing_secret, body, content_type)
    status, text = await _check(
        endpoint, caplog, body, content_type, headers, [200, 400, 401, 404], None
    )
    if status == 400:
        assert path.split(".")[0] in text or "neither" in text, text
