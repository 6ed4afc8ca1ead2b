"""The scheduler engine in this process, on the test database, with a recording notifier:
jobs follow the alert rows, a due alert is posted once, a restart inside the due window posts
it once, a run missed beyond the grace time is reported instead, and a second scheduler
stands by until the first stops. These run on the real clock: alerts fall due a second or
two after they are made, and waits are bounded by the notifier's own events."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from callbot.alerts.schedules import from_stored
from callbot.core import Core
from callbot.db.models import Alert, AlertDelivery, AlertStatus, Community
from callbot.notify import BeforeSend
from callbot.scheduling import leadership
from callbot.scheduling.engine import STORED, Scheduler
from callbot.scheduling.leadership import FileLeadership
from callbot.scheduling.thread import job_store_engine, job_store_url
from conftest import FIXTURES, build_core, make_settings
from test_alerts import RecordingNotifier

NEW_YORK = "America/New_York"
WAIT = 15.0  # seconds any wait here may take at most


class WaitingNotifier(RecordingNotifier):
    """A recording notifier whose waits end as soon as what is awaited has happened."""

    def __init__(self) -> None:
        super().__init__()
        self.changed = asyncio.Condition()

    async def recorded(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def wait_for(self, condition: Callable[[], bool]) -> None:
        async with asyncio.timeout(WAIT), self.changed:
            await self.changed.wait_for(condition)


@pytest.fixture
async def core(engine: AsyncEngine, tmp_path: Path) -> Core:
    settings = make_settings(tmp_path, str(engine.url), FIXTURES / "service-campaigns")
    return await build_core(engine, settings, lambda: datetime.now(UTC), with_directory=False)  # type: ignore[arg-type]


async def add_alert(core: Core, due_in: float, *, status: AlertStatus = AlertStatus.ACTIVE) -> int:
    """An alert of the governor campaign due `due_in` seconds from now (a stored one-time
    schedule to the second, as organizers cannot type: minutes are their finest), scheduled
    a minute before it is due or now, whichever is earlier."""
    now = datetime.now(UTC)
    due = now + timedelta(seconds=due_in)
    local = due.astimezone(ZoneInfo(NEW_YORK)).replace(tzinfo=None)
    entry = core.campaigns.get("governor")
    assert entry is not None
    async with core.sessions.begin() as session:
        community = await session.scalar(select(Community))
        if community is None:
            community = Community(
                platform="terminal", external_id="server-1", name="Springfield", timezone=NEW_YORK
            )
            session.add(community)
            await session.flush()
        alert = Alert(
            community_id=community.id,
            campaign_id=entry.id,
            channel_id="C1",
            schedule=f"once:{local.isoformat(timespec='seconds')}",
            timezone=NEW_YORK,
            message="",
            status=status,
            created_by="olga",
            created_at=now,
            scheduled_at=min(now, due - timedelta(minutes=1)),
        )
        session.add(alert)
        await session.flush()
        return alert.id


@asynccontextmanager
async def running(
    core: Core, notifier: RecordingNotifier, lock: Path, **options: object
) -> AsyncIterator[Scheduler]:
    """A scheduler leading (or standing by) until the block ends."""
    scheduler = Scheduler(
        core, {"terminal": notifier}, leadership=FileLeadership(lock, poll=0.05), **options
    )  # type: ignore[arg-type]
    task = asyncio.create_task(scheduler.run())
    try:
        yield scheduler
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def until(awaitable: Awaitable[object]) -> None:
    async with asyncio.timeout(WAIT):
        await awaitable


async def deliveries(core: Core) -> list[tuple[int, str]]:
    async with core.sessions() as session:
        rows = await session.execute(select(AlertDelivery.alert_id, AlertDelivery.status))
        return sorted((int(a), str(s)) for a, s in rows)


async def test_jobs_follow_the_alert_rows(core: Core, tmp_path: Path) -> None:
    notifier = WaitingNotifier()
    first = await add_alert(core, 3600)
    await add_alert(core, 3600, status=AlertStatus.DRAFT)  # a preview: not scheduled
    async with running(core, notifier, tmp_path / "lock") as scheduler:
        await until(scheduler.leading.wait())
        assert scheduler._scheduler is not None
        ids = {job.id for job in scheduler._scheduler.get_jobs(jobstore=STORED)}
        assert ids == {f"alert:{first}"}
        async with core.sessions.begin() as session:
            stored = await session.get(Alert, first)
            assert stored is not None
            stored.status = AlertStatus.CANCELLED
        await scheduler.sync()
        assert scheduler._scheduler.get_jobs(jobstore=STORED) == []


async def test_a_due_alert_is_posted_once_by_the_leader(core: Core, tmp_path: Path) -> None:
    notifier = WaitingNotifier()
    alert_id = await add_alert(core, 1.5)
    async with running(core, notifier, tmp_path / "lock"):
        await notifier.wait_for(lambda: len(notifier.posts) == 1)
    [(community, channel, post)] = notifier.posts
    assert (community, channel) == ("server-1", "C1") and post.title.startswith("Action alert")
    assert await deliveries(core) == [(alert_id, "posted")]
    async with core.sessions() as session:
        assert await session.scalar(select(Alert.status)) == AlertStatus.FINISHED


class HeldNotifier(WaitingNotifier):
    """Holds each post until `release` is set, telling `started` when one begins."""

    def __init__(self) -> None:
        super().__init__()
        self.started, self.release = asyncio.Event(), asyncio.Event()

    async def before_request(self, before_send: BeforeSend | None) -> None:
        self.started.set()
        await self.release.wait()
        await super().before_request(before_send)


async def test_a_running_alert_is_not_scheduled_again_by_the_sync(
    core: Core, tmp_path: Path
) -> None:
    # APScheduler drops a one-off job as it starts; while the alert still shows as active
    # (a thousand due at once take their turns), the sync must not put its job back.
    notifier = HeldNotifier()
    alert_id = await add_alert(core, 1.0)
    async with running(core, notifier, tmp_path / "lock") as scheduler:
        await until(notifier.started.wait())
        async with core.sessions.begin() as session:  # as if still waiting for its turn
            stored = await session.get(Alert, alert_id)
            assert stored is not None
            stored.status = AlertStatus.ACTIVE
        await scheduler.sync()
        assert scheduler._scheduler is not None
        assert scheduler._scheduler.get_jobs(jobstore=STORED) == []
        notifier.release.set()
        await notifier.wait_for(lambda: len(notifier.posts) == 1)
    assert await deliveries(core) == [(alert_id, "posted")]


async def test_a_restart_inside_the_due_window_posts_it_once(core: Core, tmp_path: Path) -> None:
    notifier = WaitingNotifier()
    alert_id = await add_alert(core, 1.0)
    async with running(core, notifier, tmp_path / "lock") as first:
        await until(first.leading.wait())  # the job is stored with its run time
    assert notifier.posts == []  # stopped before it was due
    await until(_past(alert_id, core))
    async with running(core, notifier, tmp_path / "lock"):  # back within the 5-minute grace
        await notifier.wait_for(lambda: len(notifier.posts) == 1)
    async with running(core, notifier, tmp_path / "lock") as third:
        await until(third.leading.wait())
        # Leading means its sync has run: the store holds no job left to post the alert again
        # (the posted one-off was dropped, and the finished alert is not scheduled anew).
        assert third._scheduler is not None
        assert third._scheduler.get_jobs(jobstore=STORED) == []
    # Stopping waits for any post already started, so a duplicate would be counted here.
    assert len(notifier.posts) == 1 and await deliveries(core) == [(alert_id, "posted")]


async def test_an_alert_due_more_than_five_minutes_before_the_leader_starts_is_reported(
    core: Core, tmp_path: Path
) -> None:
    notifier = WaitingNotifier()
    alert_id = await add_alert(core, -6 * 60)  # due six minutes ago, while no one led
    async with running(core, notifier, tmp_path / "lock"):
        await notifier.wait_for(lambda: len(notifier.directs) == 1)
    [(_, organizer, notice)] = notifier.directs
    assert organizer == "olga" and "was not posted" in notice.text
    assert [action.label for action in notice.actions] == ["Post it now"]
    assert notifier.posts == [] and await deliveries(core) == [(alert_id, "missed")]


async def test_an_alert_due_less_than_five_minutes_before_the_leader_starts_is_posted(
    core: Core, tmp_path: Path
) -> None:
    notifier = WaitingNotifier()
    alert_id = await add_alert(core, -4 * 60)  # due four minutes ago
    async with running(core, notifier, tmp_path / "lock"):
        await notifier.wait_for(lambda: len(notifier.posts) == 1)
    assert notifier.directs == [] and await deliveries(core) == [(alert_id, "posted")]


async def test_a_second_scheduler_stands_by_until_the_first_stops(
    core: Core, tmp_path: Path
) -> None:
    lock = tmp_path / "lock"
    notifier = WaitingNotifier()
    async with running(core, notifier, lock) as first:
        await until(first.leading.wait())
        with logged(leadership.log, "standing by") as refused:
            async with running(core, notifier, lock) as second:
                await until(refused.wait())  # the second has tried the lock and been refused
                assert not second.leading.is_set() and first.leading.is_set()
                await first.leadership.release()  # as when the leader's process ends
                await until(second.leading.wait())


@contextmanager
def logged(logger: logging.Logger, text: str) -> Iterator[asyncio.Event]:
    """An event set as soon as `logger` logs a message containing `text` (at INFO or above)."""
    seen = asyncio.Event()

    class Watch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if text in record.getMessage():
                seen.set()

    handler, level = Watch(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_the_job_store_is_reached_synchronously() -> None:
    # PostgreSQL: the same database; SQLite: a file of its own, with its own write lock.
    assert job_store_url("postgresql://u:p@h:5432/db") == "postgresql+psycopg://u:p@h:5432/db"
    assert (
        job_store_url("sqlite+aiosqlite:////d/callbot.sqlite3")
        == "sqlite:////d/callbot.jobs.sqlite3"
    )


def test_the_job_store_does_not_wait_for_each_commit_to_reach_the_disk(
    engine: AsyncEngine,
) -> None:
    store = job_store_engine(engine.url.render_as_string(hide_password=False))
    try:
        with store.connect() as connection:
            if store.dialect.name == "postgresql":
                assert connection.exec_driver_sql("SHOW synchronous_commit").scalar() == "off"
            else:
                assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        store.dispose()


async def _past(alert_id: int, core: Core, extra: float = 0.2) -> None:
    """Wait until the alert's due time (and `extra` seconds) have passed on the real clock:
    the scenario needs the time to pass, not a condition to become true."""
    async with core.sessions() as session:
        alert = await session.get(Alert, alert_id)
    assert alert is not None
    [due] = from_stored(alert.schedule).next_runs(
        ZoneInfo(alert.timezone), datetime.now(UTC) - timedelta(hours=1), 1
    )
    remaining = (due - datetime.now(UTC)).total_seconds() + extra
    if remaining > 0:
        await asyncio.sleep(remaining)
