"""The state of the fake Discord: users, servers (guilds), roles, channels, messages and
interactions, and the JSON each of them is sent as.

The shapes follow what discord.py 2.7.1 parses (discord/types/*.py) and what Discord sends
today, including the fields Discord's own documentation examples leave out (member `flags`,
`attachment_size_limit` ...)."""

# The agreed test interface bounds its waits with `timeout` arguments (asyncio.timeout inside).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from fakes.discord_payloads import (
    ADMINISTRATOR,
    ALL_PERMISSIONS,
    ATTACH_FILES,
    BOT_ROLE_PERMISSIONS,
    EPHEMERAL,
    EVERYONE_PERMISSIONS,
    LOADING,
    SEND_MESSAGES,
    TEXT_DISPLAY,
    interactive_custom_ids,
    iso,
    snowflake_time,
    walk_components,
)
from fakes.signal import Signal


class FakeDiscordError(Exception):
    """A test asked the fake for something Discord's client would never let a member do
    (click a button that is not there, run a command that was never synced ...)."""


class _Host(Protocol):
    """What world objects need from the fake that owns them."""

    def new_id(self) -> int: ...

    def guild_event(self, guild: FakeGuild, event: str, data: dict[str, Any]) -> None: ...


@dataclass(eq=False)
class FakeUser:
    """A Discord account (a member of one or more servers, or the bot)."""

    id: int
    name: str
    global_name: str | None = None
    bot: bool = False
    # False: the member turned off direct messages from server members (403 50007).
    accepts_dms: bool = True

    @property
    def mention(self) -> str:
        """How a message mentions this user."""
        return f"<@{self.id}>"

    def payload(self) -> dict[str, Any]:
        """The user object."""
        return {
            "id": str(self.id),
            "username": self.name,
            "global_name": self.global_name,
            "discriminator": "0",
            "avatar": None,
            "avatar_decoration_data": None,
            "public_flags": 0,
            "bot": self.bot,
            "system": False,
            "banner": None,
            "accent_color": None,
            "primary_guild": None,
            "collectibles": None,
        }


@dataclass(eq=False)
class FakeRole:
    """A server role."""

    id: int
    name: str
    permissions: int = 0
    position: int = 0
    managed: bool = False
    bot_id: int | None = None

    def payload(self) -> dict[str, Any]:
        """The role object."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
        }
        if self.bot_id is not None:
            data["tags"] = {"bot_id": str(self.bot_id)}
        return data


@dataclass(eq=False)
class FakeChannel:
    """A server text channel."""

    id: int
    guild_id: int
    name: str
    position: int = 0
    topic: str | None = None
    # Permission overwrites: {"id", "type" (0 role, 1 member), "allow", "deny"} with int bits.
    overwrites: list[dict[str, int]] = field(default_factory=list)

    @property
    def mention(self) -> str:
        """How a message links this channel."""
        return f"<#{self.id}>"

    def payload(self, *, permissions: int | None = None) -> dict[str, Any]:
        """The channel object (with the viewer's `permissions` inside an interaction)."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": 0,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [
                {
                    "id": str(o["id"]),
                    "type": o["type"],
                    "allow": str(o["allow"]),
                    "deny": str(o["deny"]),
                }
                for o in self.overwrites
            ],
            "topic": self.topic,
            "nsfw": False,
            "last_message_id": None,
            "rate_limit_per_user": 0,
            "parent_id": None,
            "flags": 0,
        }
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


@dataclass(eq=False)
class FakeDMChannel:
    """The bot's direct-message channel with one user (one per user, as on Discord)."""

    id: int
    recipient: FakeUser
    guild_id: None = None

    @property
    def name(self) -> str:
        """DM channels have no name; this labels errors."""
        return f"DM with {self.recipient.name}"

    def payload(self) -> dict[str, Any]:
        """The DM channel object (POST /users/@me/channels)."""
        return {
            "id": str(self.id),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [self.recipient.payload()],
        }


