"""The core on one database: bulk-load the dataset, then time the services a member uses."""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from bench.civic_bench import CongressData
from bench.generate import (
    RESULT_WEIGHTS,
    Dataset,
    DatasetSize,
    GenCommunity,
    GenMember,
    bulk_load,
)
from bench.measure import WARMUP, Latency, Stopwatch, peak_rss_mb, time_each
from bench.report import Figure
from callbot.campaigns import CatalogEntry
from callbot.civic.manifest import ZCCD_FILE
from callbot.civic.parsing import parse_zccd
from callbot.config import Settings, load_settings
from callbot.core import Core, start_core
from callbot.db.models import CallOutcome
from callbot.replies import Actor, Reply, parse_component_id
from callbot.services import handle_component, leaderboard, start_call, tally
from callbot.services.tallies import tally_all_communities

REPO = Path(__file__).resolve().parent.parent
CAMPAIGN_FILES = (
    *sorted((REPO / "campaigns").glob("*.yaml")),
    REPO / "tests" / "fixtures" / "service-campaigns" / "both-chambers.yaml",
)
CALL_START_TARGET_MS = 10.0
TALLY_TARGET_MS = 50.0
LEADERBOARD_TARGET_MS = 20.0
RECORDING_RATIO_TARGET = 0.5
TALLY_ALL_SAMPLES = 20
TALLY_ALL_WARMUP = 2
RECORDED_ROWS_PER_SAMPLE = 5  # 1,000 outcome clicks and raw inserts at 200 samples
CONNECT_TIMEOUT = 10.0
_DATABASE_NAME = re.compile(r"^[A-Za-z0-9_]+$")


class Unavailable(Exception):
    """The database cannot be used for the benchmark; the message says why."""


@dataclass(frozen=True, slots=True)
class BenchOptions:
    scale: float
    samples: int
    seed: int


def check_postgres_url(url: str) -> str:
    """The URL, if it names a database the benchmark may wipe (its name contains "bench")."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"--postgres-url must be a postgresql:// URL, not {url!r}")
    name = parsed.database or ""
    if not _DATABASE_NAME.match(name) or "bench" not in name:
        raise ValueError(
            f"--postgres-url names the database {name!r}: the benchmark drops every table in it, "
            "so it only runs on a database whose name contains 'bench' (letters, digits and _)"
        )
    return url


def _dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def prepare_postgres(url: str) -> str:
    """Create the bench database if missing and empty its schema; returns the server version.

    Raises Unavailable when the server cannot be reached or refuses.
    """
    name = make_url(url).database or ""
    try:
        admin = await asyncpg.connect(_dsn(url, "postgres"), timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        where = make_url(url).render_as_string(hide_password=True)
        raise Unavailable(f"cannot connect to PostgreSQL for {where}: {exc}") from None
    try:
        version = str(await admin.fetchval("SHOW server_version"))
        if not await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await admin.execute(f'CREATE DATABASE "{name}"')  # the name was checked: [A-Za-z0-9_]
        bench = await asyncpg.connect(_dsn(url), timeout=CONNECT_TIMEOUT)
        try:
            # A dedicated database: rebuilding the schema also drops tables of other versions.
            await bench.execute("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public")
        finally:
            await bench.close()
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise Unavailable(f"PostgreSQL refused to prepare database {name!r}: {exc}") from None
    finally:
        await admin.close()
    return version


def _settings(url: str, data: CongressData, campaigns_dir: Path) -> Settings:
    return load_settings(
        database_url=url,
        callbot_data_dir=data.folder.parent,  # the core reads <data dir>/congress
        campaigns_dir=campaigns_dir,
        _env_file=None,
    )


def copy_campaigns(target: Path) -> Path:
    """The campaign files the benchmark uses, copied into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for path in CAMPAIGN_FILES:
        (target / path.name).write_bytes(path.read_bytes())
    return target


def outcome_buttons(reply: Reply) -> dict[str, str]:
    """Result -> component id of the outcome buttons on a call step (empty after the last)."""
    return {
        parse_component_id(action.id)[1][-1]: action.id
        for action in reply.actions
        if action.kind == "outcome"
    }


