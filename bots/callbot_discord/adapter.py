"""The Discord adapter as `callbot run` sees it (entry point `callbot.adapters: discord`)."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping

import aiohttp
import discord

from callbot.adapters import StartupError
from callbot.config import SettingsError
from callbot.core import Core
from callbot_discord.client import CallbotClient, build_client, serve
from callbot_discord.notifier import DiscordNotifier
from callbot_discord.settings import load_discord_settings, token_present

log = logging.getLogger(__name__)


class DiscordAdapter:
    """Serve callbot on Discord while `DISCORD_TOKEN` is set."""

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

    async def run(self, core: Core) -> None:
        """Connect to Discord and answer members until cancelled."""
        settings = load_discord_settings()
        if settings.token is None:
            raise SettingsError("DISCORD_TOKEN is not set")
        self.client = build_client(core, settings)
        try:
            await serve(self.client)
        except discord.LoginFailure as exc:
            raise SettingsError(f"Discord refused DISCORD_TOKEN ({exc}); check it") from None
        except (aiohttp.ClientError, OSError) as exc:
            raise StartupError(
                f"cannot reach Discord at {discord.http.Route.BASE}: {exc}"
            ) from None
        finally:
            self.client = None


adapter = DiscordAdapter()
