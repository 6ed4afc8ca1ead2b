"""When an alert is posted: once, daily, on weekdays, weekly, or by a cron expression, at a
time of day in the community's time zone.

Organizers type it as they would say it ("tomorrow 18:00", "weekdays 9:30am", "every monday at
6pm", "cron 0 18 * * 1-5"); it is stored in a short canonical form ("weekly:mon:18:00") and
turned into an APScheduler trigger in the community's zone, so that 18:00 stays 18:00 across
daylight-saving changes. A schedule that would post more often than hourly is refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Literal
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from callbot.errors import UserError
from callbot.numbers import ascii_digits
from callbot.safety import as_typed, member_text

Kind = Literal["once", "daily", "weekdays", "weekly", "cron"]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MIN_GAP = timedelta(hours=1)  # no schedule may post more often: members would mute the channel
GAP_SAMPLES = 48  # next runs checked for the minimum gap (covers a cron's two days)
USAGE = (
    "Say when as a date and time (“2026-12-01 18:00”, “tomorrow 9:30am”), or a repeat: "
    "“daily 18:00”, “weekdays 9:30”, “weekly monday 18:00” (or “mondays 6pm”), or "
    "“cron 0 18 * * 1-5”. Times are in the community's time zone."
)

# Digits are read as ASCII (`callbot.numbers.ascii_digits` comes first).
_TIME = re.compile(r"^(?:at\s+)?([0-9]{1,2})(?::([0-9]{2}))?\s*(am|pm)?$")
_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_NUMBER = re.compile(r"[0-9]{1,2}")


@dataclass(frozen=True, slots=True)
class Schedule:
    """A schedule in canonical form; `at` is the local time of day (all but cron)."""

    kind: Kind
    at: time | None = None
    day: date | None = None  # once
    weekday: int | None = None  # weekly: 0 is Monday
    cron: str | None = None

    def stored(self) -> str:
        """The form kept in the database (`from_stored` reads it back)."""
        clock = self.at.strftime("%H:%M") if self.at else ""
        match self.kind:
            case "once":
                assert self.day is not None
                return f"once:{self.day.isoformat()}T{clock}"
            case "weekly":
                assert self.weekday is not None
                return f"weekly:{DAYS[self.weekday]}:{clock}"
            case "cron":
                return f"cron:{self.cron}"
            case _:
                return f"{self.kind}:{clock}"

    def describe(self) -> str:
        """In words, for members and organizers."""
        clock = self.at.strftime("%H:%M") if self.at else ""
        match self.kind:
            case "once":
                assert self.day is not None
                return f"once, on {self.day.strftime('%a %-d %b %Y')} at {clock}"
            case "daily":
                return f"every day at {clock}"
            case "weekdays":
                return f"on weekdays at {clock}"
            case "weekly":
                assert self.weekday is not None
                return f"every {DAY_NAMES[self.weekday]} at {clock}"
            case _:
                return f"by the cron schedule “{self.cron}”"

    def trigger(self, zone: ZoneInfo) -> BaseTrigger:
        """The APScheduler trigger firing at these local times in `zone`."""
        at = self.at or time()
        match self.kind:
            case "once":
                assert self.day is not None
                return DateTrigger(run_date=datetime.combine(self.day, at, zone))
            case "daily":
                return CronTrigger(hour=at.hour, minute=at.minute, timezone=zone)
            case "weekdays":
                return CronTrigger(
                    day_of_week="mon-fri", hour=at.hour, minute=at.minute, timezone=zone
                )
            case "weekly":
                assert self.weekday is not None
                return CronTrigger(
                    day_of_week=DAYS[self.weekday], hour=at.hour, minute=at.minute, timezone=zone
                )
            case _:
                assert self.cron is not None
                return CronTrigger.from_crontab(apscheduler_crontab(self.cron), timezone=zone)

    def runs(self, zone: ZoneInfo, after: datetime) -> Iterator[datetime]:
        """The times it fires after `after` (aware), in order, in `zone`."""
        trigger = self.trigger(zone)
        previous: datetime | None = None
        now = after
        while (fire := trigger.get_next_fire_time(previous, now)) is not None:
            if fire >= after:  # a date trigger names its one date even once it has passed
                yield fire
            previous, now = fire, fire + timedelta(microseconds=1)

    def next_runs(self, zone: ZoneInfo, after: datetime, count: int) -> list[datetime]:
        """The next `count` times (fewer for a one-time alert)."""
        found = []
        for fire in self.runs(zone, after):
            found.append(fire)
            if len(found) >= count:
                break
        return found

    def fired(self, zone: ZoneInfo, after: datetime, until: datetime) -> Iterator[datetime]:
        """The times it fired after `after` and at or before `until`, oldest first."""
        for fire in self.runs(zone, after):
            if fire > until:
                return
            if fire > after:
                yield fire


def _weekday_names(field: str) -> str:
    """A crontab day-of-week field (0 or 7 Sunday, 1 Monday) as day names."""
    days: list[int] = []
    for part in field.split(","):
        first, _, last = part.partition("-")
        if not _NUMBER.fullmatch(first) or (last and not _NUMBER.fullmatch(last)):
            return field  # names, "*" or steps: APScheduler reads those the crontab way
        start, end = int(first), int(last or first)
        if not 0 <= start <= end <= 7:
            raise ValueError(f"day of week {part!r} is not 0-7")
        days += [(day + 6) % 7 for day in range(start, end + 1)]
    return ",".join(DAYS[day] for day in sorted(set(days)))


def apscheduler_crontab(expression: str) -> str:
    """`expression` as APScheduler 3 reads it: its numbered days start at Monday = 0, the
    crontab's at Sunday = 0, so numbered days become names."""
    fields = expression.split()
    if len(fields) == 5:
        fields[4] = _weekday_names(fields[4])
    return " ".join(fields)


