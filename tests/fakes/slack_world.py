"""The state of the fake Slack: workspaces, members, channels, messages, views, and the
requests ("actions") members make, with the JSON each of them is sent as.

Ids look like Slack's (T..., U..., C..., D..., V..., B...), message timestamps like
"1716812345.000100". Shapes follow what Slack sends today (see the contract test)."""

# The agreed test interface bounds its waits with `timeout` arguments (asyncio.timeout inside).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fakes.signal import Signal
from fakes.slack_blocks import (
    find_element,
    input_blocks,
    interactive_elements,
    visible_lines,
)

if TYPE_CHECKING:
    from fakes.slack_fake import FakeSlack


class FakeSlackError(Exception):
    """A test asked the fake for something a member could not do in Slack's client (click a
    button that is not on the message, submit a modal without a required field ...)."""


class Ids:
    """Slack-looking identifiers, unique within one fake."""

    def __init__(self) -> None:
        self._next = 0x0C0B0000
        self._ts_second = int(time.time())
        self._ts_counter = 0

    def next(self, prefix: str) -> str:
        """ "T0C0B0001A"-style ids: a prefix letter and ten upper-case hex digits."""
        self._next += 1
        return f"{prefix}{self._next:010X}"

    def ts(self) -> str:
        """A message timestamp, increasing ("1716812345.000100")."""
        self._ts_counter += 100
        if self._ts_counter > 999_900:
            self._ts_second += 1
            self._ts_counter = 100
        return f"{self._ts_second}.{self._ts_counter:06d}"

    def number(self) -> int:
        """A fresh number for tokens and trigger ids."""
        self._next += 1
        return self._next


def slug(name: str) -> str:
    """A workspace domain from its name ("Springfield Callers" -> "springfield-callers")."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "workspace"


@dataclass(eq=False)
class FakeUser:
    """A member of one workspace (or the app's bot user)."""

    id: str
    name: str
    workspace: FakeWorkspace
    is_admin: bool = False
    is_owner: bool = False
    is_bot: bool = False
    real_name: str = ""
    tz: str = "America/New_York"

    def __repr__(self) -> str:
        return f"<FakeUser {self.name} {self.id} of {self.workspace.name}>"

    @property
    def mention(self) -> str:
        """How a message mentions this user."""
        return f"<@{self.id}>"

    def brief(self) -> dict[str, Any]:
        """The `user` object of interaction payloads."""
        return {
            "id": self.id,
            "username": self.name,
            "name": self.name,
            "team_id": self.workspace.id,
        }

    def payload(self) -> dict[str, Any]:
        """The user object of users.info."""
        real_name = self.real_name or self.name.title()
        return {
            "id": self.id,
            "team_id": self.workspace.id,
            "name": self.name,
            "deleted": False,
            "color": "9f69e7",
            "real_name": real_name,
            "tz": self.tz,
            "tz_label": "Eastern Standard Time",
            "tz_offset": -18000,
            "profile": {
                "title": "",
                "phone": "",
                "real_name": real_name,
                "real_name_normalized": real_name,
                "display_name": self.name,
                "display_name_normalized": self.name,
                "status_text": "",
                "status_emoji": "",
                "avatar_hash": "g0000000000a",
                "image_48": "https://secure.gravatar.com/avatar/fake-48.png",
                "team": self.workspace.id,
                **(
                    {"bot_id": self.workspace.bot_id, "api_app_id": self.workspace.fake.app_id}
                    if self.is_bot
                    else {}
                ),
            },
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": self.is_owner and self.workspace.primary_owner is self,
            "is_restricted": False,
            "is_ultra_restricted": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "updated": 1716800000,
            "is_email_confirmed": not self.is_bot,
            "who_can_share_contact_card": "EVERYONE",
        }


@dataclass(eq=False)
class FakeChannel:
    """A public channel of one workspace."""

    id: str
    name: str
    workspace: FakeWorkspace
    bot_is_member: bool = True
    topic: str = ""
    is_archived: bool = False

    def __repr__(self) -> str:
        return f"<FakeChannel #{self.name} {self.id} of {self.workspace.name}>"

    @property
    def mention(self) -> str:
        """How a message links this channel."""
        return f"<#{self.id}>"

    def payload(self) -> dict[str, Any]:
        """The conversation object of conversations.info."""
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": True,
            "is_group": False,
            "is_im": False,
            "is_mpim": False,
            "is_private": False,
            "created": 1716800000,
            "is_archived": self.is_archived,
            "is_general": self.workspace.channels[:1] == [self],
            "unlinked": 0,
            "name_normalized": self.name,
            "is_shared": False,
            "is_org_shared": False,
            "is_ext_shared": False,
            "is_pending_ext_shared": False,
            "context_team_id": self.workspace.id,
            "updated": 1716800000000,
            "creator": self.workspace.primary_owner.id if self.workspace.primary_owner else "",
            "is_member": self.bot_is_member,
            "topic": {"value": self.topic, "creator": "", "last_set": 0},
            "purpose": {"value": "", "creator": "", "last_set": 0},
            "previous_names": [],
        }


