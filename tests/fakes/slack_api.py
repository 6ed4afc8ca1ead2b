"""The fake's Web API under /api/<method>, and the response_url hooks under /hooks/<id>.

Every call is recorded in `FakeSlack.requests`. Strictness, as Slack: a token in
`Authorization: Bearer` (or a `token` field); unknown tokens answer invalid_auth, app-level
tokens only open Socket Mode connections; a workspace's token naming another workspace's
channel, user or view answers channel_not_found / user_not_found / not_found and is recorded
as a tenancy violation; blocks and views are validated (invalid_blocks /
invalid_arguments); chat.postMessage has a per-channel rate limit (429 with Retry-After);
answers are `application/json; charset=utf-8`. Bodies may be JSON or form-encoded (with
`blocks`/`view` as JSON strings), as slack_sdk sends them.

Files go up as Slack takes them (`FileUploads`): files.getUploadURLExternal (filename,
length) answers an upload URL on the fake, the bytes are POSTed there exactly once and must
be as long as declared, then files.completeUploadExternal shares the file (in a channel, in a
thread under a message, or nowhere: private). Both methods need the files:write scope."""

from __future__ import annotations

import base64
import json
import math
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

from fakes.slack_blocks import (
    is_empty_message,
    message_problems,
    view_problems,
)
from fakes.slack_world import (
    ApiCall,
    FakeChannel,
    FakeFile,
    FakeMessage,
    FakeUser,
    FakeView,
    FakeWorkspace,
)

if TYPE_CHECKING:
    from fakes.slack_fake import FakeSlack

JSON_TYPE = "application/json; charset=utf-8"
RESPONSE_URL_LIFETIME = 30 * 60.0
FILE_BYTES_MAX = 1024**3  # Slack's 1 GB limit per file
ALT_TXT_MAX = 1000
FILES_SCOPE = "files:write"