def from_stored(stored: str) -> Schedule:
    """A schedule back from its stored form (ValueError if it is not one)."""
    kind, _, rest = stored.partition(":")
    match kind:
        case "once":
            when = datetime.fromisoformat(rest)
            return Schedule("once", at=when.time(), day=when.date())
        case "daily" | "weekdays":
            return Schedule(kind, at=time.fromisoformat(rest))
        case "weekly":
            day, _, clock = rest.partition(":")
            return Schedule("weekly", at=time.fromisoformat(clock), weekday=DAYS.index(day))
        case "cron":
            return Schedule("cron", cron=rest)
    raise ValueError(f"{stored!r} is not a stored schedule")


def time_of_day(text: str, hint: str = USAGE) -> time:
    """ "18:00", "6pm", "9:30am", "at 18" as a time; a UserError ending with `hint` if not."""
    found = _TIME.match(ascii_digits(text.strip().lower()))
    wrong = UserError(f"“{as_typed(text, 40)}” is not a time of day. {hint}")
    if found is None:
        raise wrong
    hour, minute = int(found[1]), int(found[2] or 0)
    if found[3]:
        if not 1 <= hour <= 12:
            raise wrong
        hour = hour % 12 + (12 if found[3] == "pm" else 0)
    if hour > 23 or minute > 59:
        raise wrong
    return time(hour, minute)


def _weekday(word: str) -> int | None:
    word = word.lower().removesuffix("s")
    for index, name in enumerate(DAY_NAMES):
        if len(word) >= 3 and name.lower().startswith(word):
            return index
    return None


