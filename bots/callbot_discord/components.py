"""Buttons and selects that survive restarts.

Every button and select the adapter sends is a `CoreComponent`: its `custom_id` IS the core's
component id (`outcome:<campaign>:<session>:<target>:<result>`), so the click carries all the
state it needs. discord.py matches the id against `TEMPLATE` on any message, however old, and
builds a fresh `CoreComponent` around it; no view has to be kept in memory.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Protocol

import discord
from discord import ui

log = logging.getLogger(__name__)

#: The component kinds the core routes (`callbot.services.dispatch.handle_component`).
ROUTED_KINDS = (
    "about",
    "alert",
    "call",
    "district",
    "forget",
    "leaderboard",
    "mystats",
    "outcome",
    "pledge",
    "profile",
    "tally",
    "tallynow",
    "unpledge",
)
TEMPLATE = re.compile(r"(?P<kind>" + "|".join(ROUTED_KINDS) + r")(?::.*)?")
CUSTOM_ID_MAX = 100


def is_core_component(custom_id: str) -> bool:
    """Whether a click or form with this id belongs to the core (and fits Discord's limit)."""
    return len(custom_id) <= CUSTOM_ID_MAX and TEMPLATE.fullmatch(custom_id) is not None


class InteractionHandler(Protocol):
    """What the running client offers its components (implemented by `Responder`)."""

    async def on_component(
        self, interaction: discord.Interaction[Any], custom_id: str, choice: str | None
    ) -> None: ...


def handler_of(interaction: discord.Interaction[Any]) -> InteractionHandler:
    """The handler of the callbot client that received this interaction."""
    handler: InteractionHandler | None = getattr(interaction.client, "callbot", None)
    if handler is None:
        raise RuntimeError("this interaction reached a client that does not run callbot")
    return handler


class CoreComponent(ui.DynamicItem[ui.Item[Any]], template=TEMPLATE):
    """A button or a select whose id is a core component id."""

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> CoreComponent:
        return cls(item)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        choice = None
        if isinstance(self.item, ui.Select):
            values = self.item.values
            if not values:
                return  # a select with nothing chosen: Discord never sends one
            choice = str(values[0])
        try:
            await handler_of(interaction).on_component(interaction, self.custom_id, choice)
        except Exception:
            # The handler answers every failure itself; this only guards the gateway loop.
            log.exception("component %r failed outside its handler", self.custom_id)
