"""Leadership lost and won again, in this process: a scheduler that loses its lock steps down
(the post it is sending finishes, the one waiting its turn is abandoned unclaimed), competes
again and leads again, and then posts what it abandoned, once. On PostgreSQL, the advisory
lock's connection terminated, refused and stalled through a fault proxy: the lock is lost,
competed for with backoff, and won again once the database is back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from callbot.core import Core
from callbot.notify import BeforeSend
from callbot.scheduling import leadership
from callbot.scheduling.engine import Scheduler
from callbot.scheduling.leadership import PostgresLeadership
from conftest import FIXTURES, build_core, make_settings
from conftest import test_database_url as database_url
from fakes.tcp_proxy import FaultProxy, fault_proxy
from test_scheduler import WaitingNotifier, add_alert, deliveries, logged, until

postgres_only = pytest.mark.skipif(
    not (database_url() or "").startswith("postgresql"),
    reason="the advisory lock is PostgreSQL's (TEST_DATABASE_URL)",
)


@pytest.fixture
async def core(engine: AsyncEngine, tmp_path: Path) -> Core:
    settings = make_settings(tmp_path, str(engine.url), FIXTURES / "service-campaigns")
    return await build_core(engine, settings, lambda: datetime.now(UTC), with_directory=False)  # type: ignore[arg-type]


class Baton:
    """A `Leadership` the test hands to the scheduler and takes back."""

    def __init__(self) -> None:
        self.granted, self.revoked, self.released = (
            asyncio.Event(),
            asyncio.Event(),
            asyncio.Event(),
        )

    async def acquire(self) -> None:
        await self.granted.wait()

    async def lost(self) -> None:
        await self.revoked.wait()

    async def release(self) -> None:
        self.granted.clear()
        self.revoked.clear()
        self.released.set()


class Gate(WaitingNotifier):
    """The first post is claimed and then waits for the platform's `answer`; the others wait
    for their `turn` (under the pace) before they are claimed."""

    def __init__(self) -> None:
        super().__init__()
        self.arrived = 0
        self.in_flight, self.waiting = asyncio.Event(), asyncio.Event()
        self.answer, self.turn = asyncio.Event(), asyncio.Event()

    async def before_request(self, before_send: BeforeSend | None) -> None:
        first = self.arrived == 0
        self.arrived += 1
        if first:
            await super().before_request(before_send)
            self.in_flight.set()
            await self.answer.wait()
        else:
            self.waiting.set()
            await self.turn.wait()
            await super().before_request(before_send)


async def test_a_leader_that_loses_its_lock_steps_down_and_leads_again_posting_each_once(
    core: Core,
) -> None:
    baton, notifier = Baton(), Gate()
    scheduler = Scheduler(core, {"terminal": notifier}, leadership=baton, step_down_seconds=0.5)
    task = asyncio.create_task(scheduler.run())
    try:
        baton.granted.set()
        await until(scheduler.leading.wait())
        sending = await add_alert(core, 1.0)
        waiting = await add_alert(core, 1.0)
        await scheduler.sync()  # as the periodic sync would, a few seconds later
        await until(notifier.in_flight.wait())
        await until(notifier.waiting.wait())
        baton.revoked.set()  # the lock is lost
        notifier.answer.set()  # the post in flight gets its answer while stepping down
        await until(baton.released.wait())
        assert not scheduler.leading.is_set() and scheduler.terms == 1
        # The one in flight was recorded; the one waiting its turn was abandoned, unclaimed.
        posted = await deliveries(core)
        assert len(posted) == 1 and posted[0][1] == "posted" and len(notifier.posts) == 1
        notifier.turn.set()
        baton.granted.set()  # the lock is won again
        await notifier.wait_for(lambda: len(notifier.posts) == 2)
        await until(scheduler.leading.wait())
        assert scheduler.terms == 2
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert sorted(await deliveries(core)) == [(sending, "posted"), (waiting, "posted")]
    assert len(notifier.posts) == 2


def _through(proxy: FaultProxy) -> str:
    url = make_url(database_url() or "").set(host="127.0.0.1", port=proxy.port)
    return url.render_as_string(hide_password=False)


@pytest.fixture
async def proxy() -> AsyncIterator[FaultProxy]:
    url = make_url(database_url() or "")
    async with fault_proxy(url.host or "127.0.0.1", url.port or 5432) as started:
        yield started


def quick(url: str) -> PostgresLeadership:
    return PostgresLeadership(url, poll=0.05, health=0.2, retry=(0.05, 0.1))


@postgres_only
async def test_a_terminated_lock_connection_is_lost_and_the_lock_won_again(
    engine: AsyncEngine,
) -> None:
    lock = quick(database_url() or "")
    await until(lock.acquire())
    async with engine.connect() as connection:
        terminated = await connection.scalar(
            text(
                "SELECT count(pg_terminate_backend(l.pid)) FROM pg_locks AS l "
                "JOIN pg_database AS d ON d.oid = l.database "
                "WHERE d.datname = current_database() AND l.locktype = 'advisory' "
                "AND l.objid = :key AND l.granted"
            ),
            {"key": leadership.LOCK_KEY & 0xFFFFFFFF},
        )
    assert terminated == 1
    with logged(leadership.log, "lost the scheduler lock's connection") as lost:
        await until(lock.lost())
    assert lost.is_set()
    await until(lock.acquire())
    await lock.release()


@postgres_only
async def test_the_lock_is_competed_for_while_the_database_refuses_and_won_when_it_is_back(
    proxy: FaultProxy,
) -> None:
    lock = quick(_through(proxy))
    await until(lock.acquire())
    await proxy.refuse()
    proxy.cut()
    await until(lock.lost())
    with logged(leadership.log, "cannot reach PostgreSQL to lead the scheduler") as refused:
        competing = asyncio.create_task(lock.acquire())
        await until(refused.wait())
    assert not competing.done()
    with logged(leadership.log, "PostgreSQL is reachable again") as back:
        await proxy.accept()
        await until(competing)
    assert back.is_set()
    await lock.release()


@postgres_only
async def test_a_stalled_lock_connection_is_lost_and_the_lock_won_again_after_the_stall(
    proxy: FaultProxy,
) -> None:
    lock = quick(_through(proxy))
    await until(lock.acquire())
    proxy.stall()
    await until(lock.lost())  # its health check found no answer in time
    competing = asyncio.create_task(lock.acquire())
    proxy.resume()  # the stalled session ends as its client's close goes through
    await until(competing)
    await lock.release()