@dataclass(eq=False)
class FakeMember:
    """A user's membership of one server."""

    user: FakeUser
    roles: list[FakeRole]
    joined_at: datetime
    nick: str | None = None

    def payload(self, *, with_user: bool = True, permissions: int | None = None) -> dict[str, Any]:
        """The guild member object; an interaction's member also carries `permissions`."""
        data: dict[str, Any] = {
            "roles": [str(r.id) for r in self.roles],
            "joined_at": iso(self.joined_at),
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "communication_disabled_until": None,
            "unusual_dm_activity_until": None,
            "collectibles": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        if permissions is not None:
            data["permissions"] = str(permissions)
        return data


class FakeGuild:
    """A server: its roles (the first is @everyone, whose id is the guild's), channels and
    members. Changes made while the bot is connected reach it as gateway events."""

    def __init__(self, host: _Host, guild_id: int, name: str) -> None:
        self._host = host
        self.id = guild_id
        self.name = name
        self.owner_id: int | None = None
        self.roles: list[FakeRole] = [
            FakeRole(id=guild_id, name="@everyone", permissions=EVERYONE_PERMISSIONS)
        ]
        self.channels: list[FakeChannel] = []
        self.members: list[FakeUser] = []
        self._members: dict[int, FakeMember] = {}

    def __repr__(self) -> str:
        return f"<FakeGuild {self.name!r} id={self.id}>"

    @property
    def everyone(self) -> FakeRole:
        """The @everyone role."""
        return self.roles[0]

    def add_channel(
        self,
        name: str,
        *,
        bot_can_post: bool = True,
        bot_can_attach: bool = True,
        topic: str | None = None,
    ) -> FakeChannel:
        """A new text channel; `bot_can_post=False` denies the bot SEND_MESSAGES there,
        `bot_can_attach=False` ATTACH_FILES."""
        channel = FakeChannel(
            id=self._host.new_id(),
            guild_id=self.id,
            name=name,
            position=len(self.channels),
            topic=topic,
        )
        self.channels.append(channel)
        denied = (0 if bot_can_post else SEND_MESSAGES) | (0 if bot_can_attach else ATTACH_FILES)
        if denied:
            bot = next((u for u in self.members if u.bot), None)
            if bot is None:
                raise FakeDiscordError("the bot is not a member of this guild yet")
            channel.overwrites.append({"id": bot.id, "type": 1, "allow": 0, "deny": denied})
        self._host.guild_event(self, "CHANNEL_CREATE", channel.payload())
        return channel

    def delete_channel(self, channel: FakeChannel) -> None:
        """An admin deletes the channel (CHANNEL_DELETE); posting there answers 404 10003."""
        if channel not in self.channels:
            raise FakeDiscordError(f"#{channel.name} is not a channel of {self.name}")
        self.channels.remove(channel)
        self._host.guild_event(self, "CHANNEL_DELETE", channel.payload())

    def add_role(self, name: str, permissions: int = 0) -> FakeRole:
        """A new role."""
        role = FakeRole(
            id=self._host.new_id(), name=name, permissions=permissions, position=len(self.roles)
        )
        self.roles.append(role)
        self._host.guild_event(
            self, "GUILD_ROLE_CREATE", {"guild_id": str(self.id), "role": role.payload()}
        )
        return role

    def add_member(
        self,
        name: str | FakeUser,
        *,
        roles: Iterable[FakeRole] = (),
        permissions: int = 0,
        owner: bool = False,
        nick: str | None = None,
    ) -> FakeUser:
        """Make a new user called `name` (or an existing FakeUser, say a member of another
        guild) a member; returns the user.

        `permissions` gives the member a role of their own with those bits (Discord has no
        per-member permissions, only roles); `owner=True` makes them the server owner."""
        user = name if isinstance(name, FakeUser) else None
        if user is None:
            assert isinstance(name, str)
            user = FakeUser(id=self._host.new_id(), name=name, global_name=name)
        if user.id in self._members:
            raise FakeDiscordError(f"{user.name} is already a member of {self.name}")
        member_roles = list(roles)
        for role in member_roles:
            if role not in self.roles:
                raise FakeDiscordError(f"role {role.name} does not belong to {self.name}")
        if permissions:
            member_roles.append(self.add_role(f"{user.name} permissions", permissions))
        member = FakeMember(user=user, roles=member_roles, joined_at=datetime.now(UTC), nick=nick)
        self._members[user.id] = member
        self.members.append(user)
        if owner:
            self.owner_id = user.id
        data = member.payload()
        data["guild_id"] = str(self.id)
        self._host.guild_event(self, "GUILD_MEMBER_ADD", data)
        return user

    def add_bot(self, bot: FakeUser) -> None:
        """The bot joins with its managed role."""
        role = FakeRole(
            id=self._host.new_id(),
            name=bot.name,
            permissions=BOT_ROLE_PERMISSIONS,
            position=len(self.roles),
            managed=True,
            bot_id=bot.id,
        )
        self.roles.append(role)
        self.add_member(bot, roles=[role])

    def member(self, user: FakeUser) -> FakeMember:
        """The user's membership; FakeDiscordError if they are not a member."""
        try:
            return self._members[user.id]
        except KeyError:
            raise FakeDiscordError(f"{user.name} is not a member of {self.name}") from None

    def is_member(self, user: FakeUser) -> bool:
        """Whether the user is a member."""
        return user.id in self._members

    def channel(self, channel_id: int) -> FakeChannel | None:
        """The channel with this id, if it is in this guild."""
        return next((c for c in self.channels if c.id == channel_id), None)

    def role(self, role_id: int) -> FakeRole | None:
        """The role with this id, if it is in this guild."""
        return next((r for r in self.roles if r.id == role_id), None)

    def permissions(self, user: FakeUser, channel: FakeChannel | None = None) -> int:
        """Discord's permission computation: owner and administrators get everything; else
        @everyone | roles, then the channel's overwrites (@everyone, roles, member)."""
        if user.id == self.owner_id:
            return ALL_PERMISSIONS
        member = self.member(user)
        bits = self.everyone.permissions
        for role in member.roles:
            bits |= role.permissions
        if bits & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel is None:
            return bits
        role_ids = {r.id for r in member.roles}
        for overwrite in channel.overwrites:
            if overwrite["type"] == 0 and overwrite["id"] == self.id:
                bits = (bits & ~overwrite["deny"]) | overwrite["allow"]
        allow = deny = 0
        for overwrite in channel.overwrites:
            if overwrite["type"] == 0 and overwrite["id"] in role_ids:
                allow |= overwrite["allow"]
                deny |= overwrite["deny"]
        bits = (bits & ~deny) | allow
        for overwrite in channel.overwrites:
            if overwrite["type"] == 1 and overwrite["id"] == user.id:
                bits = (bits & ~overwrite["deny"]) | overwrite["allow"]
        return bits

    def create_payload(self, *, all_members: bool = True) -> dict[str, Any]:
        """The GUILD_CREATE payload: the whole server as the bot sees it on joining. Without
        the GUILD_MEMBERS intent Discord lists only the bot itself among the members."""
        listed = [u for u in self.members if all_members or u.bot]
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(self.owner_id) if self.owner_id is not None else None,
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 1,
            "default_message_notifications": 1,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "preferred_locale": "en-US",
            "system_channel_id": str(self.channels[0].id) if self.channels else None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "max_members": 500000,
            "max_video_channel_users": 25,
            "max_stage_video_channel_users": 50,
            "features": [],
            "roles": [r.payload() for r in self.roles],
            "emojis": [],
            "stickers": [],
            "joined_at": iso(datetime.now(UTC)),
            "large": False,
            "unavailable": False,
            "member_count": len(self.members),
            "members": [self._members[u.id].payload() for u in listed],
            "channels": [c.payload() for c in self.channels],
            "threads": [],
            "presences": [],
            "voice_states": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "embedded_activities": [],
            "application_command_counts": {},
        }


