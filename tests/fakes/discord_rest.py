"""The fake's REST API under /api/v10: start-up calls, command sync, interaction callbacks,
follow-up webhooks and channel messages, with Discord's rate limits and error codes.

Every request is recorded. Strictness: JSON bodies need `Content-Type: application/json`
(or multipart with `payload_json` and `files[n]` parts that the `attachments` list names, each
within the upload limit), bot routes need `Authorization: Bot <token>`, JSON answers carry
exactly `Content-Type: application/json`, a 429 carries `Via` and a JSON `retry_after` (the two
things discord.py checks before it retries), message bodies are checked against Discord's
limits (400 50035 Invalid Form Body), and a channel post with files needs ATTACH_FILES."""

from __future__ import annotations

import json
import math
import mimetypes
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from aiohttp import BodyPartReader, web

from fakes.discord_payloads import (
    APPLICATION_COMMAND,
    ATTACH_FILES,
    ATTACHMENT_SIZE_LIMIT,
    AUTOCOMPLETE,
    AUTOCOMPLETE_RESULT,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE_MESSAGE,
    EPHEMERAL,
    IS_COMPONENTS_V2,
    LOADING,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    SEND_MESSAGES,
    SUPPRESS_EMBEDS,
    UPDATE_MESSAGE,
    VIEW_CHANNEL,
    allowed_mentions_problem,
    command_problems,
    is_empty_message,
    message_part,
    message_problems,
    modal_problems,
    number_components,
    upload_index,
    upload_problems,
)
from fakes.discord_world import (
    FakeChannel,
    FakeDMChannel,
    FakeGuild,
    FakeInteraction,
    FakeMessage,
)

if TYPE_CHECKING:
    from fakes.discord_fake import FakeDiscord

API_PREFIX = "/api/v10"
TOKEN_LIFETIME = 15 * 60.0
CHANNEL_BUCKET = "0f8e3a1c5b7d9e2f"


class FakeRequest(NamedTuple):
    """One REST request as the fake received it (path without /api/v10, no query)."""

    method: str
    path: str
    json: Any


@dataclass
class RequestRecord:
    """A request with its query string and the status the fake answered."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    status: int = 0
    # For a 429: "global" (the per-token limit), or "user" (a route bucket or fail_next).
    rate_limit_scope: str | None = None


@dataclass
class FailRule:
    """A failure `fail_next` injects into matching requests."""

    method: str
    pattern: re.Pattern[str]
    status: int
    retry_after: float
    times: int


@dataclass
class ApiRequest:
    """What a route handler gets."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[dict[str, Any]] = field(default_factory=list)


Handler = Callable[[ApiRequest], Awaitable[web.Response]]


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer whose Content-Type is exactly `application/json` (discord.py compares
    the header to that string; aiohttp's json_response would add a charset)."""
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        content_type="application/json",
        headers=headers,
    )


def api_error(
    status: int, code: int, message: str, problems: list[str] | None = None
) -> web.Response:
    """Discord's error body ({"message", "code"} and, for form errors, "errors")."""
    body: dict[str, Any] = {"message": message, "code": code}
    if problems:
        body["errors"] = {
            "_errors": [{"code": "FAKE_DISCORD_VALIDATION", "message": p} for p in problems]
        }
    return json_response(status, body)


def no_content() -> web.Response:
    """204."""
    return web.Response(status=204)


def path_pattern(pattern: str) -> re.Pattern[str]:
    """A path pattern: `*` matches anything, `{name}` one path segment."""
    pattern = pattern.removeprefix(API_PREFIX)
    regex = ""
    for part in re.split(r"(\{[^}]*\}|\*)", pattern):
        if part == "*":
            regex += ".*"
        elif part.startswith("{") and part.endswith("}"):
            regex += "[^/]+"
        else:
            regex += re.escape(part)
    return re.compile(regex)


def failure_response(status: int, retry_after: float, *, scope: str = "user") -> web.Response:
    """The response an injected failure gets."""
    if status == 429:
        return rate_limited(retry_after, is_global=False, scope=scope)
    messages = {
        400: (50035, "Invalid Form Body"),
        401: (0, "401: Unauthorized"),
        403: (50013, "Missing Permissions"),
        404: (0, "404: Not Found"),
    }
    code, message = messages.get(status, (0, f"{status}: Server Error"))
    return api_error(status, code, message)


