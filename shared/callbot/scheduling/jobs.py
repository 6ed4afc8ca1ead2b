"""The scheduler's jobs: module-level functions that APScheduler's job store names
("callbot.scheduling.jobs:run_alert") with plain string arguments, so stored jobs survive
restarts and run in whichever process leads. They act through the runtime the engine installs
when its process starts leading.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any, ParamSpec

from callbot.alerts import delivery
from callbot.workload import DRAIN_SECONDS, Workload

log = logging.getLogger(__name__)

JOB_CONCURRENCY = 48
_P = ParamSpec("_P")
_installed: tuple[delivery.Runtime, timedelta] | None = None
#: The jobs running now, taking turns (a thousand alerts due at once do not all open a
#: database transaction at once; enough run to keep the notifiers' pace full), so that a
#: stopping scheduler lets them finish their posts.
_running = Workload(concurrency=JOB_CONCURRENCY)
_alerts_in_progress: set[str] = set()  # by alert id


def install(runtime: delivery.Runtime, window: timedelta) -> None:
    """Make `runtime` the one jobs act through; `window` is how late a run may still post."""
    global _installed
    _installed = (runtime, window)


def uninstall() -> None:
    global _installed
    _installed = None


def _runtime() -> tuple[delivery.Runtime, timedelta]:
    if _installed is None:
        raise RuntimeError("no scheduler runtime is installed in this process")
    return _installed


def _job(
    function: Callable[_P, Coroutine[Any, Any, None]],
) -> Callable[_P, Coroutine[Any, Any, None]]:
    """A job that takes its turn among the running ones and is counted while it runs."""

    @functools.wraps(function)
    async def run(*args: _P.args, **kwargs: _P.kwargs) -> None:
        with _running.tracking():
            await _running.run(function, *args, **kwargs)

    return run


async def finish(seconds: float = DRAIN_SECONDS) -> int:
    """Let the jobs running now finish (up to `seconds`); how many did not."""
    return await _running.drain_for(seconds)


def alert_job_id(alert_id: int | str) -> str:
    return f"alert:{alert_id}"


def alert_jobs_in_progress() -> set[str]:
    """The ids of the alert jobs started and not yet finished (running or waiting their
    turn). APScheduler forgets a one-off job once started: the periodic sync must not put it
    back meanwhile, or it would start again (to find its post claimed, at a cost)."""
    return {alert_job_id(alert_id) for alert_id in _alerts_in_progress}


async def run_alert(alert_id: str) -> None:
    _alerts_in_progress.add(alert_id)
    try:
        await _post_alert(alert_id)
    finally:
        _alerts_in_progress.discard(alert_id)


@_job
async def _post_alert(alert_id: str) -> None:
    runtime, window = _runtime()
    outcome = await delivery.run_alert(runtime, int(alert_id), runtime.core.clock(), window)
    log.info("alert %s: %s", alert_id, outcome)


@_job
async def run_tally(community_id: str, campaign_id: str) -> None:
    runtime, window = _runtime()
    now = runtime.core.clock()
    outcome = await delivery.run_tally(runtime, int(community_id), int(campaign_id), now, window)
    log.info("tally %s/%s: %s", community_id, campaign_id, outcome)


@_job
async def report_missed(alert_id: str, due: datetime) -> None:
    # Started by the engine (not a job APScheduler watches): its failures are logged here.
    runtime, _ = _runtime()
    try:
        outcome = await delivery.report_missed(runtime, int(alert_id), due, runtime.core.clock())
    except Exception:
        log.exception("could not report that alert %s missed %s", alert_id, due)
        return
    log.warning("alert %s due %s: %s", alert_id, due.isoformat(), outcome)


@_job
async def refresh_posts() -> None:
    runtime, _ = _runtime()
    edited = await delivery.refresh_alert_posts(runtime, runtime.core.clock())
    if edited:
        log.info("refreshed the counts of %d alert posts", edited)


@_job
async def send_reminders() -> None:
    runtime, _ = _runtime()
    sent = await delivery.send_reminders(runtime, runtime.core.clock())
    if sent:
        log.info("sent %d pledge reminders", sent)
