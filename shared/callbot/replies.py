"""The seam between the core and the chat platforms.

Services take an `Actor` and plain values and return `Reply` values. A `Reply` is smaller
than any platform's message format and always degrades to plain text. Buttons and pickers
carry their own state in their ids (`kind:arg:arg...`), so they keep working after a restart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum

COMPONENT_ID_MAX = 100  # Discord's custom_id limit, the tighter of the two platforms
_SEPARATOR = ":"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is asking: one user of one community on one platform.

    `roles` and `is_admin` are what the platform says about the user right now; the core
    decides from them (and the community's settings) whether the user is an organizer.
    An empty `community_id` is a user in a direct message with the bot on a platform whose
    direct messages belong to no community (Discord): only components usable there
    (`callbot.services.dispatch.usable_in_direct_messages`) are answered for them.
    """

    platform: str
    community_id: str
    user_id: str
    display_name: str = ""
    community_name: str = ""
    roles: frozenset[str] = frozenset()
    is_admin: bool = False

    @property
    def in_direct_message(self) -> bool:
        """Whether the user asks from a direct message that names no community."""
        return not self.community_id


class Tone(StrEnum):
    INFO = "info"
    SUCCESS = "success"
    WARNING = "warning"
    ERROR = "error"


class Style(StrEnum):
    PRIMARY = "primary"
    SECONDARY = "secondary"
    SUCCESS = "success"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Fact:
    name: str
    value: str


def component_id(kind: str, *args: str) -> str:
    """Join a component kind and its arguments into a self-describing id."""
    for part in (kind, *args):
        if _SEPARATOR in part:
            raise ValueError(f"component id part {part!r} contains {_SEPARATOR!r}")
    value = _SEPARATOR.join((kind, *args))
    if len(value) > COMPONENT_ID_MAX:
        raise ValueError(f"component id {value!r} is longer than {COMPONENT_ID_MAX}")
    return value


def parse_component_id(value: str) -> tuple[str, list[str]]:
    """Split an id made by `component_id` back into its kind and arguments."""
    kind, *args = value.split(_SEPARATOR)
    return kind, args


def with_choice(component: str, choice: str | None) -> str | None:
    """The id a click stands for: a picker's `component` with the `choice` appended to its
    arguments (`Picker`), a button's id as it is (no choice); None when the choice cannot be
    part of an id (it holds the separator, or the id would be too long)."""
    if choice is None:
        return component
    kind, args = parse_component_id(component)
    try:
        return component_id(kind, *args, choice)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Action:
    """A button. `id` is the component id the platform hands back on a click."""

    id: str
    label: str
    style: Style = Style.SECONDARY

    @property
    def kind(self) -> str:
        return parse_component_id(self.id)[0]

    @property
    def args(self) -> list[str]:
        return parse_component_id(self.id)[1]


@dataclass(frozen=True, slots=True)
class Choice:
    label: str
    value: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Picker:
    """A list to choose one item from; the chosen value is appended to `id`'s arguments."""

    id: str
    placeholder: str
    choices: tuple[Choice, ...]


@dataclass(frozen=True, slots=True)
class FormField:
    key: str
    label: str
    required: bool = True
    placeholder: str = ""
    default: str = ""
    max_length: int = 100


@dataclass(frozen=True, slots=True)
class Form:
    """A request for the member to fill in a few fields (a modal on the platforms).

    The adapter submits the values to the service named by `id`'s kind.
    """

    id: str
    title: str
    fields: tuple[FormField, ...]


@dataclass(frozen=True, slots=True)
class Image:
    """A picture shown with a reply (PNG), and the words that stand for it where it cannot be
    shown (a terminal, a private answer)."""

    data: bytes
    filename: str
    alt: str


@dataclass(frozen=True, slots=True)
class Reply:
    """What a service answers.

    `text` is a one-line summary for notifications and as the fallback where rich
    messages cannot be shown; `callbot.plaintext.render_plain` renders all of it.
    """

    text: str
    title: str = ""
    body: str = ""  # a Markdown subset: **bold**, _italic_, [links](url), "- " lists
    facts: tuple[Fact, ...] = ()
    actions: tuple[Action, ...] = ()
    picker: Picker | None = None
    form: Form | None = None
    tone: Tone = Tone.INFO
    private: bool = True
    footer: str = ""
    image: Image | None = None

    def map_texts(self, change: Callable[[str], str]) -> Reply:
        """The reply with `change` applied to every text it shows (not to ids, choice values
        or a form's stored defaults, which the member gets back as they were)."""
        picker = self.picker
        if picker is not None:
            picker = replace(
                picker,
                placeholder=change(picker.placeholder),
                choices=tuple(
                    replace(c, label=change(c.label), description=change(c.description))
                    for c in picker.choices
                ),
            )
        form = self.form
        if form is not None:
            form = replace(
                form,
                title=change(form.title),
                fields=tuple(
                    replace(f, label=change(f.label), placeholder=change(f.placeholder))
                    for f in form.fields
                ),
            )
        image = self.image
        if image is not None:
            image = replace(image, alt=change(image.alt))
        return replace(
            self,
            text=change(self.text),
            title=change(self.title),
            body=change(self.body),
            facts=tuple(Fact(change(f.name), change(f.value)) for f in self.facts),
            actions=tuple(replace(a, label=change(a.label)) for a in self.actions),
            picker=picker,
            form=form,
            footer=change(self.footer),
            image=image,
        )


# -- how adapters place a reply -------------------------------------------------------------------

#: Clicks whose answer is an aside: it comes as a new message so the card it came from stays.
ASIDE_KINDS = frozenset({"about"})
OPEN_FORM_LABEL = "Fill in the form"


def continues_card(component: str, reply: Reply) -> bool:
    """Whether the answer to a click on a private card replaces that card (the next step of
    the flow) rather than coming as a new message (an aside, or a problem, which keeps the
    card so the member can try again)."""
    kind = parse_component_id(component)[0]
    return kind not in ASIDE_KINDS and reply.private and reply.tone in (Tone.INFO, Tone.SUCCESS)


def form_as_button(reply: Reply, reopen: str | None) -> Reply:
    """A reply whose form cannot be shown now (a platform opens forms only in direct answer to
    a fresh click or command): a button that asks again, whose click then opens the form."""
    if reply.form is None:
        return reply
    actions = reply.actions
    if reopen is not None:
        actions = (Action(reopen, OPEN_FORM_LABEL, Style.PRIMARY), *actions)
    return replace(reply, form=None, actions=actions)
