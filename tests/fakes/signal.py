"""Waiting on a fake's state without polling or sleeping."""

# The fakes' test interface bounds its waits with `timeout` arguments (asyncio.timeout inside).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
from collections.abc import Callable


class Signal:
    """Lets coroutines wait until a condition on the fake's state holds, without polling:
    every state change fires the signal and waiters re-check their predicate."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def fire(self) -> None:
        """Wake every waiter."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str) -> None:
        """Return once `predicate()` is true; TimeoutError naming `what` after `timeout` s."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await self._event.wait()
        except TimeoutError:
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}") from None
