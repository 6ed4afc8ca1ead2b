"""Exactly one scheduler per database: the others wait as hot standbys.

On PostgreSQL the leader holds a session advisory lock on a connection kept open for as long
as it leads; when the leader's process dies, PostgreSQL ends its session and releases the
lock, and a standby polling for it every second takes over. A leader whose lock connection
fails (the database restarted, a connection cut or stalled) has lost the lock: `lost()`
returns, the scheduler steps down, and `acquire()` competes again, trying an unreachable
database again after a short wait that grows to a few seconds. On SQLite (one machine) an
exclusive lock on a file beside the database does the same; it is never lost while the
process lives.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import tempfile
from pathlib import Path
from typing import Protocol

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

#: The advisory lock's key: "callbot" in ASCII, so it is recognisable in pg_locks.
LOCK_KEY = 0x63616C6C626F74
POLL_SECONDS = 1.0
HEALTH_SECONDS = 2.0
#: Waits before trying an unreachable database again, growing to the last one.
RETRY_SECONDS = (0.5, 1.0, 2.0, 3.0)
CONNECT_SECONDS = 5.0  # a connection attempt to a stalled database gives up after this
#: The server notices a lock connection whose client vanished within about this long
#: (keepalive probes every 2 s after 5 s idle, 3 unanswered), so a standby is not kept
#: waiting by a session whose client is gone.
SERVER_KEEPALIVES = {
    "tcp_keepalives_idle": "5",
    "tcp_keepalives_interval": "2",
    "tcp_keepalives_count": "3",
}
_CONNECTION_ERRORS = (OSError, asyncpg.PostgresError, asyncpg.InterfaceError)


class Leadership(Protocol):
    """Who leads: `acquire` waits until this process does, `lost` returns if it stops
    leading (its lock connection failed), `release` lets a standby take over."""

    async def acquire(self) -> None: ...

    async def lost(self) -> None: ...

    async def release(self) -> None: ...


class PostgresLeadership:
    """A session advisory lock (`pg_try_advisory_lock`) on a dedicated connection."""

    def __init__(
        self,
        url: str,
        *,
        poll: float = POLL_SECONDS,
        health: float = HEALTH_SECONDS,
        retry: tuple[float, ...] = RETRY_SECONDS,
    ) -> None:
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.poll = poll
        self.health = health
        self.retry = retry
        self._connection: asyncpg.Connection | None = None

    async def acquire(self) -> None:
        standing_by, failures = False, 0
        while True:
            try:
                if self._connection is None or self._connection.is_closed():
                    self._connection = await asyncpg.connect(
                        self.dsn, timeout=CONNECT_SECONDS, server_settings=SERVER_KEEPALIVES
                    )
                locked = await asyncio.wait_for(
                    self._connection.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY),
                    self.health,
                )
            except (*_CONNECTION_ERRORS, TimeoutError) as exc:
                await self._close()
                delay = self.retry[min(failures, len(self.retry) - 1)]
                if failures == 0:
                    log.warning(
                        "cannot reach PostgreSQL to lead the scheduler (%s); trying again "
                        "every few seconds",
                        str(exc) or type(exc).__name__,
                    )
                failures += 1
                await asyncio.sleep(delay)
                continue
            if failures:
                log.info("PostgreSQL is reachable again")
                failures = 0
            if locked:
                return
            if not standing_by:
                log.info("another scheduler leads; standing by")
                standing_by = True
            await asyncio.sleep(self.poll)

    async def lost(self) -> None:
        while True:
            await asyncio.sleep(self.health)
            try:
                assert self._connection is not None
                await asyncio.wait_for(self._connection.fetchval("SELECT 1"), self.health)
            except (*_CONNECTION_ERRORS, TimeoutError) as exc:
                log.error(
                    "lost the scheduler lock's connection (%s): stepping down, and competing "
                    "to lead again",
                    str(exc) or type(exc).__name__,
                )
                await self._close()
                return

    async def release(self) -> None:
        if self._connection is not None and not self._connection.is_closed():
            with contextlib.suppress(*_CONNECTION_ERRORS, TimeoutError):
                await asyncio.wait_for(
                    self._connection.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY),
                    self.health,
                )
        await self._close()

    async def _close(self) -> None:
        """Close the lock connection; one that does not close at once (a stalled network)
        is dropped: the server ends its session, and the lock, when it notices."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            await asyncio.wait_for(connection.close(), self.health)
        except (*_CONNECTION_ERRORS, TimeoutError):
            connection.terminate()


class FileLeadership:
    """An exclusive `flock` on a file: released by the kernel when the process dies."""

    def __init__(self, path: Path, *, poll: float = POLL_SECONDS) -> None:
        self.path = path
        self.poll = poll
        self._fd: int | None = None

    async def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        waiting = False
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if not waiting:
                        log.info("another scheduler leads (%s is locked); standing by", self.path)
                        waiting = True
                    await asyncio.sleep(self.poll)
                    continue
                self._fd = fd
                return
        except BaseException:
            os.close(fd)
            raise

    async def lost(self) -> None:
        await asyncio.Event().wait()  # a file lock is never lost while the process lives

    async def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def leadership_for(database_url: str) -> Leadership:
    """The lock that elects one scheduler among the processes sharing this database."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return PostgresLeadership(database_url)
    database = url.database or ""
    if not database or database == ":memory:":
        return FileLeadership(Path(tempfile.gettempdir()) / "callbot-scheduler.lock")
    return FileLeadership(Path(database + ".scheduler.lock"))
