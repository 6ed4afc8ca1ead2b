"""The scheduler's jobs: module-level functions that APScheduler's job store names
("callbot.scheduling.jobs:run_alert") with plain string arguments, so stored jobs survive
restarts and run in whichever process leads. They act through the runtime the engine installs
when its process starts leading.

A job that cannot reach the database logs one line and ends: an occurrence it had not
claimed is judged again by the leader's sweep once the database is back, a post it had
claimed is settled by the leader (callbot.alerts.settle).
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any, ParamSpec

from callbot.alerts import delivery, settle
from callbot.alerts.sending import DATABASE_ERRORS, Runtime
from callbot.notify import CredentialsRefused
from callbot.workload import DRAIN_SECONDS, Workload

log = logging.getLogger(__name__)

JOB_CONCURRENCY = 48
_P = ParamSpec("_P")
_installed: Runtime | None = None
_refusal: asyncio.Future[CredentialsRefused] | None = None  # set if the platform refuses us
#: The jobs running now, taking turns (a thousand alerts due at once do not all open a
#: database transaction at once; enough run to keep the notifiers' pace full), so that a
#: stopping scheduler lets them finish their posts.
_running = Workload(concurrency=JOB_CONCURRENCY)
_tasks: set[asyncio.Task[Any]] = set()  # the jobs' tasks, to abandon those a drain leaves
_abandoned: set[asyncio.Task[Any]] = set()
_alerts_in_progress: set[str] = set()  # by alert id


class NotLeading(Exception):
    """A job started as its process stepped down: the next leader does its work."""


def install(runtime: Runtime) -> None:
    """Make `runtime` the one jobs act through."""
    global _installed, _refusal
    _installed = runtime
    _refusal = asyncio.get_running_loop().create_future()


def uninstall() -> None:
    global _installed, _refusal
    _installed = _refusal = None


async def credentials_refused() -> CredentialsRefused:
    """Returns (the refusal) if a job finds the platform refusing the bot's credentials:
    nothing more can be posted, and the leader stops."""
    if _refusal is None:
        raise NotLeading
    return await asyncio.shield(_refusal)


def _runtime() -> Runtime:
    if _installed is None:
        raise NotLeading
    return _installed


def _job(
    function: Callable[_P, Coroutine[Any, Any, None]],
) -> Callable[_P, Coroutine[Any, Any, None]]:
    """A job that takes its turn among the running ones and is counted while it runs; a
    database out of reach is one line in the log."""

    @functools.wraps(function)
    async def run(*args: _P.args, **kwargs: _P.kwargs) -> None:
        task = asyncio.current_task()
        assert task is not None
        _tasks.add(task)
        try:
            with _running.tracking():
                await _running.run(function, *args, **kwargs)
        except asyncio.CancelledError:
            if task not in _abandoned:
                raise
            task.uncancel()  # our own cancellation, not the loop's: the job just ends
            log.info("%s%s: abandoned by a scheduler stepping down", function.__name__, args)
        except NotLeading:
            log.info("%s%s: not run, this process no longer leads", function.__name__, args)
        except DATABASE_ERRORS as exc:
            log.warning(
                "%s%s: the database could not be reached (%s)", function.__name__, args, exc
            )
        except CredentialsRefused as exc:
            if _refusal is not None and not _refusal.done():
                _refusal.set_result(exc)
        finally:
            _tasks.discard(task)
            _abandoned.discard(task)

    return run


async def finish(seconds: float = DRAIN_SECONDS) -> int:
    """Let the jobs running now finish (up to `seconds`); how many did not."""
    return await _running.drain_for(seconds)


async def abandon() -> int:
    """Cancel the jobs still running (after `finish`); how many. A post they had claimed is
    left for the next leader to settle."""
    tasks = [task for task in _tasks if task is not asyncio.current_task()]
    for task in tasks:
        _abandoned.add(task)
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return len(tasks)


def alert_job_id(alert_id: int | str) -> str:
    return f"alert:{alert_id}"


def alert_jobs_in_progress() -> set[str]:
    """The ids of the alert jobs started and not yet finished (running or waiting their
    turn). APScheduler forgets a one-off job once started: the periodic sync must not put it
    back meanwhile, or it would start again (to find its post claimed, at a cost)."""
    return {alert_job_id(alert_id) for alert_id in _alerts_in_progress}


async def run_alert(alert_id: str) -> None:
    """Judge an alert's due occurrences (one judgement of an alert at a time)."""
    if alert_id in _alerts_in_progress:
        return
    _alerts_in_progress.add(alert_id)
    try:
        await _judge_alert(alert_id)
    finally:
        _alerts_in_progress.discard(alert_id)


@_job
async def _judge_alert(alert_id: str) -> None:
    runtime = _runtime()
    outcome = await delivery.run_alert(runtime, int(alert_id), runtime.core.clock())
    log.info("alert %s: %s", alert_id, outcome)


@_job
async def run_tally(community_id: str, campaign_id: str) -> None:
    runtime = _runtime()
    now = runtime.core.clock()
    outcome = await delivery.run_tally(runtime, int(community_id), int(campaign_id), now)
    log.info("tally %s/%s: %s", community_id, campaign_id, outcome)


@_job
async def settle_posts() -> None:
    runtime = _runtime()
    settled = await settle.settle(runtime, runtime.core.clock())
    if settled:
        log.info("settled %d scheduled posts", settled)


_judging: set[asyncio.Task[None]] = set()  # alerts the sweep started judging


async def sweep(lag_seconds: float = 0.0) -> None:
    """Judge the alerts with an occurrence due (`lag_seconds` ago or earlier) that no run
    judged: one that never came or failed while no scheduler led or the database was away."""
    try:
        runtime = _runtime()
        until = runtime.core.clock() - timedelta(seconds=lag_seconds)
        found = await delivery.unjudged_alerts(runtime, until)
    except NotLeading:
        return
    except DATABASE_ERRORS as exc:
        log.warning("sweep: the database could not be reached (%s)", exc)
        return
    pending = [str(alert_id) for alert_id in found if str(alert_id) not in _alerts_in_progress]
    if pending:
        log.info("judging %d alert(s) that no run judged when due", len(pending))
    for alert_id in pending:  # not awaited: the next sweep must not wait for these posts
        task = asyncio.create_task(run_alert(alert_id), name=f"sweep:alert:{alert_id}")
        _judging.add(task)
        task.add_done_callback(_judged)


def _judged(task: asyncio.Task[None]) -> None:
    _judging.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("judging %s failed", task.get_name(), exc_info=task.exception())


@_job
async def refresh_posts() -> None:
    runtime = _runtime()
    edited = await delivery.refresh_alert_posts(runtime, runtime.core.clock())
    if edited:
        log.info("refreshed the counts of %d alert posts", edited)


@_job
async def send_reminders() -> None:
    runtime = _runtime()
    sent = await delivery.send_reminders(runtime, runtime.core.clock())
    if sent:
        log.info("sent %d pledge reminders", sent)
