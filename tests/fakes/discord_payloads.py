"""Pure helpers of the loopback fake Discord: snowflakes, constants and the validation
rules Discord applies to what a bot sends (messages, components, modals, commands).

Everything here is plain data in, plain data out, so the rules can be unit-tested and read
in one place. The limits are Discord's documented ones (message content 2000 characters,
10 embeds of 6000 characters in total, 5 action rows of 5 buttons, modals of 5 components,
commands of 25 options ...).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

DISCORD_EPOCH_MS = 1_420_070_400_000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
CREATE_INSTANT_INVITE = 1 << 0
KICK_MEMBERS = 1 << 1
ADMINISTRATOR = 1 << 3
MANAGE_CHANNELS = 1 << 4
MANAGE_GUILD = 1 << 5
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
SPEAK = 1 << 21
CHANGE_NICKNAME = 1 << 26
MANAGE_ROLES = 1 << 28
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
# What Discord reports for an owner or an administrator (every bit it knows today).
ALL_PERMISSIONS = (1 << 53) - 1
# A new server's @everyone role.
EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | MENTION_EVERYONE
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | SPEAK
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
# The managed role a bot gets when it is invited with the usual "send messages" scope.
BOT_ROLE_PERMISSIONS = (
    VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY | USE_EXTERNAL_EMOJIS
)
# What the bot may do in its direct messages with a user (`app_permissions` of a click there).
DM_APP_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_EXTERNAL_EMOJIS
)

# Message flags.
SUPPRESS_EMBEDS = 1 << 2
EPHEMERAL = 1 << 6
LOADING = 1 << 7
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_VOICE_MESSAGE = 1 << 13
IS_COMPONENTS_V2 = 1 << 15
SENDABLE_FLAGS = (
    SUPPRESS_EMBEDS | EPHEMERAL | SUPPRESS_NOTIFICATIONS | IS_VOICE_MESSAGE | IS_COMPONENTS_V2
)

# Gateway intents the fake looks at.
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MESSAGES = 1 << 9

# Interaction types and interaction callback types.
PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
CHANNEL_MESSAGE = 4
DEFERRED_CHANNEL_MESSAGE = 5
DEFERRED_UPDATE_MESSAGE = 6
UPDATE_MESSAGE = 7
AUTOCOMPLETE_RESULT = 8
MODAL = 9

# Component types.
ACTION_ROW, BUTTON, STRING_SELECT, TEXT_INPUT = 1, 2, 3, 4
USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT = 5, 6, 7, 8
SECTION, TEXT_DISPLAY, THUMBNAIL, MEDIA_GALLERY, FILE, SEPARATOR = 9, 10, 11, 12, 13, 14
CONTAINER, LABEL, FILE_UPLOAD = 17, 18, 19
RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX = 21, 22, 23
SELECT_TYPES = frozenset(
    {STRING_SELECT, USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT}
)
INTERACTIVE_TYPES = SELECT_TYPES | {BUTTON}
LINK_BUTTON, PREMIUM_BUTTON = 5, 6

# Application command option types.
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
OPT_STRING, OPT_INTEGER, OPT_BOOLEAN, OPT_USER, OPT_CHANNEL = 3, 4, 5, 6, 7
OPT_ROLE, OPT_MENTIONABLE, OPT_NUMBER, OPT_ATTACHMENT = 8, 9, 10, 11

ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class SnowflakeFactory:
    """Discord-style ids: milliseconds since 2015 in the top 42 bits, then worker, process
    and a per-millisecond counter, so ids are unique, increase and carry their creation
    time. `own_millisecond` ids (the fake's guilds) never share a millisecond, so guilds
    made one after another spread over shards as real ones do; `on_shard` picks one."""

    def __init__(self) -> None:
        self._last_ms = 0
        self._increment = 0

    def next(self, *, own_millisecond: bool = False) -> int:
        """A new id."""
        now_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        if own_millisecond and self._last_ms:
            # The millisecond after the last id, whatever the clock: back-to-back guilds
            # alternate shards deterministically (and a guild predating the bot is normal).
            self._last_ms, self._increment = self._last_ms + 1, 0
        elif now_ms > self._last_ms:
            self._last_ms, self._increment = now_ms, 0
        else:
            self._increment += 1
            if self._increment > 0xFFF:
                self._last_ms, self._increment = self._last_ms + 1, 0
        return (self._last_ms << 22) | (1 << 17) | (1 << 12) | self._increment

    def on_shard(self, shard_id: int, shard_count: int) -> int:
        """A new id of a guild whose events go to `shard_id` of `shard_count`."""
        if not 0 <= shard_id < shard_count:
            raise ValueError(f"shard {shard_id} is not in 0..{shard_count - 1}")
        candidate = self.next(own_millisecond=True)
        while shard_of(candidate, shard_count) != shard_id:
            self._last_ms += 1
            self._increment = 0
            candidate = (self._last_ms << 22) | (1 << 17) | (1 << 12)
        return candidate


def snowflake_time(snowflake: int) -> datetime:
    """When a snowflake was made."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)


def iso(moment: datetime) -> str:
    """Discord's timestamp format."""
    return moment.isoformat(timespec="microseconds")


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard that receives a guild's events."""
    return (guild_id >> 22) % shard_count


# -- mentions -------------------------------------------------------------------------------


def allowed_mentions_problem(body: dict[str, Any], *, required: bool) -> str | None:
    """Why the message's `allowed_mentions` could let member text ping someone, if it could.

    `required` is True for messages whose mentions would notify (new messages, filled
    deferrals, new content); there a missing `allowed_mentions` means Discord parses every
    mention in the content, `@everyone` included."""
    mentions = body.get("allowed_mentions")
    if mentions is None:
        return (
            "sent without allowed_mentions (Discord then parses every mention)"
            if required
            else None
        )
    if not isinstance(mentions, dict):
        return f"allowed_mentions is not an object: {mentions!r}"
    if mentions.get("parse"):
        return f"allowed_mentions parses {mentions['parse']!r}"
    if mentions.get("users") or mentions.get("roles"):
        return f"allowed_mentions allows ids {mentions.get('users') or mentions.get('roles')!r}"
    if mentions.get("replied_user"):
        return "allowed_mentions pings the replied-to user"
    return None


# -- component walking ----------------------------------------------------------------------


def walk_components(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Every component, depth first (rows, sections' accessories, containers, labels)."""
    for component in components:
        yield component
        yield from walk_components(component.get("components") or [])
        for key in ("accessory", "component"):
            child = component.get(key)
            if isinstance(child, dict):
                yield from walk_components([child])


def interactive_custom_ids(components: list[dict[str, Any]]) -> list[str]:
    """custom_ids of the buttons and selects a member could use, in order."""
    return [
        c["custom_id"]
        for c in walk_components(components)
        if c.get("type") in INTERACTIVE_TYPES and "custom_id" in c
    ]


def find_component(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any] | None:
    """The interactive component with this custom_id, if the components hold one."""
    for component in walk_components(components):
        if component.get("type") in INTERACTIVE_TYPES and component.get("custom_id") == custom_id:
            return component
    return None


def number_components(components: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A copy with Discord's numeric component `id`s filled in where the bot left them out."""
    copied: list[dict[str, Any]] = _deep_copy(components)
    taken = {c["id"] for c in walk_components(copied) if isinstance(c.get("id"), int)}
    next_id = 1
    for component in walk_components(copied):
        if not isinstance(component.get("id"), int):
            while next_id in taken:
                next_id += 1
            component["id"] = next_id
            taken.add(next_id)
    return copied


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


# -- message validation -----------------------------------------------------------------------


def _length_problem(path: str, value: Any, low: int, high: int) -> str | None:
    if not isinstance(value, str):
        return f"{path} must be a string, got {type(value).__name__}"
    if not low <= len(value) <= high:
        return f"{path} must be {low}-{high} characters long, is {len(value)}"
    return None


def embed_problems(embeds: Any) -> list[str]:
    """Discord's embed limits."""
    if not isinstance(embeds, list):
        return ["embeds must be a list"]
    problems: list[str] = []
    if len(embeds) > 10:
        problems.append(f"embeds: at most 10 embeds, got {len(embeds)}")
    total = 0
    for index, embed in enumerate(embeds):
        where = f"embeds[{index}]"
        if not isinstance(embed, dict):
            problems.append(f"{where} must be an object")
            continue
        for key, limit in (("title", 256), ("description", 4096)):
            if embed.get(key) is not None:
                problem = _length_problem(f"{where}.{key}", embed[key], 0, limit)
                problems += [problem] if problem else []
                total += len(str(embed[key]))
        fields = embed.get("fields") or []
        if len(fields) > 25:
            problems.append(f"{where}.fields: at most 25 fields, got {len(fields)}")
        for number, embed_field in enumerate(fields):
            name_problem = _length_problem(
                f"{where}.fields[{number}].name", embed_field.get("name"), 1, 256
            )
            value_problem = _length_problem(
                f"{where}.fields[{number}].value", embed_field.get("value"), 1, 1024
            )
            problems += [p for p in (name_problem, value_problem) if p]
            total += len(str(embed_field.get("name", ""))) + len(str(embed_field.get("value", "")))
        for key, inner, limit in (("footer", "text", 2048), ("author", "name", 256)):
            part = embed.get(key)
            if isinstance(part, dict) and part.get(inner) is not None:
                problem = _length_problem(f"{where}.{key}.{inner}", part[inner], 1, limit)
                problems += [problem] if problem else []
                total += len(str(part[inner]))
    if total > 6000:
        problems.append(f"embeds: at most 6000 characters in total, got {total}")
    return problems


def _interactive_problems(component: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    kind = component.get("type")
    if kind == BUTTON:
        style = component.get("style")
        if style not in (1, 2, 3, 4, LINK_BUTTON, PREMIUM_BUTTON):
            problems.append(f"{where}: unknown button style {style!r}")
        if style == LINK_BUTTON:
            if not component.get("url") or "custom_id" in component:
                problems.append(f"{where}: a link button needs a url and no custom_id")
        elif style != PREMIUM_BUTTON and "custom_id" not in component:
            problems.append(f"{where}: a button needs a custom_id")
        if component.get("label") is not None:
            problem = _length_problem(f"{where}.label", component["label"], 0, 80)
            problems += [problem] if problem else []
        if not component.get("label") and not component.get("emoji") and style != PREMIUM_BUTTON:
            problems.append(f"{where}: a button needs a label or an emoji")
    else:
        if "custom_id" not in component:
            problems.append(f"{where}: a select needs a custom_id")
        low, high = component.get("min_values", 1), component.get("max_values", 1)
        if not (0 <= low <= 25 and 1 <= high <= 25 and low <= high):
            problems.append(f"{where}: bad min_values/max_values {low}/{high}")
        if kind == STRING_SELECT:
            options = component.get("options") or []
            if not 1 <= len(options) <= 25:
                problems.append(f"{where}: a string select needs 1-25 options, got {len(options)}")
            values = [o.get("value") for o in options]
            if len(set(values)) != len(values):
                problems.append(f"{where}: option values must be unique")
            for number, option in enumerate(options):
                for key in ("label", "value"):
                    problem = _length_problem(
                        f"{where}.options[{number}].{key}", option.get(key), 1, 100
                    )
                    problems += [problem] if problem else []
        if component.get("placeholder") is not None:
            problem = _length_problem(f"{where}.placeholder", component["placeholder"], 0, 150)
            problems += [problem] if problem else []
    if "custom_id" in component:
        problem = _length_problem(f"{where}.custom_id", component["custom_id"], 1, 100)
        problems += [problem] if problem else []
    return problems


def _row_problems(row: dict[str, Any], where: str) -> list[str]:
    children = row.get("components") or []
    if not children:
        return [f"{where}: an action row needs at least one component"]
    problems: list[str] = []
    kinds = [c.get("type") for c in children]
    if any(kind in SELECT_TYPES for kind in kinds):
        if len(children) != 1:
            problems.append(f"{where}: a select must be alone in its action row")
    elif any(kind != BUTTON for kind in kinds):
        problems.append(f"{where}: a message action row holds buttons or one select, got {kinds}")
    elif len(children) > 5:
        problems.append(f"{where}: at most 5 buttons per action row, got {len(children)}")
    for index, child in enumerate(children):
        if child.get("type") in INTERACTIVE_TYPES:
            problems += _interactive_problems(child, f"{where}.components[{index}]")
    return problems


def _v2_problems(components: list[dict[str, Any]], where: str) -> list[str]:
    problems: list[str] = []
    allowed = {ACTION_ROW, SECTION, TEXT_DISPLAY, MEDIA_GALLERY, FILE, SEPARATOR, CONTAINER}
    for index, component in enumerate(components):
        here = f"{where}[{index}]"
        kind = component.get("type")
        if kind not in allowed:
            problems.append(f"{here}: component type {kind!r} is not allowed at this level")
        elif kind == ACTION_ROW:
            problems += _row_problems(component, here)
        elif kind == TEXT_DISPLAY:
            problem = _length_problem(f"{here}.content", component.get("content"), 1, 4000)
            problems += [problem] if problem else []
        elif kind == SECTION:
            accessory = component.get("accessory")
            if not isinstance(accessory, dict) or accessory.get("type") not in (BUTTON, THUMBNAIL):
                problems.append(f"{here}: a section needs a button or thumbnail accessory")
            elif accessory.get("type") == BUTTON:
                problems += _interactive_problems(accessory, f"{here}.accessory")
            texts = component.get("components") or []
            if not 1 <= len(texts) <= 3 or any(t.get("type") != TEXT_DISPLAY for t in texts):
                problems.append(f"{here}: a section holds 1-3 text displays")
        elif kind == CONTAINER:
            problems += _v2_problems(component.get("components") or [], f"{here}.components")
    return problems


def component_problems(components: Any, *, flags: int) -> list[str]:
    """Discord's rules for message components (classic action rows, or Components V2)."""
    if not isinstance(components, list):
        return ["components must be a list"]
    problems: list[str] = []
    if flags & IS_COMPONENTS_V2:
        problems += _v2_problems(components, "components")
        total = sum(1 for _ in walk_components(components))
        if total > 40:
            problems.append(f"components: at most 40 components in total, got {total}")
    else:
        if len(components) > 5:
            problems.append(f"components: at most 5 action rows, got {len(components)}")
        for index, row in enumerate(components):
            if row.get("type") != ACTION_ROW:
                problems.append(
                    f"components[{index}]: type {row.get('type')!r} needs the IS_COMPONENTS_V2 flag"
                )
            else:
                problems += _row_problems(row, f"components[{index}]")
    custom_ids = [c["custom_id"] for c in walk_components(components) if "custom_id" in c]
    duplicates = sorted({i for i in custom_ids if custom_ids.count(i) > 1})
    if duplicates:
        problems.append(
            f"components: custom_ids must be unique in a message, repeated {duplicates}"
        )
    return problems


def message_problems(body: dict[str, Any], *, creating: bool, current_flags: int = 0) -> list[str]:
    """Why Discord would answer 400 Invalid Form Body to this message (create or edit;
    `current_flags` are the edited message's, which keep it Components V2)."""
    problems: list[str] = []
    content = body.get("content")
    if content is not None:
        problem = _length_problem("content", content, 0, 2000)
        problems += [problem] if problem else []
    if body.get("embeds") is not None:
        problems += embed_problems(body["embeds"])
    if body.get("embed") is not None:
        problems.append("embed: the API takes a list named embeds")
    flags = body.get("flags") or 0
    if not isinstance(flags, int) or flags & ~SENDABLE_FLAGS:
        problems.append(f"flags: only {SENDABLE_FLAGS} may be set, got {flags!r}")
        flags = 0
    flags |= current_flags & IS_COMPONENTS_V2
    if body.get("components") is not None:
        problems += component_problems(body["components"], flags=flags)
    if flags & IS_COMPONENTS_V2 and (body.get("content") or body.get("embeds")):
        problems.append("a message with IS_COMPONENTS_V2 cannot have content or embeds")
    if creating and body.get("tts"):
        problems.append("tts: the product never sends text-to-speech")
    return problems


def is_empty_message(body: dict[str, Any], files: int = 0) -> bool:
    """Whether a new message would show nothing (Discord: 50006 Cannot send an empty message)."""
    return not (
        body.get("content")
        or body.get("embeds")
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
        or files
    )


# -- uploads ----------------------------------------------------------------------------------

FILES_MAX = 10
_FILE_FIELD = re.compile(r"^files\[(\d+)\]$")
# Ids below this are upload indexes (`files[n]`); attachments already stored have snowflakes.
_UPLOAD_INDEX_MAX = 1 << 22


def message_part(body: Any) -> dict[str, Any]:
    """The message a request body carries: an interaction callback's `data`, else the body."""
    if not isinstance(body, dict):
        return {}
    inner = body.get("data")
    return inner if "type" in body and isinstance(inner, dict) else body


def upload_problems(body: dict[str, Any], files: list[dict[str, Any]]) -> list[str]:
    """Why Discord would refuse the files of a multipart request (besides their size): each
    is a `files[n]` part, at most 10, and every new entry in the payload's `attachments` names
    an uploaded index."""
    problems: list[str] = []
    if len(files) > FILES_MAX:
        problems.append(f"files: at most {FILES_MAX} files, got {len(files)}")
    indexes: set[int] = set()
    for file in files:
        found = _FILE_FIELD.match(str(file.get("field") or ""))
        if found is None:
            problems.append(f"file part {file.get('field')!r} is not named files[n]")
        elif int(found[1]) in indexes:
            problems.append(f"file part {file['field']} appears twice")
        else:
            indexes.add(int(found[1]))
    for entry in body.get("attachments") or []:
        raw = entry.get("id") if isinstance(entry, dict) else None
        number = int(raw) if isinstance(raw, int | str) and str(raw).isdigit() else None
        if number is None:
            problems.append(f"attachments: entry {entry!r} has no id")
        elif number < _UPLOAD_INDEX_MAX and number not in indexes:
            problems.append(f"attachments: id {number} names files[{number}], not uploaded")
    return problems


def upload_index(file: dict[str, Any]) -> int | None:
    """The n of a `files[n]` part."""
    found = _FILE_FIELD.match(str(file.get("field") or ""))
    return int(found[1]) if found else None


def embed_image_problems(body: dict[str, Any], filenames: set[str]) -> list[str]:
    """`attachment://` images of the message's embeds that name no attachment it has (Discord
    shows no image: the member sees a hole where the chart should be)."""
    problems: list[str] = []
    for index, embed in enumerate(body.get("embeds") or []):
        for key in ("image", "thumbnail"):
            url = str(((embed or {}).get(key) or {}).get("url") or "")
            named = url.removeprefix("attachment://")
            if named != url and named not in filenames:
                problems.append(f"embeds[{index}].{key}: {url} names no attachment of the message")
    return problems


# -- modals -----------------------------------------------------------------------------------


def _text_input_problems(component: dict[str, Any], where: str, *, in_label: bool) -> list[str]:
    problems: list[str] = []
    problem = _length_problem(f"{where}.custom_id", component.get("custom_id"), 1, 100)
    problems += [problem] if problem else []
    if component.get("style") not in (1, 2):
        problems.append(f"{where}: text input style must be 1 or 2")
    if not in_label:
        problem = _length_problem(f"{where}.label", component.get("label"), 1, 45)
        problems += [problem] if problem else []
    low, high = component.get("min_length", 0), component.get("max_length", 4000)
    if not (0 <= low <= 4000 and 1 <= high <= 4000 and low <= high):
        problems.append(f"{where}: bad min_length/max_length {low}/{high}")
    for key, limit in (("value", 4000), ("placeholder", 100)):
        if component.get(key) is not None:
            problem = _length_problem(f"{where}.{key}", component[key], 0, limit)
            problems += [problem] if problem else []
    return problems


def modal_problems(data: Any) -> list[str]:
    """Discord's rules for a modal (custom_id, title, 1-5 rows or labels of inputs)."""
    if not isinstance(data, dict):
        return ["a modal needs data"]
    problems: list[str] = []
    for key, high in (("custom_id", 100), ("title", 45)):
        problem = _length_problem(key, data.get(key), 1, high)
        problems += [problem] if problem else []
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        problems.append(f"components: a modal holds 1-5 components, got {len(components)}")
    for index, component in enumerate(components):
        where = f"components[{index}]"
        kind = component.get("type")
        if kind == ACTION_ROW:
            inner = component.get("components") or []
            if len(inner) != 1 or inner[0].get("type") != TEXT_INPUT:
                problems.append(f"{where}: a modal action row holds exactly one text input")
            else:
                problems += _text_input_problems(inner[0], f"{where}.components[0]", in_label=False)
        elif kind == LABEL:
            problem = _length_problem(f"{where}.label", component.get("label"), 1, 45)
            problems += [problem] if problem else []
            raw_inner = component.get("component")
            wrapped: dict[str, Any] = raw_inner if isinstance(raw_inner, dict) else {}
            inner_kind = wrapped.get("type")
            if inner_kind == TEXT_INPUT:
                problems += _text_input_problems(wrapped, f"{where}.component", in_label=True)
            elif inner_kind in SELECT_TYPES:
                problems += _interactive_problems(wrapped, f"{where}.component")
            elif inner_kind in (RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX):
                custom_id = wrapped.get("custom_id")
                problem = _length_problem(f"{where}.component.custom_id", custom_id, 1, 100)
                problems += [problem] if problem else []
            elif inner_kind != FILE_UPLOAD:
                problems.append(
                    f"{where}: a label wraps a text input, select, radio group, checkbox or file upload"
                )
        elif kind != TEXT_DISPLAY:
            problems.append(f"{where}: type {kind!r} cannot be in a modal")
    custom_ids = [c["custom_id"] for c in walk_components(components) if "custom_id" in c]
    if len(set(custom_ids)) != len(custom_ids):
        problems.append("components: custom_ids must be unique in a modal")
    return problems


def modal_inputs(modal: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(top-level component, input) pairs of a modal's fillable inputs, in order."""
    pairs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for component in modal.get("components") or []:
        if component.get("type") == ACTION_ROW:
            pairs += [(component, inner) for inner in component.get("components") or []]
        elif component.get("type") == LABEL and isinstance(component.get("component"), dict):
            pairs.append((component, component["component"]))
    return pairs


# -- application commands ---------------------------------------------------------------------

_CHAT_NAME = re.compile(r"^[-_'\w]{1,32}$")


def _name_problem(where: str, name: Any) -> str | None:
    if not isinstance(name, str) or not _CHAT_NAME.match(name):
        return f"{where}.name {name!r} must be 1-32 word characters, dashes or underscores"
    if name != name.lower():
        return f"{where}.name {name!r} must be lower case"
    return None


def _option_problems(options: Any, where: str, depth: int) -> list[str]:
    if not isinstance(options, list):
        return [f"{where}.options must be a list"]
    problems: list[str] = []
    if len(options) > 25:
        problems.append(f"{where}: at most 25 options, got {len(options)}")
    names = [o.get("name") for o in options]
    if len(set(names)) != len(names):
        problems.append(f"{where}: option names must be unique, got {names}")
    seen_optional = False
    for index, option in enumerate(options):
        here = f"{where}.options[{index}]"
        kind = option.get("type")
        name_problem = _name_problem(here, option.get("name"))
        problems += [name_problem] if name_problem else []
        problem = _length_problem(f"{here}.description", option.get("description"), 1, 100)
        problems += [problem] if problem else []
        if kind in (SUB_COMMAND, SUB_COMMAND_GROUP):
            if depth >= (1 if kind == SUB_COMMAND_GROUP else 2):
                problems.append(f"{here}: subcommands nest at most command > group > subcommand")
            problems += _option_problems(option.get("options") or [], here, depth + 1)
            continue
        if kind not in range(3, 12):
            problems.append(f"{here}: unknown option type {kind!r}")
        if option.get("required"):
            if seen_optional:
                problems.append(f"{here}: required options must come before optional ones")
        else:
            seen_optional = True
        choices = option.get("choices")
        if choices:
            if option.get("autocomplete"):
                problems.append(f"{here}: choices and autocomplete are exclusive")
            if len(choices) > 25:
                problems.append(f"{here}: at most 25 choices, got {len(choices)}")
            for number, choice in enumerate(choices):
                choice_problem = _length_problem(
                    f"{here}.choices[{number}].name", choice.get("name"), 1, 100
                )
                problems += [choice_problem] if choice_problem else []
    return problems


def command_problems(commands: Any) -> list[str]:
    """Discord's rules for a bulk overwrite of application commands."""
    if not isinstance(commands, list):
        return ["the body must be a list of commands"]
    problems: list[str] = []
    keys = [(c.get("type", 1), c.get("name")) for c in commands]
    if len(set(keys)) != len(keys):
        problems.append("command names must be unique per command type")
    if sum(1 for kind, _ in keys if kind == 1) > 100:
        problems.append("at most 100 slash commands")
    for index, command in enumerate(commands):
        where = f"[{index}]"
        kind = command.get("type", 1)
        if kind == 1:
            name_problem = _name_problem(where, command.get("name"))
            problems += [name_problem] if name_problem else []
            problem = _length_problem(f"{where}.description", command.get("description"), 1, 100)
            problems += [problem] if problem else []
            problems += _option_problems(command.get("options") or [], where, 0)
        elif kind in (2, 3):
            problem = _length_problem(f"{where}.name", command.get("name"), 1, 32)
            problems += [problem] if problem else []
            if command.get("description"):
                problems.append(f"{where}: user and message commands take no description")
        else:
            problems.append(f"{where}: unknown command type {kind!r}")
    return problems
