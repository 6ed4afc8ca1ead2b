"""Pacing requests under a platform's rate limit, instead of running into it.

A burst of scheduled posts (one alert due in a thousand channels) sent all at once earns a
storm of 429s and retries that takes far longer than the limit itself. Spread evenly just
under the limit, the same posts take the floor the limit sets, and almost none is refused.

A request may have something to do first that takes a moment of its own (a scheduled post is
claimed in the database at the moment it is sent): that runs just before its slot, and the
request still goes out no closer to the one before it than the pace allows, however long
the preparation took, so that slow preparations do not bunch requests up.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

#: How long before its slot a request's own preparation starts (`Pace.wait(ahead=...)`):
#: twice what preparations take lately, within these bounds.
AHEAD = 0.05
AHEAD_MAX = 0.5
SMOOTHING = 0.2  # weight of the newest preparation time in the running average


class Pace:
    """At most `rate` requests a second, spread evenly, each given the next slot in turn."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("the rate must be positive")
        self.interval = 1.0 / rate
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0  # the next free slot
        self._sent = -self.interval  # when the latest request went out
        self._preparing = AHEAD / 2  # how long preparations take lately

    def reserve(self) -> float:
        """Take the next free slot; seconds until it comes (0: now)."""
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + self.interval
        return slot - now

    @property
    def lead(self) -> float:
        """How long before its slot a request's preparation starts now."""
        return min(AHEAD_MAX, max(AHEAD, 2 * self._preparing))

    async def wait(self, ahead: Callable[[], Awaitable[None]] | None = None) -> None:
        """Wait for this request's slot. `ahead` runs when the slot is `lead` seconds off
        (or at once, if it is nearer); the wait then goes on to the slot, and on to one
        interval after the latest request if `ahead` took longer."""
        slot = self._clock() + self.reserve()
        if ahead is not None:
            await self._until(slot - self.lead)
            started = self._clock()
            await ahead()
            self._preparing += SMOOTHING * (self._clock() - started - self._preparing)
        # Taken without awaiting in between: no two requests get the same moment.
        self._sent = max(slot, self._sent + self.interval, self._clock())
        await self._until(self._sent)

    async def _until(self, moment: float) -> None:
        delay = moment - self._clock()
        if delay > 0:
            await self._sleep(delay)  # pacing the requests, not waiting for an event
