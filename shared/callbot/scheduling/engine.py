"""The scheduler: APScheduler 3 with its SQLAlchemy job store, in the process that leads.

Alerts and tallies are rows of our own (organizers create them through any adapter process);
the leader turns them into jobs every few seconds (`sync_jobs`): one job per active alert
("alert:<id>") and per open campaign of each community with an alert channel
("tally:<community>:<campaign>"), stable ids, triggers in the community's time zone. Jobs
are stored, coalesced and given a grace time: after a restart inside a due window the job
runs once; one missed beyond the grace is reported to its organizer instead of posted late.
The posts themselves are claimed in the database first (callbot.alerts.delivery), so a
standby taking over never posts twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import UTC, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.engine import make_url

from callbot.alerts.delivery import Runtime, tally_schedule
from callbot.alerts.schedules import from_stored
from callbot.core import Core
from callbot.db.engine import sqlite_pragmas
from callbot.db.models import Alert, AlertStatus, Community, scheduler_jobs
from callbot.notify import Notifier
from callbot.scheduling import jobs
from callbot.scheduling.leadership import Leadership, leadership_for

log = logging.getLogger(__name__)

GRACE = timedelta(minutes=5)  # how late a due post may still go out (a restart, a takeover)
SYNC_SECONDS = 10.0  # how soon a new or cancelled alert reaches the schedule
REFRESH_SECONDS = 10.0  # how often live alert posts get their counts edited
REMINDER_SECONDS = 300.0
ALERT_JOB = "callbot.scheduling.jobs:run_alert"
TALLY_JOB = "callbot.scheduling.jobs:run_tally"
STORED = "stored"  # the job store of alert and tally jobs (in the database)
INTERNAL = "internal"  # the leader's own periodic jobs (in memory)

JobSpec = tuple[str, list[str], BaseTrigger]  # function, arguments, trigger


def job_store_url(database_url: str) -> str:
    """Where APScheduler 3 keeps its jobs, through the synchronous driver it needs.

    PostgreSQL: the same database. SQLite: a file of its own beside the database, because
    APScheduler writes its jobs from the event loop's thread: waiting there for SQLite's one
    write lock, held by a transaction that needs that very loop to finish, would stall both.
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
    start, in the event loop's thread: without waiting for each commit to reach the disk.
    Safe, since the store holds nothing of its own: the periodic sync rebuilds it from the
    alerts, and the claim on each delivery (committed in full) is what posts only once."""
    url = job_store_url(database_url)
    if make_url(url).get_backend_name() == "postgresql":
        return create_engine(url, connect_args={"options": "-c synchronous_commit=off"})
    engine = create_engine(url)
    event.listen(engine, "connect", sqlite_pragmas)  # WAL: synced at checkpoints only
    return engine


async def desired_jobs(core: Core, platforms: set[str]) -> dict[str, JobSpec]:
    """The jobs the database asks for, by id: every active alert and the daily tally of each
    open campaign in each community (of a platform this process can post on) that has an
    alert channel."""
    wanted: dict[str, JobSpec] = {}
    async with core.sessions() as session:
        alerts = await session.scalars(
            select(Alert)
            .join(Community, Community.id == Alert.community_id)
            .where(Alert.status == AlertStatus.ACTIVE, Community.platform.in_(platforms))
        )
        for alert in alerts:
            trigger = from_stored(alert.schedule).trigger(ZoneInfo(alert.timezone))
            wanted[jobs.alert_job_id(alert.id)] = (ALERT_JOB, [str(alert.id)], trigger)
        communities = await session.scalars(
            select(Community).where(
                Community.alert_channel_id.is_not(None), Community.platform.in_(platforms)
            )
        )
        open_now = core.campaigns.open_campaigns(core.clock())
        for community in communities:
            trigger = tally_schedule(community).trigger(ZoneInfo(community.timezone))
            for entry in open_now:
                job_id = f"tally:{community.id}:{entry.id}"
                wanted[job_id] = (TALLY_JOB, [str(community.id), str(entry.id)], trigger)
    return wanted


async def sync_jobs(scheduler: AsyncIOScheduler, core: Core, platforms: set[str]) -> None:
    """Make the stored jobs what the database asks for. A job that exists with the same
    trigger is left alone, so a run that is due (after a restart) is not pushed back."""
    wanted = await desired_jobs(core, platforms)
    existing = {job.id: job for job in scheduler.get_jobs(jobstore=STORED)}
    for job_id in existing.keys() - wanted.keys():
        scheduler.remove_job(job_id, jobstore=STORED)
    in_progress = jobs.alert_jobs_in_progress()
    for job_id, (function, args, trigger) in wanted.items():
        if job_id in in_progress:
            continue
        job = existing.get(job_id)
        if job is not None and repr(job.trigger) == repr(trigger) and list(job.args) == args:
            continue
        scheduler.add_job(
            function, trigger, args=args, id=job_id, jobstore=STORED, replace_existing=True
        )


class Scheduler:
    """One process's scheduler: it waits to lead, then schedules until cancelled (or until it
    loses its lock, when it stops so that a standby can lead)."""

    def __init__(
        self,
        core: Core,
        notifiers: Mapping[str, Notifier],
        *,
        leadership: Leadership | None = None,
        grace: timedelta = GRACE,
        sync_seconds: float = SYNC_SECONDS,
        refresh_seconds: float = REFRESH_SECONDS,
        reminder_seconds: float = REMINDER_SECONDS,
    ) -> None:
        self.core = core
        self.notifiers = dict(notifiers)
        self.leadership = leadership or leadership_for(core.settings.resolved_database_url)
        self.grace = grace
        self.intervals = (sync_seconds, refresh_seconds, reminder_seconds)
        self.leading = asyncio.Event()
        self._scheduler: AsyncIOScheduler | None = None

    async def run(self) -> None:
        await self.leadership.acquire()
        log.info(
            "leading the scheduler (platforms: %s)", ", ".join(sorted(self.notifiers)) or "none"
        )
        jobs.install(Runtime(self.core, self.notifiers), self.grace)
        scheduler = self._scheduler = self._build()
        try:
            scheduler.start()
            await self.sync()
            self.leading.set()
            await self.leadership.lost()
        finally:
            self.leading.clear()
            # No new runs; the running ones finish their posts before the executor stops.
            scheduler.pause()
            unfinished = await jobs.finish()
            if unfinished:
                log.warning("stopped with %d scheduled posts unfinished", unfinished)
            with contextlib.suppress(Exception):
                scheduler.shutdown(wait=False)
            jobs.uninstall()
            await self.leadership.release()
            self._scheduler = None

    async def sync(self) -> None:
        """Bring the stored jobs in line with the database now (also done periodically)."""
        if self._scheduler is not None:
            await sync_jobs(self._scheduler, self.core, set(self.notifiers))

    def _build(self) -> AsyncIOScheduler:
        store = SQLAlchemyJobStore(
            engine=job_store_engine(self.core.settings.resolved_database_url),
            tablename=scheduler_jobs.name,
        )
        scheduler = AsyncIOScheduler(
            jobstores={STORED: store, INTERNAL: MemoryJobStore()},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(self.grace.total_seconds()),
            },
            timezone=UTC,
        )
        scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED)
        sync_seconds, refresh_seconds, reminder_seconds = self.intervals
        for function, seconds, job_id in (
            (self.sync, sync_seconds, "sync"),
            (jobs.refresh_posts, refresh_seconds, "refresh"),
            (jobs.send_reminders, reminder_seconds, "reminders"),
        ):
            scheduler.add_job(function, "interval", seconds=seconds, id=job_id, jobstore=INTERNAL)
        return scheduler

    def _on_missed(self, event: JobExecutionEvent) -> None:
        kind, _, alert_id = str(event.job_id).partition(":")
        log.warning("job %s missed its run at %s", event.job_id, event.scheduled_run_time)
        if kind == "alert":
            asyncio.get_running_loop().create_task(
                jobs.report_missed(alert_id, event.scheduled_run_time)
            )
