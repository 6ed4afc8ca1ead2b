"""Pacing under a rate limit: requests get evenly spaced slots, in arrival order."""

from __future__ import annotations

import pytest

from callbot.pacing import Pace
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
