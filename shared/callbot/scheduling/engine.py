"""The scheduler: APScheduler 3 with its SQLAlchemy job store, in the process that leads.

Alerts and tallies are rows of our own (organizers create them through any adapter process);
the leader turns them into jobs every few seconds (`sync_jobs`): one job per active alert
("alert:<id>") and per open campaign of each community with an alert channel
("tally:<community>:<campaign>"), stable ids, triggers in the community's time zone. Jobs
are stored and coalesced, and always run, however late: whether a run posts or reports a
missed occurrence is the delivery's decision alone (callbot.alerts.due). A sweep judges what
no run judged (a job that ran while the database was away), and the leader settles the
claims a crash left unconfirmed (callbot.alerts.settle) when it starts and every few seconds.

APScheduler runs in a thread of its own (callbot.scheduling.thread): a database that
stalls stalls that thread, never the event loop that answers members.

A leader that loses its lock steps down (no new post is claimed; the posts being sent finish,
the others are abandoned to the next leader's settling) and competes to lead again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.triggers.base import BaseTrigger
from sqlalchemy import Engine, select

from callbot.adapters import StartupError
from callbot.alerts.delivery import tally_schedule
from callbot.alerts.schedules import from_stored
from callbot.alerts.sending import SEND_TIMEOUT, Runtime
from callbot.core import Core
from callbot.db.models import Alert, AlertStatus, Community, scheduler_jobs
from callbot.notify import CredentialsRefused, Notifier
from callbot.scheduling import jobs
from callbot.scheduling.leadership import Leadership, leadership_for
from callbot.scheduling.thread import LeaderScheduler, LoopExecutor, job_store_engine, stop
from callbot.workload import DRAIN_SECONDS

log = logging.getLogger(__name__)

SYNC_SECONDS = 10.0  # how soon a new or cancelled alert reaches the schedule
REFRESH_SECONDS = 10.0  # how often live alert posts get their counts edited
REMINDER_SECONDS = 300.0
SETTLE_SECONDS = 5.0  # how often unconfirmed claims and Post it now requests are settled
SWEEP_SECONDS = 30.0  # how often the leader looks for occurrences no run judged
SWEEP_LAG = 20.0  # ... due at least this long ago (APScheduler's own runs come first)
#: After stepping down, how long the posts being sent may take before they are abandoned.
STEP_DOWN_SECONDS = SEND_TIMEOUT
#: Waits before leading again after a term that failed at once, growing to the last one.
RELEAD_SECONDS = (0.5, 1.0, 2.0, 3.0)
STABLE_TERM = 60.0  # a term this long resets that growth
STOP_SECONDS = 3.0  # how long stopping APScheduler's thread is waited for (then let be)
ALERT_JOB = "callbot.scheduling.jobs:run_alert"
TALLY_JOB = "callbot.scheduling.jobs:run_tally"
STORED = "stored"  # the job store of alert and tally jobs (in the database)
INTERNAL = "internal"  # the leader's own periodic jobs (in memory)

JobSpec = tuple[str, list[str], BaseTrigger]  # function, arguments, trigger


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


def apply_jobs(
    scheduler: LeaderScheduler, wanted: Mapping[str, JobSpec], in_progress: set[str]
) -> None:
    """Make the stored jobs `wanted` (synchronous: the job store's I/O; run it in a thread).
    A job that exists with the same trigger is left alone, so a run that is due (after a
    restart) is not pushed back; one in progress is not put back (APScheduler drops a
    one-off job as it starts)."""
    existing = {job.id: job for job in scheduler.get_jobs(jobstore=STORED)}
    for job_id in existing.keys() - wanted.keys():
        scheduler.remove_job(job_id, jobstore=STORED)
    for job_id, (function, args, trigger) in wanted.items():
        if job_id in in_progress:
            continue
        job = existing.get(job_id)
        if job is not None and repr(job.trigger) == repr(trigger) and list(job.args) == args:
            continue
        scheduler.add_job(
            function, trigger, args=args, id=job_id, jobstore=STORED, replace_existing=True
        )


async def sync_jobs(scheduler: LeaderScheduler, core: Core, platforms: set[str]) -> None:
    """Make the stored jobs what the database asks for."""
    wanted = await desired_jobs(core, platforms)
    await asyncio.to_thread(apply_jobs, scheduler, wanted, jobs.alert_jobs_in_progress())


class Scheduler:
    """One process's scheduler: it competes to lead, leads while it holds the lock, steps
    down when it loses it, and competes again, until cancelled. It stops for good only when
    it cannot go on (the platform refuses the bot's credentials: `StartupError`)."""

    def __init__(
        self,
        core: Core,
        notifiers: Mapping[str, Notifier],
        *,
        leadership: Leadership | None = None,
        sync_seconds: float = SYNC_SECONDS,
        refresh_seconds: float = REFRESH_SECONDS,
        reminder_seconds: float = REMINDER_SECONDS,
        settle_seconds: float = SETTLE_SECONDS,
        sweep_seconds: float = SWEEP_SECONDS,
        step_down_seconds: float = STEP_DOWN_SECONDS,
    ) -> None:
        self.core = core
        self.notifiers = dict(notifiers)
        self.leadership = leadership or leadership_for(core.settings.resolved_database_url)
        self.intervals = (sync_seconds, refresh_seconds, reminder_seconds)
        self.settle_seconds = settle_seconds
        self.sweep_seconds = sweep_seconds
        self.step_down_seconds = step_down_seconds
        self.leading = asyncio.Event()
        self.terms = 0  # how many times this process has started leading
        self._sending: set[str] = set()  # shared by its terms: a post outlives a term
        self._scheduler: LeaderScheduler | None = None

    async def run(self) -> None:
        failures = 0
        while True:
            await self.leadership.acquire()
            started = time.monotonic()
            try:
                await self._lead()
            except CredentialsRefused as exc:
                raise StartupError(str(exc)) from None
            except Exception:
                log.exception("the scheduler failed while leading; stepping down")
            if time.monotonic() - started > STABLE_TERM:
                failures = 0
            await asyncio.sleep(RELEAD_SECONDS[min(failures, len(RELEAD_SECONDS) - 1)])
            failures += 1

    async def _lead(self) -> None:
        """Lead until the lock is lost (returns), then step down."""
        runtime = Runtime(self.core, self.notifiers, sending=self._sending)
        jobs.install(runtime)
        store = job_store_engine(self.core.settings.resolved_database_url)
        executor = LoopExecutor(asyncio.get_running_loop())
        scheduler = self._scheduler = self._build(store, executor)
        try:
            await asyncio.to_thread(scheduler.start)
            await self.sync()
            self.terms += 1
            log.info(
                "leading the scheduler (platforms: %s)", ", ".join(sorted(self.notifiers)) or "none"
            )
            self.leading.set()
            lost = asyncio.create_task(self.leadership.lost())
            refused = asyncio.create_task(jobs.credentials_refused())
            try:
                await asyncio.wait({lost, refused}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (lost, refused):
                    task.cancel()
                await asyncio.gather(lost, refused, return_exceptions=True)
            if refused.done() and not refused.cancelled():
                raise refused.result()
        finally:
            await self._step_down(runtime, scheduler, executor, store)

    async def _step_down(
        self,
        runtime: Runtime,
        scheduler: LeaderScheduler,
        executor: LoopExecutor,
        store: Engine,
    ) -> None:
        """No new run starts and no new post is claimed; the posts being sent finish (up to
        `step_down_seconds`, or the drain time when stopping), the rest is abandoned to the
        next leader's settling."""
        self.leading.clear()
        self._scheduler = None
        runtime.active = False
        executor.open = False
        task = asyncio.current_task()
        stopping = task is not None and task.cancelling() > 0  # the process is stopping
        unfinished = await jobs.finish(DRAIN_SECONDS if stopping else self.step_down_seconds)
        if unfinished:
            log.warning("stepped down with %d scheduled jobs unfinished: abandoned", unfinished)
            await jobs.abandon()
        jobs.uninstall()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.to_thread(stop, scheduler, store), STOP_SECONDS)
        await self.leadership.release()

    async def sync(self) -> None:
        """Bring the stored jobs in line with the database now (also done periodically)."""
        if self._scheduler is not None:
            await sync_jobs(self._scheduler, self.core, set(self.notifiers))

    def _build(self, store: Engine, executor: LoopExecutor) -> LeaderScheduler:
        scheduler = LeaderScheduler(
            jobstores={
                STORED: SQLAlchemyJobStore(engine=store, tablename=scheduler_jobs.name),
                INTERNAL: MemoryJobStore(),
            },
            executors={"default": executor},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        sync_seconds, refresh_seconds, reminder_seconds = self.intervals
        now = datetime.now(UTC)
        for function, seconds, job_id, first, args in (
            (self.sync, sync_seconds, "sync", None, ()),
            (jobs.refresh_posts, refresh_seconds, "refresh", None, ()),
            (jobs.send_reminders, reminder_seconds, "reminders", None, ()),
            (jobs.settle_posts, self.settle_seconds, "settle", now, ()),  # at once, then ...
            (jobs.sweep, self.sweep_seconds, "sweep", None, (SWEEP_LAG,)),
        ):
            scheduler.add_job(
                function,
                "interval",
                seconds=seconds,
                id=job_id,
                jobstore=INTERNAL,
                next_run_time=first or now + timedelta(seconds=seconds),
                args=args,
            )
        # Whatever was due while no one led (or a run met the database away), judged at once.
        scheduler.add_job(jobs.sweep, "date", run_date=now, id="sweep-at-start", jobstore=INTERNAL)
        return scheduler
