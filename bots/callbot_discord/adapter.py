"""The Discord adapter as `callbot run` sees it (entry point `callbot.adapters: discord`)."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager

import aiohttp
import discord

from callbot.adapters import StartupError
from callbot.config import SettingsError
from callbot.core import Core
from callbot_discord.client import CallbotClient, apply_endpoints, build_client, rest_client, serve
from callbot_discord.notifier import DiscordNotifier
from callbot_discord.settings import DiscordSettings, load_discord_settings, token_present

log = logging.getLogger(__name__)


def _settings_with_token() -> tuple[DiscordSettings, str]:
    settings = load_discord_settings()
    if settings.token is None:
        raise SettingsError("DISCORD_TOKEN is not set")
    return settings, settings.token.get_secret_value()


@contextmanager
def _login_errors() -> Iterator[None]:
    """A refused token or an unreachable Discord, as the one line `callbot run` shows."""
    try:
        yield
    except discord.LoginFailure as exc:
        raise SettingsError(f"Discord refused DISCORD_TOKEN ({exc}); check it") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise StartupError(f"cannot reach Discord at {discord.http.Route.BASE}: {exc}") from None


class DiscordAdapter:
    """Serve callbot on Discord while `DISCORD_TOKEN` is set (`callbot.adapters.Adapter`), and
    post scheduled output from any process (`callbot.adapters.PostsScheduled`)."""

    name = "discord"
    playground = False

    def __init__(self) -> None:
        self.client: CallbotClient | None = None

    def configured(self, environ: Mapping[str, str]) -> bool:
        """Whether DISCORD_TOKEN is set (in `environ`, or in `.env` when that is the process's
        environment, since callbot reads its settings from both)."""
        return token_present(environ, ".env" if environ is os.environ else None)

    def setup_hint(self) -> str:
        """Which settings turn Discord on."""
        return (
            "set DISCORD_TOKEN (your bot's token), then `callbot discord invite` for the link "
            "that adds it to a server and `callbot discord sync` to publish its commands."
        )

    @property
    def notifier(self) -> DiscordNotifier | None:
        """Posts scheduled alerts and tallies while the adapter runs."""
        return self.client.notifier if self.client is not None else None

    @asynccontextmanager
    async def notifying(self, core: Core) -> AsyncIterator[DiscordNotifier]:
        """A REST-only notifier for the scheduler: a plain client that logs in (no gateway, no
        cache, no intents, mentions off) and is closed when the block ends. Channel ids are
        trusted as the core stored them (see `DiscordNotifier`)."""
        settings, token = _settings_with_token()
        apply_endpoints(settings)
        client = rest_client()
        async with client:
            with _login_errors():
                await client.login(token)
            yield DiscordNotifier(client, verify_with_cache=False)

    async def run(self, core: Core) -> None:
        """Connect to Discord and answer members until cancelled."""
        settings, _ = _settings_with_token()
        self.client = build_client(core, settings)
        try:
            with _login_errors():
                await serve(self.client)
        finally:
            self.client = None


adapter = DiscordAdapter()
