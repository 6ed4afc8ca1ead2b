"""A loopback fake of Slack that the real slack-bolt AsyncApp talks to.

`FakeSlack` serves the Web API (/api/<method>), response_url hooks (/hooks/<id>), the OAuth
authorize page (/oauth/v2/authorize) and Socket Mode websockets (/socket-mode) on
127.0.0.1, keeps a small world (workspaces, members, channels, messages, modals, Home tabs),
and drives it the way members do: `slash`, `click`, `select`, `submit`, `open_home`. Each
driver sends one request — over the workspace's Socket Mode connection if its app has one
open, else signed over HTTP to the URL given to `deliver_http` — and returns once the app
acknowledged it or `ack_deadline` passed (measured with asyncio timeouts, never slept).
The returned `FakeAction` records what came of it.

It is as strict as Slack: one ack within 3 s; trigger_ids single-use and expiring;
response_urls used at most 5 times in 30 minutes; Block Kit validated with Slack's limits;
no text that could ping @everyone/@channel/@here; tokens of one workspace cannot reach
another's channels, members or views; chat.postMessage rate-limited per channel.
Violations go to `errors`, which tests check stays empty.

Files the app uploads (files.getUploadURLExternal, a POST of the bytes, then
files.completeUploadExternal) become messages that carry them (`FakeMessage.files`), in the
channel or the thread they were shared in: see `shared_files` and `thread`.

Use `running_slack()` to start one; `serving_bolt_http()` serves a bolt AsyncApp over HTTP
on 127.0.0.1 and `running_socket_mode()` connects it in Socket Mode. Everything runs on the
test's event loop."""

# The agreed test interface bounds its waits with `timeout` arguments (asyncio.timeout inside).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import copy
import json
import os
import secrets
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from fakes import slack_payloads as payloads
from fakes.slack_api import ApiError, FailRule, FileUploads, ResponseUrls, WebApi
from fakes.slack_blocks import (
    find_elements,
    input_blocks,
    is_empty_message,
    mention_problems,
    message_problems,
    select_options,
    view_problems,
    with_generated_ids,
)
from fakes.slack_oauth import OAuth
from fakes.slack_socket import SocketServer
from fakes.slack_world import (
    ApiCall,
    FakeAction,
    FakeChannel,
    FakeFile,
    FakeMessage,
    FakeSlackError,
    FakeUser,
    FakeView,
    FakeWorkspace,
    Ids,
    Signal,
)

if TYPE_CHECKING:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
    from slack_bolt.app.async_app import AsyncApp

__all__ = [
    "ApiCall",
    "BoltServer",
    "FakeAction",
    "FakeChannel",
    "FakeFile",
    "FakeMessage",
    "FakeSlack",
    "FakeSlackError",
    "FakeUser",
    "FakeView",
    "FakeWorkspace",
    "running_slack",
    "running_socket_mode",
    "serving_bolt_http",
]

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")
MODAL_STACK_LIMIT = 3


@dataclass(eq=False)
class Trigger:
    """A trigger_id handed to the app with a request."""

    id: str
    action: FakeAction
    issued: float
    used: bool = False


