"""Organizer setup of a community: organizer role or users, time zone, featured campaign,
alert channel and the time of the daily tally. Only organizers may change it; the core
decides who is one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from callbot.alerts.schedules import time_of_day
from callbot.core import Core
from callbot.db.models import Community
from callbot.errors import UserError, problem
from callbot.replies import Actor, Fact, Reply, Tone
from callbot.safety import member_text
from callbot.services.common import ensure_community, is_organizer

TALLY_TIME_HINT = "Give the daily tally's time like 18:00 or 6pm (community time)."
NOT_ORGANIZER = (
    "Only organizers can do that here. Organizers are the admins, anyone with the organizer "
    "role, and the members they name in /callbot setup."
)


async def organizer_community(session: AsyncSession, core: Core, actor: Actor) -> Community | Reply:
    """The actor's community if they are one of its organizers; else the refusal to show."""
    community = await ensure_community(session, core, actor)
    return community if is_organizer(community, actor) else problem(NOT_ORGANIZER)


def _setup_reply(core: Core, community: Community, saved: bool) -> Reply:
    featured = core.campaigns.get(community.featured_campaign or "")
    facts = (
        Fact("Time zone", community.timezone),
        Fact("Organizer role", community.organizer_role_id or "not set (admins only)"),
        Fact("Organizers", ", ".join(community.organizer_user_ids or []) or "none added"),
        Fact("Featured campaign", featured.spec.title if featured else "none (members choose)"),
        Fact("Alert channel", community.alert_channel_id or "not set"),
        Fact(
            "Daily tally",
            f"{community.tally_time}, in the alert channel"
            if community.alert_channel_id
            else f"{community.tally_time}, once an alert channel is set",
        ),
    )
    return Reply(
        text="Setup saved." if saved else "callbot setup for this community.",
        title="callbot setup",
        facts=facts,
        tone=Tone.SUCCESS if saved else Tone.INFO,
    )


@dataclass(frozen=True, slots=True)
class SetupValues:
    """A community's settings as they stand, for an organizer to edit in a form."""

    timezone: str
    organizer_role_id: str | None
    organizer_user_ids: tuple[str, ...]
    featured_campaign: str | None
    alert_channel_id: str | None
    tally_time: str  # "HH:MM" in the community's time zone


async def setup_values(core: Core, actor: Actor) -> SetupValues | Reply:
    """The community's settings for an organizer; anyone else gets the refusal to show."""
    async with core.sessions.begin() as session:
        community = await organizer_community(session, core, actor)
        if isinstance(community, Reply):
            return community
        return SetupValues(
            timezone=community.timezone,
            organizer_role_id=community.organizer_role_id,
            organizer_user_ids=tuple(community.organizer_user_ids or ()),
            featured_campaign=community.featured_campaign,
            alert_channel_id=community.alert_channel_id,
            tally_time=community.tally_time,
        )


async def show_setup(core: Core, actor: Actor) -> Reply:
    """The community's settings, for organizers."""
    async with core.sessions.begin() as session:
        community = await organizer_community(session, core, actor)
        if isinstance(community, Reply):
            return community
        return _setup_reply(core, community, saved=False)


def _check_timezone(name: str) -> str:
    try:
        ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(
            f"“{member_text(name, 40)}” is not a time zone. Use a name like America/Chicago."
        ) from None
    return name.strip()


async def configure_community(
    core: Core,
    actor: Actor,
    *,
    timezone: str | None = None,
    organizer_role_id: str | None = None,
    featured_campaign: str | None = None,
    alert_channel_id: str | None = None,
    tally_time: str | None = None,
    add_organizer: str | None = None,
    remove_organizer: str | None = None,
    organizer_user_ids: Sequence[str] | None = None,
) -> Reply:
    """Change the community's setup. Everything is checked first; a bad value changes nothing.

    An empty string clears the organizer role, featured campaign or alert channel;
    `organizer_user_ids` replaces the whole list of organizers named one by one.
    """
    async with core.sessions.begin() as session:
        community = await organizer_community(session, core, actor)
        if isinstance(community, Reply):
            return community
        try:
            zone = _check_timezone(timezone) if timezone else None
            tally_at = time_of_day(tally_time, TALLY_TIME_HINT) if tally_time else None
            if featured_campaign and core.campaigns.get(featured_campaign) is None:
                raise UserError(
                    f"There is no campaign called “{member_text(featured_campaign, 40)}”."
                )
        except UserError as exc:
            return problem(str(exc))
        if zone:
            community.timezone = zone
        if tally_at is not None:
            community.tally_time = tally_at.strftime("%H:%M")
        if organizer_role_id is not None:
            community.organizer_role_id = organizer_role_id or None
        if featured_campaign is not None:
            community.featured_campaign = featured_campaign or None
        if alert_channel_id is not None:
            community.alert_channel_id = alert_channel_id or None
        organizers = list(community.organizer_user_ids or [])
        if organizer_user_ids is not None:
            organizers = list(dict.fromkeys(user for user in organizer_user_ids if user))
        if add_organizer and add_organizer not in organizers:
            organizers.append(add_organizer)
        if remove_organizer in organizers:
            organizers.remove(remove_organizer)
        community.organizer_user_ids = organizers  # a new list, so the JSON change is saved
        return _setup_reply(core, community, saved=True)
