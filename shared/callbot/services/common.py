"""Helpers every service shares: finding the community and member behind an `Actor`,
conflict-free inserts, and picking the campaign a command is about."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Table, and_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from callbot.campaigns import CatalogEntry
from callbot.core import Core
from callbot.db.models import Community, Member
from callbot.errors import UserError
from callbot.replies import Actor
from callbot.safety import member_text


async def insert_ignoring_conflicts(
    session: AsyncSession, table: Table, values: dict[str, Any]
) -> bool:
    """Insert a row unless a unique constraint already holds one like it. True if inserted.

    This is how idempotency works: the database decides, so concurrent replicas agree.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    result = await session.execute(insert(table).values(**values).on_conflict_do_nothing())
    return bool(getattr(result, "rowcount", 0))


async def find_community(session: AsyncSession, actor: Actor) -> Community | None:
    return await session.scalar(
        select(Community).where(
            Community.platform == actor.platform, Community.external_id == actor.community_id
        )
    )


async def ensure_community(session: AsyncSession, core: Core, actor: Actor) -> Community:
    """The actor's community, created with default settings on first contact."""
    community = await find_community(session, actor)
    if community is None:
        await insert_ignoring_conflicts(
            session,
            Community.__table__,  # type: ignore[arg-type]
            {
                "platform": actor.platform,
                "external_id": actor.community_id,
                "name": actor.community_name[:200],
                "timezone": core.settings.default_timezone,
                "organizer_user_ids": [],
                "created_at": core.clock(),
            },
        )
        community = await find_community(session, actor)
        assert community is not None
    return community


async def find_member(session: AsyncSession, community: Community, user_id: str) -> Member | None:
    return await session.scalar(
        select(Member).where(Member.community_id == community.id, Member.user_id == user_id)
    )


async def ensure_member(
    session: AsyncSession, core: Core, community: Community, actor: Actor
) -> Member:
    """The actor's member row in this community, created empty on first contact."""
    member = await find_member(session, community, actor.user_id)
    if member is None:
        now = core.clock()
        await insert_ignoring_conflicts(
            session,
            Member.__table__,  # type: ignore[arg-type]
            {
                "community_id": community.id,
                "user_id": actor.user_id,
                "leaderboard_visible": True,
                "reminders": True,
                "created_at": now,
                "updated_at": now,
            },
        )
        member = await find_member(session, community, actor.user_id)
        assert member is not None
    return member


async def ensure_member_of(
    session: AsyncSession, core: Core, actor: Actor
) -> tuple[Community, Member]:
    """The actor's community and member row, in one query when both exist already."""
    row = (
        await session.execute(
            select(Community, Member)
            .outerjoin(
                Member,
                and_(Member.community_id == Community.id, Member.user_id == actor.user_id),
            )
            .where(
                Community.platform == actor.platform, Community.external_id == actor.community_id
            )
        )
    ).first()
    if row is not None and row[1] is not None:
        return row[0], row[1]
    community = row[0] if row is not None else await ensure_community(session, core, actor)
    return community, await ensure_member(session, core, community, actor)


def community_zone(community: Community) -> ZoneInfo:
    return ZoneInfo(community.timezone)


def is_organizer(community: Community, actor: Actor) -> bool:
    """Admins, holders of the organizer role, and users named as organizers."""
    return (
        actor.is_admin
        or (community.organizer_role_id is not None and community.organizer_role_id in actor.roles)
        or actor.user_id in (community.organizer_user_ids or [])
    )


def open_campaign_list(core: Core, now: datetime) -> str:
    names = [
        f"`{entry.spec.slug}` ({entry.spec.title})" for entry in core.campaigns.open_campaigns(now)
    ]
    return ", ".join(names) if names else "none right now"


def pick_campaign(core: Core, community: Community, slug: str | None) -> CatalogEntry | None:
    """The campaign named by `slug`, else the community's featured or only open campaign.

    Returns None when the member has to choose among several open campaigns.
    Raises UserError for a slug we do not know or when no campaign is open.
    """
    now = core.clock()
    if slug:
        entry = core.campaigns.get(slug.strip().lower())
        if entry is None:
            raise UserError(
                f"There is no campaign called “{member_text(slug, 40)}”. Open campaigns: "
                f"{open_campaign_list(core, now)}."
            )
        return entry
    open_now = core.campaigns.open_campaigns(now)
    featured = core.campaigns.get(community.featured_campaign or "")
    if featured is not None and featured.spec.is_open(now):
        return featured
    if not open_now:
        raise UserError("No campaign is open right now. Check back when organizers announce one.")
    if len(open_now) == 1:
        return open_now[0]
    return None
