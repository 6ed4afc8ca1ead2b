"""A deterministic synthetic dataset shaped like real use, and a fast bulk loader for it.

Shape: community sizes follow a Zipf-like curve (a few large communities, a long tail of small
ones); each community has a home state that most of its members live in; members' ZIPs are
real ZCTAs from the loaded congress data, with state and district set (for a split ZIP, the
district the member picked); how active members are follows a Pareto curve; call sessions
go through the member's real targets for a campaign (1 to 3 offices), each call's result is
drawn with the weights below, and sessions are spread over the last 90 days.
"""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.measure import Stopwatch
from callbot.campaigns import CatalogEntry
from callbot.civic import CongressDirectory, District
from callbot.db.models import CallOutcome, Community, Member, Pledge
from callbot.replies import Actor
from callbot.services.targets import legislator_target, vacant_target

SEED = 20_261_123
FULL_SIZE = {"communities": 1_000, "members": 100_000, "outcomes": 1_000_000, "pledges": 100_000}
RESULT_WEIGHTS = {"contact": 35, "voicemail": 40, "unavailable": 15, "skip": 10}
HISTORY_DAYS = 90
BATCH_ROWS = 10_000
HOME_STATE_SHARE = 0.7  # members living in their community's home state
HIDDEN_SHARE = 0.05  # members who opted out of the leaderboard
ZIPF_EXPONENT = 1.0
PARETO_ALPHA = 1.2  # member activity: a fifth of the members make about two thirds of the calls
MAX_ACTIVITY = 100  # the busiest make 100 times the calls of the least active, not thousands
SECONDS_BETWEEN_CALLS = 150
PLATFORMS = ("discord", "slack")
TIMEZONES = ("America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles")
FIRST_NAMES = (
    "Ana",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farah",
    "Gus",
    "Hana",
    "Ivan",
    "Jade",
    "Kofi",
    "Lena",
    "Mateo",
    "Nia",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tariq",
    "Uma",
    "Val",
    "Wen",
    "Xavi",
    "Yara",
    "Zoe",
)


@dataclass(frozen=True, slots=True)
class DatasetSize:
    communities: int
    members: int
    outcomes: int
    pledges: int

    @classmethod
    def at_scale(cls, scale: float, campaigns: int) -> DatasetSize:
        """The issue's sizes times `scale`; at least 2 communities and 10 members."""
        if scale <= 0:
            raise ValueError(f"the scale must be above 0, not {scale}")
        members = max(10, round(FULL_SIZE["members"] * scale))
        return cls(
            communities=min(members, max(2, round(FULL_SIZE["communities"] * scale))),
            members=members,
            outcomes=max(1, round(FULL_SIZE["outcomes"] * scale)),
            pledges=min(members * campaigns, max(1, round(FULL_SIZE["pledges"] * scale))),
        )