def _visible_actor(dataset: Dataset, community: GenCommunity) -> Actor:
    """A member of the community who shows on its leaderboard (asks for it and the tally)."""
    members = [dataset.members[index] for index in community.members]
    return dataset.actor(next((m for m in members if m.visible), members[0]))


class DatabaseBench:
    """Every database figure, measured on a Core that `start_core` built."""

    def __init__(self, core: Core, dataset: Dataset, options: BenchOptions) -> None:
        self.core = core
        self.dataset = dataset
        self.options = options
        self.rng = random.Random(options.seed + 10)
        by_size = sorted(dataset.communities, key=lambda c: (len(c.members), c.id))
        self.largest = by_size[-1]
        self.typical = by_size[len(by_size) // 2]
        self.largest_actor = _visible_actor(dataset, self.largest)
        self.typical_actor = _visible_actor(dataset, self.typical)

    def _callable(self) -> tuple[GenMember, CatalogEntry]:
        """A random member and a campaign that gives them someone to call."""
        while True:
            member = self.rng.choice(self.dataset.members)
            index = self.rng.randrange(len(self.dataset.campaigns))
            if self.dataset.keys_for(member, index):
                return member, self.dataset.campaigns[index]

    async def call_start(self) -> Latency:
        picks = [self._callable() for _ in range(WARMUP + self.options.samples)]

        async def operation(index: int) -> None:
            member, entry = picks[index]
            reply = await start_call(self.core, self.dataset.actor(member), entry.spec.slug)
            if not outcome_buttons(reply):
                raise RuntimeError(f"start_call gave no call step for {member}: {reply.text}")

        return await time_each(operation, self.options.samples)

    async def busiest_campaign(self, community_id: int) -> CatalogEntry:
        async with self.core.sessions() as session:
            campaign_id = await session.scalar(
                select(CallOutcome.campaign_id)
                .where(CallOutcome.community_id == community_id)
                .group_by(CallOutcome.campaign_id)
                .order_by(func.count().desc(), CallOutcome.campaign_id)
                .limit(1)
            )
        entry = self.core.campaigns.by_id(campaign_id) if campaign_id is not None else None
        return entry or self.dataset.campaigns[0]

    async def tally_one(self, actor: Actor, entry: CatalogEntry) -> Latency:
        async def operation(_index: int) -> None:
            reply = await tally(self.core, actor, entry.spec.slug)
            if not reply.facts:
                raise RuntimeError(f"tally gave no figures: {reply.text}")

        return await time_each(operation, self.options.samples)

    async def tally_all(self, entry: CatalogEntry) -> tuple[Latency, int]:
        communities = 0

        async def operation(_index: int) -> None:
            nonlocal communities
            async with self.core.sessions() as session:
                communities = len(await tally_all_communities(session, entry.id))

        samples = min(TALLY_ALL_SAMPLES, self.options.samples)
        latency = await time_each(operation, samples, TALLY_ALL_WARMUP)
        return latency, communities

    async def leaderboard(self, actor: Actor) -> Latency:
        async def operation(_index: int) -> None:
            reply = await leaderboard(self.core, actor, None, "all")
            if not reply.body or reply.body.startswith("No completed calls"):
                raise RuntimeError(f"the leaderboard is empty: {reply.text}")

        return await time_each(operation, self.options.samples)

    async def community_outcomes(self, community_id: int) -> int:
        async with self.core.sessions() as session:
            count = await session.scalar(
                select(func.count()).where(CallOutcome.community_id == community_id)
            )
        return int(count or 0)

    async def _outcome_rows(self) -> int:
        async with self.core.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(CallOutcome)) or 0)

    async def record_outcomes(self, rows: int) -> Latency:
        """Whole call sessions through the services; only the outcome clicks are timed."""
        results = list(RESULT_WEIGHTS)
        weights = list(RESULT_WEIGHTS.values())
        clicks = 0
        durations: list[float] = []
        before = 0
        while len(durations) < rows:
            member, entry = self._callable()
            actor = self.dataset.actor(member)
            reply = await start_call(self.core, actor, entry.spec.slug)
            if not outcome_buttons(reply):
                raise RuntimeError(f"start_call gave no call step for {member}: {reply.text}")
            while len(durations) < rows and (buttons := outcome_buttons(reply)):
                button = buttons[self.rng.choices(results, weights)[0]]
                clicks += 1
                started = time.perf_counter()
                reply = await handle_component(
                    self.core, actor, button, interaction_id=f"bench-click-{clicks}"
                )
                elapsed = time.perf_counter() - started
                if clicks > WARMUP:
                    durations.append(elapsed)
                elif clicks == WARMUP:
                    before = await self._outcome_rows()
        recorded = await self._outcome_rows() - before
        if recorded != rows:
            raise RuntimeError(f"{rows} outcome clicks stored {recorded} rows")
        return Latency(tuple(durations))

    async def raw_inserts(self, rows: int) -> float:
        """Seconds for `rows` single-row INSERTs into call_outcomes, each in its own commit."""
        statement = insert(CallOutcome)
        engine = self.core.engine
        total = 0.0
        for index in range(WARMUP + rows):
            member, entry = self._callable()
            values: dict[str, Any] = {
                "community_id": self.dataset.communities[member.community].id,
                "member_id": member.id,
                "campaign_id": entry.id,
                "session_key": f"raw{index:07d}",
                "target_key": "raw-insert",
                "target_name": "Raw insert",
                "result": "contact",
                "interaction_id": f"raw-insert-{index}",
                "created_at": datetime.now(UTC),
            }
            started = time.perf_counter()
            async with engine.begin() as connection:
                await connection.execute(statement, values)
            if index >= WARMUP:
                total += time.perf_counter() - started
        return total


