"""The requests an adapter is answering: turns for the services, a wait estimate, a drain.

Every adapter runs its services through one `Workload`:

- At most `concurrency` services run at once; the others wait their turn, first come first
  served. Under a burst of clicks the earliest are answered first, instead of a thousand
  services sharing the CPU and all finishing together, late.
- `expected_wait()` says how long a request arriving now would take to be served, from how
  many wait and how fast turns have recently been coming free. An adapter that must
  acknowledge within a deadline (Discord's 3 s) acknowledges first when the answer will not
  make it (`likely_within`), instead of finding out when the deadline is near.
- `drain()` lets the requests in flight finish at shutdown, so a restart loses no click.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

DEFAULT_CONCURRENCY = 4
#: At shutdown, how long answers in flight may take to finish: under `docker stop`'s 10 s.
DRAIN_SECONDS = 8.0
#: Until services have run, assume one takes this long and turns free up this often (s).
FIRST_GUESS = 0.02
#: Weight of the newest measurement in the running averages: recent load counts most.
SMOOTHING = 0.2
#: The estimate is measured on the past; while a burst builds up the queue only gets slower,
#: so `likely_within` wants it to fit this share of the time left.
SAFETY = 0.5

_P = ParamSpec("_P")
_T = TypeVar("_T")


class Workload:
    """Turns, wait estimate and drain for one adapter's requests (one event loop)."""

    def __init__(
        self,
        concurrency: int = DEFAULT_CONCURRENCY,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.concurrency = concurrency
        self._clock = clock
        self._turns = asyncio.Semaphore(concurrency)
        self._waiting = 0
        self._running = 0
        self._hold = FIRST_GUESS  # how long a service holds its turn
        # How often a turn comes free while requests wait: the real pace of the queue, which
        # also pays for everything else the process does between services.
        self._pace = FIRST_GUESS
        self._last_release: float | None = None  # set while requests wait for a turn
        self._in_flight: set[asyncio.Task[object]] = set()
        self._acknowledging = 0
        self._acknowledged = asyncio.Event()
        self._acknowledged.set()

    @property
    def in_flight(self) -> int:
        """Requests being answered now (tracked with `tracking()`)."""
        return len(self._in_flight)

    def expected_wait(self) -> float:
        """Seconds until a service asked for now would likely be done: the queue ahead of it
        when every turn is taken, then its own time."""
        ahead = self._waiting + (1 if self._running >= self.concurrency else 0)
        return ahead * self._pace + self._hold

    def likely_within(self, seconds: float) -> bool:
        """Whether a service asked for now will likely be done within `seconds` (with room to
        spare: `SAFETY`). An adapter with a deadline acknowledges first when it will not."""
        return self.expected_wait() < seconds * SAFETY

    async def run(
        self, service: Callable[_P, Awaitable[_T]], *args: _P.args, **kwargs: _P.kwargs
    ) -> _T:
        """`await service(*args, **kwargs)` once a turn is free; the turn is held meanwhile."""
        self._waiting += 1
        try:
            await self._turns.acquire()
        finally:
            self._waiting -= 1
        try:
            await self._acknowledged.wait()
        except BaseException:
            self._turns.release()
            raise
        self._running += 1
        started = self._clock()
        try:
            return await service(*args, **kwargs)
        finally:
            now = self._clock()
            self._hold += SMOOTHING * (now - started - self._hold)
            if self._last_release is not None:  # the queue was waiting since the last one
                self._pace += SMOOTHING * (now - self._last_release - self._pace)
            self._last_release = now if self._waiting else None
            self._running -= 1
            self._turns.release()

    @contextmanager
    def acknowledging(self) -> Iterator[None]:
        """While an adapter acknowledges a request it will answer later, no service starts:
        under a burst, acknowledgements (which have a deadline) go before answers."""
        self._acknowledging += 1
        self._acknowledged.clear()
        try:
            yield
        finally:
            self._acknowledging -= 1
            if not self._acknowledging:
                self._acknowledged.set()

    @contextmanager
    def tracking(self) -> Iterator[None]:
        """Count the current task as a request in flight until the block ends."""
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("tracking() needs a running task")
        self._in_flight.add(task)
        try:
            yield
        finally:
            self._in_flight.discard(task)

    async def drain_for(self, seconds: float = DRAIN_SECONDS) -> int:
        """`drain()` for at most `seconds`; returns how many requests are unfinished then."""
        try:
            async with asyncio.timeout(seconds):
                await self.drain()
        except TimeoutError:
            pass
        return self.in_flight

    async def drain(self) -> None:
        """Wait until no request is in flight, those arriving meanwhile included (bound it
        with `asyncio.timeout`)."""
        current = asyncio.current_task()
        while pending := {task for task in self._in_flight if task is not current}:
            await asyncio.wait(pending)
