"""A loopback fake of Discord that the real discord.py client talks to.

`FakeDiscord` serves the REST API (/api/v10) and the gateway websocket on 127.0.0.1, keeps
a small world (servers, roles, channels, members), and drives it the way members do:
`slash`, `click`, `select`, `submit_modal`, `autocomplete`. Each driver dispatches an
INTERACTION_CREATE and waits (bounded by the 3 s deadline, measured with
asyncio.wait_for, never slept) until the bot acknowledges it; the returned
`FakeInteraction` records what the bot answered. It is as strict as Discord: one initial
response within 3 s (late: 404 10062, second: 400 40060), only synced commands, only
components present on the message, required modal fields, rate limits with 429s, and
messages must disable mentions. Violations go to `errors`, which tests check is empty.

Use `running_fake()` to start one with discord.py pointed at it, and `running_bot()` to
run a client against it and prove at teardown that the client is still running.

Everything runs on the test's event loop.
"""

# The agreed test interface bounds its waits with `timeout` arguments (asyncio.timeout inside).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from aiohttp import web

from fakes.discord_gateway import Gateway
from fakes.discord_payloads import (
    ACTION_ROW,
    ALL_PERMISSIONS,
    APPLICATION_COMMAND,
    ATTACHMENT_SIZE_LIMIT,
    AUTOCOMPLETE,
    BUTTON,
    CHANNEL_SELECT,
    CHECKBOX,
    CHECKBOX_GROUP,
    DM_APP_PERMISSIONS,
    EPHEMERAL,
    LABEL,
    LOADING,
    MENTIONABLE_SELECT,
    MESSAGE_COMPONENT,
    MODAL,
    MODAL_SUBMIT,
    OPT_ATTACHMENT,
    OPT_BOOLEAN,
    OPT_CHANNEL,
    OPT_INTEGER,
    OPT_MENTIONABLE,
    OPT_NUMBER,
    OPT_ROLE,
    OPT_STRING,
    OPT_USER,
    RADIO_GROUP,
    ROLE_SELECT,
    SELECT_TYPES,
    SENDABLE_FLAGS,
    STRING_SELECT,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    TEXT_DISPLAY,
    TEXT_INPUT,
    USER_SELECT,
    SnowflakeFactory,
    embed_image_problems,
    find_component,
    modal_inputs,
)
from fakes.discord_rest import (
    FailRule,
    FakeRequest,
    RequestRecord,
    RestApi,
    edit_fields,
    new_message_fields,
)
from fakes.discord_rest import (
    path_pattern as compile_path_pattern,
)
from fakes.discord_world import (
    FakeChannel,
    FakeDiscordError,
    FakeDMChannel,
    FakeGuild,
    FakeInteraction,
    FakeMember,
    FakeMessage,
    FakeRole,
    FakeUser,
    Signal,
)

if TYPE_CHECKING:
    import discord

__all__ = [
    "FakeChannel",
    "FakeDMChannel",
    "FakeDiscord",
    "FakeDiscordError",
    "FakeGuild",
    "FakeInteraction",
    "FakeMember",
    "FakeMessage",
    "FakeRequest",
    "FakeRole",
    "FakeUser",
    "running_bot",
    "running_fake",
]

OptionValue = str | int | float | bool | FakeUser | FakeRole | FakeChannel
# A text input's text, a select's or checkbox group's values, a radio's value, a checkbox.
ModalValue = str | bool | Sequence[str] | None


