"""What the Discord end-to-end tests share: a server in the fake, a callbot client running
against it, the fixtures that build them, and how to read the answer a member sees.

The fixtures (`core`, `fake`, `server`, `bot`) are plain pytest fixtures; a test module uses
them by binding the names (`fake = discord_helpers.fake`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from callbot.core import Core
from callbot_discord.client import CallbotClient, build_client
from callbot_discord.settings import DiscordSettings
from conftest import FIXTURES, Clock, build_core, make_settings
from fakes.discord_fake import (
    FakeChannel,
    FakeDiscord,
    FakeGuild,
    FakeInteraction,
    FakeMessage,
    FakeUser,
    running_bot,
    running_fake,
)
from fakes.discord_payloads import EPHEMERAL, MANAGE_GUILD


@dataclass
class Server:
    """One Discord server: a channel, a member, and an admin who can run /callbot."""

    guild: FakeGuild
    channel: FakeChannel
    member: FakeUser
    admin: FakeUser


@pytest.fixture
async def core(engine: AsyncEngine, tmp_path: Path, clock: Clock, congress_dir: Path) -> Core:
    settings = make_settings(tmp_path, str(engine.url), FIXTURES / "service-campaigns")
    return await build_core(engine, settings, clock)


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with running_fake() as started:
        yield started


def add_server(fake: FakeDiscord, name: str) -> Server:
    guild = fake.add_guild(name)
    channel = guild.add_channel("general")
    member = guild.add_member("Alice")
    admin = guild.add_member("Olga", permissions=MANAGE_GUILD)
    return Server(guild, channel, member, admin)


@pytest.fixture
def server(fake: FakeDiscord) -> Server:
    return add_server(fake, "Springfield Callers")


def bot_settings(fake: FakeDiscord, dev_guild: FakeGuild | None) -> DiscordSettings:
    return DiscordSettings(
        token=fake.token,
        api_base=fake.api_base,
        gateway_url=fake.gateway_url,
        dev_guild_id=dev_guild.id if dev_guild else None,
        guild_ready_timeout=0.05,
        _env_file=None,  # type: ignore[call-arg]
    )


@asynccontextmanager
async def bot_running(
    fake: FakeDiscord, core: Core, server: Server | None, **options: Any
) -> AsyncIterator[CallbotClient]:
    """A fresh callbot client on `core`, syncing its commands to `server` at start; at the end
    the client must still be running and the fake must have recorded no violation."""
    client = build_client(core, bot_settings(fake, server.guild if server else None), **options)
    async with running_bot(fake, client):
        # Ready: every server's GUILD_CREATE is in, and this client's session (not one left by
        # an earlier client) is the one that receives the members' interactions.
        async with asyncio.timeout(5):
            await client.wait_until_ready()
        yield client


@pytest.fixture
async def bot(fake: FakeDiscord, core: Core, server: Server) -> AsyncIterator[CallbotClient]:
    async with bot_running(fake, core, server) as client:
        yield client


def answer(interaction: FakeInteraction) -> FakeMessage:
    """The one message the member sees in answer (new, filled in, or updated in place)."""
    assert not interaction.expired, interaction
    assert interaction.messages, f"{interaction} has no message: {interaction.response}"
    return interaction.messages[-1]


def private(message: FakeMessage) -> FakeMessage:
    assert message.flags & EPHEMERAL, f"{message} is not ephemeral"
    assert message.allowed_mentions == {"parse": []}, message.allowed_mentions
    return message


async def caught_up(fake: FakeDiscord, server: Server, channel: FakeChannel | None = None) -> None:
    """Return once the bot has handled every gateway event sent so far: the gateway delivers in
    order, so a command answered now was read after all of them."""
    helped = await fake.slash(server.member, server.guild, "help", channel=channel)
    assert "/call" in answer(helped).text()


def use_fake_discord(monkeypatch: pytest.MonkeyPatch, fake: FakeDiscord) -> None:
    """Point callbot's Discord settings (read from the environment) at the fake."""
    monkeypatch.setenv("DISCORD_TOKEN", fake.token)
    monkeypatch.setenv("DISCORD_API_BASE", fake.api_base)
    monkeypatch.setenv("DISCORD_GATEWAY_URL", fake.gateway_url)
    monkeypatch.setenv("DISCORD_GUILD_READY_TIMEOUT", "0.05")
