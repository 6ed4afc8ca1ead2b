"""Render a core `Reply` as a Discord message, and a `Form` as a modal. Pure: no I/O.

A reply with a title, body, facts, footer or image becomes an embed (the body is the core's
Markdown subset, which Discord shows as is); a bare reply is plain `content`. The image (a chart)
is uploaded with the message and shown inside the embed. Actions become buttons and the picker a
select, all `CoreComponent`s whose custom ids are the core's component ids. Every text is cut to
Discord's limits so that a long script or name can never make a send fail.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, replace
from typing import Any

import discord
from discord import ui

from callbot.replies import Action, Form, FormField, Image, Picker, Reply, Style, Tone
from callbot.safety import safe_form, safe_reply
from callbot_discord.components import CoreComponent, is_core_component

log = logging.getLogger(__name__)

# Discord's limits (https://discord.com/developers/docs/resources/message, .../components).
CONTENT_MAX = 2000
TITLE_MAX = 256
DESCRIPTION_MAX = 4096
FIELDS_MAX = 25
FIELD_NAME_MAX = 256
FIELD_VALUE_MAX = 1024
FOOTER_MAX = 2048
EMBED_TOTAL_MAX = 6000
ROWS_MAX = 5
BUTTONS_PER_ROW = 5
BUTTON_LABEL_MAX = 80
OPTIONS_MAX = 25
OPTION_TEXT_MAX = 100
PLACEHOLDER_MAX = 150
MODAL_TITLE_MAX = 45
MODAL_FIELDS_MAX = 5
INPUT_LABEL_MAX = 45
INPUT_DESCRIPTION_MAX = 100
INPUT_PLACEHOLDER_MAX = 100
INPUT_VALUE_MAX = 4000
ATTACHMENT_DESCRIPTION_MAX = 1024

# A fact this short sits beside others (up to three a line); longer ones get a line of their own.
INLINE_NAME_MAX = 30
INLINE_VALUE_MAX = 40

EMPTY = "\u200b"  # Discord refuses empty field names and values; a zero-width space shows nothing
ELLIPSIS = "…"
# `attachment://` only finds a file whose name is made of these.
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]")

TONE_COLOURS = {
    Tone.INFO: discord.Colour(0x5865F2),
    Tone.SUCCESS: discord.Colour(0x57F287),
    Tone.WARNING: discord.Colour(0xFEE75C),
    Tone.ERROR: discord.Colour(0xED4245),
}
BUTTON_STYLES = {
    Style.PRIMARY: discord.ButtonStyle.primary,
    Style.SECONDARY: discord.ButtonStyle.secondary,
    Style.SUCCESS: discord.ButtonStyle.success,
    Style.DANGER: discord.ButtonStyle.danger,
}


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """What to send: `content` only when there is no `embed`; `view` only with components;
    `image` is uploaded as the file the embed shows (`attachment://<filename>`)."""

    content: str | None
    embed: discord.Embed | None
    view: ui.View | None
    image: Image | None = None

    def file(self) -> discord.File | None:
        """A fresh upload of the image: discord.py closes a `File` once it is sent."""
        if self.image is None:
            return None
        return discord.File(
            io.BytesIO(self.image.data),
            filename=self.image.filename,
            description=truncate(self.image.alt, ATTACHMENT_DESCRIPTION_MAX) or None,
        )

    def send_arguments(self) -> dict[str, Any]:
        """Keyword arguments for a new message (absent parts left out)."""
        arguments: dict[str, Any] = {"allowed_mentions": discord.AllowedMentions.none()}
        if self.content is not None:
            arguments["content"] = self.content
        if self.embed is not None:
            arguments["embed"] = self.embed
        if self.view is not None:
            arguments["view"] = self.view
        file = self.file()
        if file is not None:
            arguments["file"] = file
        return arguments

    def edit_arguments(self) -> dict[str, Any]:
        """Keyword arguments for an edit: absent parts are sent as None (or no attachments),
        which clears them; an image is uploaded again and replaces the old one."""
        file = self.file()
        return {
            "content": self.content,
            "embed": self.embed,
            "view": self.view,
            "attachments": [file] if file is not None else [],
            "allowed_mentions": discord.AllowedMentions.none(),
        }


def truncate(text: str, limit: int) -> str:
    """`text` cut to `limit` characters with an ellipsis, never leaving a dangling escape."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS)]
    backslashes = len(cut) - len(cut.rstrip("\\"))
    if backslashes % 2:
        cut = cut[:-1]  # a lone trailing backslash would escape the ellipsis
    return cut.rstrip() + ELLIPSIS


def is_rich(reply: Reply) -> bool:
    """Whether the reply needs an embed (anything beyond its one-line text)."""
    return bool(reply.title or reply.body or reply.facts or reply.footer or reply.image)


def upload_name(filename: str) -> str:
    """The image's file name as `attachment://` can refer to it."""
    return _UNSAFE_FILENAME.sub("_", filename.strip()) or "image.png"


def without_image(reply: Reply) -> Reply:
    """The reply with its image's description in place of the picture, for where no file can
    be uploaded."""
    if reply.image is None:
        return reply
    alt = reply.image.alt.strip()
    body = "\n\n".join(part for part in (reply.body or reply.text, alt) if part)
    return replace(reply, body=body, image=None)


def render(reply: Reply, *, attach_image: bool = True) -> RenderedMessage:
    """The reply as a Discord message. `reply.form` is not shown here: see `render_modal`.
    With `attach_image=False` the image is described in words instead (see `without_image`)."""
    reply = safe_reply(reply)
    if not attach_image:
        reply = without_image(reply)
    image = None
    if reply.image is not None:
        image = replace(reply.image, filename=upload_name(reply.image.filename))
    embed = render_embed(reply, image) if is_rich(reply) else None
    content = None if embed is not None else truncate(reply.text, CONTENT_MAX) or ELLIPSIS
    return RenderedMessage(content=content, embed=embed, view=render_view(reply), image=image)