class FakeWorkspace:
    """A workspace (team): its members and channels, and the app's tokens there.

    `bot_token` only works once the app is installed (`installed`, or `FakeSlack.install`).
    Each workspace has its own `app_token`, so its Socket Mode traffic goes to the
    connection opened with it."""

    def __init__(self, fake: FakeSlack, name: str, *, installed: bool) -> None:
        ids = fake.ids
        self.fake = fake
        self.id = ids.next("T")
        self.name = name
        self.domain = slug(name)
        self.installed = installed
        self.bot_id = ids.next("B")
        self.bot_user = FakeUser(id=ids.next("U"), name="callbot", workspace=self, is_bot=True)
        self.bot_user.real_name = "Callbot"
        team_number = ids.number()
        self.bot_token = f"xoxb-{team_number}-{ids.number()}-{secrets.token_urlsafe(18)}"
        self.app_token = f"xapp-1-{fake.app_id}-{ids.number()}-{secrets.token_hex(32)}"
        # What a Socket Mode app installed from callbot's manifest holds (OAuth replaces it).
        self.scopes: list[str] = [
            "commands",
            "chat:write",
            "chat:write.public",
            "users:read",
            "files:write",
            "im:write",
        ]
        self.installer: FakeUser | None = None
        self.channels: list[FakeChannel] = []
        self.users: list[FakeUser] = []
        self.primary_owner: FakeUser | None = None
        # user id -> the DM channel ("D...") between that user and the app
        self.dm_ids: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"<FakeWorkspace {self.name!r} {self.id}>"

    def add_channel(self, name: str, *, bot_is_member: bool = True) -> FakeChannel:
        """A public channel; `bot_is_member=False`: the app was not invited (not_in_channel)."""
        if any(c.name == name for c in self.channels):
            raise FakeSlackError(f"#{name} already exists in {self.name}")
        channel = FakeChannel(
            id=self.fake.ids.next("C"), name=name, workspace=self, bot_is_member=bot_is_member
        )
        self.channels.append(channel)
        return channel

    def archive_channel(self, channel: FakeChannel) -> None:
        """An admin archives the channel: posting there answers is_archived."""
        if channel not in self.channels:
            raise FakeSlackError(f"#{channel.name} is not a channel of {self.name}")
        channel.is_archived = True

    def delete_channel(self, channel: FakeChannel) -> None:
        """An admin deletes the channel: its id is unknown from now on (channel_not_found)."""
        if channel not in self.channels:
            raise FakeSlackError(f"#{channel.name} is not a channel of {self.name}")
        self.channels.remove(channel)

    def add_user(self, name: str, *, admin: bool = False, owner: bool = False) -> FakeUser:
        """A member. Owners are admins too, as on Slack (users.info says is_admin: true); the
        first owner is the primary owner."""
        user = FakeUser(
            id=self.fake.ids.next("U"),
            name=name,
            workspace=self,
            is_admin=admin or owner,
            is_owner=owner,
        )
        self.users.append(user)
        if owner and self.primary_owner is None:
            self.primary_owner = user
        return user

    def user(self, user_id: str) -> FakeUser | None:
        """A member (or the bot user) by id."""
        if user_id == self.bot_user.id:
            return self.bot_user
        return next((u for u in self.users if u.id == user_id), None)

    def channel(self, channel_id: str) -> FakeChannel | None:
        """A channel by id."""
        return next((c for c in self.channels if c.id == channel_id), None)

    def channel_named(self, name: str) -> FakeChannel | None:
        """A channel by name (with or without '#')."""
        bare = name.removeprefix("#")
        return next((c for c in self.channels if c.name == bare), None)

    def dm_id(self, user: FakeUser) -> str:
        """The id of the app's DM with `user` (opened on first use, as conversations.open does)."""
        if user.id not in self.dm_ids:
            self.dm_ids[user.id] = self.fake.ids.next("D")
        return self.dm_ids[user.id]

    def dm_user(self, dm_id: str) -> FakeUser | None:
        """The member whose DM with the app this is."""
        for user_id, known in self.dm_ids.items():
            if known == dm_id:
                return self.user(user_id)
        return None

    def team_payload(self) -> dict[str, Any]:
        """The team object of team.info."""
        return {
            "id": self.id,
            "name": self.name,
            "url": f"https://{self.domain}.slack.com/",
            "domain": self.domain,
            "email_domain": "",
            "icon": {"image_default": True, "image_34": "https://a.slack-edge.com/fake-34.png"},
            "avatar_base_url": "https://ca.slack-edge.com/",
            "is_verified": False,
        }


PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(eq=False)
class FakeFile:
    """A file the app uploads the way Slack takes it: files.getUploadURLExternal (filename,
    declared length) gives an upload URL; the bytes are POSTed there once; then
    files.completeUploadExternal shares it (titled) in a channel or thread, or keeps it
    private. `data` is None until the bytes arrived; `completed` once shared."""

    id: str
    workspace: FakeWorkspace
    filename: str
    length: int
    upload_token: str
    alt_txt: str = ""
    title: str = ""
    data: bytes | None = None
    completed: bool = False
    channel_id: str | None = None
    thread_ts: str | None = None

    def __repr__(self) -> str:
        state = "shared" if self.completed else "uploaded" if self.data is not None else "pending"
        return f"<FakeFile {self.id} {self.filename!r} {state}>"

    @property
    def mimetype(self) -> str:
        """From the bytes, as Slack sniffs it (PNG or not)."""
        if self.data is not None and self.data.startswith(PNG_MAGIC):
            return "image/png"
        return "application/octet-stream"

    def payload(self) -> dict[str, Any]:
        """The file object of files.completeUploadExternal's answer and of file messages."""
        data: dict[str, Any] = {
            "id": self.id,
            "created": 1716800000,
            "timestamp": 1716800000,
            "name": self.filename,
            "title": self.title or self.filename,
            "mimetype": self.mimetype,
            "filetype": "png" if self.mimetype == "image/png" else "binary",
            "user": self.workspace.bot_user.id,
            "user_team": self.workspace.id,
            "size": len(self.data or b""),
            "is_public": self.channel_id is not None and self.channel_id.startswith("C"),
            "url_private": f"https://files.slack.com/files-pri/{self.workspace.id}-{self.id}/"
            f"{self.filename}",
        }
        if self.alt_txt:
            data["alt_txt"] = self.alt_txt
        return data


@dataclass(eq=False)
class FakeMessage:
    """A message the app sent, as members see it. One live object: edits change it in place
    and count in `edits`.

    `user_id` is the author (the bot user) of channel and DM messages, and the viewer of an
    ephemeral one (only that member sees it)."""

    ts: str
    channel_id: str
    user_id: str
    workspace: FakeWorkspace
    ephemeral: bool = False
    text: str = ""
    blocks: list[dict[str, Any]] = field(default_factory=list)
    edits: int = 0
    deleted: bool = False
    thread_ts: str | None = None
    # The action (slash command, click ...) whose ack or response_url made this message.
    action: FakeAction | None = None
    # Files it shares (files.completeUploadExternal makes such messages).
    files: list[FakeFile] = field(default_factory=list)

    def __repr__(self) -> str:
        kind = "ephemeral" if self.ephemeral else "message"
        return f"<Fake{kind} {self.ts} in {self.channel_id} {self.visible_text()[:60]!r}>"

    @property
    def is_dm(self) -> bool:
        """Sent in the app's DM (Messages tab) with a member."""
        return self.channel_id.startswith("D")

    def visible_text(self) -> str:
        """Every text a member reads, one per line: the `text` fallback only when there are
        no blocks; else headers, section texts and fields, context texts, button labels, in
        block order; then the titles of the files it shares."""
        lines = visible_lines(self.blocks) if self.blocks else [self.text] if self.text else []
        return "\n".join(lines + [f.title or f.filename for f in self.files])

    def action_ids(self) -> list[str]:
        """action_ids of the buttons, selects and other interactive elements, in order."""
        return [e.get("action_id", "") for _, e in interactive_elements(self.blocks)]

    def button_value(self, action_id: str) -> str | None:
        """The `value` of the button with this action_id (None if none or no value)."""
        found = find_element(self.blocks, action_id)
        if found is None or found[1].get("type") != "button":
            return None
        value = found[1].get("value")
        return value if isinstance(value, str) else None

    def payload(self) -> dict[str, Any]:
        """The message object of a block_actions payload (what the app posted)."""
        data: dict[str, Any] = {
            "user": self.workspace.bot_user.id,
            "type": "message",
            "ts": self.ts,
            "bot_id": self.workspace.bot_id,
            "app_id": self.workspace.fake.app_id,
            "text": self.text,
            "team": self.workspace.id,
            "bot_profile": {
                "id": self.workspace.bot_id,
                "deleted": False,
                "name": self.workspace.bot_user.name,
                "updated": 1716800000,
                "app_id": self.workspace.fake.app_id,
                "icons": {"image_36": "https://a.slack-edge.com/fake-36.png"},
                "team_id": self.workspace.id,
            },
            "blocks": self.blocks,
        }
        if self.thread_ts is not None:
            data["thread_ts"] = self.thread_ts
        if self.files:
            data["files"] = [f.payload() for f in self.files]
            data["upload"] = True
        if self.edits:
            data["edited"] = {"user": self.workspace.bot_user.id, "ts": self.ts}
        return data


