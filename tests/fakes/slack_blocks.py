"""Block Kit as Slack checks it: every message, ack body, response_url post and view the app
sends is validated here, the way Slack's API rejects it (invalid_blocks /
invalid_arguments). Also the walkers members' eyes use: visible text, interactive elements.

Limits are Slack's documented ones: 50 blocks per message, 100 per view; text objects
{type: plain_text|mrkdwn, text} of 1..3000 characters; section text 3000, fields at most
10 of 2000; header 150; button text 75, value 2000, url 3000; action_id and block_id 255
(block_ids unique within the message or view, action_ids within their block, which is
what Slack enforces: the same action_id may recur in different blocks, as view state is keyed
by block_id then action_id); static_select at most 100 options (text 75, value
150); modal title, submit and close 24; private_metadata 3000; callback_id 255;
plain_text_input max_length at most 3000. Properties Slack does not know are refused
("invalid additional property"), as Slack does. Input blocks belong to modals and Home
tabs, not messages."""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Iterator
from typing import Any

MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
TEXT_LIMIT = 3000

TEXT_TYPES = ("plain_text", "mrkdwn")

SELECTS = (
    "static_select",
    "external_select",
    "users_select",
    "conversations_select",
    "channels_select",
)
MULTI_SELECTS = tuple(f"multi_{s}" for s in SELECTS)
TEXT_INPUTS = (
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
    "rich_text_input",
)
PICKERS = ("datepicker", "timepicker", "datetimepicker")

SECTION_ACCESSORIES = frozenset(
    {"button", "checkboxes", "image", "overflow", "radio_buttons", "workflow_button"}
    | set(SELECTS)
    | set(MULTI_SELECTS)
    | {"datepicker", "timepicker"}
)
ACTIONS_ELEMENTS = frozenset(
    {"button", "checkboxes", "overflow", "radio_buttons", "rich_text_input", "workflow_button"}
    | set(SELECTS)
    | set(MULTI_SELECTS)
    | set(PICKERS)
)
INPUT_ELEMENTS = frozenset(
    {"checkboxes", "radio_buttons", "file_input"}
    | set(SELECTS)
    | set(MULTI_SELECTS)
    | set(PICKERS)
    | set(TEXT_INPUTS)
)
# Elements a member interacts with (they carry an action_id).
INTERACTIVE = (SECTION_ACCESSORIES | ACTIONS_ELEMENTS | INPUT_ELEMENTS) - {"image"}

_COMMON_SELECT = {"type", "action_id", "placeholder", "confirm", "focus_on_load"}
ELEMENT_KEYS: dict[str, set[str]] = {
    "button": {
        "type",
        "text",
        "action_id",
        "url",
        "value",
        "style",
        "confirm",
        "accessibility_label",
    },
    "static_select": _COMMON_SELECT | {"options", "option_groups", "initial_option"},
    "multi_static_select": _COMMON_SELECT
    | {"options", "option_groups", "initial_options", "max_selected_items"},
    "external_select": _COMMON_SELECT | {"initial_option", "min_query_length"},
    "multi_external_select": _COMMON_SELECT
    | {"initial_options", "min_query_length", "max_selected_items"},
    "users_select": _COMMON_SELECT | {"initial_user"},
    "multi_users_select": _COMMON_SELECT | {"initial_users", "max_selected_items"},
    "conversations_select": _COMMON_SELECT
    | {"initial_conversation", "default_to_current_conversation", "filter", "response_url_enabled"},
    "multi_conversations_select": _COMMON_SELECT
    | {"initial_conversations", "default_to_current_conversation", "filter", "max_selected_items"},
    "channels_select": _COMMON_SELECT | {"initial_channel", "response_url_enabled"},
    "multi_channels_select": _COMMON_SELECT | {"initial_channels", "max_selected_items"},
    "overflow": {"type", "action_id", "options", "confirm"},
    "datepicker": _COMMON_SELECT | {"initial_date"},
    "timepicker": _COMMON_SELECT | {"initial_time", "timezone"},
    "datetimepicker": {"type", "action_id", "initial_date_time", "confirm", "focus_on_load"},
    "checkboxes": {"type", "action_id", "options", "initial_options", "confirm", "focus_on_load"},
    "radio_buttons": {"type", "action_id", "options", "initial_option", "confirm", "focus_on_load"},
    "plain_text_input": {
        "type",
        "action_id",
        "placeholder",
        "initial_value",
        "multiline",
        "min_length",
        "max_length",
        "dispatch_action_config",
        "focus_on_load",
    },
    "email_text_input": {
        "type",
        "action_id",
        "placeholder",
        "initial_value",
        "dispatch_action_config",
        "focus_on_load",
    },
    "url_text_input": {
        "type",
        "action_id",
        "placeholder",
        "initial_value",
        "dispatch_action_config",
        "focus_on_load",
    },
    "number_input": {
        "type",
        "action_id",
        "placeholder",
        "initial_value",
        "is_decimal_allowed",
        "min_value",
        "max_value",
        "dispatch_action_config",
        "focus_on_load",
    },
    "rich_text_input": {
        "type",
        "action_id",
        "placeholder",
        "initial_value",
        "dispatch_action_config",
        "focus_on_load",
    },
    "file_input": {"type", "action_id", "filetypes", "max_files"},
    "workflow_button": {"type", "text", "workflow", "action_id", "style", "accessibility_label"},
    "image": {"type", "image_url", "slack_file", "alt_text"},
}