class FakeDiscord:
    """The fake platform. Construct, `await start()`, build the world, run a client.

    Knobs (attributes, changeable at any time): `ack_deadline` (3 s, the first-response
    limit), `rate_limits` (False turns every limit off), `global_limit` requests per
    `global_window` seconds per bot token (50 per 1 s; None: no limit), `per_channel_limit`
    (count, seconds) for channel posts ((5, 5.0); None: no limit), `recommended_shards` (the
    shard count GET /gateway/bot suggests), `nonce_window` (seconds a message nonce sent with
    `enforce_nonce` is remembered per channel: a repeat within it gets the first message back;
    Discord says "a few minutes"), and `fail_next()`."""

    def __init__(
        self,
        *,
        app_id: int = 1000,
        bot_user_id: int = 1000,
        token: str = "fake-token",
        bot_name: str = "callbot",
        ack_deadline: float = 3.0,
        rate_limits: bool = True,
        global_limit: int | None = 50,
        global_window: float = 1.0,
        per_channel_limit: tuple[int, float] | None = (5, 5.0),
        shards: int = 1,
        nonce_window: float = 180.0,
    ) -> None:
        self.app_id = app_id
        self.token = token
        self.bot_user = FakeUser(id=bot_user_id, name=bot_name, global_name=None, bot=True)
        # Knobs (may be changed at any time).
        self.ack_deadline = ack_deadline
        self.rate_limits = rate_limits
        self.global_limit = global_limit
        self.global_window = global_window
        self.per_channel_limit = per_channel_limit
        self.recommended_shards = shards
        self.nonce_window = nonce_window
        # World and records.
        self.guilds: list[FakeGuild] = []
        self.messages: dict[int, FakeMessage] = {}
        self.interactions: dict[int, FakeInteraction] = {}
        self.requests: list[FakeRequest] = []
        self.request_log: list[RequestRecord] = []
        self.errors: list[str] = []
        self.command_syncs = 0
        self.nonce_repeats = 0  # creates answered with the message their nonce made before
        self.state = Signal()
        self._ids = SnowflakeFactory()
        self._global_commands: list[dict[str, Any]] = []
        self._guild_commands: dict[int, list[dict[str, Any]]] = {}
        self._channel_log: dict[int, list[FakeMessage]] = {}
        self._dm_channels: dict[int, FakeDMChannel] = {}
        self._by_token: dict[str, FakeInteraction] = {}
        # (channel id, nonce) -> the message it created, and when (loop time).
        self._nonces: dict[tuple[int, str], tuple[FakeMessage, float]] = {}
        self._gateway = Gateway(self)
        self._rest = RestApi(self)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Serve on 127.0.0.1 on a free port."""
        if self._runner is not None:
            raise FakeDiscordError("the fake is already running")
        # aiohttp refuses bodies over 1 MiB by itself; Discord takes files up to the limit,
        # which the REST API checks (413 40005) so that the violation is recorded.
        app = web.Application(client_max_size=2 * ATTACHMENT_SIZE_LIMIT)
        app.router.add_get("/gateway", self._gateway.handle)
        app.router.add_route("*", "/{tail:.*}", self._rest.handle)
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self._runner = runner
        self._port = runner.addresses[0][1]

    async def stop(self) -> None:
        """Close every gateway connection and stop serving."""
        if self._runner is None:
            return
        await self._gateway.close_all()
        await self._runner.cleanup()
        self._runner = None

    @property
    def api_base(self) -> str:
        """What `discord.http.Route.BASE` must be set to."""
        return f"http://127.0.0.1:{self._require_port()}/api/v10"

    @property
    def gateway_url(self) -> str:
        """What `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY` must be set to."""
        return f"ws://127.0.0.1:{self._require_port()}/gateway"

    def _require_port(self) -> int:
        if self._port is None:
            raise FakeDiscordError("the fake is not started")
        return self._port

    @property
    def gateway_sessions(self) -> int:
        """How many sessions IDENTIFY created."""
        return self._gateway.sessions_created

    @property
    def resumes(self) -> int:
        """How many RESUMEs succeeded."""
        return self._gateway.resumes

    @property
    def identifies(self) -> list[dict[str, Any]]:
        """The IDENTIFY payloads received (without the token)."""
        return self._gateway.identifies

    @property
    def heartbeats(self) -> int:
        """How many heartbeats the clients sent."""
        return self._gateway.heartbeats

    @property
    def gateway_queries(self) -> list[dict[str, str]]:
        """The query string of each gateway connection (v, encoding, compress)."""
        return self._gateway.queries

    async def wait_ready(
        self, timeout: float = 10, *, commands: bool = True, shard_ids: Iterable[int] | None = None
    ) -> None:
        """Wait until the client IDENTIFYed every shard (or `shard_ids`), was sent READY and
        its GUILD_CREATEs, and (unless commands=False) synced its commands at least once."""
        wanted = None if shard_ids is None else set(shard_ids)

        def ready() -> bool:
            sessions = self._gateway.live_sessions()
            if not sessions:
                return False
            shards = wanted if wanted is not None else set(range(sessions[-1].shard_count))
            have = {s.shard_id for s in sessions}
            return shards <= have and (not commands or self.command_syncs > 0)

        await self.state.wait_until(ready, timeout, "the client to connect and sync commands")

    # -- world ------------------------------------------------------------------------------------

    def new_id(self) -> int:
        """A fresh snowflake."""
        return self._ids.next()

    def loop_time(self) -> float:
        """The event loop's clock (deadlines and rate limits use it)."""
        return asyncio.get_running_loop().time()

    def error(self, message: str) -> None:
        """Record a protocol violation."""
        self.errors.append(message)
        self.state.fire()

    def add_guild(
        self, name: str, *, owner_id: int | None = None, shard: tuple[int, int] | None = None
    ) -> FakeGuild:
        """A server the bot is in. If the bot is connected it gets GUILD_CREATE at once.
        `shard=(shard_id, shard_count)` picks an id whose events go to that shard."""
        if shard is None:
            guild_id = self._ids.next(own_millisecond=True)
        else:
            guild_id = self._ids.on_shard(*shard)
        guild = FakeGuild(self, guild_id, name)
        guild.owner_id = owner_id
        guild.add_bot(self.bot_user)
        self.guilds.append(guild)
        self._gateway.dispatch_guild(guild.id, "GUILD_CREATE", guild.create_payload())
        return guild

    def guild_event(self, guild: FakeGuild, event: str, data: dict[str, Any]) -> None:
        """A world change the connected bot hears about (nothing before the guild exists)."""
        if guild in self.guilds:
            self._gateway.dispatch_guild(guild.id, event, data)

    def guild(self, guild_id: int | None) -> FakeGuild | None:
        """The guild with this id."""
        return next((g for g in self.guilds if g.id == guild_id), None)

    def find_channel(self, channel_id: int) -> tuple[FakeGuild, FakeChannel] | None:
        """The guild and channel with this channel id."""
        for guild in self.guilds:
            channel = guild.channel(channel_id)
            if channel is not None:
                return guild, channel
        return None

    def dm_channel(self, user: FakeUser) -> FakeDMChannel:
        """The bot's DM channel with `user`, opened on first use."""
        channel = self._dm_channels.get(user.id)
        if channel is None:
            channel = self._dm_channels[user.id] = FakeDMChannel(id=self.new_id(), recipient=user)
        return channel

    def dm_channel_by_id(self, channel_id: int) -> FakeDMChannel | None:
        """The DM channel with this id, if the bot opened it."""
        return next((c for c in self._dm_channels.values() if c.id == channel_id), None)

    def direct_messages(self, user: FakeUser) -> list[FakeMessage]:
        """What the bot sent `user` in direct messages, oldest first."""
        channel = self._dm_channels.get(user.id)
        return [] if channel is None else self.channel_messages(channel)

    def user(self, user_id: int) -> FakeUser | None:
        """A user the fake knows (the bot or a member of some guild)."""
        if user_id == self.bot_user.id:
            return self.bot_user
        for guild in self.guilds:
            found = next((u for u in guild.members if u.id == user_id), None)
            if found is not None:
                return found
        return None

    def bot_user_payload(self) -> dict[str, Any]:
        """The bot's own user object (GET /users/@me, READY)."""
        return {
            **self.bot_user.payload(),
            "verified": True,
            "mfa_enabled": False,
            "flags": 0,
            "email": None,
            "locale": "en-US",
        }

    def application_payload(self) -> dict[str, Any]:
        """The application (GET /oauth2/applications/@me) with every field discord.py's
        AppInfo requires, and no interactions endpoint (else events would not come over
        the gateway)."""
        return {
            "id": str(self.app_id),
            "name": self.bot_user.name,
            "icon": None,
            "description": "Call your members of Congress.",
            "summary": "",
            "type": None,
            "bot_public": False,
            "bot_require_code_grant": False,
            "verify_key": "6b1c2fd30e4a5b7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e",
            "flags": 0,
            "owner": {
                "id": "80351110224678912",
                "username": "organizer",
                "global_name": "Organizer",
                "discriminator": "0",
                "avatar": None,
                "public_flags": 0,
                "flags": 0,
            },
            "team": None,
            "rpc_origins": [],
            "tags": [],
            "redirect_uris": [],
            "interactions_endpoint_url": None,
            "role_connections_verification_url": None,
            "approximate_guild_count": len(self.guilds),
            "integration_types_config": {"0": {}},
            "bot": self.bot_user_payload(),
        }

    # -- commands -----------------------------------------------------------------------------

    def commands(self, guild_id: int | None = None) -> list[dict[str, Any]]:
        """The synced application commands: global, or of one guild."""
        stored = (
            self._global_commands if guild_id is None else self._guild_commands.get(guild_id, [])
        )
        return [dict(c) for c in stored]

    def store_commands(
        self, guild_id: int | None, commands: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """A bulk overwrite: keep ids of commands that stay, answer the full objects."""
        existing = {(c["type"], c["name"]): c for c in self.commands(guild_id)}
        stored: list[dict[str, Any]] = []
        for command in commands:
            kind = command.get("type", 1)
            old = existing.get((kind, command["name"]))
            permissions = command.get("default_member_permissions")
            full: dict[str, Any] = {
                "id": old["id"] if old else str(self.new_id()),
                "application_id": str(self.app_id),
                "version": str(self.new_id()),
                "type": kind,
                "name": command["name"],
                "name_localizations": command.get("name_localizations"),
                "description": command.get("description", ""),
                "description_localizations": command.get("description_localizations"),
                "default_member_permissions": None if permissions is None else str(permissions),
                "dm_permission": command.get("dm_permission", True),
                "contexts": command.get("contexts"),
                "integration_types": command.get("integration_types") or [0],
                "nsfw": command.get("nsfw", False),
            }
            if kind == 1:
                full["options"] = [dict(o) for o in command.get("options") or []]
            if guild_id is not None:
                full["guild_id"] = str(guild_id)
            stored.append(full)
        if guild_id is None:
            self._global_commands = stored
        else:
            self._guild_commands[guild_id] = stored
        self.command_syncs += 1
        self.state.fire()
        return [dict(c) for c in stored]

    def _command(self, user: FakeUser, guild: FakeGuild, name: str) -> tuple[dict[str, Any], bool]:
        # A guild's own command shadows a global one of the same name.
        guild_command = self._find_chat_command(self._guild_commands.get(guild.id, []), name)
        scoped = guild_command is not None
        command = guild_command or self._find_chat_command(self._global_commands, name)
        if command is None:
            synced = sorted({c["name"] for c in self.commands() + self.commands(guild.id)})
            raise FakeDiscordError(f"/{name} was never synced (synced: {synced})")
        contexts = command.get("contexts")
        if contexts is not None and 0 not in contexts:
            raise FakeDiscordError(f"/{name} is not usable in servers (contexts {contexts})")
        needed = command.get("default_member_permissions")
        if needed is not None:
            bits = int(needed)
            have = guild.permissions(user)
            if (bits == 0 and have != ALL_PERMISSIONS) or have & bits != bits:
                raise FakeDiscordError(
                    f"{user.name} does not see /{name}: it needs permissions {bits}, they have {have}"
                )
        return command, scoped

    @staticmethod
    def _find_chat_command(commands: list[dict[str, Any]], name: str) -> dict[str, Any] | None:
        return next((c for c in commands if c["name"] == name and c["type"] == 1), None)

    def _options(
        self,
        user: FakeUser,
        guild: FakeGuild,
        channel: FakeChannel,
        command: dict[str, Any],
        values: Mapping[str, OptionValue],
        subcommand: str | None,
        focused: str | None = None,
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        definitions: list[dict[str, Any]] = command.get("options") or []
        wrappers: list[dict[str, Any]] = []
        for part in (subcommand or "").split():
            found = next(
                (
                    o
                    for o in definitions
                    if o["name"] == part and o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
                ),
                None,
            )
            if found is None:
                names = [
                    o["name"] for o in definitions if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)
                ]
                raise FakeDiscordError(
                    f"/{command['name']} has no subcommand {part!r} (has {names})"
                )
            wrappers.append({"type": found["type"], "name": part})
            definitions = found.get("options") or []
        nested = [o["name"] for o in definitions if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        if nested:
            raise FakeDiscordError(
                f"/{command['name']} {subcommand or ''} needs a subcommand: {nested}"
            )
        known = {o["name"] for o in definitions}
        unknown = sorted(set(values) - known)
        if unknown:
            raise FakeDiscordError(
                f"/{command['name']} has no option {unknown} (has {sorted(known)})"
            )
        resolved: dict[str, Any] = {}
        options: list[dict[str, Any]] = []
        for definition in definitions:
            name = definition["name"]
            if name == focused:
                if not definition.get("autocomplete"):
                    raise FakeDiscordError(
                        f"option {name!r} of /{command['name']} has no autocomplete"
                    )
                options.append(
                    {
                        "type": definition["type"],
                        "name": name,
                        "value": values[name],
                        "focused": True,
                    }
                )
            elif name in values:
                value = self._option_value(user, guild, channel, definition, values[name], resolved)
                options.append({"type": definition["type"], "name": name, "value": value})
            elif definition.get("required") and focused is None:
                raise FakeDiscordError(f"/{command['name']} needs option {name!r}")
        for wrapper in reversed(wrappers):
            options = [{**wrapper, "options": options}]
        return options, resolved

    def _option_value(
        self,
        user: FakeUser,
        guild: FakeGuild,
        channel: FakeChannel,
        definition: dict[str, Any],
        value: OptionValue,
        resolved: dict[str, Any],
    ) -> Any:
        kind, name = definition["type"], definition["name"]
        if kind in (OPT_STRING, OPT_INTEGER, OPT_NUMBER, OPT_BOOLEAN):
            accepted = {
                OPT_STRING: isinstance(value, str),
                OPT_INTEGER: isinstance(value, int) and not isinstance(value, bool),
                OPT_NUMBER: isinstance(value, int | float) and not isinstance(value, bool),
                OPT_BOOLEAN: isinstance(value, bool),
            }[kind]
            if not accepted:
                raise FakeDiscordError(f"option {name!r} (type {kind}) cannot take {value!r}")
            choices = definition.get("choices")
            if choices and value not in [c["value"] for c in choices]:
                raise FakeDiscordError(
                    f"option {name!r} must be one of {[c['value'] for c in choices]}"
                )
            if isinstance(value, str) and not (
                definition.get("min_length", 0) <= len(value) <= definition.get("max_length", 6000)
            ):
                raise FakeDiscordError(f"option {name!r}: {value!r} has the wrong length")
            if isinstance(value, int | float) and not isinstance(value, bool):
                low, high = definition.get("min_value"), definition.get("max_value")
                if (low is not None and value < low) or (high is not None and value > high):
                    raise FakeDiscordError(
                        f"option {name!r}: {value} is out of range {low}..{high}"
                    )
            return value
        if kind in (OPT_USER, OPT_MENTIONABLE) and isinstance(value, FakeUser):
            self._resolve_user(guild, channel, value, resolved)
            return str(value.id)
        if kind in (OPT_ROLE, OPT_MENTIONABLE) and isinstance(value, FakeRole):
            if value not in guild.roles:
                raise FakeDiscordError(f"role {value.name} is not in {guild.name}")
            resolved.setdefault("roles", {})[str(value.id)] = value.payload()
            return str(value.id)
        if kind == OPT_CHANNEL and isinstance(value, FakeChannel):
            if value not in guild.channels:
                raise FakeDiscordError(f"channel {value.name} is not in {guild.name}")
            types = definition.get("channel_types")
            if types and 0 not in types:
                raise FakeDiscordError(f"option {name!r} only takes channel types {types}")
            resolved.setdefault("channels", {})[str(value.id)] = {
                "id": str(value.id),
                "name": value.name,
                "type": 0,
                "permissions": str(guild.permissions(user, value)),
                "parent_id": None,
                "guild_id": str(guild.id),
                "flags": 0,
                "nsfw": False,
                "position": value.position,
                "rate_limit_per_user": 0,
                "topic": value.topic,
                "last_message_id": None,
            }
            return str(value.id)
        if kind == OPT_ATTACHMENT:
            raise FakeDiscordError("the fake does not upload attachments")
        raise FakeDiscordError(f"option {name!r} (type {kind}) cannot take {value!r}")

    def _resolve_user(
        self, guild: FakeGuild, channel: FakeChannel, user: FakeUser, resolved: dict[str, Any]
    ) -> None:
        resolved.setdefault("users", {})[str(user.id)] = user.payload()
        if guild.is_member(user):
            member = guild.member(user).payload(
                with_user=False, permissions=guild.permissions(user, channel)
            )
            resolved.setdefault("members", {})[str(user.id)] = member

    # -- drivers: a member does something --------------------------------------------------

    async def slash(
        self,
        user: FakeUser,
        guild: FakeGuild,
        name: str,
        options: Mapping[str, OptionValue] | None = None,
        *,
        subcommand: str | None = None,
        channel: FakeChannel | None = None,
    ) -> FakeInteraction:
        """`user` runs `/name [subcommand] options` in `channel` (the guild's first channel by
        default); returns once the bot acknowledged it or the deadline passed."""
        built = self.build_slash(user, guild, name, options, subcommand=subcommand, channel=channel)
        return await self._drive(built)

    async def autocomplete(
        self,
        user: FakeUser,
        guild: FakeGuild,
        name: str,
        focused: str,
        value: str,
        options: Mapping[str, OptionValue] | None = None,
        *,
        subcommand: str | None = None,
        channel: FakeChannel | None = None,
    ) -> list[dict[str, Any]]:
        """`user` types `value` into option `focused` of /name; returns the bot's choices
        ([] when it did not answer in time, which is also recorded in `errors`)."""
        built = self.build_autocomplete(
            user, guild, name, focused, value, options, subcommand=subcommand, channel=channel
        )
        interaction = await self._drive(built)
        return list(interaction.choices or [])

    async def click(self, user: FakeUser, message: FakeMessage, custom_id: str) -> FakeInteraction:
        """`user` clicks the button `custom_id` on `message` (it must be there and enabled)."""
        return await self._drive(self.build_click(user, message, custom_id))

    async def select(
        self, user: FakeUser, message: FakeMessage, custom_id: str, values: Sequence[str]
    ) -> FakeInteraction:
        """`user` picks `values` in the select `custom_id` on `message`."""
        return await self._drive(self.build_select(user, message, custom_id, values))

    async def submit_modal(
        self,
        user: FakeUser,
        interaction: FakeInteraction,
        values: Mapping[str, ModalValue],
    ) -> FakeInteraction:
        """`user` fills in and submits the modal `interaction` answered with. Refuses
        unknown field ids, missing required fields and values of the wrong length, and a
        second submission."""
        submit = self.build_modal_submit(user, interaction, values)
        interaction.modal_submitted = True
        return await self._drive(submit)

    def dispatch_raw(self, guild: FakeGuild, event: str, data: dict[str, Any]) -> None:
        """Send any event, as is, to the shard of `guild` (to test a client's robustness)."""
        session = self._gateway.session_for_guild(guild.id)
        if session is None:
            raise FakeDiscordError(f"no gateway session receives {guild.name}'s events")
        session.dispatch(event, data)

    # -- builders: the INTERACTION_CREATE payloads, not yet sent ----------------------------

    def build_slash(
        self,
        user: FakeUser,
        guild: FakeGuild,
        name: str,
        options: Mapping[str, OptionValue] | None = None,
        *,
        subcommand: str | None = None,
        channel: FakeChannel | None = None,
    ) -> FakeInteraction:
        """The interaction `slash` would send (checks the command was synced, the member may
        see it, and the options fit its definition)."""
        channel = self._channel_of(user, guild, channel)
        command, scoped = self._command(user, guild, name)
        values, resolved = self._options(user, guild, channel, command, options or {}, subcommand)
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1, "options": values}
        if resolved:
            data["resolved"] = resolved
        if scoped:
            data["guild_id"] = str(guild.id)
        label = f"/{name}" + (f" {subcommand}" if subcommand else "")
        return self._new_interaction(APPLICATION_COMMAND, user, guild, channel, data, label)

    def build_autocomplete(
        self,
        user: FakeUser,
        guild: FakeGuild,
        name: str,
        focused: str,
        value: str,
        options: Mapping[str, OptionValue] | None = None,
        *,
        subcommand: str | None = None,
        channel: FakeChannel | None = None,
    ) -> FakeInteraction:
        """The interaction `autocomplete` would send."""
        channel = self._channel_of(user, guild, channel)
        command, scoped = self._command(user, guild, name)
        values, resolved = self._options(
            user,
            guild,
            channel,
            command,
            {**(options or {}), focused: value},
            subcommand,
            focused=focused,
        )
        data: dict[str, Any] = {"id": command["id"], "name": name, "type": 1, "options": values}
        if resolved:
            data["resolved"] = resolved
        if scoped:
            data["guild_id"] = str(guild.id)
        label = f"autocomplete /{name} {focused}"
        return self._new_interaction(AUTOCOMPLETE, user, guild, channel, data, label)

    def build_click(self, user: FakeUser, message: FakeMessage, custom_id: str) -> FakeInteraction:
        """The interaction `click` would send."""
        component = self._usable_component(user, message, custom_id, {BUTTON})
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": BUTTON}
        if isinstance(component.get("id"), int):
            data["id"] = component["id"]
        return self._component_interaction(user, message, data, f"click {custom_id}")

    def build_select(
        self, user: FakeUser, message: FakeMessage, custom_id: str, values: Sequence[str]
    ) -> FakeInteraction:
        """The interaction `select` would send."""
        component = self._usable_component(user, message, custom_id, set(SELECT_TYPES))
        kind = component["type"]
        chosen = [str(v) for v in values]
        low, high = component.get("min_values", 1), component.get("max_values", 1)
        if not low <= len(chosen) <= high:
            raise FakeDiscordError(f"select {custom_id!r} takes {low}..{high} values, got {chosen}")
        data: dict[str, Any] = {"custom_id": custom_id, "component_type": kind, "values": chosen}
        if isinstance(component.get("id"), int):
            data["id"] = component["id"]
        guild = self._guild_of(message)
        channel = self._message_channel(guild, message)
        if kind == STRING_SELECT:
            offered = [o["value"] for o in component.get("options") or []]
            missing = [v for v in chosen if v not in offered]
            if missing:
                raise FakeDiscordError(f"select {custom_id!r} offers {offered}, not {missing}")
        else:
            data["resolved"] = self._resolve_ids(guild, channel, kind, chosen)
        return self._component_interaction(user, message, data, f"select {custom_id}")

    def build_modal_submit(
        self,
        user: FakeUser,
        interaction: FakeInteraction,
        values: Mapping[str, ModalValue],
    ) -> FakeInteraction:
        """The interaction `submit_modal` would send."""
        modal = interaction.modal
        if interaction.response_type != MODAL or modal is None:
            raise FakeDiscordError(f"{interaction.name}: the bot did not answer with a modal")
        if user is not interaction.user:
            raise FakeDiscordError(f"only {interaction.user.name} sees this modal")
        if interaction.modal_submitted:
            raise FakeDiscordError(f"the modal of {interaction.name} was already submitted")
        fields = {inner.get("custom_id") for _, inner in modal_inputs(modal)}
        unknown = sorted(set(values) - fields)
        if unknown:
            known = sorted(str(f) for f in fields)
            raise FakeDiscordError(
                f"modal {modal.get('custom_id')!r} has no field {unknown} (has {known})"
            )
        components: list[dict[str, Any]] = []
        for top in modal.get("components") or []:
            kind = top.get("type")
            if kind == ACTION_ROW:
                inner = [self._submitted(c, values) for c in top.get("components") or []]
                components.append({"type": ACTION_ROW, "id": top.get("id"), "components": inner})
            elif kind == LABEL:
                submitted = self._submitted(top["component"], values)
                components.append({"type": LABEL, "id": top.get("id"), "component": submitted})
            elif kind == TEXT_DISPLAY:
                components.append(
                    {"type": TEXT_DISPLAY, "id": top.get("id"), "content": top.get("content", "")}
                )
        data = {"custom_id": modal["custom_id"], "components": components}
        return self._new_interaction(
            MODAL_SUBMIT,
            user,
            interaction.guild,
            interaction.channel,
            data,
            f"modal {modal['custom_id']}",
            source_message=interaction.source_message,
            parent=interaction,
        )

    def _submitted(
        self, component: dict[str, Any], values: Mapping[str, ModalValue]
    ) -> dict[str, Any]:
        custom_id = component.get("custom_id")
        kind = component.get("type")
        value = values.get(custom_id or "")
        required = component.get("required", True)
        base = {"type": kind, "id": component.get("id"), "custom_id": custom_id}
        if kind == TEXT_INPUT:
            if value is not None and not isinstance(value, str):
                raise FakeDiscordError(f"text input {custom_id!r} takes a string, got {value!r}")
            text = value or ""
            if not text and required:
                raise FakeDiscordError(f"modal field {custom_id!r} is required")
            low, high = component.get("min_length", 0), component.get("max_length", 4000)
            if text and not low <= len(text) <= high:
                raise FakeDiscordError(
                    f"modal field {custom_id!r} takes {low}..{high} characters, got {len(text)}"
                )
            return {**base, "value": text}
        if kind == CHECKBOX:
            if value not in (None, True, False, "true", "false"):
                raise FakeDiscordError(f"checkbox {custom_id!r} takes a bool, got {value!r}")
            return {**base, "value": value in (True, "true")}
        offered = [o.get("value") for o in component.get("options") or []]
        if kind == RADIO_GROUP:
            if value is None and required:
                raise FakeDiscordError(f"modal radio group {custom_id!r} is required")
            if value is not None and value not in offered:
                raise FakeDiscordError(f"radio group {custom_id!r} offers {offered}, not {value!r}")
            return {**base, "value": value}
        if kind in SELECT_TYPES or kind == CHECKBOX_GROUP:
            if isinstance(value, bool):
                raise FakeDiscordError(f"{custom_id!r} takes a list of values, got {value!r}")
            chosen = [value] if isinstance(value, str) else list(value or [])
            low = component.get("min_values", 1 if required and kind != CHECKBOX_GROUP else 0)
            high = component.get("max_values", 1)
            if not low <= len(chosen) <= high or (required and not chosen):
                raise FakeDiscordError(
                    f"modal field {custom_id!r} takes {low}..{high} values, got {chosen}"
                )
            if kind in (STRING_SELECT, CHECKBOX_GROUP) and any(v not in offered for v in chosen):
                raise FakeDiscordError(f"modal field {custom_id!r} offers {offered}, not {chosen}")
            return {**base, "values": chosen}
        raise FakeDiscordError(f"the fake cannot fill a modal component of type {kind}")

    def _channel_of(
        self, user: FakeUser, guild: FakeGuild, channel: FakeChannel | None
    ) -> FakeChannel:
        if guild not in self.guilds:
            raise FakeDiscordError(f"{guild!r} is not a guild of this fake")
        guild.member(user)
        if channel is None:
            if not guild.channels:
                raise FakeDiscordError(f"{guild.name} has no channel to run a command in")
            return guild.channels[0]
        if channel not in guild.channels:
            raise FakeDiscordError(f"#{channel.name} is not in {guild.name}")
        return channel

    def _guild_of(self, message: FakeMessage) -> FakeGuild:
        guild = self.guild(message.guild_id)
        if guild is None:
            raise FakeDiscordError(f"message {message.id} is not in a guild of this fake")
        return guild

    def _message_channel(self, guild: FakeGuild, message: FakeMessage) -> FakeChannel:
        channel = guild.channel(message.channel_id)
        if channel is None:
            raise FakeDiscordError(f"message {message.id} is in no known channel")
        return channel

    def _usable_component(
        self, user: FakeUser, message: FakeMessage, custom_id: str, kinds: set[int]
    ) -> dict[str, Any]:
        if message.deleted:
            raise FakeDiscordError(f"message {message.id} was deleted")
        if message.loading:
            raise FakeDiscordError(f"message {message.id} is still a deferred 'thinking' message")
        if message.guild_id is None:
            direct = self.dm_channel_by_id(message.channel_id)
            if direct is None or direct.recipient is not user:
                raise FakeDiscordError(f"{user.name} cannot see direct message {message.id}")
        else:
            self._guild_of(message).member(user)
        if message.ephemeral and (
            message.interaction is None or message.interaction.user is not user
        ):
            raise FakeDiscordError(f"{user.name} cannot see ephemeral message {message.id}")
        component = find_component(message.components, custom_id)
        if component is None:
            raise FakeDiscordError(
                f"message {message.id} has no component {custom_id!r} (has {message.custom_ids()})"
            )
        if component["type"] not in kinds:
            raise FakeDiscordError(f"component {custom_id!r} is of type {component['type']}")
        if component.get("disabled"):
            raise FakeDiscordError(f"component {custom_id!r} is disabled")
        return component

    def _resolve_ids(
        self, guild: FakeGuild, channel: FakeChannel, kind: int, ids: list[str]
    ) -> dict[str, Any]:
        resolved: dict[str, Any] = {}
        for raw in ids:
            number = int(raw)
            user = self.user(number) if kind in (USER_SELECT, MENTIONABLE_SELECT) else None
            role = guild.role(number) if kind in (ROLE_SELECT, MENTIONABLE_SELECT) else None
            target = guild.channel(number) if kind == CHANNEL_SELECT else None
            if user is not None:
                self._resolve_user(guild, channel, user, resolved)
            elif role is not None:
                resolved.setdefault("roles", {})[raw] = role.payload()
            elif target is not None:
                resolved.setdefault("channels", {})[raw] = target.payload(permissions=0)
            else:
                raise FakeDiscordError(f"select of type {kind} cannot pick {raw}")
        return resolved

    def _component_interaction(
        self, user: FakeUser, message: FakeMessage, data: dict[str, Any], label: str
    ) -> FakeInteraction:
        if message.guild_id is None:
            direct = self.dm_channel_by_id(message.channel_id)
            assert direct is not None  # checked by _usable_component
            return self._new_dm_interaction(user, direct, data, label, source_message=message)
        guild = self._guild_of(message)
        channel = self._message_channel(guild, message)
        return self._new_interaction(
            MESSAGE_COMPONENT, user, guild, channel, data, label, source_message=message
        )

    def _new_interaction(
        self,
        kind: int,
        user: FakeUser,
        guild: FakeGuild,
        channel: FakeChannel,
        data: dict[str, Any],
        label: str,
        *,
        source_message: FakeMessage | None = None,
        parent: FakeInteraction | None = None,
    ) -> FakeInteraction:
        interaction_id = self.new_id()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        member: FakeMember = guild.member(user)
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.app_id),
            "type": kind,
            "data": data,
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "guild_id": str(guild.id),
            "channel": channel.payload(permissions=guild.permissions(user, channel)),
            "channel_id": str(channel.id),
            "member": member.payload(permissions=guild.permissions(user, channel)),
            "token": token,
            "version": 1,
            "app_permissions": str(guild.permissions(self.bot_user, channel)),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if source_message is not None:
            payload["message"] = source_message.payload()
        return FakeInteraction(
            interaction_id=interaction_id,
            token=token,
            kind=kind,
            user=user,
            guild=guild,
            channel=channel,
            payload=payload,
            name=label,
            source_message=source_message,
            parent=parent,
        )

    def _new_dm_interaction(
        self,
        user: FakeUser,
        channel: FakeDMChannel,
        data: dict[str, Any],
        label: str,
        *,
        source_message: FakeMessage,
    ) -> FakeInteraction:
        """A click in the bot's direct messages: no guild and no member, the `user` instead;
        the bot's DM context (1), where a guild-installed app's owner is "0"."""
        interaction_id = self.new_id()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(self.app_id),
            "type": MESSAGE_COMPONENT,
            "data": data,
            "channel": channel.payload(),
            "channel_id": str(channel.id),
            "user": user.payload(),
            "token": token,
            "version": 1,
            "app_permissions": str(DM_APP_PERMISSIONS),
            "locale": "en-US",
            "entitlements": [],
            "entitlement_sku_ids": [],
            "authorizing_integration_owners": {"0": "0"},
            "context": 1,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
            "message": source_message.payload(),
        }
        return FakeInteraction(
            interaction_id=interaction_id,
            token=token,
            kind=MESSAGE_COMPONENT,
            user=user,
            guild=None,
            channel=channel,
            payload=payload,
            name=label,
            source_message=source_message,
        )

    async def _drive(self, interaction: FakeInteraction) -> FakeInteraction:
        guild = interaction.guild
        # Direct messages reach the bot on shard 0, as guild id None does.
        session = self._gateway.session_for_guild(guild.id if guild is not None else None)
        if session is None:
            where = guild.name if guild is not None else "direct messages"
            raise FakeDiscordError(f"no gateway session receives {where}' events")
        self.interactions[interaction.id] = interaction
        self._by_token[interaction.token] = interaction
        interaction.dispatched_at = self.loop_time()
        interaction.deadline = interaction.dispatched_at + self.ack_deadline
        session.dispatch("INTERACTION_CREATE", interaction.payload)
        try:
            await asyncio.wait_for(interaction.acked.wait(), timeout=self.ack_deadline)
        except TimeoutError:
            if interaction.response_type is None:
                interaction.expired = True
                interaction.changed.fire()
                self.error(
                    f"{interaction.name}: no response within {self.ack_deadline} s "
                    "(the member sees 'The application did not respond')"
                )
        return interaction

    # -- messages -----------------------------------------------------------------------------

    def interaction_by_token(self, token: str) -> FakeInteraction | None:
        """The interaction whose webhook token this is."""
        return self._by_token.get(token)

    def channel_messages(self, channel: FakeChannel | FakeDMChannel) -> list[FakeMessage]:
        """What everyone sees in the channel, oldest first (no ephemeral or deleted ones)."""
        return [
            m for m in self._channel_log.get(channel.id, []) if not m.deleted and not m.ephemeral
        ]

    def create_message(
        self,
        *,
        channel: FakeChannel | FakeDMChannel,
        body: dict[str, Any],
        files: list[dict[str, Any]],
        interaction: FakeInteraction | None,
        flags: int,
    ) -> FakeMessage:
        """Store a new bot message and announce it (MESSAGE_CREATE unless ephemeral)."""
        message = FakeMessage(
            id=self.new_id(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=self.bot_user,
            flags=flags & (SENDABLE_FLAGS | LOADING),
        )
        new_message_fields(message, body, files)
        if interaction is not None:
            message.webhook_id = self.app_id
            message.application_id = self.app_id
            message.interaction = interaction
            first = interaction.original is None and interaction.response_type is None
            if interaction.type == APPLICATION_COMMAND and first:
                message.type = 20
            metadata: dict[str, Any] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": interaction.user.payload(),
                "authorizing_integration_owners": {
                    "0": str(interaction.guild.id) if interaction.guild is not None else "0"
                },
            }
            if interaction.type == APPLICATION_COMMAND:
                metadata["name"] = interaction.data.get("name")
                metadata["command_type"] = 1
            if interaction.source_message is not None:
                metadata["interacted_message_id"] = str(interaction.source_message.id)
            if not first and interaction.original is not None:
                metadata["original_response_message_id"] = str(interaction.original.id)
            message.interaction_metadata = metadata
        self.messages[message.id] = message
        self._channel_log.setdefault(channel.id, []).append(message)
        self._check_embed_images(message)
        self._announce("MESSAGE_CREATE", message)
        return message

    def message_for_nonce(
        self, channel: FakeChannel | FakeDMChannel, nonce: str
    ) -> FakeMessage | None:
        """The message an `enforce_nonce` create with this nonce made in the channel within
        `nonce_window`, which a repeat gets back instead of a new one."""
        found = self._nonces.get((channel.id, nonce))
        if found is None or self.loop_time() - found[1] >= self.nonce_window:
            return None
        return found[0]

    def remember_nonce(self, message: FakeMessage, nonce: str) -> None:
        self._nonces[(message.channel_id, nonce)] = (message, self.loop_time())

    def edit_message(
        self,
        message: FakeMessage,
        body: dict[str, Any],
        files: list[dict[str, Any]],
        *,
        fill: bool = False,
    ) -> None:
        """Apply an edit; `fill` turns a deferred "thinking" message into the answer (that
        is its creation, not an edit)."""
        if fill:
            new_message_fields(message, body, files)
            message.flags &= ~LOADING
            message.flags |= (body.get("flags") or 0) & (SENDABLE_FLAGS & ~EPHEMERAL)
        else:
            edit_fields(message, body, files)
            message.edits += 1
        self._check_embed_images(message)
        self._announce("MESSAGE_UPDATE", message)

    def _check_embed_images(self, message: FakeMessage) -> None:
        filenames = {str(a["filename"]) for a in message.attachments}
        for problem in embed_image_problems({"embeds": message.embeds}, filenames):
            self.error(f"message {message.id}: {problem}")

    def delete_message(self, message: FakeMessage) -> None:
        """Delete a message (MESSAGE_DELETE unless ephemeral)."""
        message.deleted = True
        if not message.ephemeral and message.guild_id is not None:
            self._gateway.dispatch_guild(
                message.guild_id,
                "MESSAGE_DELETE",
                {
                    "id": str(message.id),
                    "channel_id": str(message.channel_id),
                    "guild_id": str(message.guild_id),
                },
            )
        self.state.fire()

    def _announce(self, event: str, message: FakeMessage) -> None:
        # DMs reach a bot only with the DIRECT_MESSAGES intent, which callbot never asks for.
        if message.flags & EPHEMERAL or message.guild_id is None:
            self.state.fire()
            return
        data = message.payload()
        guild = self.guild(message.guild_id)
        if guild is not None:
            data["guild_id"] = str(guild.id)
            data["member"] = guild.member(message.author).payload(with_user=False)
        self._gateway.dispatch_guild(message.guild_id, event, data)
        self.state.fire()

    # -- knobs --------------------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        path_pattern: str,
        *,
        status: int = 429,
        retry_after: float = 0.05,
        times: int = 1,
    ) -> None:
        """Answer the next `times` requests matching `method` ("*" for any) and the path
        pattern (`*` any characters, `{name}` one segment, /api/v10 optional) with `status`.
        A 429 carries `Via` and `retry_after`, so discord.py waits and retries."""
        if times < 1:
            raise ValueError("times must be at least 1")
        self._rest.fail_rules.append(
            FailRule(method.upper(), compile_path_pattern(path_pattern), status, retry_after, times)
        )

    async def drop_gateway(
        self, *, resume: bool = True, shard: int | None = None, timeout: float = 10.0
    ) -> None:
        """Close the gateway connection(s) (code 4000) and wait until the client is back:
        RESUMEd, or, with resume=False (the session is invalidated), IDENTIFYed again."""
        resumes, sessions = self.resumes, self.gateway_sessions
        dropped = await self._gateway.drop(resume=resume, shard=shard)
        if dropped == 0:
            raise FakeDiscordError("no gateway connection to drop")
        if resume:
            await self.state.wait_until(
                lambda: self.resumes >= resumes + dropped, timeout, f"{dropped} RESUME(s)"
            )
        else:
            await self.state.wait_until(
                lambda: self.gateway_sessions >= sessions + dropped,
                timeout,
                f"{dropped} new IDENTIFY(s)",
            )

    async def wait_request(
        self, method: str, path_pattern: str, *, count: int = 1, timeout: float = 5.0
    ) -> list[FakeRequest]:
        """Wait until `count` requests matching the method and path pattern (as in
        `fail_next`) arrived; return them."""
        regex = compile_path_pattern(path_pattern)

        def matching() -> list[FakeRequest]:
            return [
                r for r in self.requests if r.method == method.upper() and regex.fullmatch(r.path)
            ]

        await self.state.wait_until(
            lambda: len(matching()) >= count, timeout, f"{count} x {method} {path_pattern}"
        )
        return matching()