class FakeView:
    """A modal or Home tab the app opened for one member. Updates change it in place (same
    id, new `hash`)."""

    def __init__(
        self,
        *,
        view_id: str,
        user: FakeUser,
        definition: dict[str, Any],
        root_view_id: str | None = None,
        previous_view_id: str | None = None,
    ) -> None:
        self.id = view_id
        self.user = user
        self.workspace = user.workspace
        self.root_view_id = root_view_id or view_id
        self.previous_view_id = previous_view_id
        self.closed = False
        self.updates = 0
        # block_id -> action_id -> state value, for selections made in the view
        self.selections: dict[str, dict[str, dict[str, Any]]] = {}
        self.definition: dict[str, Any] = {}
        self.hash = ""
        self.apply(definition, count=False)

    def __repr__(self) -> str:
        return f"<FakeView {self.type} {self.id} {self.callback_id!r} for {self.user.name}>"

    def apply(self, definition: dict[str, Any], *, count: bool = True) -> None:
        """Replace the view's contents (views.update, response_action update)."""
        self.definition = definition
        self.hash = f"{int(time.time())}.{secrets.token_urlsafe(6)}"
        self.selections = {}
        if count:
            self.updates += 1

    @property
    def type(self) -> str:
        """ "modal" or "home"."""
        return str(self.definition.get("type", ""))

    @property
    def callback_id(self) -> str:
        """The app's name for this view ("" if none)."""
        return str(self.definition.get("callback_id") or "")

    @property
    def private_metadata(self) -> str:
        """What the app stored in the view ("" if none)."""
        return str(self.definition.get("private_metadata") or "")

    @property
    def external_id(self) -> str:
        """The app's unique id for this view ("" if none)."""
        return str(self.definition.get("external_id") or "")

    @property
    def title(self) -> str:
        """The modal's title text ("" for Home tabs)."""
        title = self.definition.get("title") or {}
        return str(title.get("text", "")) if isinstance(title, dict) else ""

    @property
    def blocks(self) -> list[dict[str, Any]]:
        """The view's blocks."""
        blocks = self.definition.get("blocks")
        return blocks if isinstance(blocks, list) else []

    @property
    def has_submit(self) -> bool:
        """Whether the modal shows a submit button."""
        return isinstance(self.definition.get("submit"), dict)

    def visible_text(self) -> str:
        """Every text the member reads in the view, one per line (headers, section texts and
        fields, context, button labels, input labels and hints), in block order."""
        return "\n".join(visible_lines(self.blocks))

    def action_ids(self) -> list[str]:
        """action_ids of the interactive elements (inputs included), in order."""
        return [e.get("action_id", "") for _, e in interactive_elements(self.blocks)]

    def input_block_ids(self) -> list[str]:
        """block_ids of the input blocks, in order (what `submit` values are keyed by)."""
        return [str(b.get("block_id", "")) for b in input_blocks(self.blocks)]

    def payload(self, state_values: dict[str, Any] | None = None) -> dict[str, Any]:
        """The view object Slack sends (views.* answers, block_actions, view_submission)."""
        definition = self.definition
        values = state_values if state_values is not None else self.selections
        data: dict[str, Any] = {
            "id": self.id,
            "team_id": self.workspace.id,
            "type": self.type,
            "blocks": self.blocks,
            "private_metadata": self.private_metadata,
            "callback_id": self.callback_id,
            "state": {"values": values},
            "hash": self.hash,
            "title": definition.get("title")
            or {"type": "plain_text", "text": "View Title", "emoji": True},
            "clear_on_close": bool(definition.get("clear_on_close", False)),
            "notify_on_close": bool(definition.get("notify_on_close", False)),
            "close": definition.get("close"),
            "submit": definition.get("submit"),
            "previous_view_id": self.previous_view_id,
            "root_view_id": self.root_view_id,
            "app_id": self.workspace.fake.app_id,
            "external_id": self.external_id,
            "app_installed_team_id": self.workspace.id,
            "bot_id": self.workspace.bot_id,
        }
        if self.type == "modal":
            data["submit_disabled"] = bool(definition.get("submit_disabled", False))
        return data