BLOCK_KEYS: dict[str, set[str]] = {
    "section": {"type", "block_id", "text", "fields", "accessory", "expand"},
    "divider": {"type", "block_id"},
    "header": {"type", "block_id", "text"},
    "context": {"type", "block_id", "elements"},
    "actions": {"type", "block_id", "elements"},
    "image": {"type", "block_id", "image_url", "slack_file", "alt_text", "title"},
    "input": {"type", "block_id", "label", "element", "dispatch_action", "hint", "optional"},
    "rich_text": {"type", "block_id", "elements"},
    "markdown": {"type", "block_id", "text"},
    "video": {
        "type",
        "block_id",
        "alt_text",
        "author_name",
        "description",
        "provider_icon_url",
        "provider_name",
        "title",
        "title_url",
        "thumbnail_url",
        "video_url",
    },
    "file": {"type", "block_id", "external_id", "source"},
}
MESSAGE_ONLY_BLOCKS = frozenset({"markdown", "file"})
MODAL_KEYS = {
    "type",
    "title",
    "blocks",
    "close",
    "submit",
    "private_metadata",
    "callback_id",
    "clear_on_close",
    "notify_on_close",
    "external_id",
    "submit_disabled",
}
HOME_KEYS = {"type", "blocks", "private_metadata", "callback_id", "external_id"}

# What could ping a crowd: @everyone, @channel, @here (and the legacy @group), user groups.
_CROWD_MENTION = re.compile(r"<!(?:everyone|channel|here|group)(?:\|[^>]*)?>|<!subteam\^")
_LINKED_CROWD = re.compile(r"(?<![\w<])@(?:everyone|channel|here)\b")
_ID_ALPHABET = string.ascii_letters + string.digits


