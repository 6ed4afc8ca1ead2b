"""Autocomplete choices: campaigns and time zones, filtered by what the member has typed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import discord
from discord import app_commands

from callbot.campaigns import CatalogEntry
from callbot.core import Core

log = logging.getLogger(__name__)

Choices = list[app_commands.Choice[str]]
#: An autocomplete callback, as discord.py calls it with what the member has typed so far.
Autocomplete = Callable[[discord.Interaction[Any], str], Coroutine[Any, Any, Choices]]

CHOICES_MAX = 25  # Discord shows at most 25 autocomplete choices
CHOICE_NAME_MAX = 100

#: Offered first: the zones of the US states and territories, where callbot's members live.
COMMON_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
    "America/St_Thomas",
    "Pacific/Guam",
    "Pacific/Saipan",
    "Pacific/Pago_Pago",
    "UTC",
)


def _matches(typed: str, *texts: str) -> bool:
    needle = typed.strip().casefold().replace(" ", "_")
    return not needle or any(needle in text.casefold().replace(" ", "_") for text in texts)


def _campaign_choice(entry: CatalogEntry) -> app_commands.Choice[str]:
    name = f"{entry.spec.title} ({entry.spec.slug})"
    if len(name) > CHOICE_NAME_MAX:
        name = name[: CHOICE_NAME_MAX - 1] + "…"
    return app_commands.Choice(name=name, value=entry.spec.slug)


def campaign_choices(
    core: Core, typed: str, *, open_only: bool = True
) -> list[app_commands.Choice[str]]:
    """Campaigns whose slug or title contains what was typed (open ones unless told)."""
    entries = core.campaigns.open_campaigns(core.clock()) if open_only else core.campaigns.all()
    found = [entry for entry in entries if _matches(typed, entry.spec.slug, entry.spec.title)]
    return [_campaign_choice(entry) for entry in found[:CHOICES_MAX]]


@cache
def _all_zones() -> tuple[str, ...]:
    return tuple(sorted(available_timezones()))


def timezone_choices(typed: str) -> list[app_commands.Choice[str]]:
    """IANA zones containing what was typed, the common US ones first."""
    common = [zone for zone in COMMON_ZONES if _matches(typed, zone)]
    others = [zone for zone in _all_zones() if zone not in COMMON_ZONES and _matches(typed, zone)]
    return [app_commands.Choice(name=zone, value=zone) for zone in (common + others)[:CHOICES_MAX]]


def safe_choices(
    what: str, choices: Callable[[discord.Interaction[Any], str], Choices]
) -> Autocomplete:
    """An autocomplete callback offering `choices(interaction, typed)`; if that fails, the
    failure is logged ("<what> autocomplete failed") and nothing is offered (the member can
    still type)."""

    async def autocomplete(interaction: discord.Interaction[Any], current: str) -> Choices:
        try:
            return choices(interaction, current)
        except Exception:
            log.exception("%s autocomplete failed", what)
            return []

    return autocomplete
