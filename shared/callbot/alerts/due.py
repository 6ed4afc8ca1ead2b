"""What is due, and the one rule for when a scheduled post is too late.

APScheduler only wakes the scheduler up: it runs every job once however late it is (stored,
coalesced, no misfire grace of its own). Whether an occurrence is posted or reported as
missed is decided by the delivery alone, from the occurrence's own due time, at the moment
its post would be claimed: up to `LATE_AFTER` late it is posted, later it is missed.
Every occurrence after an alert was scheduled is judged once: posted, or recorded as missed
and reported to its organizer; none before it was scheduled is ever either.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from callbot.alerts.schedules import Schedule

#: How late a due post may still go out (a restart, a takeover, a database blip).
LATE_AFTER = timedelta(minutes=5)
#: How far back occurrences missed while callbot was down are looked for.
LOOKBACK = timedelta(days=7)
#: The most occurrences one judgement records (the latest ones; an hourly alert down a week).
JUDGED_MAX = 200


def too_late(due: datetime, now: datetime) -> bool:
    """Whether a post due at `due` must not go out at `now` (it is reported instead)."""
    return now - due > LATE_AFTER


def due_since(schedule: Schedule, zone: ZoneInfo, after: datetime, now: datetime) -> list[datetime]:
    """The occurrences after `after` (the alert's scheduling, or the last one judged) up to
    `now`, oldest first: the latest `JUDGED_MAX` of those within `LOOKBACK`."""
    start = max(after, now - LOOKBACK)
    return list(deque(schedule.fired(zone, start, now), maxlen=JUDGED_MAX))


def has_fired(schedule: Schedule, zone: ZoneInfo, after: datetime, now: datetime) -> bool:
    """Whether any occurrence after `after` is due by `now` (cheap: looks at one)."""
    return next(schedule.fired(zone, max(after, now - LOOKBACK), now), None) is not None