class ApiError(Exception):
    """An error answer: {"ok": false, "error": error}; `violation` is recorded in errors."""

    def __init__(
        self,
        error: str,
        violation: str | None = None,
        *,
        messages: list[str] | None = None,
        status: int = 200,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(error)
        self.error = error
        self.violation = violation
        self.messages = messages or []
        self.status = status
        self.headers = headers or {}
        self.extra = extra or {}  # more fields of the answer (missing_scope's needed/provided)


@dataclass
class FailRule:
    """A failure `fail_next` injects into the next calls of one method."""

    method: str
    status: int
    retry_after: float
    error: str | None
    times: int


@dataclass
class Call:
    """What a method handler gets."""

    method: str
    args: dict[str, Any]
    token: str | None
    token_in_body: bool
    record: ApiCall
    basic_auth: tuple[str, str] | None = None  # (client_id, client_secret)
    workspace: FakeWorkspace = field(default=None)  # type: ignore[assignment]

    @property
    def label(self) -> str:
        team = self.workspace.name if self.workspace is not None else "?"
        return f"{self.method} ({team})"


Handler = Callable[[Call], Awaitable[dict[str, Any]]]


def json_answer(
    body: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """A JSON answer with Slack's Content-Type."""
    response = web.Response(status=status, body=json.dumps(body).encode(), headers=headers)
    response.headers["Content-Type"] = JSON_TYPE
    return response


def _json_arg(value: Any, name: str) -> Any:
    """`blocks`/`view` arrive as JSON strings in form bodies."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise ApiError(
                f"invalid_{name}_format" if name == "blocks" else "invalid_arguments",
                f"{name} is not valid JSON",
            ) from None
    return value


def _basic_credentials(authorization: str) -> tuple[str, str] | None:
    """(login, password) of an `Authorization: Basic ...` header."""
    try:
        decoded = base64.b64decode(authorization.removeprefix("Basic ").strip()).decode()
    except ValueError:
        return None
    login, separator, password = decoded.partition(":")
    return (login, password) if separator else None


def _flag(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


class ChannelLimiter:
    """chat.postMessage's per-channel limit: about one message per second, with a short
    burst tolerated (a token bucket of `fake.channel_burst` refilled at
    `fake.channel_rate` per second)."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, channel_id: str) -> float | None:
        """Spend one message; the seconds to wait when the bucket is empty."""
        if not self.fake.rate_limits:
            return None
        now = self.fake.loop_time()
        burst, rate = float(self.fake.channel_burst), self.fake.channel_rate
        tokens, last = self._buckets.get(channel_id, (burst, now))
        tokens = min(burst, tokens + (now - last) * rate)
        if tokens < 1.0:
            self._buckets[channel_id] = (tokens, now)
            return (1.0 - tokens) / rate
        self._buckets[channel_id] = (tokens - 1.0, now)
        return None


class WebApi:
    """Serves /api/<method> for one FakeSlack."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.fail_rules: list[FailRule] = []
        self.limiter = ChannelLimiter(fake)
        self.handlers: dict[str, Handler] = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.update": self.chat_update,
            "chat.delete": self.chat_delete,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "users.info": self.users_info,
            "team.info": self.team_info,
            "conversations.info": self.conversations_info,
            "conversations.open": self.conversations_open,
            "conversations.join": self.conversations_join,
            "conversations.list": self.conversations_list,
            "files.getUploadURLExternal": self.files_get_upload_url_external,
            "files.completeUploadExternal": self.files_complete_upload_external,
            "oauth.v2.access": self.oauth_v2_access,
            "apps.connections.open": self.apps_connections_open,
        }
        # Methods that authenticate otherwise than with a bot token.
        self._own_auth = {"oauth.v2.access", "apps.connections.open"}

    # -- plumbing ---------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        """Any /api/<method> request."""
        fake = self.fake
        method = request.match_info["method"]
        args: dict[str, Any] = dict(request.query)
        content_type = request.content_type
        raw = await request.read()
        body_args: dict[str, Any] = {}
        malformed: str | None = None
        if raw:
            if content_type == "application/json":
                try:
                    parsed = json.loads(raw)
                except json.JSONDecodeError:
                    malformed = "invalid_json"
                else:
                    if isinstance(parsed, dict):
                        body_args = parsed
                    else:
                        malformed = "invalid_json"
            elif content_type in ("application/x-www-form-urlencoded", ""):
                body_args = dict(parse_qsl(raw.decode(), keep_blank_values=True))
            else:
                malformed = "invalid_post_type"
        args.update(body_args)
        token, token_in_body, basic = None, False, None
        authorization = request.headers.get("Authorization", "")
        if authorization.startswith("Bearer "):
            token = authorization.removeprefix("Bearer ").strip()
            args.pop("token", None)
        elif authorization.startswith("Basic "):
            basic = _basic_credentials(authorization)
        json_token = content_type == "application/json" and "token" in body_args
        if token is None and isinstance(args.get("token"), str) and not json_token:
            token = args.pop("token")
            token_in_body = True
        record = ApiCall(method=method, token=token, args=args, workspace=None)
        fake.requests.append(record)
        call = Call(method, args, token, token_in_body, record, basic)
        try:
            if malformed is not None:
                raise ApiError(malformed, f"the body is not a JSON object or form ({malformed})")
            if json_token and token is None:
                raise ApiError(
                    "not_authed", "a JSON body's token must be in the Authorization header"
                )
            injected = self._injected(method)
            if injected is not None:
                owner = fake.token_owner(token) if token is not None else None
                record.workspace = owner[0] if owner is not None else None
                return self._answer(record, injected)
            handler = self.handlers.get(method)
            if handler is None:
                raise ApiError("unknown_method", f"the fake does not serve the method {method}")
            if method not in self._own_auth:
                call.workspace = self._bot_workspace(call)
                record.workspace = call.workspace
            body = await handler(call)
        except ApiError as error:
            if error.violation:
                fake.error(f"{method}: {error.violation}")
            return self._answer(record, error)
        except Exception as crash:  # a bug of the fake must not pass unnoticed
            fake.error(f"{method}: the fake crashed: {crash!r}")
            raise
        return self._answer(record, body)

    def _answer(self, record: ApiCall, outcome: dict[str, Any] | ApiError) -> web.Response:
        if isinstance(outcome, ApiError):
            record.status, record.ok, record.error = outcome.status, False, outcome.error
            body: dict[str, Any] = {"ok": False, "error": outcome.error, **outcome.extra}
            if outcome.messages:
                body["response_metadata"] = {"messages": outcome.messages}
                if outcome.error == "invalid_blocks":
                    body["errors"] = outcome.messages
            self.fake.state.fire()
            return json_answer(body, outcome.status, outcome.headers)
        record.status, record.ok = 200, True
        self.fake.state.fire()
        return json_answer({"ok": True, **outcome})

    def _injected(self, method: str) -> ApiError | None:
        rule = next((r for r in self.fail_rules if r.method == method), None)
        if rule is None:
            return None
        rule.times -= 1
        if rule.times <= 0:
            self.fail_rules.remove(rule)
        if rule.error is not None:
            return ApiError(rule.error)
        if rule.status == 429:
            return rate_limited(rule.retry_after)
        return ApiError("fatal_error", status=rule.status)

    def _bot_workspace(self, call: Call) -> FakeWorkspace:
        if not call.token:
            raise ApiError("not_authed", "called without a token")
        found = self.fake.token_owner(call.token)
        if found is None:
            raise ApiError("invalid_auth", f"unknown token {call.token[:12]}...")
        workspace, kind = found
        if kind == "app":
            raise ApiError(
                "not_allowed_token_type", "an app-level token (xapp-) only opens Socket Mode"
            )
        if not workspace.installed:
            raise ApiError(
                "invalid_auth", f"the bot token of {workspace.name}, where the app is not installed"
            )
        return workspace

    # -- lookups with tenancy ---------------------------------------------------------------

    def _foreign(self, call: Call, kind: str, ident: str) -> str:
        owner = self.fake.id_owner(ident)
        return (
            f"tenancy: {call.workspace.name}'s token named {kind} {ident} of {owner.name}"
            if owner is not None and owner is not call.workspace
            else ""
        )

    def _user(self, call: Call, user_id: Any, *, arg: str = "user") -> FakeUser:
        if not isinstance(user_id, str) or not user_id:
            raise ApiError("user_not_found", f"no {arg} given")
        user = call.workspace.user(user_id)
        if user is None:
            raise ApiError("user_not_found", self._foreign(call, "user", user_id) or None)
        return user

    def _conversation(self, call: Call, ident: Any) -> FakeChannel | tuple[FakeUser, str]:
        """A channel, or (member, DM id) for a DM (by D... id or by the member's U... id)."""
        workspace = call.workspace
        if not isinstance(ident, str) or not ident:
            raise ApiError("channel_not_found", "no channel given")
        if ident.startswith("#"):
            named = workspace.channel_named(ident)
            if named is None:
                raise ApiError("channel_not_found")
            return named
        channel = workspace.channel(ident)
        if channel is not None:
            return channel
        if ident.startswith(("U", "W")):
            user = workspace.user(ident)
            if user is not None and not user.is_bot:
                return user, workspace.dm_id(user)
        if ident.startswith("D"):
            dm_user = workspace.dm_user(ident)
            if dm_user is not None:
                return dm_user, ident
        named = workspace.channel_named(ident)
        if named is not None:
            return named
        raise ApiError("channel_not_found", self._foreign(call, "channel", ident) or None)

    @staticmethod
    def _postable(channel: FakeChannel) -> None:
        if channel.is_archived:
            raise ApiError("is_archived")
        if not channel.bot_is_member:
            raise ApiError("not_in_channel")

    def _message_body(self, call: Call, *, label: str) -> dict[str, Any]:
        args = call.args
        body: dict[str, Any] = {}
        if args.get("text") is not None:
            body["text"] = args["text"]
        if args.get("blocks") is not None:
            body["blocks"] = _json_arg(args["blocks"], "blocks")
        if args.get("attachments") is not None:
            body["attachments"] = _json_arg(args["attachments"], "attachments")
        if _flag(args.get("link_names")):
            body["link_names"] = True
        problems = message_problems(body)
        if problems:
            raise ApiError("invalid_blocks", f"{label}: {problems}", messages=problems)
        if is_empty_message(body) and not body.get("attachments"):
            raise ApiError("no_text", f"{label}: no text and no blocks")
        self.fake.check_mentions(label, body)
        return body

    # -- methods ----------------------------------------------------------------------------

    async def auth_test(self, call: Call) -> dict[str, Any]:
        workspace = call.workspace
        return {
            "url": f"https://{workspace.domain}.slack.com/",
            "team": workspace.name,
            "user": workspace.bot_user.name,
            "team_id": workspace.id,
            "user_id": workspace.bot_user.id,
            "bot_id": workspace.bot_id,
            "is_enterprise_install": False,
        }

    async def chat_post_message(self, call: Call) -> dict[str, Any]:
        fake = self.fake
        target = self._conversation(call, call.args.get("channel"))
        if isinstance(target, FakeChannel):
            channel_id = target.id
            self._postable(target)
        else:
            channel_id = target[1]
        wait = self.limiter.take(channel_id)
        if wait is not None:
            raise rate_limited(wait)
        body = self._message_body(call, label=f"chat.postMessage to {channel_id}")
        thread_ts = call.args.get("thread_ts")
        message = fake.create_message(
            call.workspace,
            channel_id,
            body,
            viewer=None,
            thread_ts=thread_ts if isinstance(thread_ts, str) else None,
        )
        return {"channel": channel_id, "ts": message.ts, "message": message.payload()}

    async def chat_post_ephemeral(self, call: Call) -> dict[str, Any]:
        user = self._user(call, call.args.get("user"))
        target = self._conversation(call, call.args.get("channel"))
        if isinstance(target, FakeChannel):
            channel_id = target.id
            self._postable(target)
        else:
            if target[0] is not user:
                raise ApiError("user_not_in_channel")
            channel_id = target[1]
        body = self._message_body(call, label=f"chat.postEphemeral to {user.name}")
        message = self.fake.create_message(call.workspace, channel_id, body, viewer=user)
        return {"message_ts": message.ts}

    def _own_message(self, call: Call) -> FakeMessage:
        target = self._conversation(call, call.args.get("channel"))
        channel_id = target.id if isinstance(target, FakeChannel) else target[1]
        ts = call.args.get("ts")
        message = self.fake.message_at(
            call.workspace, channel_id, ts if isinstance(ts, str) else ""
        )
        if message is None or message.deleted:
            raise ApiError("message_not_found")
        if message.ephemeral:
            raise ApiError(
                "message_not_found",
                "ephemeral messages cannot be changed with chat.update/chat.delete "
                "(use the response_url)",
            )
        return message

    async def chat_update(self, call: Call) -> dict[str, Any]:
        message = self._own_message(call)
        body = self._message_body(call, label=f"chat.update of {message.ts}")
        self.fake.replace_message(message, body)
        return {
            "channel": message.channel_id,
            "ts": message.ts,
            "text": message.text,
            "message": message.payload(),
        }

    async def chat_delete(self, call: Call) -> dict[str, Any]:
        message = self._own_message(call)
        self.fake.delete_message(message)
        return {"channel": message.channel_id, "ts": message.ts}

    def _view_arg(self, call: Call, expected: str | None) -> dict[str, Any]:
        view = _json_arg(call.args.get("view"), "view")
        if view is None:
            raise ApiError("invalid_arguments", "no view given", messages=["missing view"])
        problems = view_problems(view, expected=expected)
        if problems:
            raise ApiError(
                "invalid_arguments",
                f"view rejected: {problems}",
                messages=[f"[ERROR] {p}" for p in problems],
            )
        self.fake.check_mentions(f"{call.method} view", view)
        return dict(view)

    async def views_open(self, call: Call) -> dict[str, Any]:
        trigger = self.fake.take_trigger(call.workspace, call.args.get("trigger_id"), call.method)
        definition = self._view_arg(call, "modal")
        view = self.fake.open_modal(trigger, definition)
        return {"view": view.payload()}

    async def views_push(self, call: Call) -> dict[str, Any]:
        trigger = self.fake.take_trigger(call.workspace, call.args.get("trigger_id"), call.method)
        definition = self._view_arg(call, "modal")
        view = self.fake.push_modal(trigger, definition)
        return {"view": view.payload()}

    async def views_update(self, call: Call) -> dict[str, Any]:
        fake = self.fake
        view_id, external_id = call.args.get("view_id"), call.args.get("external_id")
        view: FakeView | None = None
        if isinstance(view_id, str) and view_id:
            view = fake.views.get(view_id)
            if view is not None and view.workspace is not call.workspace:
                raise ApiError(
                    "not_found",
                    f"tenancy: {call.workspace.name}'s token named view {view_id} "
                    f"of {view.workspace.name}",
                )
        elif isinstance(external_id, str) and external_id:
            view = fake.view_by_external_id(call.workspace, external_id)
        else:
            raise ApiError("invalid_arguments", "views.update needs view_id or external_id")
        if view is None or view.closed:
            raise ApiError("not_found")
        expected_hash = call.args.get("hash")
        if expected_hash and expected_hash != view.hash:
            raise ApiError("hash_conflict")
        definition = self._view_arg(call, view.type)
        fake.update_view(view, definition)
        return {"view": view.payload()}

    async def views_publish(self, call: Call) -> dict[str, Any]:
        user = self._user(call, call.args.get("user_id"), arg="user_id")
        definition = self._view_arg(call, "home")
        current = self.fake.home(user)
        expected_hash = call.args.get("hash")
        if current is not None and expected_hash and expected_hash != current.hash:
            raise ApiError("hash_conflict")
        view = self.fake.publish_home(user, definition)
        return {"view": view.payload()}

    async def users_info(self, call: Call) -> dict[str, Any]:
        return {"user": self._user(call, call.args.get("user")).payload()}

    async def team_info(self, call: Call) -> dict[str, Any]:
        team = call.args.get("team")
        if isinstance(team, str) and team and team != call.workspace.id:
            raise ApiError("team_not_found", self._foreign(call, "team", team) or None)
        return {"team": call.workspace.team_payload()}

    async def conversations_info(self, call: Call) -> dict[str, Any]:
        ident = call.args.get("channel")
        if isinstance(ident, str) and ident.startswith(("U", "W")):
            raise ApiError("channel_not_found")  # a user id is no conversation
        target = self._conversation(call, ident)
        if isinstance(target, FakeChannel):
            return {"channel": target.payload()}
        user, dm_id = target
        return {
            "channel": {
                "id": dm_id,
                "created": 1716800000,
                "is_archived": False,
                "is_im": True,
                "is_org_shared": False,
                "context_team_id": call.workspace.id,
                "updated": 1716800000000,
                "user": user.id,
                "is_user_deleted": False,
                "priority": 0,
            }
        }

    async def conversations_open(self, call: Call) -> dict[str, Any]:
        users = call.args.get("users")
        if isinstance(call.args.get("channel"), str) and not users:
            target = self._conversation(call, call.args["channel"])
            if isinstance(target, FakeChannel):
                raise ApiError("channel_not_found", "conversations.open of a public channel")
            return {"channel": {"id": target[1]}}
        ids = [u.strip() for u in users.split(",")] if isinstance(users, str) else []
        if not ids or not all(ids):
            raise ApiError("users_list_not_supplied", "conversations.open without users")
        if len(ids) > 1:
            raise ApiError("not_supported", "the fake does not model multi-person DMs")
        user = self._user(call, ids[0], arg="users")
        if user.is_bot:
            raise ApiError("cannot_dm_bot")
        return {"channel": {"id": call.workspace.dm_id(user)}, "no_op": True, "already_open": True}

    async def conversations_join(self, call: Call) -> dict[str, Any]:
        target = self._conversation(call, call.args.get("channel"))
        if not isinstance(target, FakeChannel):
            raise ApiError("method_not_supported_for_channel_type")
        if target.is_archived:
            raise ApiError("is_archived")
        already = target.bot_is_member
        target.bot_is_member = True
        answer: dict[str, Any] = {"channel": target.payload()}
        if already:
            answer["warning"] = "already_in_channel"
        return answer

    async def conversations_list(self, call: Call) -> dict[str, Any]:
        types = str(call.args.get("types") or "public_channel").split(",")
        channels = (
            [c.payload() for c in call.workspace.channels] if "public_channel" in types else []
        )
        return {"channels": channels, "response_metadata": {"next_cursor": ""}}

    def _scoped(self, call: Call, scope: str) -> None:
        if scope not in call.workspace.scopes:
            raise ApiError(
                "missing_scope",
                f"{call.label} needs the {scope} scope, which the app was not granted",
                extra={"needed": scope, "provided": ",".join(call.workspace.scopes)},
            )

    async def files_get_upload_url_external(self, call: Call) -> dict[str, Any]:
        self._scoped(call, FILES_SCOPE)
        args = call.args
        filename = args.get("filename")
        if not isinstance(filename, str) or not filename.strip():
            raise ApiError("invalid_arguments", f"{call.label}: no filename")
        length = args.get("length")
        try:
            size = int(str(length))
        except ValueError:
            raise ApiError(
                "invalid_arguments", f"{call.label}: length {length!r} is not a number of bytes"
            ) from None
        if size <= 0:
            raise ApiError("missing_argument", f"{call.label}: length must be the size in bytes")
        if size > FILE_BYTES_MAX:
            raise ApiError("file_upload_size_restricted", f"{call.label}: {size} bytes")
        alt_txt = args.get("alt_txt")
        if alt_txt is not None and not isinstance(alt_txt, str):
            raise ApiError("invalid_arguments", f"{call.label}: alt_txt is not a string")
        if alt_txt and len(alt_txt) > ALT_TXT_MAX:
            raise ApiError(
                "alt_txt_too_large", f"{call.label}: alt_txt of {len(alt_txt)} characters"
            )
        upload = self.fake.new_upload(call.workspace, filename, size, alt_txt or "")
        return {"upload_url": self.fake.uploads.url(upload), "file_id": upload.id}

    def _completed_files(self, call: Call) -> list[tuple[FakeFile, str]]:
        """The files of files.completeUploadExternal with their titles, each one uploaded
        and not yet completed, of this workspace."""
        raw = _json_arg(call.args.get("files"), "files")
        if not isinstance(raw, list) or not raw:
            raise ApiError("invalid_arguments", f"{call.label}: files must be a non-empty array")
        found: list[tuple[FakeFile, str]] = []
        for item in raw:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                raise ApiError("invalid_arguments", f"{call.label}: {item!r} has no file id")
            upload = self.fake.upload(item["id"])
            if upload is None:
                raise ApiError("file_not_found", f"{call.label}: unknown file {item['id']}")
            if upload.workspace is not call.workspace:
                raise ApiError(
                    "file_not_found",
                    f"tenancy: {call.workspace.name}'s token completed file {upload.id} "
                    f"of {upload.workspace.name}",
                )
            if upload.data is None:
                raise ApiError(
                    "file_not_found", f"{call.label}: {upload.id} completed before its bytes came"
                )
            if upload.completed or any(upload is other for other, _ in found):
                raise ApiError("file_not_found", f"{call.label}: {upload.id} completed twice")
            title = item.get("title")
            if title is not None and not isinstance(title, str):
                raise ApiError("invalid_arguments", f"{call.label}: title is not a string")
            found.append((upload, title or upload.filename))
        return found

    async def files_complete_upload_external(self, call: Call) -> dict[str, Any]:
        self._scoped(call, FILES_SCOPE)
        args = call.args
        files = self._completed_files(call)
        channel_arg, channels_arg = args.get("channel_id"), args.get("channels")
        if channel_arg and channels_arg:
            raise ApiError("invalid_arguments", f"{call.label}: both channel_id and channels")
        targets = [channel_arg] if channel_arg else []
        if isinstance(channels_arg, str) and channels_arg:
            targets = [c.strip() for c in channels_arg.split(",")]
        thread_ts = args.get("thread_ts") or None
        if thread_ts is not None and len(targets) != 1:
            raise ApiError(
                "invalid_arguments", f"{call.label}: thread_ts needs exactly one channel"
            )
        comment = args.get("initial_comment")
        body: dict[str, Any] = {"text": comment} if isinstance(comment, str) and comment else {}
        if not body and args.get("blocks") is not None:
            body = {"blocks": _json_arg(args["blocks"], "blocks")}
            problems = message_problems(body)
            if problems:
                raise ApiError("invalid_blocks", f"{call.label}: {problems}", messages=problems)
        self.fake.check_mentions(f"{call.label} comment", body)
        self.fake.check_mentions(f"{call.label} titles", [{"text": t} for _, t in files])
        shared_in: list[tuple[str, str | None]] = []
        for target in targets:
            conversation = self._conversation(call, target)
            if isinstance(conversation, FakeChannel):
                self._postable(conversation)
                channel_id = conversation.id
            else:
                channel_id = conversation[1]
            if thread_ts is not None:
                parent = self.fake.message_at(call.workspace, channel_id, str(thread_ts))
                if parent is None or parent.deleted or parent.ephemeral:
                    raise ApiError(
                        "invalid_thread_ts", f"{call.label}: no message {thread_ts} in {channel_id}"
                    )
                if parent.thread_ts is not None and parent.thread_ts != parent.ts:
                    raise ApiError(
                        "invalid_thread_ts", f"{call.label}: {thread_ts} is a reply, not a parent"
                    )
            shared_in.append((channel_id, thread_ts))
        for upload, title in files:
            upload.completed = True
            upload.title = title
        for channel_id, thread in shared_in:
            for upload, _ in files:
                upload.channel_id, upload.thread_ts = channel_id, thread
            self.fake.create_message(
                call.workspace,
                channel_id,
                body,
                viewer=None,
                thread_ts=thread,
                files=[upload for upload, _ in files],
            )
        return {"files": [{**upload.payload(), "title": title} for upload, title in files]}

    async def oauth_v2_access(self, call: Call) -> dict[str, Any]:
        return self.fake.oauth.exchange(call)

    async def apps_connections_open(self, call: Call) -> dict[str, Any]:
        if call.token_in_body:
            raise ApiError(
                "invalid_auth", "the app-level token must be sent in the Authorization header"
            )
        if not call.token:
            raise ApiError("not_authed", "called without a token")
        found = self.fake.token_owner(call.token)
        if found is None:
            raise ApiError("invalid_auth", "unknown app-level token")
        workspace, kind = found
        call.record.workspace = workspace
        if kind != "app":
            raise ApiError(
                "not_allowed_token_type", "apps.connections.open needs an app-level token (xapp-)"
            )
        return {"url": self.fake.socket.issue_url(workspace)}


def rate_limited(retry_after: float) -> ApiError:
    """A 429 with Retry-After in whole seconds, as Slack sends it."""
    seconds = max(0, math.ceil(retry_after))
    return ApiError("ratelimited", status=429, headers={"Retry-After": str(seconds)})


class ResponseUrls:
    """The response_url of each slash command and message action: /hooks/<id>, usable
    `response_url_uses` times within 30 minutes."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.hooks: dict[str, Hook] = {}

    def issue(self, action: Any, target: FakeMessage | None) -> str:
        """A new response_url for `action` (target: the message it replaces by default)."""
        hook_id = f"{action.workspace.id}/{self.fake.ids.number()}/{secrets.token_urlsafe(18)}"
        hook = Hook(
            action=action, target=target, created=self.fake.now(), fixed_target=target is not None
        )
        self.hooks[hook_id] = hook
        action.hook = hook
        return f"{self.fake.base_url}/hooks/{hook_id}"

    async def handle(self, request: web.Request) -> web.Response:
        """POST /hooks/<id>."""
        fake = self.fake
        hook = self.hooks.get(request.match_info["hook"])
        if hook is None:
            fake.error(f"response_url: POST to an unknown hook {request.path}")
            return web.Response(status=404, text="invalid_url")
        action = hook.action
        label = f"{action.label}: response_url"
        if fake.now() - hook.created > RESPONSE_URL_LIFETIME:
            fake.error(f"{label} used after 30 minutes")
            return web.Response(status=404, text="expired_url")
        if hook.uses >= fake.response_url_uses:
            fake.error(f"{label} used more than {fake.response_url_uses} times")
            return web.Response(status=404, text="used_url")
        try:
            body = json.loads(await request.read())
        except json.JSONDecodeError:
            fake.error(f"{label}: body is not JSON")
            return web.Response(status=400, text="invalid_payload")
        if not isinstance(body, dict):
            fake.error(f"{label}: body is not a JSON object")
            return web.Response(status=400, text="invalid_payload")
        hook.uses += 1
        if _flag(body.get("delete_original")):
            if hook.target is None or hook.target.deleted:
                fake.error(f"{label}: delete_original without an original message")
                return web.Response(status=404, text="message_not_found")
            fake.delete_message(hook.target)
            return web.Response(text="ok", content_type="text/html")
        problems = message_problems(body)
        if problems:
            fake.error(f"{label}: {problems}")
            return web.Response(status=400, text="invalid_blocks")
        if is_empty_message(body):
            fake.error(f"{label}: no text and no blocks")
            return web.Response(status=400, text="no_text")
        fake.check_mentions(label, body)
        if _flag(body.get("replace_original")) and hook.target is not None:
            if hook.target.deleted:
                return web.Response(status=404, text="message_not_found")
            fake.replace_message(hook.target, body)
            action.add_message(hook.target)
            return web.Response(text="ok", content_type="text/html")
        fake.answer_message(action, body)
        return web.Response(text="ok", content_type="text/html")


@dataclass(eq=False)
class Hook:
    """One response_url."""

    action: Any
    target: FakeMessage | None
    created: float
    fixed_target: bool
    uses: int = 0


class FileUploads:
    """The upload URLs files.getUploadURLExternal hands out: /upload/v1/<token>, each taking
    one POST of exactly the declared number of bytes (raw, or the file of a multipart form)."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.by_token: dict[str, FakeFile] = {}

    def url(self, upload: FakeFile) -> str:
        self.by_token[upload.upload_token] = upload
        return f"{self.fake.base_url}/upload/v1/{upload.upload_token}"

    async def handle(self, request: web.Request) -> web.Response:
        """POST /upload/v1/<token>."""
        fake = self.fake
        upload = self.by_token.get(request.match_info["token"])
        if upload is None:
            fake.error(f"file upload: POST to an unknown upload URL {request.path}")
            return web.Response(status=404, text="invalid_upload_url")
        label = f"file upload of {upload.id} ({upload.filename})"
        if upload.data is not None or upload.completed:
            fake.error(f"{label}: the upload URL was used twice")
            return web.Response(status=410, text="upload_url_used")
        if request.content_type == "multipart/form-data":
            data = b""
            reader = await request.multipart()
            async for part in reader:
                if isinstance(part, aiohttp.BodyPartReader) and part.filename is not None:
                    data = bytes(await part.read())
                    break
        else:
            data = await request.read()
        if len(data) != upload.length:
            fake.error(f"{label}: {len(data)} bytes sent, {upload.length} declared")
            return web.Response(status=400, text="length_mismatch")
        upload.data = data
        fake.state.fire()
        return web.Response(text=f"OK - {len(data)}")
