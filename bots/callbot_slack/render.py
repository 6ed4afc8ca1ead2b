"""Render a core `Reply` as Block Kit: a message, a modal for a `Form`, an App Home. Pure.

The core's Markdown subset becomes Slack mrkdwn (`mrkdwn`): `&`, `<` and `>` are always
escaped, so no text can become a mention (`<!channel>`) or a link it did not ask for, and a
formatting character the core escaped (member text) is shown with a look-alike that Slack
never reads as markup. Every text is cut to Block Kit's limits so a long script or name can
never make a post fail. Buttons and selects carry the core's component ids as `action_id`s.

Slack shows a picture (`Reply.image`) only as an uploaded file (`images.upload_image`); where
none is uploaded (private answers, the App Home) its alt text stands in for it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from callbot.campaigns import CatalogEntry
from callbot.markup import InlineStyle, translate_inline
from callbot.replies import Action, Fact, Form, FormField, Image, Picker, Reply, Style, Tone
from callbot.safety import neutralize_mentions, safe_form, safe_reply

log = logging.getLogger(__name__)

# Block Kit's limits (https://api.slack.com/reference/block-kit).
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
SECTION_TEXT_MAX = 3000
FIELDS_MAX = 10
FIELD_TEXT_MAX = 2000
HEADER_MAX = 150
BUTTON_TEXT_MAX = 75
ACTION_ID_MAX = 255
ELEMENTS_MAX = 25
OPTIONS_MAX = 100
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
PLACEHOLDER_MAX = 150
MODAL_TITLE_MAX = 24
INPUT_LABEL_MAX = 2000
INPUT_VALUE_MAX = 3000
METADATA_MAX = 3000
FALLBACK_TEXT_MAX = 3000
CONTEXT_TEXT_MAX = 3000

IMAGE_MARK = ":bar_chart: "

ELLIPSIS = "…"
TONE_MARKS = {Tone.WARNING: ":warning: ", Tone.ERROR: ":x: "}
BUTTON_STYLES = {Style.PRIMARY: "primary", Style.SUCCESS: "primary", Style.DANGER: "danger"}
# Characters Slack reads as formatting, shown literally with a look-alike that it does not.
_LOOK_ALIKES = str.maketrans({"*": "∗", "_": "ˍ", "~": "∼", "`": "ˋ"})


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis."""
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def escape(text: str) -> str:
    """Slack's three control characters as entities: nothing can become a mention or link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _link(label: str, url: str) -> str:
    # `|` and `>` end a link's parts; a URL never needs them raw.
    target = escape(url).replace("|", "%7C")
    label = label.replace("|", "¦")
    return f"<{target}|{label}>" if label else f"<{target}>"


MRKDWN = InlineStyle(
    text=escape,
    literal=lambda char: escape(char.translate(_LOOK_ALIKES)),
    link=_link,
    code=lambda code: f"`{escape(code)}`",
    bold="*",
    italic="_",
)


def mrkdwn(markdown: str) -> str:
    """The core's Markdown subset as Slack mrkdwn: markers translated, "- " items as bullets."""
    lines = ["• " + line[2:] if line.startswith("- ") else line for line in markdown.splitlines()]
    return translate_inline("\n".join(lines), MRKDWN)


def plain(text: str, limit: int) -> dict[str, Any]:
    """A plain_text object, cut to `limit`. Slack reads no markup there; mentions are broken
    all the same, so that no text of ours ever looks like one."""
    text = truncate(neutralize_mentions(text), limit)
    return {"type": "plain_text", "text": text or ELLIPSIS, "emoji": True}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(text, SECTION_TEXT_MAX)}}


def _body_sections(markdown: str) -> list[dict[str, Any]]:
    """The body as sections of whole paragraphs, each within the section text limit."""
    sections: list[dict[str, Any]] = []
    current = ""
    for paragraph in mrkdwn(markdown).split("\n\n"):
        joined = f"{current}\n\n{paragraph}" if current else paragraph
        if len(joined) <= SECTION_TEXT_MAX:
            current = joined
            continue
        if current:
            sections.append(_section(current))
        current = paragraph
    if current.strip():
        sections.append(_section(current))
    return sections


