"""The campaigns a running bot knows: files synced into the database, looked up in memory.

The database row gives each campaign a stable id that pledges, outcomes and alerts refer
to. A campaign whose file disappears is marked inactive, never deleted, and stays in the
catalog (rebuilt from its stored definition) so that old buttons and tallies still resolve.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from callbot.campaigns.loader import LoadedCampaign
from callbot.campaigns.schema import CampaignSpec
from callbot.db.models import Campaign

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """A campaign and its id (`campaigns.id` in the database)."""

    id: int
    spec: CampaignSpec


class CampaignCatalog:
    """Every campaign the database holds, by slug and by id. Immutable once built."""

    def __init__(self, entries: Iterable[CatalogEntry] = ()) -> None:
        self._entries = tuple(
            sorted(entries, key=lambda entry: (entry.spec.title.casefold(), entry.spec.slug))
        )
        self._by_slug = {entry.spec.slug: entry for entry in self._entries}
        self._by_id = {entry.id: entry for entry in self._entries}

    def get(self, slug: str) -> CatalogEntry | None:
        """The campaign with this slug, open or not."""
        return self._by_slug.get(slug)

    def by_id(self, id: int) -> CatalogEntry | None:
        """The campaign with this database id, open or not."""
        return self._by_id.get(id)

    def open_campaigns(self, now: datetime) -> list[CatalogEntry]:
        """Campaigns that are active and within their dates at `now`, sorted by title."""
        return [entry for entry in self._entries if entry.spec.is_open(now)]

    def all(self) -> list[CatalogEntry]:
        """Every campaign, including inactive and closed ones, sorted by title."""
        return list(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"CampaignCatalog({[entry.spec.slug for entry in self._entries]!r})"


def _row_values(item: LoadedCampaign, now: datetime) -> dict[str, Any]:
    spec = item.spec
    return {
        "title": spec.title,
        "content_hash": item.content_hash,
        "definition": spec.model_dump(mode="json"),
        "source_path": stored_path(item.path),
        "active": spec.active,
        "goal": spec.goal,
        "starts_at": spec.starts,
        "ends_at": spec.ends,
        "synced_at": now,
    }


def _needs_update(row: Campaign, item: LoadedCampaign) -> bool:
    return (
        row.content_hash != item.content_hash
        or row.active != item.spec.active  # a file that came back after it had disappeared
        or row.source_path != stored_path(item.path)
    )


def stored_path(path: Path) -> str:
    """A file's path as the database keeps it: text (undecodable bytes of its name escaped),
    at most the column's 500 characters."""
    return str(path).encode("utf-8", "backslashreplace").decode("utf-8")[:500]


async def _insert_new(session: AsyncSession, values: dict[str, Any]) -> None:
    # Several replicas may start at once; the unique slug decides, and the loser re-reads.
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    await session.execute(
        insert(Campaign).values(**values).on_conflict_do_nothing(index_elements=["slug"])
    )


def _stored_spec(row: Campaign) -> CampaignSpec | None:
    try:
        return CampaignSpec.model_validate({**row.definition, "active": row.active})
    except ValidationError as exc:
        log.error(
            "stored definition of campaign %r (id %s) no longer validates; it is left out: %s",
            row.slug,
            row.id,
            exc,
        )
        return None


async def sync_campaigns(
    session: AsyncSession, loaded: Sequence[LoadedCampaign]
) -> CampaignCatalog:
    """Upsert the loaded campaign files by slug and return the catalog of every stored campaign.

    A file whose bytes did not change writes nothing. A stored campaign with no file any more
    is marked inactive. The caller owns the transaction (commit happens outside).
    """
    slugs = [item.spec.slug for item in loaded]
    if len(set(slugs)) != len(slugs):
        repeated = sorted({slug for slug in slugs if slugs.count(slug) > 1})
        raise ValueError(f"campaign slugs loaded twice: {', '.join(repeated)}")
    now = datetime.now(UTC)
    rows = {row.slug: row for row in (await session.scalars(select(Campaign))).all()}
    stored: list[LoadedCampaign] = []
    for item in loaded:
        row = rows.get(item.spec.slug)
        try:
            # Each file in a savepoint of its own: should the database refuse one that passed
            # every check (it must not: the checks hold what the database cannot store), that
            # file is skipped and the bot still starts.
            async with session.begin_nested():
                if row is None:
                    await _insert_new(session, {"slug": item.spec.slug, **_row_values(item, now)})
                    log.info("campaign %s added from %s", item.spec.slug, item.path)
                elif _needs_update(row, item):
                    for name, value in _row_values(item, now).items():
                        setattr(row, name, value)
                    await session.flush()
                    log.info("campaign %s updated from %s", item.spec.slug, item.path)
        except SQLAlchemyError as exc:
            log.warning("campaign file skipped: %s: the database refused it: %s", item.path, exc)
            if row is not None:
                await session.refresh(row)
            continue
        stored.append(item)
    present = set(slugs)  # a refused file's campaign keeps what was stored before
    for slug, row in rows.items():
        if slug not in present and row.active:
            row.active = False
            row.synced_at = now
            log.info("campaign %s has no file any more; marked inactive", slug)
    await session.flush()

    fresh = {item.spec.slug: item.spec for item in stored}
    entries: list[CatalogEntry] = []
    for row in (await session.scalars(select(Campaign).order_by(Campaign.id))).all():
        spec = fresh[row.slug] if row.slug in fresh else _stored_spec(row)
        if spec is not None:
            entries.append(CatalogEntry(row.id, spec))
    return CampaignCatalog(entries)