# -- fixtures -----------------------------------------------------------------------------------


@asynccontextmanager
async def running_fake(*, fast_identify: bool = True, **options: Any) -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord with discord.py pointed at it (Route.BASE and
    DiscordWebSocket.DEFAULT_GATEWAY), restored afterwards.

    `fast_identify` skips the 5 s discord.py waits before every IDENTIFY after the first
    (Discord's identify rate limit, which the fake does not impose). Options go to
    FakeDiscord()."""
    import discord
    import yarl
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    fake = FakeDiscord(**options)
    await fake.start()
    saved_base, saved_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    saved_hook = discord.Client.before_identify_hook
    Route.BASE = fake.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    if fast_identify:

        async def identify_now(
            self: discord.Client, shard_id: int | None, *, initial: bool = False
        ) -> None:
            return None

        discord.Client.before_identify_hook = identify_now  # type: ignore[method-assign]
    try:
        yield fake
    finally:
        Route.BASE = saved_base
        DiscordWebSocket.DEFAULT_GATEWAY = saved_gateway
        discord.Client.before_identify_hook = saved_hook  # type: ignore[method-assign]
        await fake.stop()


@asynccontextmanager
async def running_bot(
    fake: FakeDiscord,
    client: discord.Client,
    *,
    ready_timeout: float = 10.0,
    commands: bool = True,
    check_errors: bool = True,
) -> AsyncIterator[asyncio.Task[None]]:
    """Run a discord.py client against the fake until the block ends.

    Waits for `fake.wait_ready()` (failing early if the client dies). At the end of a block
    that did not raise, asserts the client is still running (its task has not ended, for
    instance on a KeyError in the gateway loop, and it is not closed) and, with
    check_errors, that the fake recorded no protocol violation. Then closes the client."""
    task: asyncio.Task[None] = asyncio.create_task(client.start(fake.token), name="discord-client")
    ready = asyncio.create_task(fake.wait_ready(ready_timeout, commands=commands))
    await asyncio.wait({task, ready}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        ready.cancel()
        await asyncio.gather(ready, return_exceptions=True)
        error = task.exception() if not task.cancelled() else None
        raise AssertionError(
            f"the discord client stopped before it was ready: {error!r}"
        ) from error
    try:
        await ready
    except BaseException:
        await _stop_client(client, task)
        raise
    try:
        yield task
    except BaseException:
        await _stop_client(client, task)
        raise
    still_running = not task.done()
    closed = client.is_closed()
    crash = task.exception() if task.done() and not task.cancelled() else None
    await _stop_client(client, task)
    assert still_running, f"the discord client stopped during the test: {crash!r}"
    assert not closed, "the discord client was closed during the test"
    if check_errors:
        assert fake.errors == [], f"protocol violations: {fake.errors}"


async def _stop_client(client: discord.Client, task: asyncio.Task[None]) -> None:
    await client.close()
    await asyncio.gather(task, return_exceptions=True)
