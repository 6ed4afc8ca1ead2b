"""Pacing under a rate limit: requests get evenly spaced slots, in arrival order."""

from __future__ import annotations

import pytest

from callbot.pacing import AHEAD, Pace
from conftest import Seconds


def test_a_burst_gets_evenly_spaced_slots() -> None:
    clock = Seconds()
    pace = Pace(50, clock=clock)
    assert [round(pace.reserve(), 3) for _ in range(4)] == [0.0, 0.02, 0.04, 0.06]
    clock.now += 1.0  # an idle second: no credit is saved up for a later burst
    assert [round(pace.reserve(), 3) for _ in range(2)] == [0.0, 0.02]


def test_a_thousand_requests_take_what_the_limit_says() -> None:
    clock = Seconds()
    pace = Pace(48, clock=clock)
    last = max(pace.reserve() for _ in range(1000))
    assert last == pytest.approx(999 / 48)


def test_the_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Pace(0)


async def test_what_runs_ahead_of_a_slot_runs_just_before_it_and_the_request_at_the_slot() -> None:
    clock = Seconds()

    async def sleep(seconds: float) -> None:
        clock.now += seconds

    pace = Pace(10, clock=clock, sleep=sleep)
    claimed: list[float] = []

    async def claim() -> None:  # a claim in the database, taking 20 ms
        claimed.append(round(clock.now, 3))
        clock.now += 0.02

    await pace.wait(ahead=claim)  # its slot is now: claimed at once, sent after the claim
    assert round(clock.now, 3) == 100.02
    await pace.wait(ahead=claim)  # its slot is at 100.1: claimed AHEAD before it ...
    assert claimed == [100.0, round(100.1 - AHEAD, 3)]
    assert round(clock.now, 3) == 100.12  # ... and sent one interval after the first


async def test_a_preparation_that_runs_late_does_not_bunch_the_requests_up() -> None:
    clock = Seconds()
    sent: list[float] = []

    async def sleep(seconds: float) -> None:
        clock.now += seconds

    pace = Pace(10, clock=clock, sleep=sleep)

    async def slow_claim() -> None:  # a database under load: 0.3 s, past the next slots
        clock.now += 0.3

    async def request(ahead: object = None) -> None:
        await pace.wait(ahead=slow_claim if ahead else None)
        sent.append(round(clock.now, 3))

    await request(ahead=True)  # slot 100.0, claimed until 100.3: sent at 100.3
    await request()  # slot 100.1 has passed: sent one interval after the one before
    assert sent == [100.3, 100.4]