@dataclass
class ApiCall:
    """One Web API call as the fake received it, and how it answered."""

    method: str
    token: str | None
    args: dict[str, Any]
    workspace: FakeWorkspace | None
    status: int = 200
    ok: bool = True
    error: str | None = None

    def __repr__(self) -> str:
        outcome = "ok" if self.ok else f"{self.status} {self.error}"
        team = self.workspace.name if self.workspace else None
        return f"<ApiCall {self.method} {outcome} team={team!r}>"


class FakeAction:
    """One request a member's gesture sent to the app (a slash command, a click, a
    selection, a modal submission or closing, opening the Home tab) and what came of it.

    `kind` is the Socket Mode envelope type ("slash_commands", "interactive",
    "events_api"); `payload` what the app received; `via` "http" or "socket".
    `ack_status` is the HTTP status of the app's answer (200 for a Socket Mode ack), None
    while unanswered; `ack_body` the answer parsed (JSON object, or text; None when empty):
    ack("text") arrives as "text" over HTTP but as {"text": ...} over Socket Mode.
    `expired`: no ack within the deadline (recorded in the fake's errors).
    `messages`: every message the request led to, in order: the slash ack's message,
    response_url posts, replacements (the replaced message again). `views`: views opened or
    pushed with its trigger_id, views its view_submission ack updated or pushed, and views
    updated (views.update) after a click in them. `view_errors` and `response_action`: how
    the app answered a view_submission."""

    def __init__(
        self,
        *,
        kind: str,
        label: str,
        user: FakeUser,
        payload: dict[str, Any],
        channel: FakeChannel | None = None,
        trigger_id: str | None = None,
        response_url: str | None = None,
        source: FakeMessage | FakeView | None = None,
    ) -> None:
        self.kind = kind
        self.label = label
        self.user = user
        self.workspace = user.workspace
        self.channel = channel
        self.payload = payload
        self.trigger_id = trigger_id
        self.response_url = response_url
        self.source = source
        # The conversation it happened in (a channel id, or a DM id), if any.
        self.channel_id: str | None = channel.id if channel is not None else None
        # Its response_url's bookkeeping (fakes.slack_api.Hook), if it has one.
        self.hook: Any = None
        self.envelope_id: str | None = None
        self.via: str | None = None  # "http" or "socket"
        self.sent_at = 0.0
        self.ack_latency: float | None = None
        self.expired = False
        self.ack_status: int | None = None
        self.ack_body: Any = None
        self.acked = asyncio.Event()
        self.messages: list[FakeMessage] = []
        self.views: list[FakeView] = []
        # A view_submission answered with response_action "errors": {block_id: message}.
        self.view_errors: dict[str, str] | None = None
        self.response_action: str | None = None
        self.changed = Signal()

    def __repr__(self) -> str:
        return (
            f"<FakeAction {self.label} via={self.via} status={self.ack_status} "
            f"expired={self.expired} messages={len(self.messages)} views={len(self.views)}>"
        )

    def add_message(self, message: FakeMessage) -> None:
        """Record a message (or a replacement of one) this request led to."""
        self.messages.append(message)
        self.changed.fire()

    def add_view(self, view: FakeView) -> None:
        """Record a view this request opened, pushed or updated."""
        self.views.append(view)
        self.changed.fire()

    async def wait_messages(self, count: int, timeout: float = 5) -> list[FakeMessage]:
        """Wait until this request led to `count` messages; return them."""
        await self.changed.wait_until(
            lambda: len(self.messages) >= count,
            timeout,
            f"{count} message(s) from {self.label} (have {self.messages})",
        )
        return list(self.messages)

    async def wait_views(self, count: int, timeout: float = 5) -> list[FakeView]:
        """Wait until this request opened/pushed/updated `count` views; return them."""
        await self.changed.wait_until(
            lambda: len(self.views) >= count,
            timeout,
            f"{count} view(s) from {self.label} (have {self.views})",
        )
        return list(self.views)