def _parse(words: list[str], zone: ZoneInfo, now: datetime) -> Schedule:
    if words and words[0] == "every":
        words = words[1:]
        if words and words[0] == "day":
            words[0] = "daily"
        elif words and words[0] in ("weekday", "weekdays"):
            words[0] = "weekdays"
        elif words and _weekday(words[0]) is not None:
            words.insert(0, "weekly")
    if not words:
        raise UserError(USAGE)
    head, rest = words[0], " ".join(words[1:])
    if head == "cron":
        return Schedule("cron", cron=" ".join(words[1:]))
    if head == "daily":
        return Schedule("daily", at=time_of_day(rest))
    if head == "weekdays":
        return Schedule("weekdays", at=time_of_day(rest))
    if head == "weekly" and len(words) > 1 and _weekday(words[1]) is not None:
        return Schedule("weekly", at=time_of_day(" ".join(words[2:])), weekday=_weekday(words[1]))
    if _weekday(head) is not None and head.endswith("s"):  # "mondays 6pm"
        return Schedule("weekly", at=time_of_day(rest), weekday=_weekday(head))
    today = now.astimezone(zone).date()
    if head in ("today", "tomorrow"):
        day = today + timedelta(days=1 if head == "tomorrow" else 0)
        return Schedule("once", at=time_of_day(rest), day=day)
    head = head.replace("t", " ", 1) if "t" in head and _DATE.match(head.split("t")[0]) else head
    if " " in head:  # "2026-12-01t18:00"
        head, clock = head.split(" ", 1)
        rest = f"{clock} {rest}".strip()
    found = _DATE.match(head)
    if found is not None:
        try:
            day = date(int(found[1]), int(found[2]), int(found[3]))
        except ValueError:
            raise UserError(f"“{as_typed(head, 20)}” is not a date. {USAGE}") from None
        return Schedule("once", at=time_of_day(rest), day=day)
    raise UserError(USAGE)


def parse_schedule(text: str, zone: ZoneInfo, now: datetime) -> Schedule:
    """What an organizer typed, read forgivingly; UserError says how to write it.

    Refused: a one-time alert in the past, a cron expression that is not one, and anything
    that would post more often than once an hour.
    """
    words = ascii_digits(text.strip().lower()).replace(",", " ").split()
    schedule = _parse(words, zone, now)
    try:
        upcoming = schedule.next_runs(zone, now, GAP_SAMPLES)
    except ValueError as exc:  # CronTrigger.from_crontab refuses a bad expression
        # The library's message quotes what the organizer typed: shown, never as markup.
        raise UserError(
            f"That cron expression does not read: {member_text(str(exc), 200)}. {USAGE}"
        ) from None
    if not upcoming:
        raise UserError("That time has already passed. Pick a time in the future.")
    gaps = [later - earlier for earlier, later in pairwise(upcoming)]
    if any(gap < MIN_GAP for gap in gaps):
        raise UserError("Alerts can be posted at most once an hour; members would mute more.")
    return schedule


# -- suggesting schedules while an organizer types one --------------------------------------------

#: The longest schedule an organizer may type (what the adapters' inputs accept).
WHEN_MAX = 100
#: What is suggested before anything is typed (each one reads as `parse_schedule` expects).
WHEN_EXAMPLES = (
    "tomorrow 18:00",
    "daily 18:00",
    "weekdays 09:30",
    "mondays 18:00",
    "weekly friday 12:00",
    "cron 0 18 * * 1-5",
)
#: Put before a time of day typed alone ("7pm"), which is not a schedule by itself.
WHEN_REPEATS = ("tomorrow", "daily", "weekdays", "mondays", "fridays")


def schedule_suggestions(typed: str) -> list[str]:
    """Schedules to suggest as an organizer types `typed`: the examples before anything is
    typed; else what was typed (spaces tidied, as it will be read) and the examples containing
    it, or, for a bare time of day, that time with the usual repeats. No repeats. Pure."""
    text = " ".join(typed.split())[:WHEN_MAX]
    if not text:
        return list(WHEN_EXAMPLES)
    needle = text.casefold()
    found = [text, *(example for example in WHEN_EXAMPLES if needle in example)]
    if len(found) == 1 and ascii_digits(text[0]) in "0123456789":
        found += [f"{repeat} {text}" for repeat in WHEN_REPEATS]
    return list(dict.fromkeys(found))
