"""Pacing requests under a platform's rate limit, instead of running into it.

A burst of scheduled posts (one alert due in a thousand channels) sent all at once earns a
storm of 429s and retries that takes far longer than the limit itself. Spread evenly just
under the limit, the same posts take the floor the limit sets, and almost none is refused.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable


class Pace:
    """At most `rate` requests a second, spread evenly, each given the next slot in turn."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("the rate must be positive")
        self.interval = 1.0 / rate
        self._clock = clock
        self._next = 0.0

    def reserve(self) -> float:
        """Take the next free slot; seconds until it comes (0: now)."""
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + self.interval
        return slot - now

    async def wait(self) -> None:
        """Wait for this request's slot."""
        delay = self.reserve()
        if delay > 0:
            await asyncio.sleep(delay)  # pacing the requests, not waiting for an event
