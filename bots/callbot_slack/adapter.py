"""The Slack adapter as `callbot run` sees it (entry point `callbot.adapters: slack`)."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

import aiohttp
from slack_sdk.errors import SlackApiError

from callbot.adapters import StartupError
from callbot.config import SettingsError
from callbot.core import Core
from callbot_slack.app import SlackApp, build_slack_app, standalone_notifier
from callbot_slack.notifier import SlackNotifier
from callbot_slack.server import connected_socket_mode, forever, serving_http
from callbot_slack.settings import credentials_present, load_slack_settings

log = logging.getLogger(__name__)


class SlackAdapter:
    """Serve callbot on Slack while its Socket Mode or HTTP mode credentials are set."""

    name = "slack"
    playground = False

    def __init__(self) -> None:
        self.slack: SlackApp | None = None

    def configured(self, environ: Mapping[str, str]) -> bool:
        """Whether Slack credentials are set (in `environ`, or in `.env` when that is the
        process's environment, since callbot reads its settings from both)."""
        return credentials_present(environ, ".env" if environ is os.environ else None)

    def setup_hint(self) -> str:
        """Which settings turn Slack on."""
        return (
            "set SLACK_APP_TOKEN and SLACK_BOT_TOKEN (Socket Mode, one workspace), or "
            "SLACK_SIGNING_SECRET, SLACK_CLIENT_ID and SLACK_CLIENT_SECRET (HTTP mode, many "
            "workspaces); `callbot slack manifest` prints the app to create."
        )

    @property
    def notifier(self) -> SlackNotifier | None:
        """Posts scheduled alerts and tallies while the adapter runs."""
        return self.slack.notifier if self.slack is not None else None

    @asynccontextmanager
    async def notifying(self, core: Core) -> AsyncIterator[SlackNotifier]:
        """A notifier with the configured credentials that serves nothing (for the scheduler,
        in whatever process it runs): Socket Mode's bot token, or in HTTP mode the tokens
        installed in the database. Its HTTP session is closed when the block ends."""
        settings = load_slack_settings()
        if settings.mode is None:
            raise SettingsError("no Slack credentials are set")
        async with standalone_notifier(core, settings) as notifier:
            yield notifier

    async def run(self, core: Core) -> None:
        """Connect to Slack (or listen for it) and answer members until cancelled."""
        settings = load_slack_settings()
        if settings.mode is None:
            raise SettingsError("no Slack credentials are set")
        self.slack = slack = build_slack_app(core, settings)
        try:
            if settings.mode == "socket":
                await _check_bot_token(slack)
                async with connected_socket_mode(slack):
                    log.info("connected to Slack in Socket Mode")
                    await forever()
            else:
                async with serving_http(slack, settings.host, settings.port) as url:
                    log.info("serving Slack over HTTP at %s (install: /slack/install)", url)
                    await forever()
        except SlackApiError as exc:
            raise SettingsError(
                f"Slack refused the credentials ({exc.response.get('error')}); check them"
            ) from None
        except (aiohttp.ClientError, OSError) as exc:
            raise StartupError(f"cannot reach Slack at {settings.api_url}: {exc}") from None
        finally:
            await _drain(slack)
            await slack.responder.close()
            self.slack = None


async def _check_bot_token(slack: SlackApp) -> None:
    """Ask Slack who the bot token is, so a wrong token stops start-up with one line."""
    identity = await slack.bolt.client.auth_test()
    log.info("Slack bot token of workspace %s (%s)", identity.get("team"), identity.get("team_id"))


async def _drain(slack: SlackApp) -> None:
    """Let the answers in flight finish before the connection closes."""
    unfinished = await slack.responder.workload.drain_for()
    if unfinished:
        log.warning("stopped with %d Slack answers unfinished", unfinished)


adapter = SlackAdapter()
