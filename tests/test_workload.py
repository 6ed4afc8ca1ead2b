"""Workload: services take turns first come first served, the wait estimate follows the queue,
acknowledgements go before services, and a drain lets requests in flight finish."""

from __future__ import annotations

import asyncio

import pytest

from callbot.workload import FIRST_GUESS, Workload
from conftest import Seconds

WAIT = 5.0  # seconds a wait for something that must happen may take at most


async def settle() -> None:
    """Let every task that can run do so (a few loop turns; no timing involved). Only before
    checking that something has NOT happened: what must happen is awaited on its own event."""
    for _ in range(10):
        await asyncio.sleep(0)


class Gate:
    """A service that records when it starts and finishes only when released."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self._started: dict[int, asyncio.Event] = {}
        self.release: dict[int, asyncio.Event] = {}

    async def service(self, number: int) -> int:
        self.started.append(number)
        self._started.setdefault(number, asyncio.Event()).set()
        await self.release.setdefault(number, asyncio.Event()).wait()
        return number

    def open(self, number: int) -> None:
        self.release.setdefault(number, asyncio.Event()).set()

    async def wait_started(self, number: int) -> None:
        async with asyncio.timeout(WAIT):
            await self._started.setdefault(number, asyncio.Event()).wait()


async def queued(workload: Workload, gate: Gate, numbers: range) -> list[asyncio.Task[int]]:
    """Ask for a service per number, in order; return once each request has reached the
    workload (running, or waiting for its turn)."""
    asked = {number: asyncio.Event() for number in numbers}

    async def request(number: int) -> int:
        asked[number].set()  # run() takes its first steps before this task yields
        return await workload.run(gate.service, number)

    tasks = [asyncio.create_task(request(number)) for number in numbers]
    async with asyncio.timeout(WAIT):
        for event in asked.values():
            await event.wait()
    return tasks


async def test_at_most_concurrency_services_run_and_the_rest_start_in_arrival_order() -> None:
    workload, gate = Workload(concurrency=2), Gate()
    tasks = await queued(workload, gate, range(5))
    await gate.wait_started(1)
    await settle()  # a third service must not start
    assert gate.started == [0, 1]
    gate.open(1)
    await gate.wait_started(2)
    await settle()  # nor a fourth
    assert gate.started == [0, 1, 2]
    for number in (0, 2, 3, 4):
        gate.open(number)
    assert await asyncio.gather(*tasks) == [0, 1, 2, 3, 4]
    assert gate.started == [0, 1, 2, 3, 4]


async def test_the_expected_wait_follows_the_queue_and_its_measured_pace() -> None:
    clock = Seconds()
    workload, gate = Workload(concurrency=1, clock=clock), Gate()
    assert workload.expected_wait() == pytest.approx(FIRST_GUESS)  # idle: one service's time
    tasks = await queued(workload, gate, range(12))
    await gate.wait_started(0)
    before = workload.expected_wait()
    assert before == pytest.approx(13 * FIRST_GUESS)  # 11 waiting + the one served + its own
    for number in range(6):  # each service takes 0.5 s: the pace becomes much slower
        clock.now += 0.5
        gate.open(number)
        await gate.wait_started(number + 1)  # its turn came free: its times are counted
    assert workload.expected_wait() > before * 4
    for number in range(6, 12):
        gate.open(number)
    await asyncio.gather(*tasks)


async def test_while_an_acknowledgement_is_sent_no_service_starts() -> None:
    workload, gate = Workload(concurrency=4), Gate()
    with workload.acknowledging():
        [first] = await queued(workload, gate, range(1, 2))
        await settle()  # it must not start
        assert gate.started == []
    await gate.wait_started(1)
    assert gate.started == [1]
    gate.open(1)
    assert await first == 1


async def test_a_cancelled_waiter_gives_its_turn_back() -> None:
    workload, gate = Workload(concurrency=1), Gate()
    with workload.acknowledging():
        [waiting] = await queued(workload, gate, range(1, 2))  # holds the only turn
        waiting.cancel()
        await asyncio.gather(waiting, return_exceptions=True)
    after = asyncio.create_task(workload.run(gate.service, 2))
    await gate.wait_started(2)  # only if the cancelled one gave the turn back
    assert gate.started == [2]
    gate.open(2)
    assert await after == 2


async def test_drain_waits_for_requests_in_flight_and_those_arriving_meanwhile() -> None:
    workload, gate = Workload(), Gate()
    finished: list[int] = []

    async def request(number: int) -> None:
        with workload.tracking():
            finished.append(await workload.run(gate.service, number))

    first = asyncio.create_task(request(1))
    await gate.wait_started(1)
    assert workload.in_flight == 1
    draining = asyncio.create_task(workload.drain())
    second = asyncio.create_task(request(2))  # arrives while draining
    await gate.wait_started(2)
    gate.open(1)
    await first
    await settle()  # the drain must not end now
    assert not draining.done()  # the second is still in flight
    gate.open(2)
    await asyncio.wait_for(draining, timeout=5)
    assert finished == [1, 2] and workload.in_flight == 0
    await second


async def test_a_drain_is_bounded_by_its_caller() -> None:
    workload, gate = Workload(), Gate()

    async def request() -> None:
        with workload.tracking():
            await workload.run(gate.service, 1)

    stuck = asyncio.create_task(request())
    await gate.wait_started(1)
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):
            await workload.drain()
    assert workload.in_flight == 1
    gate.open(1)
    await stuck


def test_concurrency_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Workload(concurrency=0)