class FakeSlack:
    """The fake platform. Construct, `await start()` (or use `running_slack()`), build the
    world, connect an app.

    Knobs (attributes, changeable at any time): `ack_deadline` (3 s), `trigger_ttl` (3 s
    after the request), `response_url_uses` (5 per 30 minutes), `rate_limits` (False turns
    the per-channel limit off), `channel_burst` and `channel_rate` (the chat.postMessage
    bucket: 3 messages, refilled at 1 per second), and `fail_next()`. `advance_clock()`
    moves the fake's clock (trigger and response_url expiry) forward."""

    def __init__(
        self,
        *,
        signing_secret: str = "fake-signing-secret",
        client_id: str = "1111.2222",
        client_secret: str = "fake-client-secret",
        app_id: str = "A0CALLBOT",
        ack_deadline: float = 3.0,
        trigger_ttl: float = 3.0,
        response_url_uses: int = 5,
        rate_limits: bool = True,
    ) -> None:
        self.signing_secret = signing_secret
        self.client_id = client_id
        self.client_secret = client_secret
        self.app_id = app_id
        # Knobs.
        self.ack_deadline = ack_deadline
        self.trigger_ttl = trigger_ttl
        self.response_url_uses = response_url_uses
        self.rate_limits = rate_limits
        self.channel_burst = 3
        self.channel_rate = 1.0
        # World and records.
        self.ids = Ids()
        self.workspaces: list[FakeWorkspace] = []
        self.requests: list[ApiCall] = []
        self.errors: list[str] = []
        self.actions: list[FakeAction] = []
        self.messages: list[FakeMessage] = []
        self.views: dict[str, FakeView] = {}
        self.files: dict[str, FakeFile] = {}  # every upload started, by file id
        self.state = Signal()
        self._tokens: dict[str, tuple[FakeWorkspace, str]] = {}
        self._triggers: dict[str, Trigger] = {}
        self._stacks: dict[str, list[FakeView]] = {}
        self._homes: dict[str, FakeView] = {}
        self._clock_offset = 0.0
        self._http_url: str | None = None
        self._http: aiohttp.ClientSession | None = None
        self.api = WebApi(self)
        self.responses = ResponseUrls(self)
        self.uploads = FileUploads(self)
        self.oauth = OAuth(self)
        self.socket = SocketServer(self)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Serve on 127.0.0.1 on a free port."""
        if self._runner is not None:
            raise FakeSlackError("the fake is already running")
        app = web.Application()
        app.router.add_route("*", "/api/{method}", self.api.handle)
        app.router.add_post("/hooks/{hook:.+}", self.responses.handle)
        app.router.add_post("/upload/v1/{token}", self.uploads.handle)
        app.router.add_get("/oauth/v2/authorize", self.oauth.authorize)
        app.router.add_get("/socket-mode", self.socket.handle)
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = runner.addresses[0][1]
        self._http = aiohttp.ClientSession()

    async def stop(self) -> None:
        """Close the websockets and stop serving."""
        if self._runner is None:
            return
        await self.socket.close_all()
        if self._http is not None:
            await self._http.close()
        await self._runner.cleanup()
        self._runner = None

    def _require_port(self) -> int:
        if self._port is None:
            raise FakeSlackError("the fake is not started")
        return self._port

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self._require_port()}"

    @property
    def ws_base_url(self) -> str:
        """ws://127.0.0.1:PORT"""
        return f"ws://127.0.0.1:{self._require_port()}"

    @property
    def api_url(self) -> str:
        """What AsyncWebClient(base_url=...) must be: http://127.0.0.1:PORT/api/"""
        return f"{self.base_url}/api/"

    @property
    def authorize_url(self) -> str:
        """What bolt's AsyncOAuthSettings(authorization_url=...) must be."""
        return f"{self.base_url}/oauth/v2/authorize"

    # -- clock and violations -------------------------------------------------------------------

    def loop_time(self) -> float:
        """The event loop's clock (ack deadlines and rate limits use it)."""
        return asyncio.get_running_loop().time()

    def now(self) -> float:
        """The fake's clock for expiry (trigger_ids, response_urls, OAuth codes): the loop's
        clock plus what `advance_clock` added."""
        return self.loop_time() + self._clock_offset

    def advance_clock(self, seconds: float) -> None:
        """Let `seconds` pass for trigger_id, response_url and code expiry (not for ack
        deadlines, which are real time)."""
        self._clock_offset += seconds

    def error(self, message: str) -> None:
        """Record a protocol violation."""
        self.errors.append(message)
        self.state.fire()

    def check_mentions(self, label: str, payload: Any) -> None:
        """Record a violation for any text that could ping a crowd."""
        found = mention_problems(payload)
        if found:
            self.error(f"{label}: could ping everyone: {found}")

    # -- world ----------------------------------------------------------------------------------

    def add_workspace(self, name: str, *, installed: bool = True) -> FakeWorkspace:
        """A workspace. installed=False: the app is not installed yet (use `install`), and
        its bot token is refused (invalid_auth) until then."""
        workspace = FakeWorkspace(self, name, installed=installed)
        self.workspaces.append(workspace)
        self._tokens[workspace.bot_token] = (workspace, "bot")
        self._tokens[workspace.app_token] = (workspace, "app")
        return workspace

    def token_owner(self, token: str) -> tuple[FakeWorkspace, str] | None:
        """(workspace, "bot" | "app" | "user") for a token the fake issued."""
        found = self._tokens.get(token)
        if found is not None:
            return found
        user_workspace = self.oauth.user_tokens.get(token)
        return (user_workspace, "user") if user_workspace is not None else None

    def id_owner(self, ident: str) -> FakeWorkspace | None:
        """The workspace a team, user, channel, DM or view id belongs to."""
        for workspace in self.workspaces:
            if (
                ident == workspace.id
                or workspace.user(ident) is not None
                or workspace.channel(ident) is not None
                or ident in workspace.dm_ids.values()
            ):
                return workspace
        view = self.views.get(ident)
        return view.workspace if view is not None else None

    # -- messages -------------------------------------------------------------------------------

    def create_message(
        self,
        workspace: FakeWorkspace,
        channel_id: str,
        body: Mapping[str, Any],
        *,
        viewer: FakeUser | None,
        thread_ts: str | None = None,
        action: FakeAction | None = None,
        files: list[FakeFile] | None = None,
    ) -> FakeMessage:
        """Store a message the app sent (ephemeral when `viewer` is given)."""
        message = FakeMessage(
            ts=self.ids.ts(),
            channel_id=channel_id,
            user_id=viewer.id if viewer is not None else workspace.bot_user.id,
            workspace=workspace,
            ephemeral=viewer is not None,
            text=str(body.get("text") or ""),
            blocks=with_generated_ids(list(body.get("blocks") or [])),
            thread_ts=thread_ts,
            action=action,
            files=list(files or []),
        )
        self.messages.append(message)
        self.state.fire()
        return message

    def replace_message(self, message: FakeMessage, body: Mapping[str, Any]) -> None:
        """An edit (chat.update, replace_original): text given without blocks drops the
        blocks, as chat.update does."""
        if "text" in body:
            message.text = str(body.get("text") or "")
            if "blocks" not in body:
                message.blocks = []
        if "blocks" in body:
            message.blocks = with_generated_ids(list(body.get("blocks") or []))
        message.edits += 1
        self.state.fire()

    def delete_message(self, message: FakeMessage) -> None:
        """chat.delete, delete_original."""
        message.deleted = True
        self.state.fire()

    def message_at(self, workspace: FakeWorkspace, channel_id: str, ts: str) -> FakeMessage | None:
        """The message with this ts in this conversation."""
        return next(
            (
                m
                for m in self.messages
                if m.workspace is workspace and m.channel_id == channel_id and m.ts == ts
            ),
            None,
        )

    def answer_message(self, action: FakeAction, body: Mapping[str, Any]) -> FakeMessage:
        """A message answering `action` (an ack body or a response_url post): ephemeral to the
        member unless response_type is in_channel."""
        channel_id = action.channel_id
        if channel_id is None:
            raise FakeSlackError(f"{action.label} happened in no conversation")
        in_channel = body.get("response_type") == "in_channel"
        message = self.create_message(
            action.workspace,
            channel_id,
            body,
            viewer=None if in_channel else action.user,
            action=action,
        )
        action.add_message(message)
        hook = action.hook
        if hook is not None and not hook.fixed_target:
            hook.target = message
        return message

    # -- files ----------------------------------------------------------------------------------

    def new_upload(
        self, workspace: FakeWorkspace, filename: str, length: int, alt_txt: str
    ) -> FakeFile:
        """files.getUploadURLExternal: a file waiting for its bytes."""
        upload = FakeFile(
            id=self.ids.next("F"),
            workspace=workspace,
            filename=filename,
            length=length,
            upload_token=secrets.token_urlsafe(24),
            alt_txt=alt_txt,
        )
        self.files[upload.id] = upload
        return upload

    def upload(self, file_id: str) -> FakeFile | None:
        """A file by id, whatever its state."""
        return self.files.get(file_id)

    def shared_files(self, channel: FakeChannel | None = None) -> list[FakeFile]:
        """Files shared in `channel` (its threads included) or anywhere, oldest first."""
        return [
            f
            for m in self.messages
            if not m.deleted and (channel is None or m.channel_id == channel.id)
            for f in m.files
        ]

    def thread(self, parent: FakeMessage) -> list[FakeMessage]:
        """The replies in `parent`'s thread, oldest first."""
        return [
            m
            for m in self.messages
            if m.workspace is parent.workspace
            and m.channel_id == parent.channel_id
            and m.thread_ts == parent.ts
            and m is not parent
            and not m.deleted
        ]

    # -- triggers and views ---------------------------------------------------------------------

    def _new_trigger(self, action: FakeAction) -> str:
        number = self.ids.number()
        trigger_id = f"{number}.{action.workspace.id[1:]}.{secrets.token_hex(16)}"
        self._triggers[trigger_id] = Trigger(trigger_id, action, self.now())
        action.trigger_id = trigger_id
        return trigger_id

    def take_trigger(self, workspace: FakeWorkspace, trigger_id: Any, method: str) -> Trigger:
        """Exchange a trigger_id (views.open/push): single-use, expiring `trigger_ttl` s
        after the request, only in its own workspace."""
        trigger = self._triggers.get(trigger_id) if isinstance(trigger_id, str) else None
        if trigger is None:
            raise ApiError("invalid_trigger_id", f"unknown trigger_id {trigger_id!r}")
        label = trigger.action.label
        if trigger.action.workspace is not workspace:
            raise ApiError(
                "invalid_trigger_id",
                f"tenancy: {workspace.name}'s token used a trigger_id of "
                f"{trigger.action.workspace.name}",
            )
        if trigger.used:
            raise ApiError("exchanged_trigger_id", f"{label}: trigger_id used twice")
        age = self.now() - trigger.issued
        if age > self.trigger_ttl:
            raise ApiError(
                "expired_trigger_id",
                f"{label}: trigger_id used {age:.1f} s after the request "
                f"(expires after {self.trigger_ttl} s)",
            )
        trigger.used = True
        return trigger

    @staticmethod
    def _stored(definition: Mapping[str, Any]) -> dict[str, Any]:
        stored = copy.deepcopy(dict(definition))
        stored["blocks"] = with_generated_ids(list(stored.get("blocks") or []))
        return stored

    def open_modal(self, trigger: Trigger, definition: Mapping[str, Any]) -> FakeView:
        """views.open: the member's modal stack becomes this one view (an open modal is
        replaced)."""
        user = trigger.action.user
        for old in self._stacks.get(user.id, []):
            old.closed = True
        view = FakeView(view_id=self.ids.next("V"), user=user, definition=self._stored(definition))
        self.views[view.id] = view
        self._stacks[user.id] = [view]
        trigger.action.add_view(view)
        self.state.fire()
        return view

    def push_modal(self, trigger: Trigger, definition: Mapping[str, Any]) -> FakeView:
        """views.push: a view on top of the member's open modal (at most 3)."""
        user = trigger.action.user
        stack = self._stacks.get(user.id) or []
        if not stack:
            raise ApiError("not_found", f"{trigger.action.label}: views.push without an open modal")
        return self._push(user, stack, definition, trigger.action)

    def _push(
        self,
        user: FakeUser,
        stack: list[FakeView],
        definition: Mapping[str, Any],
        action: FakeAction,
    ) -> FakeView:
        if len(stack) >= MODAL_STACK_LIMIT:
            raise ApiError(
                "push_limit_reached", f"{action.label}: more than {MODAL_STACK_LIMIT} views"
            )
        view = FakeView(
            view_id=self.ids.next("V"),
            user=user,
            definition=self._stored(definition),
            root_view_id=stack[0].id,
            previous_view_id=stack[-1].id,
        )
        self.views[view.id] = view
        stack.append(view)
        action.add_view(view)
        self.state.fire()
        return view

    def update_view(self, view: FakeView, definition: Mapping[str, Any]) -> None:
        """views.update: new contents, same id, new hash. Counted in the views of the latest
        request made from that view (a click in it), if any."""
        view.apply(self._stored(definition))
        source = next((a for a in reversed(self.actions) if a.source is view), None)
        if source is not None:
            source.add_view(view)
        self.state.fire()

    def publish_home(self, user: FakeUser, definition: Mapping[str, Any]) -> FakeView:
        """views.publish: the member's Home tab."""
        home = self._homes.get(user.id)
        if home is None:
            home = FakeView(
                view_id=self.ids.next("V"), user=user, definition=self._stored(definition)
            )
            self.views[home.id] = home
            self._homes[user.id] = home
        else:
            home.apply(self._stored(definition))
        self.state.fire()
        return home

    def view_by_external_id(self, workspace: FakeWorkspace, external_id: str) -> FakeView | None:
        """The open view the app gave this external_id."""
        return next(
            (
                v
                for v in self.views.values()
                if v.workspace is workspace and v.external_id == external_id and not v.closed
            ),
            None,
        )

    def _close_modal(self, view: FakeView) -> None:
        stack = self._stacks.get(view.user.id, [])
        if view in stack:
            index = stack.index(view)
            for closed in stack[index:]:
                closed.closed = True
            del stack[index:]
        self.state.fire()

    # -- what members see -----------------------------------------------------------------------

    def channel_messages(self, channel: FakeChannel) -> list[FakeMessage]:
        """What everyone in the channel sees, oldest first (no ephemeral or deleted ones)."""
        return [
            m
            for m in self.messages
            if m.channel_id == channel.id and not m.ephemeral and not m.deleted
        ]

    def ephemeral_messages(
        self, user: FakeUser, channel: FakeChannel | None = None
    ) -> list[FakeMessage]:
        """Messages only `user` sees (in `channel`, or anywhere), oldest first."""
        return [
            m
            for m in self.messages
            if m.ephemeral
            and m.user_id == user.id
            and not m.deleted
            and (channel is None or m.channel_id == channel.id)
        ]

    def dm_messages(self, user: FakeUser) -> list[FakeMessage]:
        """The app's Messages tab with `user`, oldest first."""
        dm_id = user.workspace.dm_ids.get(user.id)
        return [
            m
            for m in self.messages
            if dm_id is not None and m.channel_id == dm_id and not m.ephemeral and not m.deleted
        ]

    def home(self, user: FakeUser) -> FakeView | None:
        """The member's Home tab as last published."""
        return self._homes.get(user.id)

    def modal(self, user: FakeUser) -> FakeView | None:
        """The modal on top of the member's stack (None when none is open)."""
        stack = self._stacks.get(user.id)
        return stack[-1] if stack else None

    def modal_stack(self, user: FakeUser) -> list[FakeView]:
        """Every open modal view of the member, root first."""
        return list(self._stacks.get(user.id, []))

    # -- knobs and waits ------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: float = 1.0,
        error: str | None = None,
        times: int = 1,
    ) -> None:
        """The next `times` calls of Web API `method` (e.g. "chat.postMessage") answer 429
        with Retry-After (`retry_after` rounded up to whole seconds, as Slack sends it; 0 makes
        slack_sdk's retry handler wait under a second), or, with `error`, HTTP 200
        {"ok": false, "error": error}; another `status` answers {"ok": false, "error":
        "fatal_error"} with that status. Injected failures are recorded in `requests` but are
        not violations."""
        if times < 1:
            raise ValueError("times must be at least 1")
        self.api.fail_rules.append(FailRule(method, status, retry_after, error, times))

    def calls(self, method: str) -> list[ApiCall]:
        """The recorded calls of one Web API method."""
        return [r for r in self.requests if r.method == method]

    async def wait_until(self, predicate: Any, timeout: float = 5.0, what: str = "") -> None:
        """Wait until `predicate()` holds (re-checked on every change of the fake)."""
        await self.state.wait_until(predicate, timeout, what or "a condition")

    def socket_connections(self, workspace: FakeWorkspace) -> int:
        """How many Socket Mode connections of the workspace's app are open."""
        return len(self.socket.live(workspace))

    async def wait_socket(self, workspace: FakeWorkspace, timeout: float = 10.0) -> None:
        """Wait until the workspace's app has a Socket Mode connection open."""
        await self.state.wait_until(
            lambda: bool(self.socket.live(workspace)),
            timeout,
            f"a Socket Mode connection for {workspace.name}",
        )

    async def disconnect_sockets(
        self, *, reason: str = "refresh_requested", timeout: float = 10.0
    ) -> None:
        """Send {"type": "disconnect"} on every connection; wait until the apps reconnected."""
        await self.socket.disconnect_all(reason, timeout)

    async def install(
        self,
        workspace: FakeWorkspace,
        install_path_url: str,
        *,
        user: FakeUser | None = None,
        redirect_url: str | None = None,
    ) -> None:
        """OAuth v2 as a browser does it (see fakes.slack_oauth). `redirect_url` is the app's
        configured Redirect URL (default: the install page's origin + /slack/oauth_redirect);
        a redirect_uri in the authorize link wins. Raises FakeSlackError unless the app
        exchanged the code and answered its redirect with success."""
        await self.oauth.install(workspace, install_path_url, user=user, redirect_url=redirect_url)

    # -- delivery -------------------------------------------------------------------------------

    def deliver_http(self, url: str) -> None:
        """From now on, send every request of workspaces without an open Socket Mode
        connection, signed, to `url` (the app's Request URL)."""
        self._http_url = url

    async def send_signed(
        self,
        workspace: FakeWorkspace | None,
        body: bytes,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> tuple[int, str]:
        """A raw POST of `body` to the Request URL, signed with the signing secret unless
        `signature` is given, stamped `timestamp` (default now); returns (status, body text).
        For forged and stale requests: the fake does not interpret the answer. (`workspace`
        names whose request this pretends to be; the body decides what the app sees.)"""
        url, http = self._require_http()
        headers = payloads.signed_headers(
            self.signing_secret, body, content_type, timestamp=timestamp, signature=signature
        )
        async with (
            asyncio.timeout(max(self.ack_deadline, 5.0)),
            http.post(url, data=body, headers=headers) as response,
        ):
            return response.status, await response.text()

    async def verify_request_url(self) -> bool:
        """Send url_verification as Slack does when the Request URL is set; True if the app
        echoed the challenge."""
        challenge = secrets.token_urlsafe(24)
        body = json.dumps(payloads.url_verification(challenge)).encode()
        status, text = await self.send_signed(None, body, "application/json")
        if status != 200:
            return False
        try:
            answer = json.loads(text)
        except json.JSONDecodeError:
            return text == challenge
        return isinstance(answer, dict) and answer.get("challenge") == challenge

    def _require_http(self) -> tuple[str, aiohttp.ClientSession]:
        if self._http_url is None or self._http is None:
            raise FakeSlackError("no Request URL: call deliver_http(url) first")
        return self._http_url, self._http

    async def _deliver(self, action: FakeAction) -> FakeAction:
        workspace = action.workspace
        if not workspace.installed:
            raise FakeSlackError(f"the app is not installed in {workspace.name}")
        self.actions.append(action)
        action.sent_at = self.loop_time()
        envelope = payloads.envelope(action.kind, action.payload)
        if self.socket.live(workspace):
            action.via = "socket"
            await self.socket.send(action, envelope)
            try:
                await asyncio.wait_for(action.acked.wait(), timeout=self.ack_deadline)
            except TimeoutError:
                self._expire(action)
            return action
        if self._http_url is None:
            raise FakeSlackError(
                f"{workspace.name}'s app has no Socket Mode connection and there is no "
                "Request URL (deliver_http)"
            )
        action.via = "http"
        url, http = self._require_http()
        body, content_type = payloads.http_body(action.kind, action.payload)
        headers = payloads.signed_headers(self.signing_secret, body, content_type)
        try:
            async with (
                asyncio.timeout(self.ack_deadline),
                http.post(url, data=body, headers=headers) as response,
            ):
                status = response.status
                text = await response.text()
                answer_type = response.content_type
        except TimeoutError:
            self._expire(action)
            return action
        except aiohttp.ClientError as problem:
            self.error(f"{action.label}: could not reach the app at {url}: {problem!r}")
            action.expired = True
            action.changed.fire()
            return action
        parsed: Any = text or None
        if text and answer_type == "application/json":
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError:
                self.error(f"{action.label}: the ack says JSON but is not: {text[:100]!r}")
        if status != 200:
            self.error(
                f"{action.label}: the app answered HTTP {status} {text[:100]!r} "
                "(the member sees an error)"
            )
        self.acknowledge(action, status=status, body=parsed)
        return action

    def _expire(self, action: FakeAction) -> None:
        action.expired = True
        action.changed.fire()
        self.error(
            f"{action.label}: not acknowledged within {self.ack_deadline} s "
            "(the member sees operation_timeout)"
        )

    def acknowledge(self, action: FakeAction, *, status: int, body: Any) -> None:
        """The app acknowledged `action` (HTTP answer or Socket Mode ack): apply the ack's
        body as Slack does."""
        action.ack_latency = self.loop_time() - action.sent_at
        action.ack_status = status
        action.ack_body = body
        if status == 200:
            if action.kind == "slash_commands":
                self._slash_ack(action, body)
            elif action.payload.get("type") == "view_submission":
                self._submission_ack(action, body)
        action.acked.set()
        action.changed.fire()
        self.state.fire()

    def _slash_ack(self, action: FakeAction, body: Any) -> None:
        if body is None or body == "" or body == {}:
            return
        message = {"text": body} if isinstance(body, str) else body
        if not isinstance(message, dict):
            self.error(f"{action.label}: the ack body is neither text nor an object: {body!r}")
            return
        label = f"{action.label}: ack"
        problems = message_problems(message)
        if problems:
            self.error(f"{label}: {problems}")
            return
        if is_empty_message(message):
            return
        self.check_mentions(label, message)
        self.answer_message(action, message)

    def _submission_ack(self, action: FakeAction, body: Any) -> None:
        view = action.source
        assert isinstance(view, FakeView)
        label = f"{action.label}: ack"
        response = body if isinstance(body, dict) else {}
        if body not in (None, "") and not isinstance(body, dict):
            self.error(f"{label}: a view_submission ack body must be JSON, not {body!r}")
        kind = response.get("response_action")
        action.response_action = kind
        if kind is None:
            self._close_modal(view)
        elif kind == "clear":
            stack = self._stacks.get(view.user.id, [])
            if stack:
                self._close_modal(stack[0])
        elif kind == "errors":
            errors = response.get("errors")
            known = set(view.input_block_ids())
            if not isinstance(errors, dict) or not errors:
                self.error(f"{label}: response_action errors needs an errors object")
            elif not set(errors) <= known:
                self.error(
                    f"{label}: errors for {sorted(set(errors) - known)}, which are not input "
                    f"blocks of the view (has {sorted(known)})"
                )
            else:
                action.view_errors = {str(k): str(v) for k, v in errors.items()}
        elif kind in ("update", "push"):
            definition = response.get("view")
            problems = view_problems(definition, expected="modal")
            if problems:
                self.error(f"{label}: response_action {kind} with an invalid view: {problems}")
                return
            assert isinstance(definition, dict)
            self.check_mentions(label, definition)
            if kind == "update":
                view.apply(self._stored(definition))
                action.add_view(view)
            else:
                try:
                    self._push(view.user, self._stacks.get(view.user.id, []), definition, action)
                except ApiError as refused:
                    self.error(f"{label}: {refused.violation}")
        else:
            self.error(f"{label}: unknown response_action {kind!r}")
        self.state.fire()

    # -- drivers: a member does something -------------------------------------------------------

    def _member(self, user: FakeUser, workspace: FakeWorkspace) -> None:
        if user.workspace is not workspace or user not in workspace.users:
            raise FakeSlackError(f"{user.name} is not a member of {workspace.name}")

    async def slash(
        self, user: FakeUser, channel: FakeChannel, command: str, text: str = ""
    ) -> FakeAction:
        """`user` types `/command text` in `channel`."""
        self._member(user, channel.workspace)
        if not command.startswith("/") or " " in command:
            raise FakeSlackError(f"{command!r} is not a slash command")
        action = FakeAction(
            kind="slash_commands",
            label=f"{command} by {user.name}",
            user=user,
            payload={},
            channel=channel,
        )
        trigger_id = self._new_trigger(action)
        response_url = self.responses.issue(action, None)
        action.response_url = response_url
        action.payload = payloads.slash_command(
            app_id=self.app_id,
            user=user,
            channel=channel,
            command=command,
            text=text,
            response_url=response_url,
            trigger_id=trigger_id,
        )
        return await self._deliver(action)

    def _visible_message(self, user: FakeUser, message: FakeMessage) -> None:
        self._member(user, message.workspace)
        if message.deleted:
            raise FakeSlackError(f"message {message.ts} was deleted")
        if message.ephemeral and message.user_id != user.id:
            raise FakeSlackError(f"{user.name} cannot see an ephemeral message of someone else")
        if message.is_dm and message.workspace.dm_user(message.channel_id) is not user:
            raise FakeSlackError(f"{user.name} cannot see another member's DM with the app")

    def _visible_view(self, user: FakeUser, view: FakeView) -> None:
        if view.user is not user:
            raise FakeSlackError(f"{user.name} cannot see {view.user.name}'s {view.type}")
        if view.type == "home":
            if self._homes.get(user.id) is not view:
                raise FakeSlackError(f"{view!r} is not {user.name}'s current Home tab")
        elif view.closed or self.modal(user) is not view:
            raise FakeSlackError(f"{view!r} is not the modal on top of {user.name}'s screen")

    def _element(
        self,
        where: FakeMessage | FakeView,
        action_id: str,
        kinds: tuple[str, ...],
        block_id: str | None,
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        found = find_elements(where.blocks, action_id, block_id)
        if not found:
            in_block = f" in block {block_id!r}" if block_id is not None else ""
            raise FakeSlackError(
                f"{where!r} has no element {action_id!r}{in_block} (has {where.action_ids()})"
            )
        if len(found) > 1:
            blocks = [b.get("block_id") for b, _ in found]
            raise FakeSlackError(f"{action_id!r} is in several blocks {blocks}: pass block_id")
        block, element = found[0]
        if element.get("type") not in kinds:
            raise FakeSlackError(
                f"{action_id!r} is a {element.get('type')}, not one of {list(kinds)}"
            )
        return block, element

    def _interaction(
        self,
        user: FakeUser,
        where: FakeMessage | FakeView,
        block: dict[str, Any],
        element: dict[str, Any],
        label: str,
        selected: dict[str, Any] | None = None,
    ) -> FakeAction:
        acted = payloads.block_action(block, element, selected=selected)
        if isinstance(where, FakeMessage):
            channel = where.workspace.channel(where.channel_id)
            action = FakeAction(
                kind="interactive",
                label=label,
                user=user,
                payload={},
                channel=channel,
                source=where,
            )
            action.channel_id = where.channel_id
            trigger_id = self._new_trigger(action)
            response_url = self.responses.issue(action, where)
            action.response_url = response_url
            state: dict[str, Any] = {}
            if selected is not None:
                state = {
                    str(block.get("block_id")): {
                        str(element.get("action_id")): {"type": element.get("type"), **selected}
                    }
                }
            action.payload = payloads.block_actions_on_message(
                app_id=self.app_id,
                user=user,
                message=where,
                channel_name=channel.name if channel is not None else "directmessage",
                action=acted,
                state_values=state,
                response_url=response_url,
                trigger_id=trigger_id,
            )
            return action
        action = FakeAction(kind="interactive", label=label, user=user, payload={}, source=where)
        trigger_id = self._new_trigger(action)
        action.payload = payloads.block_actions_in_view(
            app_id=self.app_id, user=user, view=where, action=acted, trigger_id=trigger_id
        )
        return action

    def again(self, action: FakeAction) -> dict[str, Any]:
        """`action`'s payload once more, with a fresh trigger_id and response_url where it had
        them, as if the member did the same again: for tests that send a request themselves
        (raw, or altered) many times. What the app does with them is recorded on a new
        FakeAction in `actions`."""
        repeat = FakeAction(
            kind=action.kind,
            label=f"{action.label} (again)",
            user=action.user,
            payload={},
            channel=action.channel,
            source=action.source,
        )
        repeat.channel_id = action.channel_id
        payload = copy.deepcopy(action.payload)
        if "trigger_id" in payload:
            payload["trigger_id"] = self._new_trigger(repeat)
        if "response_url" in payload:
            source = action.source if isinstance(action.source, FakeMessage) else None
            payload["response_url"] = repeat.response_url = self.responses.issue(repeat, source)
        repeat.payload = payload
        self.actions.append(repeat)
        return payload

    async def click(
        self,
        user: FakeUser,
        where: FakeMessage | FakeView,
        action_id: str,
        *,
        block_id: str | None = None,
    ) -> FakeAction:
        """`user` clicks the button `action_id` on a message or view they see (`block_id`
        tells buttons with the same action_id in different blocks apart)."""
        if isinstance(where, FakeMessage):
            self._visible_message(user, where)
        else:
            self._visible_view(user, where)
        block, element = self._element(where, action_id, ("button",), block_id)
        action = self._interaction(user, where, block, element, f"click {action_id} by {user.name}")
        return await self._deliver(action)

    async def select(
        self,
        user: FakeUser,
        where: FakeMessage | FakeView,
        action_id: str,
        value: str,
        *,
        block_id: str | None = None,
    ) -> FakeAction:
        """`user` picks the option `value` in the select (static_select, radio_buttons or
        overflow) `action_id`. In a modal's input block this only sends a request when the
        block has dispatch_action; else give the value to `submit`."""
        if isinstance(where, FakeMessage):
            self._visible_message(user, where)
        else:
            self._visible_view(user, where)
        block, element = self._element(
            where, action_id, ("static_select", "radio_buttons", "overflow"), block_id
        )
        if block.get("type") == "input" and not block.get("dispatch_action"):
            raise FakeSlackError(
                f"{action_id!r} is in an input block without dispatch_action: choosing sends "
                "nothing; pass the value to submit()"
            )
        option = next((o for o in select_options(dict(element)) if o.get("value") == value), None)
        if option is None:
            offered = [o.get("value") for o in select_options(dict(element))]
            raise FakeSlackError(f"{action_id!r} offers {offered}, not {value!r}")
        selected = {"selected_option": {"text": option.get("text"), "value": value}}
        if isinstance(where, FakeView):
            where.selections.setdefault(str(block.get("block_id")), {})[
                str(element.get("action_id"))
            ] = {"type": element.get("type"), **selected}
        action = self._interaction(
            user, where, block, element, f"select {action_id}={value} by {user.name}", selected
        )
        return await self._deliver(action)

    async def submit(self, user: FakeUser, view: FakeView, values: Mapping[str, str]) -> FakeAction:
        """`user` fills in the open modal `view` (values: input block_id -> text typed or
        option value / channel id chosen) and presses its submit button."""
        self._visible_view(user, view)
        if view.type != "modal" or not view.has_submit:
            raise FakeSlackError(f"{view!r} has no submit button")
        known = view.input_block_ids()
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise FakeSlackError(f"{view!r} has no input block {unknown} (has {known})")
        state: dict[str, Any] = {k: dict(v) for k, v in view.selections.items()}
        for block in input_blocks(view.blocks):
            block_id = str(block.get("block_id"))
            element = block.get("element") or {}
            given = values.get(block_id)
            if given is not None and not isinstance(given, str):
                raise FakeSlackError(f"the value for {block_id!r} must be a string")
            required = not block.get("optional", False)
            state[block_id] = {
                str(element.get("action_id")): self._input_value(
                    user, block_id, element, given, required=required
                )
            }
        action = FakeAction(
            kind="interactive",
            label=f"submit {view.callback_id or view.id} by {user.name}",
            user=user,
            payload={},
            source=view,
        )
        trigger_id = self._new_trigger(action)
        action.payload = payloads.view_submission(
            app_id=self.app_id, user=user, view=view, state_values=state, trigger_id=trigger_id
        )
        return await self._deliver(action)

    def _input_value(
        self,
        user: FakeUser,
        block_id: str,
        element: Mapping[str, Any],
        given: str | None,
        *,
        required: bool,
    ) -> dict[str, Any]:
        kind = str(element.get("type"))
        workspace = user.workspace

        def missing() -> None:
            if required:
                raise FakeSlackError(f"input {block_id!r} is required")

        if kind in ("plain_text_input", "email_text_input", "url_text_input", "number_input"):
            text = given if given is not None else element.get("initial_value")
            if not text:
                missing()
                return {"type": kind, "value": None}
            text = str(text)
            low, high = element.get("min_length", 0), element.get("max_length", 3000)
            if kind == "plain_text_input" and not low <= len(text) <= high:
                raise FakeSlackError(f"input {block_id!r} takes {low}..{high} characters")
            if kind == "number_input":
                try:
                    number = float(text) if element.get("is_decimal_allowed") else int(text)
                except ValueError:
                    raise FakeSlackError(f"input {block_id!r} takes a number") from None
                low_value, high_value = element.get("min_value"), element.get("max_value")
                if (low_value is not None and number < float(low_value)) or (
                    high_value is not None and number > float(high_value)
                ):
                    raise FakeSlackError(f"input {block_id!r} is out of range")
            if kind == "email_text_input" and "@" not in text:
                raise FakeSlackError(f"input {block_id!r} takes an email address")
            return {"type": kind, "value": text}
        if kind in ("static_select", "radio_buttons"):
            chosen = given
            if chosen is None and isinstance(element.get("initial_option"), dict):
                chosen = element["initial_option"].get("value")
            if not chosen:
                missing()
                return {"type": kind, "selected_option": None}
            option = next(
                (o for o in select_options(dict(element)) if o.get("value") == chosen), None
            )
            if option is None:
                offered = [o.get("value") for o in select_options(dict(element))]
                raise FakeSlackError(f"input {block_id!r} offers {offered}, not {chosen!r}")
            return {"type": kind, "selected_option": {"text": option.get("text"), "value": chosen}}
        if kind in ("channels_select", "conversations_select", "users_select"):
            key = {
                "channels_select": ("initial_channel", "selected_channel"),
                "conversations_select": ("initial_conversation", "selected_conversation"),
                "users_select": ("initial_user", "selected_user"),
            }[kind]
            chosen = given if given is not None else element.get(key[0])
            if not chosen:
                missing()
                return {"type": kind, key[1]: None}
            exists = (
                workspace.user(chosen) is not None
                if kind == "users_select"
                else workspace.channel(chosen) is not None
                or (kind == "conversations_select" and workspace.dm_user(chosen) is not None)
            )
            if not exists:
                raise FakeSlackError(f"{chosen!r} is not something {user.name} can pick")
            return {"type": kind, key[1]: chosen}
        if kind == "multi_users_select":
            # `given` names the users, comma-separated ("" picks nobody).
            picked = (
                [u for u in given.split(",") if u]
                if given is not None
                else list(element.get("initial_users") or [])
            )
            if not picked:
                missing()
            strangers = [u for u in picked if workspace.user(u) is None]
            if strangers:
                raise FakeSlackError(f"{strangers} are not members {user.name} can pick")
            return {"type": kind, "selected_users": picked}
        if kind in ("datepicker", "timepicker"):
            key = (
                ("initial_date", "selected_date")
                if kind == "datepicker"
                else (
                    "initial_time",
                    "selected_time",
                )
            )
            chosen = given if given is not None else element.get(key[0])
            if not chosen:
                missing()
            return {"type": kind, key[1]: chosen or None}
        if given is not None or required:
            raise FakeSlackError(f"the fake cannot fill a {kind} (input {block_id!r})")
        return {"type": kind}

    async def close_modal(self, user: FakeUser) -> FakeAction | None:
        """`user` closes the modal on top (its close button or X). Slack closes the whole
        stack when the top view asks clear_on_close, else only that view; the app hears of
        it (view_closed) only if the view asked notify_on_close. Returns that request, or
        None when nothing was sent."""
        view = self.modal(user)
        if view is None:
            raise FakeSlackError(f"{user.name} has no open modal")
        stack = self._stacks.get(user.id, [])
        self._close_modal(stack[0] if view.definition.get("clear_on_close") else view)
        if not view.definition.get("notify_on_close"):
            return None
        action = FakeAction(
            kind="interactive",
            label=f"close {view.callback_id or view.id} by {user.name}",
            user=user,
            payload=payloads.view_closed(app_id=self.app_id, user=user, view=view),
            source=view,
        )
        return await self._deliver(action)

    async def open_home(self, user: FakeUser) -> FakeAction:
        """`user` opens the app's Home tab (an app_home_opened event)."""
        workspace = user.workspace
        self._member(user, workspace)
        dm_id = workspace.dm_id(user)
        event = payloads.app_home_opened(
            user=user, dm_id=dm_id, home=self._homes.get(user.id), event_ts=payloads.action_ts()
        )
        action = FakeAction(
            kind="events_api",
            label=f"app_home_opened by {user.name}",
            user=user,
            payload=payloads.event_callback(
                app_id=self.app_id, workspace=workspace, event=event, event_id=self.ids.next("Ev")
            ),
        )
        action.channel_id = dm_id
        return await self._deliver(action)


# -- fixtures -----------------------------------------------------------------------------------


@asynccontextmanager
async def running_slack(**options: Any) -> AsyncIterator[FakeSlack]:
    """A started FakeSlack (options go to FakeSlack()), stopped afterwards. Clears
    HTTP(S)_PROXY for the block: slack_sdk reads them and ignores NO_PROXY."""
    saved = {name: os.environ.pop(name) for name in PROXY_VARIABLES if name in os.environ}
    fake = FakeSlack(**options)
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
        os.environ.update(saved)


@dataclass
class BoltServer:
    """Where `serving_bolt_http` serves a bolt app."""

    base_url: str
    events_url: str
    install_url: str | None
    redirect_url: str | None


@asynccontextmanager
async def serving_bolt_http(
    app: AsyncApp, *, path: str = "/slack/events"
) -> AsyncIterator[BoltServer]:
    """Serve a bolt AsyncApp over HTTP on 127.0.0.1 (a free port) with its aiohttp adapter:
    POST `path`, and with OAuth the install and redirect paths. (bolt's own `start()`
    binds 0.0.0.0.)"""
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request

    flow = app.oauth_flow

    async def events(request: web.Request) -> web.Response:
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await app.async_dispatch(bolt_request))

    async def install(request: web.Request) -> web.Response:
        assert flow is not None
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await flow.handle_installation(bolt_request))

    async def callback(request: web.Request) -> web.Response:
        assert flow is not None
        bolt_request = await to_bolt_request(request)
        return await to_aiohttp_response(await flow.handle_callback(bolt_request))

    web_app = web.Application()
    web_app.router.add_post(path, events)
    if flow is not None:
        web_app.router.add_get(flow.install_path, install)
        web_app.router.add_get(flow.redirect_uri_path, callback)
    runner = web.AppRunner(web_app, handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        yield BoltServer(
            base_url=base,
            events_url=base + path,
            install_url=base + flow.install_path if flow is not None else None,
            redirect_url=base + flow.redirect_uri_path if flow is not None else None,
        )
    finally:
        await runner.cleanup()


@asynccontextmanager
async def running_socket_mode(
    fake: FakeSlack, app: AsyncApp, *workspaces: FakeWorkspace, timeout: float = 10.0
) -> AsyncIterator[list[AsyncSocketModeHandler]]:
    """Connect a bolt AsyncApp in Socket Mode with each workspace's app token (bolt's aiohttp
    AsyncSocketModeHandler); yield the handlers once the fake greeted every connection;
    close them at the end."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handlers = [AsyncSocketModeHandler(app, w.app_token) for w in workspaces]
    try:
        for handler, workspace in zip(handlers, workspaces, strict=True):
            await handler.connect_async()
            await fake.wait_socket(workspace, timeout)
        yield handlers
    finally:
        for handler in handlers:
            await handler.close_async()