def rate_limited(
    retry_after: float, *, is_global: bool, scope: str, headers: dict[str, str] | None = None
) -> web.Response:
    """A 429 discord.py retries: `Via` header and JSON `retry_after`."""
    all_headers = {
        "Via": "1.1 google",
        "Retry-After": str(max(1, math.ceil(retry_after))),
        "X-RateLimit-Scope": scope,
    }
    if is_global:
        all_headers["X-RateLimit-Global"] = "true"
    all_headers.update(headers or {})
    return json_response(
        429,
        {
            "message": "You are being rate limited.",
            "retry_after": round(retry_after, 3),
            "global": is_global,
        },
        all_headers,
    )


class RateLimits:
    """The global limit (requests per `global_window` seconds per bot token, sliding) and the
    per-channel message bucket (a fixed window that starts with its first message)."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self._global: dict[str, deque[float]] = {}
        self._channels: dict[int, tuple[float, int]] = {}

    def take_global(self, key: str, now: float) -> float | None:
        """Count a request; the retry_after when over the limit."""
        if not self.fake.rate_limits or self.fake.global_limit is None:
            return None
        window = self._global.setdefault(key, deque())
        span = self.fake.global_window
        while window and window[0] <= now - span:
            window.popleft()
        if len(window) >= self.fake.global_limit:
            return window[0] + span - now
        window.append(now)
        return None

    def take_channel(self, channel_id: int, now: float) -> tuple[float | None, dict[str, str]]:
        """Count a message in a channel: (retry_after when over the limit, headers)."""
        limit = self.fake.per_channel_limit
        if not self.fake.rate_limits or limit is None:
            return None, {}
        count, per = limit
        start, used = self._channels.get(channel_id, (now, 0))
        if now >= start + per:
            start, used = now, 0
        # Rounded up to the millisecond: a client that waits this long finds the window reset.
        reset_after = max(math.ceil((start + per - now) * 1000) / 1000, 0.001)
        over = used >= count
        if not over:
            used += 1
            self._channels[channel_id] = (start, used)
        headers = {
            "X-RateLimit-Limit": str(count),
            "X-RateLimit-Remaining": str(count - used),
            "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
            "X-RateLimit-Reset-After": f"{reset_after:.3f}",
            "X-RateLimit-Bucket": CHANNEL_BUCKET,
        }
        return (reset_after if over else None), headers


class RestApi:
    """Routes and handlers."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.limits = RateLimits(fake)
        self.fail_rules: list[FailRule] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler, bool]] = []
        bot, hook = True, False
        for method, pattern, handler, needs_bot_auth in [
            ("GET", "/users/@me", self.get_me, bot),
            ("GET", "/users/{user_id}", self.get_user, bot),
            ("POST", "/users/@me/channels", self.open_dm, bot),
            ("GET", "/oauth2/applications/@me", self.get_application, bot),
            ("GET", "/applications/@me", self.get_application, bot),
            ("GET", "/gateway", self.get_gateway, hook),
            ("GET", "/gateway/bot", self.get_gateway_bot, bot),
            ("GET", "/applications/{app_id}/commands", self.get_commands, bot),
            ("PUT", "/applications/{app_id}/commands", self.put_commands, bot),
            ("GET", "/applications/{app_id}/guilds/{guild_id}/commands", self.get_commands, bot),
            ("PUT", "/applications/{app_id}/guilds/{guild_id}/commands", self.put_commands, bot),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self.callback, hook),
            ("POST", "/webhooks/{app_id}/{token}", self.follow_up, hook),
            ("GET", "/webhooks/{app_id}/{token}/messages/{message_id}", self.webhook_message, hook),
            (
                "PATCH",
                "/webhooks/{app_id}/{token}/messages/{message_id}",
                self.webhook_message,
                hook,
            ),
            (
                "DELETE",
                "/webhooks/{app_id}/{token}/messages/{message_id}",
                self.webhook_message,
                hook,
            ),
            ("POST", "/channels/{channel_id}/messages", self.post_message, bot),
            ("GET", "/channels/{channel_id}/messages", self.list_messages, bot),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self.channel_message, bot),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self.channel_message, bot),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self.channel_message, bot),
            ("POST", "/channels/{channel_id}/typing", self.typing, bot),
            ("GET", "/channels/{channel_id}", self.get_channel, bot),
            ("GET", "/guilds/{guild_id}", self.get_guild, bot),
            ("GET", "/guilds/{guild_id}/channels", self.get_guild_channels, bot),
            ("GET", "/guilds/{guild_id}/roles", self.get_guild_roles, bot),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member, bot),
        ]:
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(pattern))
            self._routes.append((method, re.compile(regex), handler, needs_bot_auth))

    # -- the pipeline -------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        """Record, check, rate-limit and route one request."""
        fake = self.fake
        raw_path = request.path
        path = raw_path.removeprefix(API_PREFIX)
        record = RequestRecord(request.method, path, dict(request.query), None)
        fake.request_log.append(record)
        response = await self._handle(request, path, record)
        record.status = response.status
        if response.status == 429:
            record.rate_limit_scope = response.headers.get("X-RateLimit-Scope")
        fake.state.fire()
        return response

    async def _handle(self, request: web.Request, path: str, record: RequestRecord) -> web.Response:
        fake = self.fake
        if not request.path.startswith(API_PREFIX + "/"):
            fake.requests.append(FakeRequest(record.method, record.path, None))
            fake.error(f"REST: {request.method} {request.path} is outside {API_PREFIX}")
            return api_error(404, 0, "404: Not Found")
        body, files, problem = await self._read_body(request)
        record.json = body
        fake.requests.append(FakeRequest(record.method, record.path, body))
        if problem is not None:
            fake.error(f"REST: {request.method} {path}: {problem}")
            return api_error(400, 50109, "The request body contains invalid JSON.")
        too_big = [f["filename"] for f in files if f["size"] > ATTACHMENT_SIZE_LIMIT]
        if too_big:
            fake.error(f"REST: {request.method} {path}: {too_big} over the upload limit")
            return api_error(413, 40005, "Request entity too large")
        uploads = upload_problems(message_part(body), files) if files else []
        if uploads:
            fake.error(f"REST: {request.method} {path}: {uploads}")
            return api_error(400, 50035, "Invalid Form Body", uploads)
        route = self._match(request.method, path)
        if route is None:
            fake.error(f"REST: the fake does not serve {request.method} {path}")
            return api_error(404, 0, "404: Not Found")
        handler, params, needs_bot_auth = route
        # Discord asks bots for this User-Agent (webhook calls are exempt: discord.py's
        # webhook adapter sends aiohttp's own).
        user_agent = request.headers.get("User-Agent", "")
        if needs_bot_auth and not user_agent.startswith("DiscordBot ("):
            fake.error(
                f"REST: {request.method} {path} without a 'DiscordBot (url, version)' User-Agent"
            )
        authorization = request.headers.get("Authorization")
        if needs_bot_auth and authorization != f"Bot {fake.token}":
            fake.error(f"REST: {request.method} {path} without 'Authorization: Bot <token>'")
            return api_error(401, 0, "401: Unauthorized")
        injected = self._injected_failure(request.method, path)
        if injected is not None:
            return injected
        now = fake.loop_time()
        if authorization is not None:
            retry_after = self.limits.take_global(authorization, now)
            if retry_after is not None:
                return rate_limited(retry_after, is_global=True, scope="global")
        api_request = ApiRequest(request.method, path, params, dict(request.query), body, files)
        return await handler(api_request)

    async def _read_body(
        self, request: web.Request
    ) -> tuple[Any, list[dict[str, Any]], str | None]:
        if not request.can_read_body:
            return None, [], None
        content_type = request.headers.get("Content-Type")
        if content_type == "application/json":
            try:
                return json.loads(await request.text()), [], None
            except ValueError:
                return None, [], "the body is not valid JSON"
        if content_type is not None and content_type.startswith("multipart/form-data"):
            return await self._read_multipart(request)
        await request.read()
        return None, [], f"a body with Content-Type {content_type!r} (expected application/json)"

    async def _read_multipart(
        self, request: web.Request
    ) -> tuple[Any, list[dict[str, Any]], str | None]:
        body: Any = None
        files: list[dict[str, Any]] = []
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            content = await part.read()
            if part.name == "payload_json":
                try:
                    body = json.loads(content)
                except ValueError:
                    return None, [], "payload_json is not valid JSON"
            elif part.filename:
                # Discord names the type from the file, whatever the part says.
                guessed, _ = mimetypes.guess_type(part.filename)
                files.append(
                    {
                        "id": str(self.fake.new_id()),
                        "filename": part.filename,
                        "size": len(content),
                        "content_type": guessed or "application/octet-stream",
                        "field": part.name,
                        "data": bytes(content),
                    }
                )
        body = body if body is not None else {}
        described = {
            str(entry.get("id")): entry.get("description")
            for entry in (message_part(body).get("attachments") or [])
            if isinstance(entry, dict) and entry.get("description")
        }
        for file in files:
            description = described.get(str(upload_index(file)))
            if description:
                file["description"] = description
        return body, files, None

    def _match(self, method: str, path: str) -> tuple[Handler, dict[str, str], bool] | None:
        for route_method, regex, handler, needs_bot_auth in self._routes:
            found = regex.fullmatch(path)
            if found and route_method == method:
                return handler, found.groupdict(), needs_bot_auth
        return None

    def _injected_failure(self, method: str, path: str) -> web.Response | None:
        for rule in self.fail_rules:
            if rule.method in ("*", method) and rule.pattern.fullmatch(path):
                rule.times -= 1
                if rule.times <= 0:
                    self.fail_rules.remove(rule)
                return failure_response(rule.status, rule.retry_after)
        return None

    # -- start-up -----------------------------------------------------------------------------

    async def get_me(self, request: ApiRequest) -> web.Response:
        """GET /users/@me: the bot's own user."""
        return json_response(200, self.fake.bot_user_payload())

    async def get_user(self, request: ApiRequest) -> web.Response:
        """GET /users/{id}."""
        user = self.fake.user(_int(request.params["user_id"]))
        if user is None:
            return api_error(404, 10013, "Unknown User")
        return json_response(200, user.payload())

    async def get_application(self, request: ApiRequest) -> web.Response:
        """GET /oauth2/applications/@me."""
        return json_response(200, self.fake.application_payload())

    async def get_gateway(self, request: ApiRequest) -> web.Response:
        """GET /gateway."""
        return json_response(200, {"url": self.fake.gateway_url})

    async def get_gateway_bot(self, request: ApiRequest) -> web.Response:
        """GET /gateway/bot: the URL and recommended shard count (AutoShardedClient)."""
        return json_response(
            200,
            {
                "url": self.fake.gateway_url,
                "shards": self.fake.recommended_shards,
                "session_start_limit": {
                    "total": 1000,
                    "remaining": 1000 - self.fake.gateway_sessions,
                    "reset_after": 86_400_000,
                    "max_concurrency": 1,
                },
            },
        )

    # -- commands -----------------------------------------------------------------------------

    def _command_scope(self, request: ApiRequest) -> tuple[int | None, web.Response | None]:
        if _int(request.params["app_id"]) != self.fake.app_id:
            return None, api_error(
                403, 20012, "You are not authorized to perform this action on this application"
            )
        raw_guild = request.params.get("guild_id")
        if raw_guild is None:
            return None, None
        guild = self.fake.guild(_int(raw_guild))
        if guild is None:
            return None, api_error(404, 10004, "Unknown Guild")
        return guild.id, None

    async def get_commands(self, request: ApiRequest) -> web.Response:
        """GET the synced commands (global or of a guild)."""
        guild_id, failure = self._command_scope(request)
        if failure is not None:
            return failure
        return json_response(200, self.fake.commands(guild_id))

    async def put_commands(self, request: ApiRequest) -> web.Response:
        """PUT: bulk-overwrite the commands; answer with the full command objects."""
        guild_id, failure = self._command_scope(request)
        if failure is not None:
            return failure
        problems = command_problems(request.json)
        if problems:
            self.fake.error(f"command sync rejected: {problems}")
            return api_error(400, 50035, "Invalid Form Body", problems)
        return json_response(200, self.fake.store_commands(guild_id, request.json))

    # -- interactions -------------------------------------------------------------------------

    async def callback(self, request: ApiRequest) -> web.Response:
        """POST /interactions/{id}/{token}/callback: the initial response (exactly one,
        within the deadline)."""
        fake = self.fake
        interaction = fake.interactions.get(_int(request.params["interaction_id"]))
        if interaction is None or interaction.token != request.params["token"]:
            fake.error(f"callback for an unknown interaction {request.params['interaction_id']}")
            return api_error(404, 10062, "Unknown interaction")
        body = request.json if isinstance(request.json, dict) else {}
        kind = body.get("type")
        label = interaction.name or f"interaction {interaction.id}"
        now = fake.loop_time()
        if interaction.response_type is not None:
            fake.error(f"{label}: answered twice (second callback type {kind})")
            return api_error(400, 40060, "Interaction has already been acknowledged.")
        if interaction.expired or now > interaction.deadline:
            interaction.expired = True
            interaction.changed.fire()
            fake.error(
                f"{label}: first response {now - interaction.dispatched_at:.2f} s after the event "
                f"(limit {fake.ack_deadline} s)"
            )
            return api_error(404, 10062, "Unknown interaction")
        raw_data = body.get("data")
        data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
        problems = self._callback_problems(interaction, kind, data)
        if problems or not isinstance(kind, int):
            fake.error(f"{label}: callback rejected: {problems}")
            return api_error(400, 50035, "Invalid Form Body", problems)
        if kind == CHANNEL_MESSAGE and is_empty_message(data, len(request.files)):
            fake.error(f"{label}: empty message")
            return api_error(400, 50006, "Cannot send an empty message")
        message = self._apply_callback(interaction, kind, data, request.files)
        interaction.response_type = kind
        interaction.response = body
        interaction.ack_latency = now - interaction.dispatched_at
        interaction.acked.set()
        interaction.changed.fire()
        if request.query.get("with_response") not in ("1", "true", "True"):
            return no_content()
        callback: dict[str, Any] = {"id": str(interaction.id), "type": interaction.type}
        resource: dict[str, Any] = {"type": kind}
        if message is not None:
            callback["response_message_id"] = str(message.id)
            callback["response_message_loading"] = message.loading
            callback["response_message_ephemeral"] = message.ephemeral
            resource["message"] = message.payload()
        return json_response(200, {"interaction": callback, "resource": resource})

    def _callback_problems(
        self, interaction: FakeInteraction, kind: Any, data: dict[str, Any]
    ) -> list[str]:
        from_component = interaction.source_message is not None
        allowed = {
            APPLICATION_COMMAND: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, MODAL},
            MESSAGE_COMPONENT: {
                CHANNEL_MESSAGE,
                DEFERRED_CHANNEL_MESSAGE,
                DEFERRED_UPDATE_MESSAGE,
                UPDATE_MESSAGE,
                MODAL,
            },
            AUTOCOMPLETE: {AUTOCOMPLETE_RESULT},
            MODAL_SUBMIT: {CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE}
            | ({DEFERRED_UPDATE_MESSAGE, UPDATE_MESSAGE} if from_component else set()),
        }[interaction.type]
        if kind not in allowed:
            return [f"callback type {kind!r} is not valid for interaction type {interaction.type}"]
        if kind == CHANNEL_MESSAGE:
            return message_problems(data, creating=True)
        if kind == UPDATE_MESSAGE:
            source = interaction.source_message
            return message_problems(
                data, creating=False, current_flags=source.flags if source else 0
            )
        if kind == DEFERRED_CHANNEL_MESSAGE:
            flags = data.get("flags") or 0
            return (
                []
                if flags in (0, EPHEMERAL)
                else [f"a deferral may only set EPHEMERAL, got {flags}"]
            )
        if kind == MODAL:
            return modal_problems(data)
        if kind == AUTOCOMPLETE_RESULT:
            choices = data.get("choices")
            if not isinstance(choices, list) or len(choices) > 25:
                return ["autocomplete needs a list of at most 25 choices"]
            return [
                f"choice {c!r} needs a name of 1-100 characters and a value"
                for c in choices
                if not (
                    isinstance(c.get("name"), str) and 1 <= len(c["name"]) <= 100 and "value" in c
                )
            ]
        return []

    def _apply_callback(
        self,
        interaction: FakeInteraction,
        kind: int,
        data: dict[str, Any],
        files: list[dict[str, Any]],
    ) -> FakeMessage | None:
        fake = self.fake
        label = interaction.name or f"interaction {interaction.id}"
        if kind == CHANNEL_MESSAGE:
            self._check_mentions(label, data, required=True)
            message = fake.create_message(
                channel=interaction.channel,
                body=data,
                files=files,
                interaction=interaction,
                flags=(data.get("flags") or 0),
            )
            interaction.original = message
            interaction.add_message(message)
            return message
        if kind == DEFERRED_CHANNEL_MESSAGE:
            flags = LOADING | ((data.get("flags") or 0) & EPHEMERAL)
            message = fake.create_message(
                channel=interaction.channel, body={}, files=[], interaction=interaction, flags=flags
            )
            interaction.original = message
            return message
        if kind == DEFERRED_UPDATE_MESSAGE:
            interaction.original = interaction.source_message
            return None
        if kind == UPDATE_MESSAGE:
            source = interaction.source_message
            assert source is not None  # guaranteed by _callback_problems
            self._check_mentions(label, data, required=bool(data.get("content")))
            fake.edit_message(source, data, files)
            interaction.original = source
            interaction.add_message(source)
            return source
        if kind == AUTOCOMPLETE_RESULT:
            interaction.choices = list(data.get("choices") or [])
            return None
        # Discord numbers the modal's components, and echoes those ids on submit.
        interaction.modal = {**data, "components": number_components(data.get("components") or [])}
        return None

    def _check_mentions(self, label: str, body: dict[str, Any], *, required: bool) -> None:
        problem = allowed_mentions_problem(body, required=required)
        if problem is not None:
            self.fake.error(f"{label}: message {problem}")

    def _interaction_for_webhook(
        self, request: ApiRequest
    ) -> tuple[FakeInteraction | None, web.Response | None]:
        fake = self.fake
        interaction = fake.interaction_by_token(request.params["token"])
        if _int(request.params["app_id"]) != fake.app_id or interaction is None:
            fake.error(f"webhook call for an unknown token: {request.method} {request.path}")
            return None, api_error(404, 10015, "Unknown Webhook")
        label = interaction.name or f"interaction {interaction.id}"
        if interaction.response_type is None:
            fake.error(f"{label}: {request.method} on the interaction webhook before any response")
            return None, api_error(404, 10015, "Unknown Webhook")
        if fake.loop_time() > interaction.dispatched_at + TOKEN_LIFETIME:
            fake.error(f"{label}: interaction token used after 15 minutes")
            return None, api_error(401, 50027, "Invalid Webhook Token")
        return interaction, None

    async def follow_up(self, request: ApiRequest) -> web.Response:
        """POST /webhooks/{app}/{token}: a follow-up; the first one after a deferral fills
        the "thinking" message."""
        fake = self.fake
        interaction, failure = self._interaction_for_webhook(request)
        if failure is not None or interaction is None:
            return failure or api_error(404, 10015, "Unknown Webhook")
        label = interaction.name or f"interaction {interaction.id}"
        body = request.json if isinstance(request.json, dict) else {}
        problems = message_problems(body, creating=True)
        if problems:
            fake.error(f"{label}: follow-up rejected: {problems}")
            return api_error(400, 50035, "Invalid Form Body", problems)
        if is_empty_message(body, len(request.files)):
            fake.error(f"{label}: empty follow-up")
            return api_error(400, 50006, "Cannot send an empty message")
        self._check_mentions(label, body, required=True)
        placeholder = interaction.original
        if placeholder is not None and placeholder.loading and not placeholder.deleted:
            fake.edit_message(placeholder, body, request.files, fill=True)
            message = placeholder
        else:
            message = fake.create_message(
                channel=interaction.channel,
                body=body,
                files=request.files,
                interaction=interaction,
                flags=body.get("flags") or 0,
            )
        interaction.add_message(message)
        if request.query.get("wait") in ("1", "true", "True"):
            return json_response(200, message.payload())
        return no_content()

    async def webhook_message(self, request: ApiRequest) -> web.Response:
        """GET/PATCH/DELETE /webhooks/{app}/{token}/messages/{id or @original}."""
        fake = self.fake
        interaction, failure = self._interaction_for_webhook(request)
        if failure is not None or interaction is None:
            return failure or api_error(404, 10015, "Unknown Webhook")
        label = interaction.name or f"interaction {interaction.id}"
        raw_id = request.params["message_id"]
        if raw_id == "@original":
            message = interaction.original
        else:
            message = fake.messages.get(_int(raw_id))
            if (
                message is not None
                and message.interaction is not interaction
                and message is not interaction.original
            ):
                message = None
        if message is None or message.deleted:
            fake.error(f"{label}: {request.method} on unknown message {raw_id}")
            return api_error(404, 10008, "Unknown Message")
        if request.method == "GET":
            return json_response(200, message.payload())
        if request.method == "DELETE":
            fake.delete_message(message)
            return no_content()
        body = request.json if isinstance(request.json, dict) else {}
        filling = message.loading
        problems = message_problems(body, creating=filling, current_flags=message.flags)
        if problems:
            fake.error(f"{label}: edit rejected: {problems}")
            return api_error(400, 50035, "Invalid Form Body", problems)
        if filling and is_empty_message(body, len(request.files)):
            fake.error(f"{label}: filled a deferred response with an empty message")
            return api_error(400, 50006, "Cannot send an empty message")
        self._check_mentions(label, body, required=filling or bool(body.get("content")))
        fake.edit_message(message, body, request.files, fill=filling)
        interaction.add_message(message)
        return json_response(200, message.payload())

    # -- channels -----------------------------------------------------------------------------

    def _channel(
        self, request: ApiRequest
    ) -> tuple[FakeGuild | None, FakeChannel | FakeDMChannel] | web.Response:
        """The server channel (with its guild) or the DM channel (no guild) of the path."""
        channel_id = _int(request.params["channel_id"])
        found = self.fake.find_channel(channel_id)
        if found is not None:
            return found
        direct = self.fake.dm_channel_by_id(channel_id)
        if direct is not None:
            return None, direct
        return api_error(404, 10003, "Unknown Channel")

    async def open_dm(self, request: ApiRequest) -> web.Response:
        """POST /users/@me/channels {recipient_id}: the bot's DM channel with the user (the
        same one every time)."""
        body = request.json if isinstance(request.json, dict) else {}
        user = self.fake.user(_int(str(body.get("recipient_id", ""))))
        if user is None or user.bot:
            return api_error(400, 50033, "Invalid Recipient(s)")
        return json_response(200, self.fake.dm_channel(user).payload())

    async def post_message(self, request: ApiRequest) -> web.Response:
        """POST /channels/{id}/messages (per-channel bucket; echoed as MESSAGE_CREATE)."""
        fake = self.fake
        found = self._channel(request)
        if isinstance(found, web.Response):
            return found
        guild, channel = found
        if guild is None:
            assert isinstance(channel, FakeDMChannel)
            user = channel.recipient
            if not user.accepts_dms or not any(g.is_member(user) for g in fake.guilds):
                return api_error(403, 50007, "Cannot send messages to this user")
        else:
            assert isinstance(channel, FakeChannel)
            wanted = VIEW_CHANNEL | SEND_MESSAGES | (ATTACH_FILES if request.files else 0)
            if guild.permissions(fake.bot_user, channel) & wanted != wanted:
                return api_error(403, 50013, "Missing Permissions")
        retry_after, headers = self.limits.take_channel(channel.id, fake.loop_time())
        if retry_after is not None:
            return rate_limited(retry_after, is_global=False, scope="user", headers=headers)
        body = request.json if isinstance(request.json, dict) else {}
        label = f"message to #{channel.name}"
        problems = message_problems(body, creating=True)
        if (body.get("flags") or 0) & EPHEMERAL:
            problems.append("flags: channel messages cannot be ephemeral")
        if problems:
            fake.error(f"{label} rejected: {problems}")
            return api_error(400, 50035, "Invalid Form Body", problems)
        if is_empty_message(body, len(request.files)):
            fake.error(f"{label}: empty message")
            return api_error(400, 50006, "Cannot send an empty message")
        nonce, nonce_problem = _nonce(body)
        if nonce_problem is not None:
            fake.error(f"{label} rejected: {nonce_problem}")
            return api_error(400, 50035, "Invalid Form Body", [nonce_problem])
        self._check_mentions(label, body, required=True)
        if nonce is not None and body.get("enforce_nonce") is True:
            # Discord: "checked for uniqueness in the past few minutes. If another message was
            # created by the same author with the same nonce, that message will be returned
            # and no new message will be created."
            earlier = fake.message_for_nonce(channel, nonce)
            if earlier is not None:
                fake.nonce_repeats += 1
                fake.state.fire()
                return json_response(200, earlier.payload(), headers)
        message = fake.create_message(
            channel=channel,
            body=body,
            files=request.files,
            interaction=None,
            flags=body.get("flags") or 0,
        )
        if nonce is not None:
            message.nonce = nonce
            if body.get("enforce_nonce") is True:
                fake.remember_nonce(message, nonce)
        return json_response(200, message.payload(), headers)

    async def list_messages(self, request: ApiRequest) -> web.Response:
        """GET /channels/{id}/messages: newest first."""
        found = self._channel(request)
        if isinstance(found, web.Response):
            return found
        limit = max(1, min(100, _int(request.query.get("limit", "50"))))
        messages = list(reversed(self.fake.channel_messages(found[1])))[:limit]
        return json_response(200, [m.payload() for m in messages])

    async def channel_message(self, request: ApiRequest) -> web.Response:
        """GET/PATCH/DELETE /channels/{id}/messages/{id}."""
        fake = self.fake
        found = self._channel(request)
        if isinstance(found, web.Response):
            return found
        message = fake.messages.get(_int(request.params["message_id"]))
        if (
            message is None
            or message.deleted
            or message.ephemeral
            or message.channel_id != found[1].id
        ):
            return api_error(404, 10008, "Unknown Message")
        if request.method == "GET":
            return json_response(200, message.payload())
        if message.author is not fake.bot_user:
            return api_error(403, 50005, "Cannot edit a message authored by another user")
        if request.method == "DELETE":
            fake.delete_message(message)
            return no_content()
        body = request.json if isinstance(request.json, dict) else {}
        problems = message_problems(body, creating=False, current_flags=message.flags)
        if problems:
            fake.error(f"edit of message {message.id} rejected: {problems}")
            return api_error(400, 50035, "Invalid Form Body", problems)
        self._check_mentions(
            f"edit of message {message.id}", body, required=bool(body.get("content"))
        )
        fake.edit_message(message, body, request.files)
        return json_response(200, message.payload())

    async def typing(self, request: ApiRequest) -> web.Response:
        """POST /channels/{id}/typing."""
        found = self._channel(request)
        return found if isinstance(found, web.Response) else no_content()

    async def get_channel(self, request: ApiRequest) -> web.Response:
        """GET /channels/{id}."""
        found = self._channel(request)
        return found if isinstance(found, web.Response) else json_response(200, found[1].payload())

    # -- guilds -------------------------------------------------------------------------------

    def _guild(self, request: ApiRequest) -> FakeGuild | web.Response:
        guild = self.fake.guild(_int(request.params["guild_id"]))
        return guild if guild is not None else api_error(404, 10004, "Unknown Guild")

    async def get_guild(self, request: ApiRequest) -> web.Response:
        """GET /guilds/{id}."""
        guild = self._guild(request)
        if isinstance(guild, web.Response):
            return guild
        data = guild.create_payload()
        for key in (
            "members",
            "channels",
            "threads",
            "presences",
            "voice_states",
            "joined_at",
            "large",
        ):
            data.pop(key, None)
        return json_response(200, data)

    async def get_guild_channels(self, request: ApiRequest) -> web.Response:
        """GET /guilds/{id}/channels."""
        guild = self._guild(request)
        if isinstance(guild, web.Response):
            return guild
        return json_response(200, [c.payload() for c in guild.channels])

    async def get_guild_roles(self, request: ApiRequest) -> web.Response:
        """GET /guilds/{id}/roles."""
        guild = self._guild(request)
        if isinstance(guild, web.Response):
            return guild
        return json_response(200, [r.payload() for r in guild.roles])

    async def get_member(self, request: ApiRequest) -> web.Response:
        """GET /guilds/{id}/members/{user}."""
        guild = self._guild(request)
        if isinstance(guild, web.Response):
            return guild
        user = self.fake.user(_int(request.params["user_id"]))
        if user is None or not guild.is_member(user):
            return api_error(404, 10007, "Unknown Member")
        return json_response(200, guild.member(user).payload())