def _fact_sections(facts: Sequence[Fact]) -> list[dict[str, Any]]:
    fields = [
        {
            "type": "mrkdwn",
            "text": truncate(f"*{mrkdwn(f.name)}*\n{mrkdwn(f.value)}", FIELD_TEXT_MAX),
        }
        for f in facts
    ]
    return [
        {"type": "section", "fields": fields[start : start + FIELDS_MAX]}
        for start in range(0, len(fields), FIELDS_MAX)
    ]


def _routable(action_id: str, seen: set[str]) -> bool:
    if not action_id or len(action_id) > ACTION_ID_MAX:
        log.warning("component id %r cannot be an action_id; left out", action_id)
        return False
    if action_id in seen:
        log.warning("component id %r appears twice in one reply; left out", action_id)
        return False
    seen.add(action_id)
    return True


def _select(picker: Picker) -> dict[str, Any] | None:
    options = []
    values: set[str] = set()
    for choice in picker.choices:
        # A value is the member's answer: cutting it would change it, so a long one is left out.
        if not choice.value or len(choice.value) > OPTION_VALUE_MAX or choice.value in values:
            log.warning("picker %r: choice value %r cannot be offered", picker.id, choice.value)
            continue
        values.add(choice.value)
        option: dict[str, Any] = {
            "text": plain(choice.label or choice.value, OPTION_TEXT_MAX),
            "value": choice.value,
        }
        if choice.description:
            option["description"] = plain(choice.description, OPTION_TEXT_MAX)
        options.append(option)
    if not options:
        return None
    return {
        "type": "static_select",
        "action_id": picker.id,
        "placeholder": plain(picker.placeholder or "Choose", PLACEHOLDER_MAX),
        "options": options[:OPTIONS_MAX],
    }


def _button(action: Action) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action.id,
        "text": plain(action.label, BUTTON_TEXT_MAX),
    }
    if action.style in BUTTON_STYLES:
        button["style"] = BUTTON_STYLES[action.style]
    return button


def _controls(reply: Reply) -> list[dict[str, Any]]:
    """The picker, then the buttons, in actions blocks of at most 25 elements."""
    seen: set[str] = set()
    elements = []
    if reply.picker is not None and _routable(reply.picker.id, seen):
        select = _select(reply.picker)
        if select is not None:
            elements.append(select)
    elements += [_button(a) for a in reply.actions if _routable(a.id, seen)]
    return [
        {"type": "actions", "elements": elements[start : start + ELEMENTS_MAX]}
        for start in range(0, len(elements), ELEMENTS_MAX)
    ]


def image_stand_in(image: Image) -> dict[str, Any]:
    """A context block with the picture's words, where the picture itself is not shown."""
    return {"type": "context", "elements": [plain(IMAGE_MARK + image.alt, CONTEXT_TEXT_MAX)]}


def reply_blocks(reply: Reply, *, image_uploaded: bool = False) -> list[dict[str, Any]]:
    """Title as a header, body, facts as fields, footer as context, the image's alt text
    (unless the image is uploaded beside the message), then the controls. `reply.form` is
    not shown here: see `render_modal`."""
    reply = safe_reply(reply)
    blocks: list[dict[str, Any]] = []
    mark = TONE_MARKS.get(reply.tone, "")
    if reply.title:
        blocks.append({"type": "header", "text": plain(mark + reply.title, HEADER_MAX)})
        mark = ""
    blocks += _body_sections(mark + (reply.body or reply.text))
    blocks += _fact_sections(reply.facts)
    if reply.footer:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": truncate(mrkdwn(reply.footer), 3000)}],
            }
        )
    if reply.image is not None and not image_uploaded:
        blocks.append(image_stand_in(reply.image))
    controls = _controls(reply)
    room = MESSAGE_BLOCKS_MAX - len(controls)
    if len(blocks) > room:
        log.warning("reply has %d blocks; Slack shows %d", len(blocks) + len(controls), 50)
        blocks = blocks[:room]
    return blocks + controls


def fallback_text(reply: Reply) -> str:
    """The one-line text Slack shows in notifications (and where blocks cannot be shown)."""
    text = safe_reply(reply).text
    return truncate(TONE_MARKS.get(reply.tone, "") + mrkdwn(text), FALLBACK_TEXT_MAX)


