"""APScheduler in a thread of its own, over its SQLAlchemy job store.

APScheduler 3's job store is synchronous: run on the event loop (AsyncIOScheduler), a
database that stalls for a few seconds would stall every member's answer with it. Here
APScheduler's own thread does the job store's I/O; the jobs, coroutines, are handed to the
event loop (`LoopExecutor`); the loop reaches the job store only through `asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from concurrent.futures import Future
from datetime import datetime
from pathlib import Path
from typing import Any

from apscheduler.executors.base import BaseExecutor, run_coroutine_job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from callbot.db.engine import sqlite_pragmas

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5  # seconds the job store waits for a PostgreSQL connection
JOB_STORE_RETRY = 5.0  # seconds before APScheduler looks again after a job store error


def job_store_url(database_url: str) -> str:
    """Where APScheduler 3 keeps its jobs, through the synchronous driver it needs.

    PostgreSQL: the same database. SQLite: a file of its own beside the database, so that
    the job store's writes never wait for the bot's (SQLite has one write lock per file).
    """
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    else:
        database = url.database or ""
        if database and database != ":memory:":
            database = str(Path(database).with_suffix("")) + ".jobs.sqlite3"
        url = url.set(drivername="sqlite", database=database or None)
    return url.render_as_string(hide_password=False)


def job_store_engine(database_url: str) -> Engine:
    """The job store's engine, made for a thousand one-off jobs removed one by one as they
    start: without waiting for each commit to reach the disk. Safe, since the store holds
    nothing of its own: the periodic sync rebuilds it from the alerts, and the claim on each
    delivery (committed in full) is what posts only once. Connections are checked before use
    (one a database restart cut is replaced, not failed on)."""
    url = job_store_url(database_url)
    if make_url(url).get_backend_name() == "postgresql":
        return create_engine(
            url,
            pool_pre_ping=True,
            connect_args={
                "options": "-c synchronous_commit=off",
                "connect_timeout": CONNECT_TIMEOUT,
            },
        )
    engine = create_engine(url, pool_pre_ping=True)
    event.listen(engine, "connect", sqlite_pragmas)  # WAL: synced at checkpoints only
    return engine


class LeaderScheduler(BackgroundScheduler):  # type: ignore[misc]
    """APScheduler's own thread, made to outlive a job that another scheduler removed first
    (one that has not noticed yet that it lost its lock, sharing the job store) or removed
    as this one stops: APScheduler would let that end its thread."""

    def _process_jobs(self) -> float | None:
        try:
            wait: float | None = super()._process_jobs()
            return wait
        except JobLookupError:
            return 0.0  # look again at once: the job was run, by whichever scheduler
        except Exception:
            log.exception("the scheduler could not go through its jobs; trying again shortly")
            return JOB_STORE_RETRY


class LoopExecutor(BaseExecutor):  # type: ignore[misc]
    """APScheduler's executor for coroutine jobs submitted from its own thread: each runs on
    the event loop the scheduler serves. Closed when its leader steps down: a run submitted
    after that is dropped (the next leader's scheduler runs it)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._loop = loop
        self.open = True

    def _do_submit_job(self, job: Any, run_times: list[datetime]) -> None:
        if not self.open:
            return  # this executor is discarded with its term
        coroutine = run_coroutine_job(job, job._jobstore_alias, run_times, self._logger.name)
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)

        def done(finished: Future[Any]) -> None:
            try:
                events = finished.result()
            except BaseException:
                self._run_job_error(job.id, *sys.exc_info()[1:])
            else:
                self._run_job_success(job.id, events)

        future.add_done_callback(done)


def stop(scheduler: LeaderScheduler, store: Engine) -> None:
    """Stop APScheduler's thread and close the job store (blocking: in a thread)."""
    with contextlib.suppress(Exception):
        scheduler.shutdown(wait=False)
    store.dispose()
