"""Buttons and picker choices as numbered options: one numbering for rendering and for input."""

from __future__ import annotations

from dataclasses import dataclass

from callbot.numbers import whole_number
from callbot.replies import Reply, Style


@dataclass(frozen=True, slots=True)
class Option:
    """Something the member can choose by typing its number.

    `choice` is None for a button and the picked value for a picker choice; either way
    `component` is the id to hand to `callbot.services.handle_component`.
    """

    number: int
    label: str
    component: str
    choice: str | None = None
    description: str = ""
    style: Style = Style.SECONDARY


def options_of(reply: Reply) -> tuple[Option, ...]:
    """The reply's picker choices, then its buttons, numbered from 1."""
    options: list[Option] = []
    if reply.picker is not None:
        for choice in reply.picker.choices:
            options.append(
                Option(
                    number=len(options) + 1,
                    label=choice.label,
                    component=reply.picker.id,
                    choice=choice.value,
                    description=choice.description,
                )
            )
    for action in reply.actions:
        options.append(
            Option(
                number=len(options) + 1,
                label=action.label,
                component=action.id,
                style=action.style,
            )
        )
    return tuple(options)


def pick_option(options: tuple[Option, ...], answer: str) -> Option | None:
    """The option a typed answer means: its number, or (forgivingly) its label or value."""
    text = answer.strip()
    number = whole_number(text)
    if number is not None:
        return options[number - 1] if 1 <= number <= len(options) else None
    folded = text.casefold()
    for option in options:
        if folded == option.label.casefold() or (
            option.choice is not None and folded == option.choice.casefold()
        ):
            return option
    return None
