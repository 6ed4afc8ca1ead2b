"""Our schema holds the tables slack_sdk's SQLAlchemy stores use, exactly as slack_sdk builds
them: the day a slack_sdk upgrade changes a column, this fails before an install does."""

from __future__ import annotations

from typing import Any

import sqlalchemy
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.models.bot import Bot
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from callbot.db.models import slack_bots, slack_installations, slack_oauth_states
from callbot_slack.installations import RememberedBots


def shape(table: sqlalchemy.Table) -> list[tuple[str, str, bool]]:
    return [(c.name, repr(c.type), bool(c.nullable)) for c in table.columns]


def index_columns(table: sqlalchemy.Table) -> set[tuple[str, ...]]:
    return {tuple(c.name for c in index.columns) for index in table.indexes}


def test_our_slack_tables_are_slack_sdks() -> None:
    theirs = sqlalchemy.MetaData()
    pairs = [
        (
            slack_installations,
            SQLAlchemyInstallationStore.build_installations_table(theirs, "slack_installations"),
        ),
        (slack_bots, SQLAlchemyInstallationStore.build_bots_table(theirs, "slack_bots")),
        (
            slack_oauth_states,
            SQLAlchemyOAuthStateStore.build_oauth_states_table(theirs, "slack_oauth_states"),
        ),
    ]
    for ours, expected in pairs:
        assert shape(ours) == shape(expected), ours.name
        assert index_columns(ours) == index_columns(expected), ours.name


class CountingStore(AsyncInstallationStore):
    """An installation store that counts lookups (the database behind RememberedBots)."""

    def __init__(self) -> None:
        self.lookups = 0
        self.bot: Bot | None = Bot(
            app_id="A1",
            enterprise_id=None,
            team_id="T1",
            bot_token="xoxb-1",
            bot_id="B1",
            bot_user_id="U1",
            installed_at=1.0,
        )

    async def async_find_bot(self, **ids: Any) -> Bot | None:
        self.lookups += 1
        return self.bot

    async def async_delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.bot = None


async def test_a_workspaces_bot_is_remembered_for_a_while_and_forgotten_when_deleted() -> None:
    now = [0.0]
    store = CountingStore()
    remembered = RememberedBots(store, ttl=60, clock=lambda: now[0])
    for _ in range(3):
        bot = await remembered.async_find_bot(enterprise_id=None, team_id="T1")
        assert bot is not None and bot.bot_token == "xoxb-1"
    assert store.lookups == 1
    now[0] = 61.0  # a token replaced on another replica is seen within the minute
    await remembered.async_find_bot(enterprise_id=None, team_id="T1")
    assert store.lookups == 2
    await remembered.async_delete_bot(enterprise_id=None, team_id="T1")
    assert await remembered.async_find_bot(enterprise_id=None, team_id="T1") is None
    assert store.lookups == 3
