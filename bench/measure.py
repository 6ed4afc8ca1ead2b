"""Timing and memory helpers shared by the benchmarks."""

from __future__ import annotations

import math
import resource
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

WARMUP = 20


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values (fraction 0.99 for p99)."""
    if not sorted_values:
        raise ValueError("no samples to take a percentile of")
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


@dataclass(frozen=True, slots=True)
class Latency:
    """Durations of one operation, in seconds, as measured one after another."""

    seconds: tuple[float, ...]

    def ms(self, fraction: float) -> float:
        return percentile(sorted(self.seconds), fraction) * 1000

    @property
    def total(self) -> float:
        return sum(self.seconds)

    def detail(self) -> dict[str, Any]:
        """p50/p95/p99/max/mean in milliseconds, and the number of samples."""
        ordered = sorted(self.seconds)
        return {
            "p50_ms": round(percentile(ordered, 0.50) * 1000, 3),
            "p95_ms": round(percentile(ordered, 0.95) * 1000, 3),
            "p99_ms": round(percentile(ordered, 0.99) * 1000, 3),
            "max_ms": round(ordered[-1] * 1000, 3),
            "mean_ms": round(self.total / len(ordered) * 1000, 3),
            "samples": len(ordered),
        }

    def summary(self) -> str:
        d = self.detail()
        return (
            f"p50 {d['p50_ms']:.2f} · p95 {d['p95_ms']:.2f} · p99 {d['p99_ms']:.2f} · "
            f"max {d['max_ms']:.2f} ms ({d['samples']} samples)"
        )


async def time_each(
    operation: Callable[[int], Awaitable[object]], samples: int, warmup: int = WARMUP
) -> Latency:
    """Await `operation(i)` for i in 0, 1, ...: `warmup` times untimed, then `samples` timed."""
    for index in range(warmup):
        await operation(index)
    durations = []
    for index in range(warmup, warmup + samples):
        started = time.perf_counter()
        await operation(index)
        durations.append(time.perf_counter() - started)
    return Latency(tuple(durations))


def peak_rss_mb() -> float:
    """The process's peak resident set size so far, in MiB (ru_maxrss; never goes down)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports KiB, macOS bytes.
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


class Stopwatch:
    """Seconds since it was started: `with Stopwatch() as watch: ...; watch.seconds`."""

    def __init__(self) -> None:
        self.started = 0.0
        self.seconds = 0.0

    def __enter__(self) -> Stopwatch:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.seconds = time.perf_counter() - self.started
