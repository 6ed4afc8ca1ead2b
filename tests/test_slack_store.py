"""Our schema holds the tables slack_sdk's SQLAlchemy stores use, exactly as slack_sdk builds
them: the day a slack_sdk upgrade changes a column, this fails before an install does."""

from __future__ import annotations

import sqlalchemy
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

from callbot.db.models import slack_bots, slack_installations, slack_oauth_states


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