@dataclass(eq=False)
class FakeMessage:
    """A message the bot sent (a channel post, an interaction response or a follow-up).

    It is one live object: edits change it in place and count in `edits`."""

    id: int
    channel_id: int
    guild_id: int | None
    author: FakeUser
    content: str = ""
    embeds: list[dict[str, Any]] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    allowed_mentions: dict[str, Any] | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    # The bytes of each uploaded attachment, by attachment id (not part of the payload).
    uploads: dict[str, bytes] = field(default_factory=dict)
    edits: int = 0
    deleted: bool = False
    type: int = 0
    webhook_id: int | None = None
    application_id: int | None = None
    interaction: FakeInteraction | None = None
    interaction_metadata: dict[str, Any] | None = None
    edited_at: datetime | None = None
    nonce: str | None = None  # as the bot sent it (Discord echoes it as a string)

    def __repr__(self) -> str:
        return f"<FakeMessage id={self.id} flags={self.flags} text={self.text()[:60]!r}>"

    @property
    def ephemeral(self) -> bool:
        """Only the member who triggered the interaction sees it."""
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """A deferred response still "thinking"."""
        return bool(self.flags & LOADING)

    def attachment_data(self, filename: str) -> bytes:
        """The bytes uploaded as the attachment called `filename`."""
        for attachment in self.attachments:
            if attachment["filename"] == filename:
                return self.uploads[attachment["id"]]
        names = [a["filename"] for a in self.attachments]
        raise FakeDiscordError(f"message {self.id} has no attachment {filename!r} (has {names})")

    def custom_ids(self) -> list[str]:
        """custom_ids of the buttons and selects on the message, in order."""
        return interactive_custom_ids(self.components)

    def text(self) -> str:
        """Everything a member reads: content, embed titles, descriptions, fields, footers,
        and Components V2 text displays, one per line."""
        parts = [self.content] if self.content else []
        for embed in self.embeds:
            author = embed.get("author") or {}
            parts += [str(author["name"])] if author.get("name") else []
            parts += [str(embed[key]) for key in ("title", "description") if embed.get(key)]
            for embed_field in embed.get("fields") or []:
                parts += [str(embed_field.get("name", "")), str(embed_field.get("value", ""))]
            footer = embed.get("footer") or {}
            parts += [str(footer["text"])] if footer.get("text") else []
        for component in walk_components(self.components):
            if component.get("type") == TEXT_DISPLAY and component.get("content"):
                parts.append(str(component["content"]))
        return "\n".join(parts)

    def payload(self) -> dict[str, Any]:
        """The message object."""
        data: dict[str, Any] = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": self.author.payload(),
            "content": self.content,
            "timestamp": iso(snowflake_time(self.id)),
            "edited_timestamp": iso(self.edited_at) if self.edited_at else None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [dict(a) for a in self.attachments],
            "embeds": [dict(e) for e in self.embeds],
            "reactions": [],
            "pinned": False,
            "type": self.type,
            "flags": self.flags,
            "components": self.components,
            "position": None,
        }
        if self.webhook_id is not None:
            data["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            data["application_id"] = str(self.application_id)
        if self.interaction_metadata is not None:
            data["interaction_metadata"] = self.interaction_metadata
        if self.nonce is not None:
            data["nonce"] = self.nonce
        return data


class FakeInteraction:
    """One interaction (a slash command, click, select, modal submit or autocomplete) and
    everything the bot answered to it. `guild` is None for a click in a direct message."""

    def __init__(
        self,
        *,
        interaction_id: int,
        token: str,
        kind: int,
        user: FakeUser,
        guild: FakeGuild | None,
        channel: FakeChannel | FakeDMChannel,
        payload: dict[str, Any],
        name: str | None = None,
        source_message: FakeMessage | None = None,
        parent: FakeInteraction | None = None,
    ) -> None:
        self.id = interaction_id
        self.token = token
        self.type = kind
        self.user = user
        self.guild = guild
        self.channel = channel
        self.payload = payload
        self.name = name
        self.source_message = source_message
        self.parent = parent
        self.response_type: int | None = None
        self.response: dict[str, Any] | None = None
        self.modal: dict[str, Any] | None = None
        self.choices: list[dict[str, Any]] | None = None
        self.messages: list[FakeMessage] = []
        # The message "@original" refers to: the response (or deferred placeholder), or for
        # a deferred update / update, the message the component is on.
        self.original: FakeMessage | None = None
        self.expired = False
        self.modal_submitted = False
        self.ack_latency: float | None = None
        self.dispatched_at = 0.0
        self.deadline = 0.0
        self.acked = asyncio.Event()
        self.changed = Signal()

    def __repr__(self) -> str:
        return (
            f"<FakeInteraction id={self.id} type={self.type} name={self.name!r} "
            f"response_type={self.response_type} expired={self.expired}>"
        )

    @property
    def data(self) -> dict[str, Any]:
        """The `data` the bot received."""
        inner: dict[str, Any] = self.payload["data"]
        return inner

    def ephemeral(self) -> bool:
        """Whether the answer is private to the member (ephemeral response or deferral)."""
        if self.response_type == 5 and self.response is not None:
            flags = (self.response.get("data") or {}).get("flags") or 0
            return bool(flags & EPHEMERAL)
        if self.messages:
            return self.messages[0].ephemeral
        return self.original.ephemeral if self.original is not None else False

    def add_message(self, message: FakeMessage) -> None:
        """Record a message the member now sees."""
        if message not in self.messages:
            self.messages.append(message)
        self.changed.fire()

    async def wait_messages(self, count: int, timeout: float = 5) -> list[FakeMessage]:
        """Wait until the member has seen `count` messages (response and follow-ups)."""
        await self.changed.wait_until(
            lambda: len(self.messages) >= count,
            timeout,
            f"{count} message(s) for interaction {self.name or self.id} (have {self.messages})",
        )
        return list(self.messages)