def describe(size: DatasetSize, campaign_slugs: Sequence[str], seed: int = SEED) -> dict[str, Any]:
    """The dataset's shape, for the report."""
    sizes = sorted(_split_sizes(size.members, size.communities))
    return {
        "communities": size.communities,
        "members": size.members,
        "outcomes": size.outcomes,
        "pledges": size.pledges,
        "campaigns": len(campaign_slugs),
        "campaign_slugs": sorted(campaign_slugs),
        "largest_community_members": sizes[-1],
        "median_community_members": sizes[len(sizes) // 2],
        "smallest_community_members": sizes[0],
        "history_days": HISTORY_DAYS,
        "result_weights_percent": RESULT_WEIGHTS,
        "seed": seed,
    }


@dataclass(frozen=True, slots=True)
class GenCommunity:
    id: int
    platform: str
    external_id: str
    name: str
    timezone: str
    home_state: str
    members: range  # indexes into Dataset.members


@dataclass(frozen=True, slots=True)
class GenMember:
    id: int
    community: int  # index into Dataset.communities
    user_id: str
    name: str
    zip_code: str
    district: District
    visible: bool


def _split_sizes(total: int, parts: int) -> list[int]:
    """`total` split into `parts` Zipf-shaped sizes, each at least 1, largest first."""
    weights = [1 / (rank + 1) ** ZIPF_EXPONENT for rank in range(parts)]
    scale = (total - parts) / sum(weights)
    sizes = [1 + int(w * scale) for w in weights]
    shortfall = total - sum(sizes)
    remainders = sorted(range(parts), key=lambda i: (weights[i] * scale) % 1, reverse=True)
    for index in remainders[:shortfall]:
        sizes[index] += 1
    return sizes


class Dataset:
    """The generated rows; deterministic for a given size, data, campaigns, seed and `now`."""

    def __init__(
        self,
        size: DatasetSize,
        directory: CongressDirectory,
        zips: dict[str, tuple[District, ...]],
        campaigns: Sequence[CatalogEntry],
        now: datetime,
        seed: int = SEED,
    ) -> None:
        if not campaigns:
            raise ValueError("the dataset needs at least one campaign")
        if not zips:
            raise ValueError("the dataset needs ZIP codes from the congress data")
        self.size = size
        self.directory = directory
        self.campaigns = sorted(campaigns, key=lambda entry: entry.spec.slug)
        self.now = now
        self.seed = seed
        self._today = now.date()
        self._targets: dict[tuple[District, int], tuple[str, ...]] = {}
        self.target_names: dict[str, str] = {}
        rng = random.Random(seed)
        by_state: dict[str, list[str]] = {}
        for code in sorted(zips):
            for state in {d.state for d in zips[code]}:
                by_state.setdefault(state, []).append(code)
        states = sorted(by_state)
        all_zips = sorted(zips)
        self.communities: list[GenCommunity] = []
        self.members: list[GenMember] = []
        sizes = _split_sizes(size.members, size.communities)
        first = 0
        for index, count in enumerate(sizes):
            # Home states weighted by their number of ZIPs, roughly by population.
            home = rng.choices(states, weights=[len(by_state[s]) for s in states])[0]
            community = GenCommunity(
                id=index + 1,
                platform=PLATFORMS[index % len(PLATFORMS)],
                external_id=f"bench-{index + 1}",
                name=f"Community {index + 1}",
                timezone=TIMEZONES[index % len(TIMEZONES)],
                home_state=home,
                members=range(first, first + count),
            )
            self.communities.append(community)
            for number in range(count):
                pool = by_state[home] if rng.random() < HOME_STATE_SHARE else all_zips
                code = rng.choice(pool)
                candidates = [d for d in zips[code] if pool is all_zips or d.state == home]
                self.members.append(
                    GenMember(
                        id=first + number + 1,
                        community=index,
                        user_id=f"user-{number + 1}",
                        name=f"{rng.choice(FIRST_NAMES)} {chr(65 + rng.randrange(26))}.",
                        zip_code=code,
                        district=rng.choice(candidates or list(zips[code])),
                        visible=rng.random() >= HIDDEN_SHARE,
                    )
                )
            first += count
        activity = [min(MAX_ACTIVITY, rng.paretovariate(PARETO_ALPHA)) for _ in self.members]
        self._activity = list(itertools.accumulate(activity))
        self._result_names = list(RESULT_WEIGHTS)
        self._result_cum = list(itertools.accumulate(RESULT_WEIGHTS.values()))

    # What the services would show the member

    def keys_for(self, member: GenMember, campaign: int) -> tuple[str, ...]:
        """The target keys the member's call session for the campaign goes through, in order."""
        cached = self._targets.get((member.district, campaign))
        if cached is None:
            cached = self._targets[(member.district, campaign)] = self._plan(
                member.district, self.campaigns[campaign]
            )
        return cached

    def _plan(self, district: District, entry: CatalogEntry) -> tuple[str, ...]:
        spec = entry.spec
        fallback = spec.fallback_phone
        today: date = self._today
        chambers: dict[str, list[str]] = {"house": [], "senate": [], "custom": []}
        if spec.targets.house:
            representative = self.directory.representative(district)
            target = (
                legislator_target(representative, today, fallback)
                if representative is not None
                else vacant_target(district, fallback)
            )
            chambers["house"].append(target.key)
            self.target_names[target.key] = target.heading
        if spec.targets.senate and self.directory.has_senators(district.state):
            for senator in self.directory.senators(district.state):
                target = legislator_target(senator, today, fallback)
                chambers["senate"].append(target.key)
                self.target_names[target.key] = target.heading
        for custom in spec.targets.custom:
            key = f"custom-{custom.key}"
            chambers["custom"].append(key)
            self.target_names[key] = f"{custom.title} {custom.name}"
        return tuple(key for chamber in spec.targets.order for key in chambers[chamber])

    def actor(self, member: GenMember) -> Actor:
        community = self.communities[member.community]
        return Actor(community.platform, community.external_id, member.user_id, member.name)

    @property
    def largest(self) -> GenCommunity:
        return max(self.communities, key=lambda c: len(c.members))

    # Rows

    def community_rows(self) -> list[dict[str, Any]]:
        created = self.now - timedelta(days=HISTORY_DAYS + 30)
        return [
            {
                "id": c.id,
                "platform": c.platform,
                "external_id": c.external_id,
                "name": c.name,
                "timezone": c.timezone,
                "organizer_user_ids": [],
                "created_at": created,
            }
            for c in self.communities
        ]

    MEMBER_COLUMNS = (
        "id",
        "community_id",
        "user_id",
        "name",
        "zip_code",
        "state",
        "district",
        "leaderboard_visible",
        "reminders",
        "created_at",
        "updated_at",
    )

    def member_batches(self) -> Iterator[list[tuple[Any, ...]]]:
        created = self.now - timedelta(days=HISTORY_DAYS + 1)
        for start in range(0, len(self.members), BATCH_ROWS):
            yield [
                (
                    m.id,
                    self.communities[m.community].id,
                    m.user_id,
                    m.name,
                    m.zip_code,
                    m.district.state,
                    m.district.number,
                    m.visible,
                    True,
                    created,
                    created,
                )
                for m in self.members[start : start + BATCH_ROWS]
            ]

    PLEDGE_COLUMNS = ("id", "community_id", "member_id", "campaign_id", "created_at")

    def pledge_batches(self) -> Iterator[list[tuple[Any, ...]]]:
        rng = random.Random(self.seed + 1)
        count = len(self.campaigns)
        picks = rng.sample(range(len(self.members) * count), self.size.pledges)
        span = HISTORY_DAYS * 86_400
        for start in range(0, len(picks), BATCH_ROWS):
            batch = []
            for offset, pick in enumerate(picks[start : start + BATCH_ROWS]):
                member = self.members[pick // count]
                batch.append(
                    (
                        start + offset + 1,
                        self.communities[member.community].id,
                        member.id,
                        self.campaigns[pick % count].id,
                        self.now - timedelta(seconds=rng.uniform(0, span)),
                    )
                )
            yield batch

    OUTCOME_COLUMNS = (
        "id",
        "community_id",
        "member_id",
        "campaign_id",
        "session_key",
        "target_key",
        "target_name",
        "result",
        "interaction_id",
        "created_at",
    )

    def outcome_batches(self) -> Iterator[list[tuple[Any, ...]]]:
        """Whole call sessions (the last one cut short) until there are `size.outcomes` rows."""
        rng = random.Random(self.seed + 2)
        remaining = self.size.outcomes
        row_id = 0
        session = 0
        batch: list[tuple[Any, ...]] = []
        span = HISTORY_DAYS * 86_400 - 3_600  # the last call of a session still lies in the past
        members = self.members
        total_activity = self._activity[-1]
        total_results = self._result_cum[-1]
        while remaining > 0:
            member = members[bisect.bisect(self._activity, rng.random() * total_activity)]
            campaign = rng.randrange(len(self.campaigns))
            keys = self.keys_for(member, campaign)
            if not keys:  # e.g. a senate campaign for a member in DC: nobody to call
                continue
            session += 1
            session_key = f"s{session:09d}"  # 10 characters: never a 8-character service key
            community_id = self.communities[member.community].id
            campaign_id = self.campaigns[campaign].id
            started = self.now - timedelta(seconds=3_600 + rng.uniform(0, span))
            for step, key in enumerate(keys[:remaining]):
                row_id += 1
                result = self._result_names[
                    bisect.bisect(self._result_cum, rng.random() * total_results)
                ]
                batch.append(
                    (
                        row_id,
                        community_id,
                        member.id,
                        campaign_id,
                        session_key,
                        key,
                        self.target_names[key],
                        result,
                        f"gen-{row_id}",
                        started + timedelta(seconds=SECONDS_BETWEEN_CALLS * step),
                    )
                )
                if len(batch) == BATCH_ROWS:
                    yield batch
                    batch = []
            remaining -= min(len(keys), remaining)
        if batch:
            yield batch


@dataclass(frozen=True, slots=True)
class TableLoad:
    rows: int
    seconds: float

    def to_json(self) -> dict[str, float]:
        return {
            "rows": self.rows,
            "seconds": round(self.seconds, 3),
            "rows_per_s": round(self.rows / self.seconds) if self.seconds else 0,
        }


async def _load_sqlite(
    engine: AsyncEngine,
    table: Any,
    columns: Sequence[str],
    batches: Iterator[list[tuple[Any, ...]]],
) -> int:
    # One transaction and executemany batches: the fastest the driver goes through SQLAlchemy.
    rows = 0
    statement = insert(table)
    async with engine.begin() as connection:
        for batch in batches:
            await connection.execute(
                statement, [dict(zip(columns, row, strict=True)) for row in batch]
            )
            rows += len(batch)
    return rows


async def _load_postgres(
    engine: AsyncEngine,
    table: Any,
    columns: Sequence[str],
    batches: Iterator[list[tuple[Any, ...]]],
) -> int:
    # COPY through asyncpg's own connection: an order of magnitude faster than INSERTs.
    rows = 0
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        for batch in batches:
            await driver.copy_records_to_table(table.name, records=batch, columns=list(columns))
            rows += len(batch)
    # Rows came with their ids: move the id sequence past them.
    await _reset_sequence(engine, table.name)
    return rows


async def bulk_load(engine: AsyncEngine, dataset: Dataset) -> dict[str, TableLoad]:
    """Insert the dataset (which must go into empty tables); generation time included."""
    loads: dict[str, TableLoad] = {}
    postgres = engine.dialect.name == "postgresql"
    with Stopwatch() as watch:
        async with engine.begin() as connection:
            await connection.execute(insert(Community), dataset.community_rows())
        if postgres:
            await _reset_sequence(engine, Community.__tablename__)
    loads["communities"] = TableLoad(len(dataset.communities), watch.seconds)
    load = _load_postgres if postgres else _load_sqlite
    for name, table, columns, batches in (
        ("members", Member.__table__, Dataset.MEMBER_COLUMNS, dataset.member_batches()),
        ("pledges", Pledge.__table__, Dataset.PLEDGE_COLUMNS, dataset.pledge_batches()),
        (
            "call_outcomes",
            CallOutcome.__table__,
            Dataset.OUTCOME_COLUMNS,
            dataset.outcome_batches(),
        ),
    ):
        with Stopwatch() as watch:
            rows = await load(engine, table, columns, batches)
        loads[name] = TableLoad(rows, watch.seconds)
    return loads


async def _reset_sequence(engine: AsyncEngine, table: str) -> None:
    async with engine.begin() as connection:
        await connection.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        )