class _Checker:
    """Collects the problems of one message or view."""

    def __init__(self, surface: str) -> None:
        self.surface = surface  # "message", "modal" or "home"
        self.problems: list[str] = []
        self.block_ids: set[str] = set()
        self.action_ids: set[str] = set()

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def keys(self, path: str, obj: dict[str, Any], allowed: set[str]) -> None:
        for key in sorted(set(obj) - allowed):
            self.problem(path, f"invalid additional property: {key}")

    def string(
        self,
        path: str,
        value: Any,
        *,
        max_len: int,
        min_len: int = 0,
        required: bool = False,
    ) -> None:
        if value is None:
            if required:
                self.problem(path, "is required")
            return
        if not isinstance(value, str):
            self.problem(path, f"must be a string, not {type(value).__name__}")
            return
        if len(value) > max_len:
            self.problem(path, f"must be at most {max_len} characters (has {len(value)})")
        if len(value) < min_len:
            self.problem(path, f"must be at least {min_len} characters")

    def boolean(self, path: str, value: Any) -> None:
        if value is not None and not isinstance(value, bool):
            self.problem(path, "must be a boolean")

    def text(
        self,
        path: str,
        obj: Any,
        *,
        plain: bool = False,
        max_len: int = TEXT_LIMIT,
        required: bool = True,
    ) -> None:
        """A text object {type: plain_text|mrkdwn, text, emoji?, verbatim?}."""
        if obj is None:
            if required:
                self.problem(path, "is required")
            return
        if not isinstance(obj, dict):
            self.problem(path, "must be a text object {type, text}")
            return
        kind = obj.get("type")
        if kind not in TEXT_TYPES:
            self.problem(path, f"type must be plain_text or mrkdwn, not {kind!r}")
            return
        if plain and kind != "plain_text":
            self.problem(path, "must be a plain_text object")
        allowed = (
            {"type", "text", "emoji"} if kind == "plain_text" else {"type", "text", "verbatim"}
        )
        self.keys(path, obj, allowed)
        self.string(f"{path}.text", obj.get("text"), max_len=max_len, min_len=1, required=True)
        self.boolean(f"{path}.emoji", obj.get("emoji"))
        self.boolean(f"{path}.verbatim", obj.get("verbatim"))

    def unique_id(
        self, path: str, owner: dict[str, Any], key: str, seen: set[str], scope: str = ""
    ) -> None:
        """`owner[key]` (a block_id or an action_id), when given: 1 to 255 characters, and
        not one of `seen` (the ids of its scope so far)."""
        value = owner.get(key)
        if value is None:
            return
        self.string(f"{path}.{key}", value, max_len=255, min_len=1)
        if isinstance(value, str):
            if value in seen:
                self.problem(f"{path}.{key}", f"duplicate {key} {value!r}{scope}")
            seen.add(value)

    def image(self, path: str, image: dict[str, Any]) -> None:
        """What an image block and an image element share: a source and its alt text."""
        if image.get("image_url") is None and image.get("slack_file") is None:
            self.problem(path, "an image needs image_url or slack_file")
        self.string(f"{path}.image_url", image.get("image_url"), max_len=3000, min_len=1)
        self.string(f"{path}.alt_text", image.get("alt_text"), max_len=2000, required=True)

    # -- blocks ---------------------------------------------------------------------------------

    def blocks(self, path: str, blocks: Any, limit: int) -> None:
        if not isinstance(blocks, list):
            self.problem(path, "must be an array of blocks")
            return
        if len(blocks) > limit:
            self.problem(path, f"must have at most {limit} blocks (has {len(blocks)})")
        for index, block in enumerate(blocks):
            self.block(f"{path}[{index}]", block)

    def block(self, path: str, block: Any) -> None:
        if not isinstance(block, dict):
            self.problem(path, "must be a block object")
            return
        kind = block.get("type")
        if kind not in BLOCK_KEYS:
            self.problem(path, f"unknown block type {kind!r}")
            return
        if kind in MESSAGE_ONLY_BLOCKS and self.surface != "message":
            self.problem(path, f"{kind} blocks are only allowed in messages")
        if kind == "input" and self.surface == "message":
            self.problem(path, "input blocks are only allowed in modals and Home tabs")
        self.keys(path, block, BLOCK_KEYS[kind])
        self.unique_id(path, block, "block_id", self.block_ids)
        self.action_ids = set()  # action_ids are unique per block
        getattr(self, f"block_{kind}")(path, block)

    def block_section(self, path: str, block: dict[str, Any]) -> None:
        text, fields = block.get("text"), block.get("fields")
        if text is None and fields is None:
            self.problem(path, "a section needs text or fields")
        if text is not None:
            self.text(f"{path}.text", text, max_len=3000)
        if fields is not None:
            if not isinstance(fields, list) or not fields:
                self.problem(f"{path}.fields", "must be a non-empty array")
            else:
                if len(fields) > 10:
                    self.problem(
                        f"{path}.fields", f"must have at most 10 items (has {len(fields)})"
                    )
                for index, item in enumerate(fields):
                    self.text(f"{path}.fields[{index}]", item, max_len=2000)
        accessory = block.get("accessory")
        if accessory is not None:
            self.element(f"{path}.accessory", accessory, SECTION_ACCESSORIES)
        self.boolean(f"{path}.expand", block.get("expand"))

    def block_divider(self, path: str, block: dict[str, Any]) -> None:
        return None

    def block_header(self, path: str, block: dict[str, Any]) -> None:
        self.text(f"{path}.text", block.get("text"), plain=True, max_len=150)

    def block_context(self, path: str, block: dict[str, Any]) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.problem(f"{path}.elements", "must be a non-empty array")
            return
        if len(elements) > 10:
            self.problem(f"{path}.elements", f"must have at most 10 items (has {len(elements)})")
        for index, item in enumerate(elements):
            item_path = f"{path}.elements[{index}]"
            if isinstance(item, dict) and item.get("type") == "image":
                self.element(item_path, item, frozenset({"image"}))
            else:
                self.text(item_path, item)

    def block_actions(self, path: str, block: dict[str, Any]) -> None:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.problem(f"{path}.elements", "must be a non-empty array")
            return
        if len(elements) > 25:
            self.problem(f"{path}.elements", f"must have at most 25 items (has {len(elements)})")
        for index, item in enumerate(elements):
            self.element(f"{path}.elements[{index}]", item, ACTIONS_ELEMENTS)

    def block_image(self, path: str, block: dict[str, Any]) -> None:
        self.image(path, block)
        if block.get("title") is not None:
            self.text(f"{path}.title", block.get("title"), plain=True, max_len=2000)

    def block_input(self, path: str, block: dict[str, Any]) -> None:
        self.text(f"{path}.label", block.get("label"), plain=True, max_len=2000)
        if block.get("hint") is not None:
            self.text(f"{path}.hint", block.get("hint"), plain=True, max_len=2000)
        self.boolean(f"{path}.optional", block.get("optional"))
        self.boolean(f"{path}.dispatch_action", block.get("dispatch_action"))
        element = block.get("element")
        if element is None:
            self.problem(f"{path}.element", "is required")
        else:
            self.element(f"{path}.element", element, INPUT_ELEMENTS)

    def block_rich_text(self, path: str, block: dict[str, Any]) -> None:
        if not isinstance(block.get("elements"), list):
            self.problem(f"{path}.elements", "must be an array")

    def block_markdown(self, path: str, block: dict[str, Any]) -> None:
        self.string(f"{path}.text", block.get("text"), max_len=12000, min_len=1, required=True)

    def block_video(self, path: str, block: dict[str, Any]) -> None:
        for key in ("alt_text", "video_url", "thumbnail_url"):
            self.string(f"{path}.{key}", block.get(key), max_len=3000, required=True)
        self.text(f"{path}.title", block.get("title"), plain=True, max_len=200)

    def block_file(self, path: str, block: dict[str, Any]) -> None:
        self.string(f"{path}.external_id", block.get("external_id"), max_len=255, required=True)
        if block.get("source") != "remote":
            self.problem(f"{path}.source", "must be 'remote'")

    # -- elements -------------------------------------------------------------------------------

    def element(self, path: str, element: Any, allowed: frozenset[str]) -> None:
        if not isinstance(element, dict):
            self.problem(path, "must be an element object")
            return
        kind = element.get("type")
        if kind not in ELEMENT_KEYS:
            self.problem(path, f"unknown element type {kind!r}")
            return
        if kind not in allowed:
            self.problem(path, f"a {kind} element is not allowed here")
        self.keys(path, element, ELEMENT_KEYS[kind])
        self.unique_id(path, element, "action_id", self.action_ids, " in a block")
        if element.get("placeholder") is not None:
            self.text(f"{path}.placeholder", element["placeholder"], plain=True, max_len=150)
        if element.get("confirm") is not None:
            self.confirm(f"{path}.confirm", element["confirm"])
        self.boolean(f"{path}.focus_on_load", element.get("focus_on_load"))
        if kind == "button":
            self.button(path, element)
        elif kind == "image":
            self.image(path, element)
        elif kind in ("static_select", "multi_static_select"):
            self.static_select(path, element)
        elif kind == "overflow":
            self.options(path, element.get("options"), max_count=5, plain=True, min_count=1)
        elif kind in ("checkboxes", "radio_buttons"):
            options = element.get("options")
            self.options(path, options, max_count=10, plain=False, min_count=1)
            self.initial_options(path, element, options)
        elif kind == "plain_text_input":
            self.plain_text_input(path, element)
        elif kind == "number_input" and not isinstance(element.get("is_decimal_allowed"), bool):
            self.problem(f"{path}.is_decimal_allowed", "is required (a boolean)")
        if kind in MULTI_SELECTS:
            count = element.get("max_selected_items")
            if count is not None and (not isinstance(count, int) or count < 1):
                self.problem(f"{path}.max_selected_items", "must be a positive integer")

    def button(self, path: str, element: dict[str, Any]) -> None:
        self.text(f"{path}.text", element.get("text"), plain=True, max_len=75)
        self.string(f"{path}.value", element.get("value"), max_len=2000, min_len=1)
        self.string(f"{path}.url", element.get("url"), max_len=3000, min_len=1)
        self.string(f"{path}.accessibility_label", element.get("accessibility_label"), max_len=75)
        style = element.get("style")
        if style is not None and style not in ("primary", "danger"):
            self.problem(f"{path}.style", f"must be primary or danger, not {style!r}")

    def confirm(self, path: str, confirm: Any) -> None:
        if not isinstance(confirm, dict):
            self.problem(path, "must be a confirmation dialog object")
            return
        self.keys(path, confirm, {"title", "text", "confirm", "deny", "style"})
        self.text(f"{path}.title", confirm.get("title"), plain=True, max_len=100)
        self.text(f"{path}.text", confirm.get("text"), max_len=300)
        self.text(f"{path}.confirm", confirm.get("confirm"), plain=True, max_len=30)
        self.text(f"{path}.deny", confirm.get("deny"), plain=True, max_len=30)

    def options(
        self, path: str, options: Any, *, max_count: int, plain: bool, min_count: int = 1
    ) -> None:
        if not isinstance(options, list):
            self.problem(f"{path}.options", "must be an array")
            return
        if not min_count <= len(options) <= max_count:
            self.problem(
                f"{path}.options",
                f"must have {min_count} to {max_count} options (has {len(options)})",
            )
        values: set[str] = set()
        for index, option in enumerate(options):
            option_path = f"{path}.options[{index}]"
            if not isinstance(option, dict):
                self.problem(option_path, "must be an option object")
                continue
            self.keys(option_path, option, {"text", "value", "description", "url"})
            self.text(f"{option_path}.text", option.get("text"), plain=plain, max_len=75)
            self.string(
                f"{option_path}.value", option.get("value"), max_len=150, min_len=1, required=True
            )
            if option.get("description") is not None:
                self.text(
                    f"{option_path}.description", option["description"], plain=plain, max_len=75
                )
            value = option.get("value")
            if isinstance(value, str):
                if value in values:
                    self.problem(f"{option_path}.value", f"duplicate option value {value!r}")
                values.add(value)

    def initial_options(self, path: str, element: dict[str, Any], options: Any) -> None:
        offered = [o.get("value") for o in options or [] if isinstance(o, dict)]
        initial = element.get("initial_option")
        chosen = [initial] if initial is not None else list(element.get("initial_options") or [])
        for option in chosen:
            if not isinstance(option, dict) or option.get("value") not in offered:
                self.problem(f"{path}.initial_option", "must be one of the options")

    def static_select(self, path: str, element: dict[str, Any]) -> None:
        options, groups = element.get("options"), element.get("option_groups")
        if (options is None) == (groups is None):
            self.problem(path, "a static select needs exactly one of options or option_groups")
            return
        if options is not None:
            self.options(path, options, max_count=100, plain=True)
            self.initial_options(path, element, options)
            return
        if not isinstance(groups, list) or not 1 <= len(groups) <= 100:
            self.problem(f"{path}.option_groups", "must have 1 to 100 groups")
            return
        every: list[Any] = []
        for index, group in enumerate(groups):
            group_path = f"{path}.option_groups[{index}]"
            if not isinstance(group, dict):
                self.problem(group_path, "must be an option group object")
                continue
            self.keys(group_path, group, {"label", "options"})
            self.text(f"{group_path}.label", group.get("label"), plain=True, max_len=75)
            self.options(group_path, group.get("options"), max_count=100, plain=True)
            every += list(group.get("options") or [])
        self.initial_options(path, element, every)

    def plain_text_input(self, path: str, element: dict[str, Any]) -> None:
        low, high = element.get("min_length"), element.get("max_length")
        if low is not None and (not isinstance(low, int) or not 0 <= low <= 3000):
            self.problem(f"{path}.min_length", "must be an integer from 0 to 3000")
        if high is not None and (not isinstance(high, int) or not 1 <= high <= 3000):
            self.problem(f"{path}.max_length", "must be an integer from 1 to 3000")
        if isinstance(low, int) and isinstance(high, int) and low > high:
            self.problem(path, "min_length must not exceed max_length")
        self.string(f"{path}.initial_value", element.get("initial_value"), max_len=3000)
        self.boolean(f"{path}.multiline", element.get("multiline"))


