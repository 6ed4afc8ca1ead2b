"""Pledges: a member's promise to call for a campaign (one per member and campaign)."""

from __future__ import annotations

from sqlalchemy import delete

from callbot.campaigns import CatalogEntry
from callbot.core import Core
from callbot.db.models import Pledge
from callbot.errors import UserError, problem
from callbot.replies import Action, Actor, Reply, Style, Tone, component_id
from callbot.services.calling import campaign_picker
from callbot.services.common import (
    ensure_member_of,
    find_member_of,
    insert_ignoring_conflicts,
    pick_campaign,
)

#: The last part of an I'll call button's id that makes a second press withdraw the pledge.
TOGGLE = "toggle"


def _pledged_reply(entry: CatalogEntry, new: bool) -> Reply:
    slug = entry.spec.slug
    first = "Thank you for pledging" if new else "You've already pledged"
    return Reply(
        text=f"{first} to call for “{entry.spec.title}”.",
        title="Pledged" if new else "Already pledged",
        body=f"{first} to call for **{entry.spec.title}**. When you're ready, press *Call now* or "
        "type /call and we'll give you your script and numbers.",
        actions=(
            Action(component_id("call", slug), "Call now", Style.PRIMARY),
            Action(component_id("unpledge", slug), "Withdraw pledge"),
        ),
        tone=Tone.SUCCESS,
    )


async def pledge(
    core: Core, actor: Actor, campaign: str | None = None, *, toggle: bool = False
) -> Reply:
    """Pledge to call for a campaign. Pledging twice keeps one pledge; with `toggle` (an
    alert's I'll call button pressed again) the second press withdraws it."""
    async with core.sessions.begin() as session:
        community, member = await ensure_member_of(session, core, actor)
        try:
            entry = pick_campaign(core, community, campaign)
        except UserError as exc:
            return problem(str(exc))
        if entry is None:
            return campaign_picker(
                core, component_id("pledge"), "Which campaign do you pledge to call for?"
            )
        if not entry.spec.is_open(core.clock()):
            return problem(f"“{entry.spec.title}” is closed, so it takes no more pledges.")
        if toggle:
            withdrawn = await session.execute(
                delete(Pledge).where(Pledge.member_id == member.id, Pledge.campaign_id == entry.id)
            )
            if getattr(withdrawn, "rowcount", 0):
                return _withdrawn_reply(entry)
        created = await insert_ignoring_conflicts(
            session,
            Pledge.__table__,  # type: ignore[arg-type]
            {
                "community_id": community.id,
                "member_id": member.id,
                "campaign_id": entry.id,
                "created_at": core.clock(),
            },
        )
        return _pledged_reply(entry, created)


async def unpledge(core: Core, actor: Actor, campaign: str | None = None) -> Reply:
    """Withdraw a pledge. Withdrawing one that isn't there says so and changes nothing."""
    async with core.sessions.begin() as session:
        community, member = await find_member_of(session, actor)
        try:
            entry = pick_campaign(core, community, campaign) if community else None
        except UserError as exc:
            return problem(str(exc))
        if entry is None and campaign is None and community is not None:
            return campaign_picker(core, component_id("unpledge"), "Which pledge do you withdraw?")
        if member is None or entry is None:
            return problem("You have no pledge to withdraw.")
        result = await session.execute(
            delete(Pledge).where(Pledge.member_id == member.id, Pledge.campaign_id == entry.id)
        )
        if not getattr(result, "rowcount", 0):
            return problem(f"You have no pledge for “{entry.spec.title}” to withdraw.")
    return _withdrawn_reply(entry)


def _withdrawn_reply(entry: CatalogEntry) -> Reply:
    return Reply(
        text=f"Your pledge for “{entry.spec.title}” is withdrawn. You can still call any time.",
        actions=(Action(component_id("pledge", entry.spec.slug), "Pledge again"),),
        tone=Tone.SUCCESS,
    )
