"""Where HTTP mode keeps each workspace's installation: slack_sdk's SQLAlchemy store in our
database (shared by every replica), with each workspace's bot remembered for a minute.

bolt looks up the bot token of the request's workspace before every listener runs, so before
every ack: under a burst of clicks that lookup would be the ack's only database work, waiting
for a connection behind the services. Remembered, an ack needs no database at all. A token
replaced or revoked reaches the other replicas within `BOT_TTL` seconds (an uninstalled
workspace sends no more requests anyway).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from logging import Logger
from typing import Any

from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.models.installation import Installation

BOT_TTL = 60.0  # seconds


class RememberedBots(AsyncInstallationStore):
    """`store` with `async_find_bot` answered from memory for `ttl` seconds."""

    def __init__(
        self,
        store: AsyncInstallationStore,
        *,
        ttl: float = BOT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.ttl = ttl
        self._clock = clock
        self._bots: dict[tuple[str | None, str | None], tuple[float, Bot | None]] = {}

    @property
    def logger(self) -> Logger:
        return self.store.logger

    def _forget(self, enterprise_id: str | None, team_id: str | None) -> None:
        self._bots.pop((enterprise_id, team_id), None)

    async def async_find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        key = (enterprise_id, team_id)
        now = self._clock()
        known = self._bots.get(key)
        if known is not None and now - known[0] < self.ttl:
            return known[1]
        bot = await self.store.async_find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if bot is not None:  # a workspace not installed yet may be in a minute
            self._bots[key] = (now, bot)
        return bot

    async def async_save(self, installation: Installation) -> None:
        self._forget(installation.enterprise_id, installation.team_id)
        await self.store.async_save(installation)

    async def async_save_bot(self, bot: Bot) -> None:
        self._forget(bot.enterprise_id, bot.team_id)
        await self.store.async_save_bot(bot)

    async def async_find_installation(self, **ids: Any) -> Installation | None:
        found: Installation | None = await self.store.async_find_installation(**ids)
        return found

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self._forget(enterprise_id, team_id)
        await self.store.async_delete_bot(enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        self._forget(enterprise_id, team_id)
        await self.store.async_delete_installation(
            enterprise_id=enterprise_id, team_id=team_id, user_id=user_id
        )