async def _settle(core: Core) -> str:
    """After the bulk load: what a running PostgreSQL does by itself (autovacuum)."""
    if core.engine.dialect.name != "postgresql":
        return "no ANALYZE (the core never runs it on SQLite)"
    async with core.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert raw.driver_connection is not None
        await raw.driver_connection.execute("VACUUM ANALYZE")
    return "VACUUM ANALYZE, as autovacuum would"


async def run_database(
    url: str, data: CongressData, campaigns_dir: Path, options: BenchOptions
) -> tuple[dict[str, Figure], dict[str, Any], dict[str, Any]]:
    """Load the dataset into `url` and measure. Returns figures, load timings and memory."""
    memory: dict[str, float] = {"start": peak_rss_mb()}
    settings = _settings(url, data, campaigns_dir)
    with Stopwatch() as startup:
        core = await start_core(settings)
    try:
        if core.directory is None:
            raise RuntimeError(
                f"the core could not load the congress data: {core.directory_problem}"
            )
        zips, _ = parse_zccd(data.folder / ZCCD_FILE)
        entries = core.campaigns.all()
        size = DatasetSize.at_scale(options.scale, len(entries))
        with Stopwatch() as generation:
            dataset = Dataset(size, core.directory, zips, entries, datetime.now(UTC), options.seed)
        tables = await bulk_load(core.engine, dataset)
        with Stopwatch() as settling:
            settle = await _settle(core)
        memory["after load"] = peak_rss_mb()
        load = {
            "start_core_s": round(startup.seconds, 3),
            "members_in_memory_s": round(generation.seconds, 3),
            "tables": {name: table.to_json() for name, table in tables.items()},
            "settle": settle,
            "settle_s": round(settling.seconds, 3),
            "total_seconds": round(
                generation.seconds + sum(t.seconds for t in tables.values()) + settling.seconds, 3
            ),
        }
        bench = DatabaseBench(core, dataset, options)
        starts = await bench.call_start()
        entry = await bench.busiest_campaign(bench.largest.id)
        large_rows = await bench.community_outcomes(bench.largest.id)
        typical_rows = await bench.community_outcomes(bench.typical.id)
        tally_large = await bench.tally_one(bench.largest_actor, entry)
        tally_typical = await bench.tally_one(bench.typical_actor, entry)
        tally_all, communities = await bench.tally_all(entry)
        board_large = await bench.leaderboard(bench.largest_actor)
        board_typical = await bench.leaderboard(bench.typical_actor)
        memory["after reads"] = peak_rss_mb()
        rows = RECORDED_ROWS_PER_SAMPLE * options.samples
        recording = await bench.record_outcomes(rows)
        raw_seconds = await bench.raw_inserts(rows)
        memory["after writes"] = peak_rss_mb()
    finally:
        await core.close()
    per_s = rows / recording.total
    raw_per_s = rows / raw_seconds
    ratio = per_s / raw_per_s
    large = f"largest community: {len(bench.largest.members):,} members, {large_rows:,} outcomes"
    typical = f"median community: {len(bench.typical.members):,} members, {typical_rows:,} outcomes"
    slug = f"“{entry.spec.slug}”"
    figures = {
        "call_start_ms": _latency(
            "Call-session start (start_call → first target)", starts, CALL_START_TARGET_MS
        ),
        "record_outcome_ratio": Figure(
            label="Outcome recording / raw insert rate",
            unit="",
            value=round(ratio, 3),
            target=RECORDING_RATIO_TARGET,
            op=">=",
            summary=f"{ratio:.0%} ({per_s:,.0f} vs {raw_per_s:,.0f} rows/s, {rows:,} rows each)",
            detail={"rows": rows},
        ),
        "record_outcome_per_s": Figure(
            label="Outcome recording throughput (handle_component, sequential, whole sessions)",
            unit="rows/s",
            value=round(per_s, 1),
            summary=f"{per_s:,.0f} rows/s; per click {recording.summary()}",
            detail=recording.detail(),
        ),
        "raw_insert_per_s": Figure(
            label="Raw insert rate (one INSERT + commit per row into call_outcomes, same engine)",
            unit="rows/s",
            value=round(raw_per_s, 1),
            summary=f"{raw_per_s:,.0f} rows/s ({1000 / raw_per_s:.2f} ms per row)",
            detail={"rows": rows, "seconds": round(raw_seconds, 3)},
        ),
        "tally_one_ms": _latency(
            f"Tally of one community ({large}; {slug})",
            tally_large,
            TALLY_TARGET_MS,
            {"community_members": len(bench.largest.members), "community_outcomes": large_rows},
        ),
        "tally_typical_ms": _latency(
            f"Tally of one community ({typical}; {slug})",
            tally_typical,
            extra={
                "community_members": len(bench.typical.members),
                "community_outcomes": typical_rows,
            },
        ),
        "tally_all_ms": _latency(
            f"Tally of all {communities:,} communities (tally_all_communities; {slug})",
            tally_all,
            extra={"communities": communities},
        ),
        "leaderboard_ms": _latency(
            f"Leaderboard, all time ({large})",
            board_large,
            LEADERBOARD_TARGET_MS,
            {"community_members": len(bench.largest.members), "community_outcomes": large_rows},
        ),
        "leaderboard_typical_ms": _latency(
            f"Leaderboard, all time ({typical})",
            board_typical,
            extra={
                "community_members": len(bench.typical.members),
                "community_outcomes": typical_rows,
            },
        ),
        "peak_rss_mb": Figure(
            label="Peak memory of the process (ru_maxrss)",
            unit="MiB",
            value=memory["after writes"],
            summary=f"{memory['after writes']:,.0f} MiB",
        ),
    }
    return figures, load, memory


def _latency(
    label: str,
    latency: Latency,
    target_ms: float | None = None,
    extra: dict[str, Any] | None = None,
) -> Figure:
    """A latency figure: p99 is the value checked against the target."""
    return Figure(
        label=label,
        unit="ms",
        value=round(latency.ms(0.99), 3),
        target=target_ms,
        op="<=" if target_ms is not None else None,
        summary=latency.summary(),
        detail=latency.detail() | (extra or {}),
    )


def sqlite_url(workdir: Path) -> str:
    return f"sqlite:///{workdir / 'bench.sqlite3'}"
