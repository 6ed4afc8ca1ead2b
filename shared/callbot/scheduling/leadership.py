"""Exactly one scheduler per database: the others wait as hot standbys.

On PostgreSQL the leader holds a session advisory lock on a connection kept open for as long
as it leads; when the leader's process dies, PostgreSQL ends its session and releases the
lock, and a standby polling for it every second takes over. On SQLite (one machine) an
exclusive lock on a file beside the database does the same.
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


class Leadership(Protocol):
    """Who leads: `acquire` waits until this process does, `lost` returns if it stops
    leading (its lock connection dropped), `release` lets a standby take over."""

    async def acquire(self) -> None: ...

    async def lost(self) -> None: ...

    async def release(self) -> None: ...


class PostgresLeadership:
    """A session advisory lock (`pg_try_advisory_lock`) on a dedicated connection."""

    def __init__(self, url: str, *, poll: float = POLL_SECONDS) -> None:
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.poll = poll
        self._connection: asyncpg.Connection | None = None

    async def acquire(self) -> None:
        waiting = False
        while True:
            try:
                if self._connection is None or self._connection.is_closed():
                    self._connection = await asyncpg.connect(self.dsn)
                if await self._connection.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY):
                    return
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
                log.warning("cannot reach PostgreSQL to lead the scheduler: %s", exc)
                await self._close()
            if not waiting:
                log.info("another scheduler leads; standing by")
                waiting = True
            await asyncio.sleep(self.poll)

    async def lost(self) -> None:
        while True:
            await asyncio.sleep(HEALTH_SECONDS)
            try:
                assert self._connection is not None
                await asyncio.wait_for(self._connection.fetchval("SELECT 1"), HEALTH_SECONDS)
            except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError):
                log.error("lost the scheduler lock's connection: stopping this scheduler")
                await self._close()
                return

    async def release(self) -> None:
        if self._connection is not None and not self._connection.is_closed():
            with contextlib.suppress(Exception):
                await self._connection.execute("SELECT pg_advisory_unlock($1)", LOCK_KEY)
        await self._close()

    async def _close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
        self._connection = None


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
