"""sync_campaigns: campaign files become database rows with stable ids; nothing is deleted."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from callbot.campaigns import CampaignCatalog, load_campaigns, sync_campaigns
from callbot.db.engine import create_sessionmaker
from callbot.db.models import Campaign

CAMPAIGN_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "campaigns"
JUNE = datetime(2025, 6, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def sessions(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "campaigns"
    folder.mkdir()
    for name in ("everything.yml", "minimal.yaml"):
        shutil.copy(CAMPAIGN_FIXTURES / "good" / name, folder / name)
    return folder


async def sync(sessions: async_sessionmaker[AsyncSession], folder: Path) -> CampaignCatalog:
    loaded = load_campaigns(folder)
    assert loaded.problems == []
    async with sessions.begin() as session:
        return await sync_campaigns(session, loaded.campaigns)


async def rows(sessions: async_sessionmaker[AsyncSession]) -> dict[str, Campaign]:
    async with sessions() as session:
        return {row.slug: row for row in (await session.scalars(select(Campaign))).all()}


async def test_first_sync_inserts_every_campaign(
    sessions: async_sessionmaker[AsyncSession], folder: Path
) -> None:
    catalog = await sync(sessions, folder)

    stored = await rows(sessions)
    assert set(stored) == {"everything-2025", "minimal"}
    row = stored["everything-2025"]
    spec = load_campaigns(folder).campaigns[0].spec
    assert row.title == spec.title
    assert row.definition == spec.model_dump(mode="json")
    assert row.goal == 250
    assert row.starts_at == datetime(2025, 6, 1, 13, 0, tzinfo=UTC)
    assert row.ends_at is not None and row.ends_at.tzinfo is not None
    assert row.ends_at.date().isoformat() == "2025-06-30"
    assert row.source_path == str(folder / "everything.yml")
    assert row.active is True
    assert len(row.content_hash) == 64

    assert len(catalog) == 2
    entry = catalog.get("everything-2025")
    assert entry is not None and entry.id == row.id and entry.spec == spec
    assert catalog.by_id(row.id) is entry
    assert catalog.get("nope") is None and catalog.by_id(-1) is None
    assert [e.spec.slug for e in catalog.all()] == ["everything-2025", "minimal"]  # by title
    assert [e.spec.slug for e in catalog.open_campaigns(JUNE)] == ["everything-2025", "minimal"]
    assert [e.spec.slug for e in catalog.open_campaigns(datetime(2026, 1, 1, tzinfo=UTC))] == [
        "minimal"
    ]


async def test_unchanged_files_write_nothing(
    sessions: async_sessionmaker[AsyncSession], folder: Path
) -> None:
    await sync(sessions, folder)
    before = {slug: (row.id, row.synced_at) for slug, row in (await rows(sessions)).items()}

    catalog = await sync(sessions, folder)

    after = {slug: (row.id, row.synced_at) for slug, row in (await rows(sessions)).items()}
    assert after == before
    assert {entry.spec.slug: entry.id for entry in catalog.all()} == {
        slug: ids[0] for slug, ids in before.items()
    }


async def test_a_changed_file_updates_its_row_and_keeps_its_id(
    sessions: async_sessionmaker[AsyncSession], folder: Path
) -> None:
    await sync(sessions, folder)
    old = (await rows(sessions))["minimal"]
    path = folder / "minimal.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("The fewest fields", "Fewer fields")
        + "goal: 40\n",
        encoding="utf-8",
    )

    catalog = await sync(sessions, folder)

    new = (await rows(sessions))["minimal"]
    assert new.id == old.id
    assert (new.title, new.goal) == ("Fewer fields", 40)
    assert new.content_hash != old.content_hash
    assert new.definition["title"] == "Fewer fields"
    assert new.synced_at > old.synced_at
    entry = catalog.get("minimal")
    assert entry is not None and entry.spec.title == "Fewer fields"


async def test_a_removed_file_is_kept_inactive_and_still_resolves(
    sessions: async_sessionmaker[AsyncSession], folder: Path
) -> None:
    first = await sync(sessions, folder)
    old_entry = first.get("minimal")
    assert old_entry is not None
    (folder / "minimal.yaml").unlink()

    catalog = await sync(sessions, folder)

    row = (await rows(sessions))["minimal"]
    assert row.active is False
    entry = catalog.get("minimal")
    assert entry is not None and entry.id == old_entry.id
    assert catalog.by_id(old_entry.id) is entry
    assert entry.spec.active is False
    assert entry.spec.script_for("senate") == old_entry.spec.script_for("senate")
    assert "minimal" not in {e.spec.slug for e in catalog.open_campaigns(JUNE)}
    assert len(catalog) == 2


async def test_a_file_that_comes_back_is_active_again(
    sessions: async_sessionmaker[AsyncSession], folder: Path, tmp_path: Path
) -> None:
    await sync(sessions, folder)
    parked = tmp_path / "minimal.yaml"
    shutil.move(folder / "minimal.yaml", parked)
    await sync(sessions, folder)
    shutil.move(parked, folder / "minimal.yaml")

    catalog = await sync(sessions, folder)

    assert (await rows(sessions))["minimal"].active is True
    entry = catalog.get("minimal")
    assert entry is not None and entry.spec.is_open(JUNE)


async def test_loading_the_same_slug_twice_is_refused(
    sessions: async_sessionmaker[AsyncSession], folder: Path
) -> None:
    loaded = load_campaigns(folder).campaigns

    async with sessions.begin() as session:
        with pytest.raises(ValueError, match="minimal"):
            await sync_campaigns(session, [*loaded, loaded[1]])


async def test_sync_with_no_files_keeps_an_empty_catalog(
    sessions: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    catalog = await sync(sessions, tmp_path)

    assert len(catalog) == 0
    assert catalog.open_campaigns(JUNE) == []


async def test_a_file_the_database_refuses_is_skipped_and_the_others_still_load(
    engine: AsyncEngine,
    sessions: async_sessionmaker[AsyncSession],
    folder: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The checks hold what the database cannot store; should it refuse a file all the same
    (here a trigger makes it), start-up skips that one file and loads the rest."""
    from sqlalchemy import text

    (folder / "refused.yaml").write_text(
        "slug: refused\ntitle: R\nsummary: S\ntargets: {house: true}\nscript: Hi\n",
        encoding="utf-8",
    )
    async with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            await connection.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON campaigns WHEN NEW.slug = 'refused' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the database'); END"
                )
            )
        else:
            await connection.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                    "IF NEW.slug = 'refused' THEN RAISE EXCEPTION 'refused by the database'; "
                    "END IF; RETURN NEW; END $$"
                )
            )
            await connection.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON campaigns "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
    try:
        catalog = await sync(sessions, folder)
        assert catalog.get("refused") is None
        assert {entry.spec.slug for entry in catalog.all()} == set(await rows(sessions))
        assert len(catalog) == 2
        assert any(
            "campaign file skipped" in r.getMessage() and "refused.yaml" in r.getMessage()
            for r in caplog.records
        )
    finally:
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "DROP TRIGGER refuse"
                    + (" ON campaigns" if engine.dialect.name != "sqlite" else "")
                )
            )
            if engine.dialect.name != "sqlite":
                await connection.execute(text("DROP FUNCTION refuse()"))