# -- public checks -------------------------------------------------------------------------------


def blocks_problems(blocks: Any, surface: str) -> list[str]:
    """Problems of a blocks array on `surface` ("message", "modal" or "home")."""
    checker = _Checker(surface)
    limit = MESSAGE_BLOCK_LIMIT if surface == "message" else VIEW_BLOCK_LIMIT
    checker.blocks("blocks", blocks, limit)
    return checker.problems


def message_problems(body: dict[str, Any]) -> list[str]:
    """Problems of a message body (chat.*, ack bodies, response_url posts): its blocks and
    text. An empty message (no text, no blocks) is reported separately (`is_empty`)."""
    problems: list[str] = []
    text = body.get("text")
    if text is not None and not isinstance(text, str):
        problems.append("text: must be a string")
    blocks = body.get("blocks")
    if blocks is not None:
        problems += blocks_problems(blocks, "message")
    return problems


def is_empty_message(body: dict[str, Any]) -> bool:
    """No text and no blocks: Slack answers no_text."""
    text = body.get("text")
    blocks = body.get("blocks")
    return not (isinstance(text, str) and text.strip()) and not blocks


def view_problems(view: Any, *, expected: str | None = None) -> list[str]:
    """Problems of a view object: `expected` "modal" (views.open/push), "home"
    (views.publish) or None (views.update: either)."""
    if not isinstance(view, dict):
        return ["view: must be a view object"]
    kind = view.get("type")
    if kind not in ("modal", "home"):
        return [f"view.type: must be modal or home, not {kind!r}"]
    if expected is not None and kind != expected:
        return [f"view.type: must be {expected} here, not {kind!r}"]
    checker = _Checker(kind)
    checker.keys("view", view, MODAL_KEYS if kind == "modal" else HOME_KEYS)
    if "blocks" not in view:
        checker.problem("view.blocks", "is required")
    else:
        checker.blocks("view.blocks", view.get("blocks"), VIEW_BLOCK_LIMIT)
    checker.string("view.private_metadata", view.get("private_metadata"), max_len=3000)
    checker.string("view.callback_id", view.get("callback_id"), max_len=255)
    checker.string("view.external_id", view.get("external_id"), max_len=255)
    if kind == "modal":
        checker.text("view.title", view.get("title"), plain=True, max_len=24)
        for key in ("submit", "close"):
            if view.get(key) is not None:
                checker.text(f"view.{key}", view[key], plain=True, max_len=24)
        for key in ("clear_on_close", "notify_on_close", "submit_disabled"):
            checker.boolean(f"view.{key}", view.get(key))
        blocks = view.get("blocks")
        if view.get("submit") is None and isinstance(blocks, list) and input_blocks(blocks):
            checker.problem("view.submit", "is required when the view has input blocks")
    return checker.problems