def _field(name: str, value: str) -> tuple[str, str, bool]:
    name = truncate(name, FIELD_NAME_MAX) or EMPTY
    value = truncate(value, FIELD_VALUE_MAX) or EMPTY
    inline = len(name) <= INLINE_NAME_MAX and len(value) <= INLINE_VALUE_MAX and "\n" not in value
    return name, value, inline


def render_embed(reply: Reply, image: Image | None = None) -> discord.Embed:
    """Title, Markdown description, facts as fields, footer, the tone as the colour, and the
    uploaded `image` (named as it is uploaded) below."""
    title = truncate(reply.title, TITLE_MAX)
    footer = truncate(reply.footer, FOOTER_MAX)
    # Discord also caps the embed as a whole. Facts (the phone numbers) come first; the
    # description, the longest part, gives way to them.
    used = len(title) + len(footer)
    fields = []
    for fact in reply.facts[:FIELDS_MAX]:
        name, value, inline = _field(fact.name, fact.value)
        if used + len(name) + len(value) > EMBED_TOTAL_MAX:
            break
        used += len(name) + len(value)
        fields.append((name, value, inline))
    description = truncate(reply.body or reply.text, min(DESCRIPTION_MAX, EMBED_TOTAL_MAX - used))
    embed = discord.Embed(
        title=title or None,
        description=description or None,
        colour=TONE_COLOURS[reply.tone],
    )
    for name, value, inline in fields:
        embed.add_field(name=name, value=value, inline=inline)
    if footer:
        embed.set_footer(text=footer)
    if image is not None:
        embed.set_image(url=f"attachment://{image.filename}")
    return embed


def _select(picker: Picker) -> ui.Select[Any] | None:
    options: list[discord.SelectOption] = []
    values: set[str] = set()
    for choice in picker.choices:
        # A value is the member's answer: cutting it would change it, so a long one is left out.
        if not choice.value or len(choice.value) > OPTION_TEXT_MAX or choice.value in values:
            log.warning("picker %r: choice value %r cannot be offered", picker.id, choice.value)
            continue
        values.add(choice.value)
        options.append(
            discord.SelectOption(
                label=truncate(choice.label, OPTION_TEXT_MAX) or choice.value,
                value=choice.value,
                description=truncate(choice.description, OPTION_TEXT_MAX) or None,
            )
        )
    if not options:
        return None
    return ui.Select(
        custom_id=picker.id,
        placeholder=truncate(picker.placeholder, PLACEHOLDER_MAX) or None,
        options=options[:OPTIONS_MAX],
        min_values=1,
        max_values=1,
    )


def _routable(custom_id: str, seen: set[str]) -> bool:
    if not is_core_component(custom_id):
        log.warning("component id %r is not one the core routes; left out", custom_id)
        return False
    if custom_id in seen:
        log.warning("component id %r appears twice in one reply; left out", custom_id)
        return False
    seen.add(custom_id)
    return True


def _button(action: Action) -> ui.Button[Any]:
    return ui.Button(
        custom_id=action.id,
        label=truncate(action.label, BUTTON_LABEL_MAX) or ELLIPSIS,
        style=BUTTON_STYLES[action.style],
    )


def render_view(reply: Reply) -> ui.View | None:
    """The picker as a select on the first row, then the actions as buttons, five a row."""
    view = ui.View(timeout=None)
    seen: set[str] = set()
    first_button_row = 0
    if reply.picker is not None and _routable(reply.picker.id, seen):
        select = _select(reply.picker)
        if select is not None:
            view.add_item(CoreComponent(select, row=0))
            first_button_row = 1
    actions = [action for action in reply.actions if _routable(action.id, seen)]
    room = (ROWS_MAX - first_button_row) * BUTTONS_PER_ROW
    if len(actions) > room:
        log.warning("reply has %d buttons; Discord shows %d", len(actions), room)
    for index, action in enumerate(actions[:room]):
        row = first_button_row + index // BUTTONS_PER_ROW
        view.add_item(CoreComponent(_button(action), row=row))
    return view if view.children else None


def _text_input(field: FormField) -> ui.TextInput[Any]:
    max_length = max(1, min(field.max_length, INPUT_VALUE_MAX))
    return ui.TextInput(
        custom_id=field.key,
        style=discord.TextStyle.short,
        required=field.required,
        # The stored value is shown as is, so it is cut without an ellipsis.
        default=field.default[:max_length] or None,
        placeholder=truncate(field.placeholder, INPUT_PLACEHOLDER_MAX) or None,
        max_length=max_length,
    )


def render_modal(form: Form) -> ui.Modal:
    """The form as a modal whose custom id is the form's id; each field a labelled text input.

    A label longer than Discord's 45 characters is cut, and shown whole as its description.
    """
    if not is_core_component(form.id):
        raise ValueError(f"form id {form.id!r} is not one the core routes")
    form = safe_form(form)
    if not form.fields:
        raise ValueError(f"form {form.id!r} has no fields; Discord shows no empty modal")
    modal = ui.Modal(
        title=truncate(form.title, MODAL_TITLE_MAX) or "callbot",
        custom_id=form.id,
        timeout=None,
    )
    for field in form.fields[:MODAL_FIELDS_MAX]:
        label = truncate(field.label, INPUT_LABEL_MAX) or field.key
        description = (
            truncate(field.label, INPUT_DESCRIPTION_MAX)
            if len(field.label) > INPUT_LABEL_MAX
            else None
        )
        modal.add_item(ui.Label(text=label, description=description, component=_text_input(field)))
    return modal
