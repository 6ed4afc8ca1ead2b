"""Helpers every service shares: finding the community and member behind an `Actor`,
conflict-free inserts, and picking the campaign a command is about."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import Table, and_, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from callbot.campaigns import CatalogEntry
from callbot.core import Core
from callbot.db.models import Community, Member
from callbot.errors import UserError
from callbot.replies import Actor
from callbot.safety import member_text


def _insert(session: AsyncSession, table: Any) -> Any:
    """INSERT for the session's database, which knows ON CONFLICT (SQLite and PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


async def insert_ignoring_conflicts(
    session: AsyncSession, table: Table, values: dict[str, Any]
) -> bool:
    """Insert a row unless a unique constraint already holds one like it. True if inserted.

    This is how idempotency works: the database decides, so concurrent replicas agree.
    """
    result = await session.execute(
        _insert(session, table).values(**values).on_conflict_do_nothing()
    )
    return bool(getattr(result, "rowcount", 0))


async def insert_new_rows(
    session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]], *returning: Any
) -> list[Any]:
    """Insert the rows that no unique constraint already holds one like, in one statement;
    the `returning` columns of those inserted (the others were there already)."""
    if not rows:
        return []
    statement = _insert(session, table).values(list(rows)).on_conflict_do_nothing()
    return list((await session.execute(statement.returning(*returning))).all())


_Row = TypeVar("_Row", Community, Member)


async def _create(session: AsyncSession, model: type[_Row], values: dict[str, Any]) -> _Row | None:
    """The new row, or None when a concurrent request created it first (then select it)."""
    statement = _insert(session, model).values(**values).on_conflict_do_nothing()
    row: _Row | None = await session.scalar(statement.returning(model))
    return row


# Built once: the statements every click runs, with their SQL cache keys computed once too.
_COMMUNITY = select(Community).where(
    Community.platform == bindparam("platform"), Community.external_id == bindparam("community")
)
_MEMBER = select(Member).where(
    Member.community_id == bindparam("community_id"), Member.user_id == bindparam("user_id")
)
_MEMBER_OF = (
    select(Community, Member)
    .outerjoin(
        Member, and_(Member.community_id == Community.id, Member.user_id == bindparam("user_id"))
    )
    .where(
        Community.platform == bindparam("platform"), Community.external_id == bindparam("community")
    )
)


async def find_community(session: AsyncSession, actor: Actor) -> Community | None:
    return await session.scalar(
        _COMMUNITY, {"platform": actor.platform, "community": actor.community_id}
    )


async def _create_community(session: AsyncSession, core: Core, actor: Actor) -> Community:
    """A new community row with default settings (or the one a concurrent request made)."""
    community = await _create(
        session,
        Community,
        {
            "platform": actor.platform,
            "external_id": actor.community_id,
            "name": actor.community_name[:200],
            "timezone": core.settings.default_timezone,
            "organizer_user_ids": [],
            "created_at": core.clock(),
        },
    ) or await find_community(session, actor)
    assert community is not None
    return community


async def ensure_community(session: AsyncSession, core: Core, actor: Actor) -> Community:
    """The actor's community, created with default settings on first contact."""
    return await find_community(session, actor) or await _create_community(session, core, actor)


async def find_member(session: AsyncSession, community: Community, user_id: str) -> Member | None:
    return await session.scalar(_MEMBER, {"community_id": community.id, "user_id": user_id})


async def _create_member(
    session: AsyncSession, core: Core, community: Community, actor: Actor
) -> Member:
    """A new, empty member row (or the one a concurrent request made)."""
    now = core.clock()
    member = await _create(
        session,
        Member,
        {
            "community_id": community.id,
            "user_id": actor.user_id,
            "leaderboard_visible": True,
            "reminders": True,
            "created_at": now,
            "updated_at": now,
        },
    ) or await find_member(session, community, actor.user_id)
    assert member is not None
    return member


async def find_member_of(
    session: AsyncSession, actor: Actor
) -> tuple[Community | None, Member | None]:
    """The actor's community and member row (either may not exist yet), in one query."""
    row = (
        await session.execute(
            _MEMBER_OF,
            {
                "platform": actor.platform,
                "community": actor.community_id,
                "user_id": actor.user_id,
            },
        )
    ).first()
    return (row[0], row[1]) if row is not None else (None, None)


async def ensure_member_of(
    session: AsyncSession, core: Core, actor: Actor
) -> tuple[Community, Member]:
    """The actor's community and member row, created on first contact. One query when both
    exist already; a newcomer's row costs one INSERT more."""
    community, member = await find_member_of(session, actor)
    if community is None:
        community = await _create_community(session, core, actor)
    if member is None:
        member = await _create_member(session, core, community, actor)
    return community, member


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
    default = default_campaign(open_now, community.featured_campaign)
    if default is None and not open_now:
        raise UserError("No campaign is open right now. Check back when organizers announce one.")
    return default


def default_campaign(open_now: Sequence[CatalogEntry], featured: str | None) -> CatalogEntry | None:
    """The campaign meant when none is named, among the open ones: the featured campaign
    (a slug) if it is open, else the only open one; None when there is none or a choice to
    make. Pure."""
    if featured:
        for entry in open_now:
            if entry.spec.slug == featured:
                return entry
    return open_now[0] if len(open_now) == 1 else None