def mention_problems(payload: Any) -> list[str]:
    """Texts that could ping a crowd: <!everyone>, <!channel>, <!here>, <!subteam^...>
    anywhere in a text, rich text broadcasts and user groups, and @channel/@here/@everyone
    when `link_names` asks Slack to link them."""
    found: list[str] = []
    link_names = isinstance(payload, dict) and payload.get("link_names") in (True, 1, "1", "true")

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            kind = value.get("type")
            if kind == "broadcast":
                found.append(f"a rich text broadcast to @{value.get('range')}")
            if kind == "usergroup":
                found.append(f"a rich text mention of user group {value.get('usergroup_id')}")
            for key, item in value.items():
                if key == "text" and isinstance(item, str):
                    check(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    def check(text: str) -> None:
        for match in _CROWD_MENTION.finditer(text):
            found.append(f"{match.group(0)!r} in {text[:80]!r}")
        if link_names:
            for match in _LINKED_CROWD.finditer(text):
                found.append(f"{match.group(0)!r} with link_names in {text[:80]!r}")

    walk(payload)
    return found


# -- walkers -------------------------------------------------------------------------------------


def input_blocks(blocks: list[Any]) -> list[dict[str, Any]]:
    """The input blocks, in order."""
    return [b for b in blocks if isinstance(b, dict) and b.get("type") == "input"]


def interactive_elements(blocks: list[Any]) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """(block, element) for every element a member interacts with, in order."""
    for block in blocks:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        candidates: list[Any] = []
        if kind == "section":
            candidates = [block.get("accessory")]
        elif kind == "actions":
            candidates = list(block.get("elements") or [])
        elif kind == "input":
            candidates = [block.get("element")]
        for element in candidates:
            if isinstance(element, dict) and element.get("type") in INTERACTIVE:
                yield block, element


def find_elements(
    blocks: list[Any], action_id: str, block_id: str | None = None
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every (block, element) with this action_id (in the block `block_id`, if given)."""
    return [
        (b, e)
        for b, e in interactive_elements(blocks)
        if e.get("action_id") == action_id and (block_id is None or b.get("block_id") == block_id)
    ]


def find_element(blocks: list[Any], action_id: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The first (block, element) with this action_id."""
    found = find_elements(blocks, action_id)
    return found[0] if found else None


def select_options(element: dict[str, Any]) -> list[dict[str, Any]]:
    """The options of a static select, radio group or overflow (groups flattened)."""
    options = [o for o in element.get("options") or [] if isinstance(o, dict)]
    for group in element.get("option_groups") or []:
        if isinstance(group, dict):
            options += [o for o in group.get("options") or [] if isinstance(o, dict)]
    return options


def _rich_text(element: Any) -> str:
    if isinstance(element, dict):
        kind = element.get("type")
        if kind == "user":
            return f"<@{element.get('user_id', '')}>"
        if kind == "channel":
            return f"<#{element.get('channel_id', '')}>"
        if isinstance(element.get("text"), str):
            return str(element["text"])
        return "".join(_rich_text(e) for e in element.get("elements") or [])
    return ""


def visible_lines(blocks: list[Any]) -> list[str]:
    """The texts a member reads in these blocks, in order: headers, section texts and
    fields, accessory and actions button labels, context texts, input labels and hints,
    image titles, markdown and rich text."""
    lines: list[str] = []

    def add(obj: Any) -> None:
        if isinstance(obj, dict) and isinstance(obj.get("text"), str) and obj["text"]:
            lines.append(obj["text"])

    for block in blocks:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        if kind in ("header", "section"):
            add(block.get("text"))
            for item in block.get("fields") or []:
                add(item)
            accessory = block.get("accessory")
            if isinstance(accessory, dict) and accessory.get("type") == "button":
                add(accessory.get("text"))
        elif kind == "context":
            for item in block.get("elements") or []:
                if isinstance(item, dict) and item.get("type") in TEXT_TYPES:
                    add(item)
        elif kind == "actions":
            for item in block.get("elements") or []:
                if isinstance(item, dict) and item.get("type") == "button":
                    add(item.get("text"))
        elif kind == "input":
            add(block.get("label"))
            add(block.get("hint"))
        elif kind == "image":
            add(block.get("title"))
        elif kind == "markdown" and isinstance(block.get("text"), str):
            lines.append(block["text"])
        elif kind == "rich_text":
            for item in block.get("elements") or []:
                text = _rich_text(item)
                if text:
                    lines.append(text)
    return lines


def random_id(length: int = 5) -> str:
    """A block_id/action_id like the ones Slack generates ("hspI", "maBWU")."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def with_generated_ids(blocks: list[Any]) -> list[Any]:
    """A copy of the blocks where every block lacking a block_id, and every interactive
    element lacking an action_id, got one generated, as Slack stores them."""
    import copy

    filled = copy.deepcopy(blocks)
    for block in filled:
        if isinstance(block, dict) and "block_id" not in block and block.get("type") != "markdown":
            block["block_id"] = random_id(4)
    for _, element in interactive_elements(filled):
        element.setdefault("action_id", random_id(5))
    return filled
