"""Alert schedules: what organizers type, when it fires in the community's zone (daylight
saving included), what a late run stands for, and what is refused. Pure and time-controlled:
every "now" is given."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from callbot.alerts.schedules import Schedule, apscheduler_crontab, from_stored, parse_schedule
from callbot.errors import UserError

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
MONDAY_10AM = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)  # Mon 30 Nov 2026, 10:00 in New York


def local(text: str, zone: ZoneInfo = NEW_YORK) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


@pytest.mark.parametrize(
    ("typed", "stored", "first"),
    [
        ("2026-12-01 18:00", "once:2026-12-01T18:00", "2026-12-01T18:00"),
        ("2026-12-01T18:00", "once:2026-12-01T18:00", "2026-12-01T18:00"),
        ("tomorrow 9:30am", "once:2026-12-01T09:30", "2026-12-01T09:30"),
        ("today 6pm", "once:2026-11-30T18:00", "2026-11-30T18:00"),
        ("daily 18:00", "daily:18:00", "2026-11-30T18:00"),
        ("every day at 6pm", "daily:18:00", "2026-11-30T18:00"),
        ("weekdays 9:30", "weekdays:09:30", "2026-12-01T09:30"),  # today's 9:30 has passed
        ("every weekday at 9:30", "weekdays:09:30", "2026-12-01T09:30"),
        ("weekly friday 12:00", "weekly:fri:12:00", "2026-12-04T12:00"),
        ("Mondays 6PM", "weekly:mon:18:00", "2026-11-30T18:00"),
        ("every monday at 6pm", "weekly:mon:18:00", "2026-11-30T18:00"),
        ("cron 0 18 * * 1-5", "cron:0 18 * * 1-5", "2026-11-30T18:00"),
    ],
)
def test_what_organizers_type(typed: str, stored: str, first: str) -> None:
    schedule = parse_schedule(typed, NEW_YORK, MONDAY_10AM)
    assert schedule.stored() == stored
    assert from_stored(stored) == schedule
    assert schedule.next_runs(NEW_YORK, MONDAY_10AM, 1) == [local(first)]


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2026-11-29 18:00", "already passed"),
        ("yesterday", "Say when"),
        ("daily 25:00", "not a time of day"),
        ("daily 13pm", "not a time of day"),
        ("2026-02-30 10:00", "not a date"),
        ("cron 0 18 * *", "does not read"),
        ("cron * * * * *", "at most once an hour"),
        ("cron */30 * * * *", "at most once an hour"),
        ("", "Say when"),
    ],
)
def test_what_is_refused_says_how_to_write_it(typed: str, message: str) -> None:
    with pytest.raises(UserError, match=message):
        parse_schedule(typed, NEW_YORK, MONDAY_10AM)


def test_crontab_weekdays_are_translated_for_apscheduler() -> None:
    # The crontab counts from Sunday = 0 (and 7); APScheduler 3 from Monday = 0.
    assert apscheduler_crontab("0 18 * * 1-5") == "0 18 * * mon,tue,wed,thu,fri"
    assert apscheduler_crontab("0 18 * * 0,7") == "0 18 * * sun"
    assert apscheduler_crontab("30 9 * * mon-fri") == "30 9 * * mon-fri"
    sundays = parse_schedule("cron 0 10 * * 0", NEW_YORK, MONDAY_10AM)
    assert all(run.weekday() == 6 for run in sundays.next_runs(NEW_YORK, MONDAY_10AM, 3))


def test_local_time_holds_across_daylight_saving_changes() -> None:
    daily = Schedule("daily", at=datetime(2000, 1, 1, 18).time())
    before_fall_back = datetime(2026, 10, 31, 12, tzinfo=UTC)
    runs = daily.next_runs(NEW_YORK, before_fall_back, 3)
    assert [run.astimezone(NEW_YORK).hour for run in runs] == [18, 18, 18]
    # 18:00 EDT is 22:00 UTC; after the change 18:00 EST is 23:00 UTC.
    assert [run.astimezone(UTC).hour for run in runs] == [22, 23, 23]
    spring = daily.next_runs(LOS_ANGELES, datetime(2027, 3, 13, 12, tzinfo=UTC), 2)
    assert [run.astimezone(UTC).hour for run in spring] == [2, 1]  # 18:00 PST, then PDT


def test_a_time_that_does_not_exist_that_night_runs_once_just_after() -> None:
    # 2:30 does not exist on 14 Mar 2027 in New York (clocks jump from 2:00 to 3:00).
    early = Schedule("daily", at=datetime(2000, 1, 1, 2, 30).time())
    runs = early.next_runs(NEW_YORK, datetime(2027, 3, 13, 12, tzinfo=UTC), 2)
    assert runs[0].astimezone(UTC) == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)  # 3:30 EDT
    assert runs[1].astimezone(NEW_YORK).strftime("%d %H:%M") == "15 02:30"


def test_a_run_stands_for_every_time_it_fired_since_the_last_one_judged() -> None:
    daily = parse_schedule("daily 18:00", NEW_YORK, MONDAY_10AM)
    due = local("2026-11-30T18:00")
    assert list(daily.fired(NEW_YORK, due - timedelta(hours=1), due)) == [due]
    assert list(daily.fired(NEW_YORK, due, due + timedelta(hours=1))) == []  # judged already
    assert list(daily.fired(NEW_YORK, due - timedelta(hours=1), due - timedelta(seconds=1))) == []
    three_days = list(daily.fired(NEW_YORK, due - timedelta(minutes=1), due + timedelta(days=2)))
    assert three_days == [due, due + timedelta(days=1), due + timedelta(days=2)]


def test_descriptions_read_as_words() -> None:
    assert (
        parse_schedule("mondays 6pm", NEW_YORK, MONDAY_10AM).describe() == "every Monday at 18:00"
    )
    assert parse_schedule("2026-12-01 18:00", NEW_YORK, MONDAY_10AM).describe() == (
        "once, on Tue 1 Dec 2026 at 18:00"
    )
