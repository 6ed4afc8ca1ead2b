"""Route a click, a pick or a form submission to its service by the component id.

Component ids carry their own state (`outcome:<campaign>:<session>:<target>:<result>`), so
any adapter can hand over whatever id the platform returns, even after a restart.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from callbot.core import Core
from callbot.errors import problem
from callbot.replies import Actor, Reply, component_id, parse_component_id
from callbot.services import calling, leaderboard, pledges, profile, stats, tallies

log = logging.getLogger(__name__)

STALE = "That button is out of date. Type /call to start again."
#: The component kinds only organizers may use (the core checks `Actor.is_admin` for them, so
#: an adapter that must ask the platform for it does so for these alone: `needs_organizer`).
ORGANIZER_KINDS = frozenset({"alert", "tallynow"})
#: The components that work in a direct message with the bot, which names no community on
#: Discord (kind and first argument): the service finds the community from the component.
DIRECT_MESSAGE_COMPONENTS = frozenset({("alert", "postnow")})
NOT_IN_A_COMMUNITY = "callbot works inside a server or workspace: use its commands there."

_PROFILE_TOGGLES = {
    "hide": {"leaderboard_visible": False},
    "show": {"leaderboard_visible": True},
    "reminders-off": {"reminders": False},
    "reminders-on": {"reminders": True},
}


def needs_organizer(component: str) -> bool:
    """Whether the core decides this component by whether the member is an organizer."""
    return parse_component_id(component)[0] in ORGANIZER_KINDS


def usable_in_direct_messages(component: str) -> bool:
    """Whether this component is answered in a direct message that names no community."""
    kind, args = parse_component_id(component)
    return (kind, args[0] if args else "") in DIRECT_MESSAGE_COMPONENTS


def call_reopen(campaign: str | None) -> str | None:
    """The id of a button that starts /call [campaign] again (to show a form that came too
    late to open); None if the campaign cannot be part of an id."""
    try:
        return component_id("call", (campaign or "").strip())
    except ValueError:
        return None


async def handle_component(
    core: Core,
    actor: Actor,
    component: str,
    *,
    interaction_id: str,
    choice: str | None = None,
    values: Mapping[str, str] | None = None,
) -> Reply:
    """Answer a button press, a picker choice (`choice`) or a form (`values`)."""
    if actor.in_direct_message and not usable_in_direct_messages(component):
        return problem(NOT_IN_A_COMMUNITY)
    kind, args = parse_component_id(component)
    if choice is not None:
        args = [*args, choice]
    fields = dict(values or {})
    first = args[0] if args else None
    # Imported here: the alert services build on the member services this package exports.
    from callbot.alerts import service as alerts

    match kind, args:
        case "call", _:
            return await calling.start_call(core, actor, first or None)
        case "about", [campaign]:
            return calling.about_campaign(core, campaign)
        case "outcome", [campaign, session_key, target_key, result]:
            return await calling.record_outcome(
                core, actor, campaign, session_key, target_key, result, interaction_id
            )
        case "district", [campaign, label]:
            return await calling.submit_district(core, actor, campaign, label)
        case "profile", ["call", campaign]:
            return await calling.submit_call_profile(
                core,
                actor,
                campaign,
                name=fields.get("name", ""),
                zip_code=fields.get("zip", ""),
                city=fields.get("city", ""),
            )
        case "profile", ["save"]:
            return await profile.set_profile(
                core,
                actor,
                name=fields.get("name"),
                zip_code=fields.get("zip"),
                city=fields.get("city"),
            )
        case "profile", ["edit"]:
            return await profile.profile_form_reply(core, actor)
        case "profile", [toggle] if toggle in _PROFILE_TOGGLES:
            return await profile.set_profile(core, actor, **_PROFILE_TOGGLES[toggle])  # type: ignore[arg-type]
        case "pledge", [campaign, pledges.TOGGLE]:
            return await pledges.pledge(core, actor, campaign, toggle=True)
        case "pledge", _:
            return await pledges.pledge(core, actor, first)
        case "unpledge", _:
            return await pledges.unpledge(core, actor, first)
        case "tally", _:
            return await tallies.tally(core, actor, first)
        case "leaderboard", [campaign, period]:
            return await leaderboard.leaderboard(core, actor, campaign, period)
        case "mystats", []:
            return await stats.my_stats(core, actor)
        case "alert", ["confirm", alert_id]:
            return await alerts.confirm_alert(core, actor, alert_id)
        case "alert", ["discard", alert_id]:
            return await alerts.discard_alert(core, actor, alert_id)
        case "alert", ["cancel", *chosen] if len(chosen) <= 1:
            return await alerts.cancel_alert(core, actor, chosen[0] if chosen else None)
        case "alert", ["postnow", delivery_id]:
            return await alerts.post_it_now(core, actor, delivery_id)
        case "alert", ["preview", campaign]:
            return await alerts.preview_alert(core, actor, campaign)
        case "tallynow", [campaign]:
            return await alerts.post_tally_now(core, actor, campaign)
        case "forget", ["confirm"]:
            return await profile.erase_member(core, actor)
        case "forget", ["cancel"]:
            return Reply(text="Nothing was erased.")
    log.info("stale or unknown component %r from %s", component, actor.platform)
    return problem(STALE)