NONCE_MAX = 25  # characters


def _nonce(body: dict[str, Any]) -> tuple[str | None, str | None]:
    """A create's nonce as Discord keeps it (a string), or the form error it gets: an integer
    or a string of at most 25 characters."""
    raw = body.get("nonce")
    if raw is None:
        return None, None
    if isinstance(raw, bool) or not isinstance(raw, int | str):
        return None, f"nonce: {raw!r} is not an integer or a string"
    if isinstance(raw, str) and len(raw) > NONCE_MAX:
        return None, f"nonce: {raw!r} is longer than {NONCE_MAX} characters"
    return str(raw), None


def _int(raw: str) -> int:
    """A snowflake from a path (0 when it is not a number, which matches nothing)."""
    try:
        return int(raw)
    except ValueError:
        return 0


def edit_fields(message: FakeMessage, body: dict[str, Any], files: list[dict[str, Any]]) -> None:
    """Apply the fields an edit carries (absent fields stay as they are)."""
    if "content" in body:
        message.content = body["content"] or ""
    if "embeds" in body:
        message.embeds = [{"type": "rich", **e} for e in body["embeds"] or []]
    if "components" in body:
        message.components = number_components(body["components"] or [])
    if "allowed_mentions" in body:
        message.allowed_mentions = body["allowed_mentions"]
    if body.get("flags") is not None:
        # An edit may toggle SUPPRESS_EMBEDS and turn a message into Components V2 (not back).
        keep = message.flags & ~SUPPRESS_EMBEDS
        message.flags = keep | (body["flags"] & (SUPPRESS_EMBEDS | IS_COMPONENTS_V2))
    if "attachments" in body:
        kept = {str(a.get("id")) for a in body["attachments"] or []}
        message.attachments = [a for a in message.attachments if a["id"] in kept]
    message.attachments += [_attachment(f) for f in files]
    _keep_uploads(message, files)
    message.edited_at = datetime.now(UTC)


def _attachment(file: dict[str, Any]) -> dict[str, Any]:
    url = f"https://cdn.discordapp.com/attachments/0/{file['id']}/{file['filename']}"
    shown = {key: value for key, value in file.items() if key not in ("data", "field")}
    return {**shown, "url": url, "proxy_url": url}


def _keep_uploads(message: FakeMessage, files: list[dict[str, Any]]) -> None:
    message.uploads.update({str(f["id"]): f["data"] for f in files if "data" in f})


def new_message_fields(
    message: FakeMessage, body: dict[str, Any], files: list[dict[str, Any]]
) -> None:
    """Fill a new message from its body."""
    message.content = body.get("content") or ""
    message.embeds = [{"type": "rich", **e} for e in body.get("embeds") or []]
    message.components = number_components(body.get("components") or [])
    message.allowed_mentions = body.get("allowed_mentions")
    message.attachments = [_attachment(f) for f in files]
    _keep_uploads(message, files)
