"""The bolt app that serves callbot: its web clients, how it is authorized in each mode, and
every feature's listeners; and the notifier alone, for posting without serving."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.authorization.async_authorize import AsyncInstallationStoreAuthorize
from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.oauth.installation_store.sqlalchemy import AsyncSQLAlchemyInstallationStore
from slack_sdk.web.async_client import AsyncWebClient

from callbot.core import Core
from callbot_slack import alerts, commands, components, home, setup
from callbot_slack.installations import RememberedBots
from callbot_slack.notifier import ClientFor, SlackNotifier
from callbot_slack.oauth_states import BoundedOAuthStates
from callbot_slack.responder import SlackResponder
from callbot_slack.settings import SlackSettings

log = logging.getLogger(__name__)

#: Exactly what the bot uses: slash commands; posting answers, alerts (also in public channels
#: it was not invited to) and the Messages tab; users.info to know workspace admins; uploading
#: the tally's chart (Slack shows pictures only as files).
BOT_SCOPES = ("commands", "chat:write", "chat:write.public", "users:read", "files:write")
EVENTS_PATH = "/slack/events"
INSTALL_PATH = "/slack/install"
REDIRECT_PATH = "/slack/oauth_redirect"
OAUTH_STATE_SECONDS = 600  # how long an "Add to Slack" link stays valid
RETRIES = 2


def retry_handlers() -> list[AsyncRetryHandler]:
    """Retry what Slack asks to be retried (429 with Retry-After), its 5xx and dropped
    connections, a couple of times."""
    return [
        AsyncRateLimitErrorRetryHandler(max_retry_count=RETRIES),
        AsyncServerErrorRetryHandler(max_retry_count=RETRIES),
        AsyncConnectionErrorRetryHandler(max_retry_count=RETRIES),
    ]


def web_client(
    settings: SlackSettings,
    token: str | None = None,
    *,
    session: aiohttp.ClientSession | None = None,
) -> AsyncWebClient:
    """A Web API client; without a `session`, slack_sdk opens one (a new connection) for
    every request."""
    return AsyncWebClient(
        base_url=settings.api_url, token=token, session=session, retry_handlers=retry_handlers()
    )


def installation_store(core: Core, settings: SlackSettings) -> RememberedBots:
    """HTTP mode: the workspaces' installations, in the database every replica shares."""
    assert settings.client_id is not None
    return RememberedBots(
        AsyncSQLAlchemyInstallationStore(client_id=settings.client_id, engine=core.engine)
    )


@dataclass
class SlackApp:
    """The bolt app with what runs behind it. Every Web API client of the app, bolt's own
    per request included (bolt copies its client's session), shares the responder's HTTP
    session, closed with `responder.close()`."""

    bolt: AsyncApp
    responder: SlackResponder
    notifier: SlackNotifier
    settings: SlackSettings


def build_slack_app(core: Core, settings: SlackSettings) -> SlackApp:
    """The app for the configured mode: Socket Mode with one bot token, or HTTP mode with
    OAuth installations kept in the database (shared by every replica)."""
    responder = SlackResponder(core)
    session = responder.session
    if settings.mode == "socket":
        assert settings.bot_token is not None
        client = web_client(settings, settings.bot_token.get_secret_value(), session=session)
        # Socket Mode requests arrive over the websocket Slack authenticated: no signatures.
        bolt = AsyncApp(client=client, request_verification_enabled=False)
        notifier = SlackNotifier(_single_workspace(client))
    elif settings.mode == "http":
        assert settings.signing_secret is not None and settings.client_id is not None
        assert settings.client_secret is not None
        store = installation_store(core, settings)
        client = web_client(settings, session=session)
        bolt = AsyncApp(
            client=client,
            signing_secret=settings.signing_secret.get_secret_value(),
            installation_store=store,
            installation_store_bot_only=True,
            # Each request names its workspace; its bot token (and auth.test's answer about
            # it) is looked up once per workspace and process, not once per click.
            authorize=AsyncInstallationStoreAuthorize(  # type: ignore[arg-type]  # bolt takes it
                logger=log,
                installation_store=store,
                client_id=settings.client_id,
                client_secret=settings.client_secret.get_secret_value(),
                bot_only=True,
                cache_enabled=True,
                client=client,
            ),
            oauth_settings=AsyncOAuthSettings(
                client_id=settings.client_id,
                client_secret=settings.client_secret.get_secret_value(),
                scopes=list(BOT_SCOPES),
                install_path=INSTALL_PATH,
                redirect_uri_path=REDIRECT_PATH,
                authorization_url=settings.authorize_url,
                installation_store=store,
                installation_store_bot_only=True,
                state_store=BoundedOAuthStates(
                    expiration_seconds=OAUTH_STATE_SECONDS, engine=core.engine
                ),
            ),
        )
        notifier = SlackNotifier(_installed(settings, store, session))
    else:
        raise ValueError("no Slack mode is configured")
    # Order matters where listeners overlap: bolt runs the first that matches, so the alert
    # form's own button and modal come before the catch-all ones of `components`.
    for feature in (commands, alerts, components, setup, home):
        feature.register(bolt, responder)

    @bolt.error
    async def on_error(error: Exception, body: dict[str, Any]) -> None:
        # Listeners answer their own failures; this only sees what escaped bolt itself.
        log.error("bolt could not handle a %s request: %s", body.get("type"), error, exc_info=error)

    return SlackApp(bolt=bolt, responder=responder, notifier=notifier, settings=settings)


def _single_workspace(client: AsyncWebClient) -> ClientFor:
    """Socket Mode: the one workspace the bot token belongs to (asked once, with auth.test)."""
    team: list[str] = []

    async def client_for(community_id: str) -> AsyncWebClient | None:
        if not team:
            team.append(str((await client.auth_test()).get("team_id") or ""))
        return client if community_id == team[0] else None

    return client_for


def _installed(
    settings: SlackSettings,
    store: RememberedBots,
    session: aiohttp.ClientSession | None = None,
) -> ClientFor:
    """HTTP mode: the workspace's stored bot token, if callbot is installed there."""

    async def client_for(community_id: str) -> AsyncWebClient | None:
        bot = await store.async_find_bot(enterprise_id=None, team_id=community_id)
        if bot is None or not bot.bot_token:
            return None
        return web_client(settings, bot.bot_token, session=session)

    return client_for


@asynccontextmanager
async def standalone_notifier(core: Core, settings: SlackSettings) -> AsyncIterator[SlackNotifier]:
    """A notifier for the configured mode without the app (nothing is served): the bot
    token's workspace in Socket Mode, the installed workspaces in HTTP mode. Its clients
    share one HTTP session, closed when the block ends."""
    async with aiohttp.ClientSession() as session:
        if settings.mode == "socket":
            assert settings.bot_token is not None
            client = web_client(settings, settings.bot_token.get_secret_value(), session=session)
            yield SlackNotifier(_single_workspace(client))
        elif settings.mode == "http":
            yield SlackNotifier(_installed(settings, installation_store(core, settings), session))
        else:
            raise ValueError("no Slack mode is configured")
