"""A callbot process under load: `callbot run` in a subprocess, its log, and its memory.

The platform benchmarks run the bot the way it is deployed, as its own process, while the
benchmark process plays the platform (the loopback fakes from tests/fakes). The two share
nothing but loopback sockets, so the bot's latency and memory are its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TESTS = REPO / "tests"
STOP_TIMEOUT = 15.0
LOG_TAIL = 40
# Settings of the benchmark machine's own environment that must not leak into the bot.
_DROPPED_PREFIXES = ("DISCORD_", "SLACK_", "CALLBOT_", "DATABASE_URL", "CAMPAIGNS_DIR")
_PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def use_test_fakes() -> None:
    """Make `fakes` (tests/fakes, the loopback platforms) importable from the benchmarks."""
    if str(TESTS) not in sys.path:
        sys.path.insert(0, str(TESTS))


class BotProcess:
    """A running `callbot run` and every line it has logged so far."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.lines: list[str] = []
        self._changed = asyncio.Event()
        self._reader = asyncio.create_task(self._read_log())

    @property
    def pid(self) -> int:
        return self.process.pid

    async def _read_log(self) -> None:
        stream = self.process.stderr
        assert stream is not None
        async for raw in stream:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
            self._changed.set()
        self._changed.set()  # the process ended: waiters must look once more and give up

    async def wait_for_log(
        self, pattern: str, seconds: float, what: str, *, since: int = 0
    ) -> re.Match[str]:
        """The first log line matching `pattern` (from line number `since` on), once it
        appears. RuntimeError, with the log's tail, if the bot exits first or `what` has not
        happened in `seconds`."""
        try:
            async with asyncio.timeout(seconds):
                return await self._logged(re.compile(pattern), since)
        except TimeoutError:
            raise RuntimeError(f"the bot did not {what} in {seconds} s\n{self.tail()}") from None

    async def _logged(self, regex: re.Pattern[str], seen: int) -> re.Match[str]:
        while True:
            for line in self.lines[seen:]:
                found = regex.search(line)
                if found:
                    return found
            seen = len(self.lines)
            if self._reader.done():
                raise RuntimeError(
                    f"the bot exited before logging /{regex.pattern}/\n{self.tail()}"
                )
            self._changed.clear()
            await self._changed.wait()

    def tail(self) -> str:
        return "\n".join(["--- bot log (last lines) ---", *self.lines[-LOG_TAIL:]])

    def memory_mb(self) -> dict[str, float]:
        """Resident memory now (`rss`) and at its peak so far (`peak`), in MiB (Linux /proc)."""
        status = Path(f"/proc/{self.pid}/status").read_text(encoding="ascii")
        fields = dict(
            (line.split(":", 1)[0], line.split(":", 1)[1].split()[0])
            for line in status.splitlines()
            if line.startswith(("VmRSS:", "VmHWM:"))
        )
        return {
            "rss": round(int(fields["VmRSS"]) / 1024, 1),
            "peak": round(int(fields["VmHWM"]) / 1024, 1),
        }

    def cpu_seconds(self) -> float:
        """CPU time the process has used so far, user and system (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1]
        user, system = fields.split()[11:13]
        return (int(user) + int(system)) / os.sysconf("SC_CLK_TCK")

    async def stop(self) -> int:
        """Ctrl-C (SIGINT), as an operator would; killed if it has not ended within 15 s."""
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.process.wait(), STOP_TIMEOUT)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        with contextlib.suppress(Exception):
            await self._reader
        return self.process.returncode if self.process.returncode is not None else -1


def bot_environment(settings: Mapping[str, str]) -> dict[str, str]:
    """The benchmark's environment without callbot's or the platforms' settings and proxies
    (slack_sdk and aiohttp would send loopback requests through a proxy), plus `settings`."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(_DROPPED_PREFIXES) and name not in _PROXIES
    }
    env.update(settings)
    return env


@asynccontextmanager
async def running_bot_process(
    settings: Mapping[str, str], workdir: Path, *args: str
) -> AsyncIterator[BotProcess]:
    """`callbot run *args` with `settings` as its environment, in `workdir` (so no `.env` of
    the checkout is read); stopped when the block ends."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "callbot.cli",
        "run",
        *args,
        cwd=workdir,
        env=bot_environment(settings),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    bot = BotProcess(process)
    try:
        yield bot
    finally:
        await bot.stop()
