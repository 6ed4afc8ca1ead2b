"""The OAuth states of "Add to Slack" links (HTTP mode): expired and bounded.

Each visit to /slack/install issues a state (a row every replica can check when Slack sends
the browser back). slack_sdk's SQLAlchemy store never deletes one that is not used, so every
anonymous visit would leave a row for good. Here each new state first removes the expired
ones, and at most `MAX_PENDING` may wait at once: past that the install page says to try again
in a few minutes (`InstallsBusy`) rather than let a flood of visits grow the table, or push
out the state of someone installing right now.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from slack_sdk.oauth.state_store.sqlalchemy import AsyncSQLAlchemyOAuthStateStore
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

MAX_PENDING = 1000  # installs begun and not finished within their link's lifetime


class InstallsBusy(Exception):
    """So many install links are out that no new one is issued until some expire."""


def _naive_utc(seconds: float) -> datetime:
    # slack_sdk's table stores naive UTC times (TIMESTAMP WITHOUT TIME ZONE).
    return datetime.fromtimestamp(seconds, tz=UTC).replace(tzinfo=None)


class BoundedOAuthStates(AsyncSQLAlchemyOAuthStateStore):
    """slack_sdk's SQLAlchemy state store (same table, shared by every replica) with expired
    states removed and the pending ones bounded. `clock` gives Unix seconds."""

    def __init__(
        self,
        *,
        expiration_seconds: int,
        engine: AsyncEngine,
        max_pending: int = MAX_PENDING,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(expiration_seconds=expiration_seconds, engine=engine)
        self.max_pending = max_pending
        self.clock = clock

    async def async_issue(self, *args: object, **kwargs: object) -> str:
        now = self.clock()
        table = self.oauth_states
        state = str(uuid.uuid4())
        async with self.engine.begin() as connection:
            await connection.execute(delete(table).where(table.c.expire_at <= _naive_utc(now)))
            pending = await connection.scalar(select(func.count()).select_from(table))
            if (pending or 0) >= self.max_pending:
                raise InstallsBusy(f"{pending} install links are pending")
            await connection.execute(
                table.insert(),
                {"state": state, "expire_at": _naive_utc(now + self.expiration_seconds)},
            )
        return state

    async def async_consume(self, state: str) -> bool:
        """True once for a state issued here and not expired (by `clock`); False otherwise,
        whatever the state's text (it comes from the browser)."""
        table = self.oauth_states
        if not isinstance(state, str) or not 0 < len(state) <= 200 or "\x00" in state:
            return False
        async with self.engine.begin() as connection:
            deleted = await connection.execute(
                delete(table).where(
                    table.c.state == state, table.c.expire_at > _naive_utc(self.clock())
                )
            )
        return bool(deleted.rowcount)