def render_message(reply: Reply, *, image_uploaded: bool = False) -> dict[str, Any]:
    """Keyword arguments for chat.postMessage / postEphemeral / chat.update / respond().
    `image_uploaded`: the caller uploads `reply.image` as a file, so its alt text is left out."""
    return {
        "text": fallback_text(reply),
        "blocks": reply_blocks(reply, image_uploaded=image_uploaded),
    }


def _input(field: FormField) -> dict[str, Any]:
    max_length = max(1, min(field.max_length, INPUT_VALUE_MAX))
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": field.key,
        "max_length": max_length,
    }
    if field.default:
        # The stored value is shown as is, so it is cut without an ellipsis.
        element["initial_value"] = field.default[:max_length]
    if field.placeholder:
        element["placeholder"] = plain(field.placeholder, PLACEHOLDER_MAX)
    return {
        "type": "input",
        "block_id": field.key,
        "optional": not field.required,
        "label": plain(field.label or field.key, INPUT_LABEL_MAX),
        "element": element,
    }


def render_modal(form: Form, *, metadata: dict[str, str] | None = None) -> dict[str, Any]:
    """The form as a modal: callback_id is the form's id; each field a labelled text input
    (block and action ids are the field's key). `metadata` travels with it to the submission."""
    if not form.fields:
        raise ValueError(f"form {form.id!r} has no fields; Slack shows no empty modal")
    form = safe_form(form)
    return {
        "type": "modal",
        "callback_id": form.id,
        "title": plain(form.title or "callbot", MODAL_TITLE_MAX),
        "submit": plain("Save", MODAL_TITLE_MAX),
        "close": plain("Cancel", MODAL_TITLE_MAX),
        "private_metadata": truncate(json.dumps(metadata or {}), METADATA_MAX),
        "blocks": [_input(field) for field in form.fields],
    }


def submitted_values(state: dict[str, Any]) -> dict[str, str]:
    """Field key -> text from a view submission's `state.values` (text inputs and selects)."""
    values: dict[str, str] = {}
    for block_id, actions in (state.get("values") or {}).items():
        for element in actions.values():
            chosen = element.get("selected_option") or {}
            value = element.get("value")
            if value is None:
                value = chosen.get("value")
            values[str(block_id)] = str(value or "")
    return values


def submitted_element(state: dict[str, Any], block: str) -> dict[str, Any]:
    """What a view submission's `state` holds for the element named `block` (its block_id
    and its action_id alike); {} if nothing."""
    found = ((state.get("values") or {}).get(block) or {}).get(block) or {}
    return found if isinstance(found, dict) else {}


# -- the elements of the organizers' own modals (setup, alerts) ----------------------------------


def campaign_option(entry: CatalogEntry) -> dict[str, Any]:
    """A campaign as an option of a static select."""
    return {
        "text": plain(f"{entry.spec.title} ({entry.spec.slug})", OPTION_TEXT_MAX),
        "value": entry.spec.slug,
    }


def channel_select(action_id: str, initial: str | None, *, placeholder: str = "") -> dict[str, Any]:
    """A select of the channels a post can go to (public and private ones, no direct
    messages), with `initial` chosen already."""
    select: dict[str, Any] = {"type": "conversations_select", "action_id": action_id}
    if placeholder:
        select["placeholder"] = plain(placeholder, PLACEHOLDER_MAX)
    select["filter"] = {"include": ["public", "private"], "exclude_bot_users": True}
    if initial:
        select["initial_conversation"] = initial
    return select


def render_home(sections: Sequence[Reply]) -> dict[str, Any]:
    """The App Home tab: each reply in turn, divided, within a view's block limit."""
    blocks: list[dict[str, Any]] = []
    for reply in sections:
        if blocks:
            blocks.append({"type": "divider"})
        blocks += reply_blocks(reply)
    if len(blocks) > VIEW_BLOCKS_MAX:
        log.warning("home has %d blocks; Slack shows %d", len(blocks), VIEW_BLOCKS_MAX)
        blocks = blocks[:VIEW_BLOCKS_MAX]
    return {"type": "home", "blocks": blocks}
