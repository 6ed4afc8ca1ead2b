"""The discord.py client that serves callbot: lean caches, the command tree, core components."""

from __future__ import annotations

import logging
from typing import Any

import discord
import yarl

from callbot.core import Core
from callbot.workload import DRAIN_SECONDS, Workload
from callbot_discord.components import CoreComponent, is_core_component
from callbot_discord.notifier import DiscordNotifier
from callbot_discord.responder import RESPONSE_BUDGET, Responder, interaction_data
from callbot_discord.settings import DiscordSettings
from callbot_discord.tree import CallbotTree, build_tree

log = logging.getLogger(__name__)

DEFAULT_API_BASE = "https://discord.com/api/v10"
DEFAULT_GATEWAY = yarl.URL("wss://gateway.discord.gg/")


def apply_endpoints(settings: DiscordSettings) -> None:
    """Point discord.py at DISCORD_API_BASE and DISCORD_GATEWAY_URL, or at Discord itself.

    discord.py keeps both as class attributes, so this holds for the whole process.
    """
    discord.http.Route.BASE = settings.api_base or DEFAULT_API_BASE
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = settings.gateway or DEFAULT_GATEWAY


def intents() -> discord.Intents:
    """Only `guilds` (server names, roles, channels): no privileged intent, no message events."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    return chosen


def client_options(settings: DiscordSettings) -> dict[str, Any]:
    """Keep memory flat however many servers: no member cache, no message cache, no chunking."""
    return {
        "intents": intents(),
        "member_cache_flags": discord.MemberCacheFlags.none(),
        "chunk_guilds_at_startup": False,
        "max_messages": None,
        "allowed_mentions": discord.AllowedMentions.none(),
        "guild_ready_timeout": settings.guild_ready_timeout,
    }


def _no_voice_warnings() -> None:
    # callbot never joins voice: the missing voice libraries are not worth a warning.
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = False


def rest_client() -> discord.Client:
    """A client for REST calls only, once logged in (no gateway: no intents, no cache);
    mentions off."""
    _no_voice_warnings()
    return discord.Client(
        intents=discord.Intents.none(), allowed_mentions=discord.AllowedMentions.none()
    )


class CallbotClient(discord.Client):
    """A client whose interactions all go to one `Responder` (attribute `callbot`)."""

    def __init__(self, responder: Responder, settings: DiscordSettings, **options: Any) -> None:
        _no_voice_warnings()
        super().__init__(**client_options(settings), **options)
        self.callbot = responder
        self.settings = settings
        self.tree: CallbotTree = build_tree(self)
        self.notifier = DiscordNotifier(self)
        # Every button and select ever sent, before or after a restart, is answered by id.
        self.add_dynamic_items(CoreComponent)

    async def setup_hook(self) -> None:
        guild_id = self.settings.dev_guild_id
        if guild_id is None:
            return
        guild = discord.Object(id=guild_id)
        self.tree.copy_global_to(guild=guild)
        try:
            synced = await self.tree.sync(guild=guild)
        except discord.HTTPException as exc:
            # The bot still answers commands synced earlier; say why the new ones are missing.
            log.error("could not sync commands to DISCORD_DEV_GUILD_ID %s: %s", guild_id, exc)
            return
        log.info("synced %d commands to server %s", len(synced), guild_id)

    async def on_ready(self) -> None:
        log.info("connected to Discord as %s, in %d servers", self.user, len(self.guilds))

    async def on_interaction(self, interaction: discord.Interaction[Any]) -> None:
        """Forms, and clicks on ids the core does not route (components handle their own)."""
        if interaction.type is discord.InteractionType.modal_submit:
            await self.callbot.on_modal(interaction)
        elif interaction.type is discord.InteractionType.component:
            custom_id = str(interaction_data(interaction).get("custom_id", ""))
            if not is_core_component(custom_id):
                await self.callbot.on_stale(interaction)


class ShardedCallbotClient(CallbotClient, discord.AutoShardedClient):
    """The same client running several shards (DISCORD_SHARD_COUNT, DISCORD_SHARD_IDS)."""


def build_client(
    core: Core,
    settings: DiscordSettings,
    *,
    budget: float = RESPONSE_BUDGET,
    workload: Workload | None = None,
) -> CallbotClient:
    """A client for these settings: sharded when shards are configured, else a plain one."""
    responder = Responder(core, budget=budget, workload=workload)
    if settings.sharded:
        shard_ids = list(settings.shard_ids) if settings.shard_ids is not None else None
        return ShardedCallbotClient(
            responder, settings, shard_ids=shard_ids, shard_count=settings.shard_count
        )
    return CallbotClient(responder, settings)


async def serve(client: CallbotClient, *, drain_seconds: float = DRAIN_SECONDS) -> None:
    """Log in and stay connected (reconnecting and resuming) until cancelled; then let the
    answers in flight finish (up to `drain_seconds`) and close."""
    token = client.settings.token
    if token is None:
        raise ValueError("DISCORD_TOKEN is not set")
    apply_endpoints(client.settings)
    async with client:
        try:
            await client.start(token.get_secret_value(), reconnect=True)
        finally:
            unfinished = await client.callbot.workload.drain_for(drain_seconds)
            if unfinished:
                log.warning("stopped with %d answers unfinished", unfinished)
