"""The loopback fake Discord, tested with the real discord.py client: a bare `discord.Client`
with a tiny app-command tree (not the callbot adapter) connects over 127.0.0.1.

Each test reads "a member does X; the platform received Y", and the `running_bot` teardown
proves the client is still running and the fake saw no protocol violation."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import discord
import pytest
from discord import app_commands

from fakes.discord_fake import (
    FakeChannel,
    FakeDiscord,
    FakeDiscordError,
    FakeGuild,
    FakeUser,
    running_bot,
    running_fake,
)
from fakes.discord_payloads import (
    MANAGE_GUILD,
    SnowflakeFactory,
    command_problems,
    message_problems,
    modal_problems,
    shard_of,
    snowflake_time,
)


class PledgeView(discord.ui.View):
    """An ephemeral answer's button and select."""

    @discord.ui.button(label="I'll call", custom_id="pledge:yes", style=discord.ButtonStyle.success)
    async def pledge(
        self, interaction: discord.Interaction, button: discord.ui.Button[Any]
    ) -> None:
        await interaction.response.edit_message(content="Thanks for pledging!", view=None)

    @discord.ui.select(
        custom_id="pledge:chamber",
        options=[
            discord.SelectOption(label="House", value="house"),
            discord.SelectOption(label="Senate", value="senate"),
        ],
    )
    async def chamber(
        self, interaction: discord.Interaction, select: discord.ui.Select[Any]
    ) -> None:
        await interaction.response.send_message(f"You chose {select.values[0]}", ephemeral=True)


class ReportModal(discord.ui.Modal, title="Report a call"):
    """A classic text input (action row) and one wrapped in a Label."""

    outcome: discord.ui.TextInput[Any] = discord.ui.TextInput(
        label="Outcome", custom_id="outcome", max_length=20
    )
    notes: discord.ui.Label[Any] = discord.ui.Label(
        text="Notes",
        component=discord.ui.TextInput(
            custom_id="notes", style=discord.TextStyle.long, required=False
        ),
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        notes = self.notes.component
        assert isinstance(notes, discord.ui.TextInput)
        await interaction.response.send_message(
            f"Logged {self.outcome.value}: {notes.value or '-'}", ephemeral=True
        )


STATES = ["California", "Colorado", "Connecticut", "Delaware"]


class TinyBot(discord.Client):
    """A bare client whose commands exercise every kind of answer."""

    def __init__(self) -> None:
        super().__init__(
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=0.05,
        )
        self.tree = app_commands.CommandTree(self)
        self.release_slow = asyncio.Event()
        self.release_late = asyncio.Event()
        self.outcomes: dict[str, asyncio.Future[Any]] = {}
        self.seen_messages: list[discord.Message] = []
        self.message_seen = asyncio.Event()

    def outcome(self, name: str) -> asyncio.Future[Any]:
        """What a command ran into, for the test to await."""
        if name not in self.outcomes:
            self.outcomes[name] = asyncio.get_running_loop().create_future()
        return self.outcomes[name]

    async def on_message(self, message: discord.Message) -> None:
        self.seen_messages.append(message)
        self.message_seen.set()

    async def setup_hook(self) -> None:
        tree = self.tree

        @tree.command(name="pledge", description="Pledge to call")
        async def pledge(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(
                "Will you call?", ephemeral=True, view=PledgeView()
            )

        @tree.command(name="report", description="Report how a call went")
        async def report(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(ReportModal())

        @tree.command(name="slow", description="Look something up slowly")
        async def slow(interaction: discord.Interaction) -> None:
            await interaction.response.defer(ephemeral=True, thinking=True)
            await self.release_slow.wait()
            await interaction.followup.send("Your representatives are ready", ephemeral=True)

        @tree.command(name="twice", description="Answer twice at once (a bug)")
        async def twice(interaction: discord.Interaction) -> None:
            results = await asyncio.gather(
                interaction.response.send_message("one"),
                interaction.response.send_message("two"),
                return_exceptions=True,
            )
            self.outcome("twice").set_result(results)

        @tree.command(name="late", description="Answer after the deadline (a bug)")
        async def late(interaction: discord.Interaction) -> None:
            await self.release_late.wait()
            try:
                await interaction.response.send_message("too late")
            except discord.HTTPException as error:
                self.outcome("late").set_result(error)

        @tree.command(name="find", description="Find a state")
        async def find(interaction: discord.Interaction, state: str) -> None:
            await interaction.response.send_message(f"Found {state}", ephemeral=True)

        @find.autocomplete("state")
        async def find_state(
            interaction: discord.Interaction, typed: str
        ) -> list[app_commands.Choice[str]]:
            return [
                app_commands.Choice(name=s, value=s)
                for s in STATES
                if s.lower().startswith(typed.lower())
            ]

        @tree.command(name="setup", description="Configure the bot")
        @app_commands.default_permissions(manage_guild=True)
        async def setup(interaction: discord.Interaction) -> None:
            await interaction.response.send_message("Configured", ephemeral=True)

        @tree.command(name="shout", description="Mentions everyone (a bug)")
        async def shout(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(
                "@everyone call now", allowed_mentions=discord.AllowedMentions(everyone=True)
            )

        @tree.command(name="alert", description="Post an alert in a channel")
        async def alert(
            interaction: discord.Interaction, channel: discord.TextChannel, times: int = 1
        ) -> None:
            await interaction.response.defer(ephemeral=True)
            target = self.get_channel(channel.id)
            assert isinstance(target, discord.TextChannel)
            for number in range(times):
                await target.send(f"Call today! ({number + 1})")
            await interaction.followup.send(f"Posted {times} in #{channel.name}", ephemeral=True)

        await tree.sync()


@dataclass
class World:
    fake: FakeDiscord
    bot: TinyBot
    guild: FakeGuild
    general: FakeChannel
    alerts: FakeChannel
    alice: FakeUser
    bob: FakeUser
    organizer: FakeUser


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with running_fake() as fake:
        guild = fake.add_guild("Springfield Callers")
        general = guild.add_channel("general")
        alerts = guild.add_channel("alerts")
        alice = guild.add_member("alice")
        bob = guild.add_member("bob")
        organizer = guild.add_member("olivia", permissions=MANAGE_GUILD)
        bot = TinyBot()
        async with running_bot(fake, bot):
            yield World(fake, bot, guild, general, alerts, alice, bob, organizer)


def statuses(fake: FakeDiscord, method: str, prefix: str) -> list[int]:
    return [r.status for r in fake.request_log if r.method == method and r.path.startswith(prefix)]


async def test_handshake_ready_and_command_sync(world: World) -> None:
    fake, bot = world.fake, world.bot
    assert [(r.method, r.path) for r in fake.requests[:3]] == [
        ("GET", "/users/@me"),
        ("GET", "/oauth2/applications/@me"),
        ("PUT", f"/applications/{fake.app_id}/commands"),
    ]
    assert fake.gateway_queries == [{"v": "10", "encoding": "json", "compress": "zlib-stream"}]
    assert fake.heartbeats >= 1
    assert fake.gateway_sessions == 1
    assert fake.identifies[0]["intents"] == discord.Intents.default().value
    await bot.wait_until_ready()
    assert bot.user is not None and bot.user.id == fake.bot_user.id
    cached = bot.get_guild(world.guild.id)
    assert cached is not None
    assert [c.name for c in cached.text_channels] == ["general", "alerts"]
    assert cached.default_role.id == world.guild.id
    # Without the members intent only the bot itself is cached, as on Discord.
    assert cached.member_count == 4 and cached.get_member(world.alice.id) is None
    assert cached.me is not None and cached.me.guild_permissions.send_messages

    synced = {c["name"]: c for c in fake.commands()}
    assert set(synced) == {
        "pledge",
        "report",
        "slow",
        "twice",
        "late",
        "find",
        "setup",
        "shout",
        "alert",
    }
    assert synced["setup"]["default_member_permissions"] == str(MANAGE_GUILD)
    fetched = await bot.tree.fetch_commands()  # discord.py parses the fake's command objects
    assert {c.name: c.id for c in fetched} == {n: int(c["id"]) for n, c in synced.items()}


async def test_slash_answers_ephemerally_with_a_button_that_only_works_when_present(
    world: World,
) -> None:
    fake = world.fake
    asked = await fake.slash(world.alice, world.guild, "pledge")
    assert asked.response_type == 4 and not asked.expired and asked.ephemeral()
    assert asked.ack_latency is not None and asked.ack_latency < fake.ack_deadline
    [message] = asked.messages
    assert message.text() == "Will you call?"
    assert message.custom_ids() == ["pledge:yes", "pledge:chamber"]
    assert message.allowed_mentions == {"parse": []}
    assert fake.channel_messages(world.general) == []  # ephemeral: not in the channel

    with pytest.raises(FakeDiscordError, match="no component 'pledge:no'"):
        await fake.click(world.alice, message, "pledge:no")
    with pytest.raises(FakeDiscordError, match="cannot see ephemeral"):
        await fake.click(world.bob, message, "pledge:yes")
    with pytest.raises(FakeDiscordError, match="offers"):
        await fake.select(world.alice, message, "pledge:chamber", ["governor"])

    chose = await fake.select(world.alice, message, "pledge:chamber", ["senate"])
    assert chose.response_type == 4 and chose.messages[0].text() == "You chose senate"

    clicked = await fake.click(world.alice, message, "pledge:yes")
    assert clicked.response_type == 7
    assert clicked.messages == [message]
    assert message.text() == "Thanks for pledging!" and message.edits == 1
    assert message.custom_ids() == []
    with pytest.raises(FakeDiscordError, match="no component"):
        await fake.click(world.alice, message, "pledge:yes")


async def test_modal_opens_and_refuses_missing_or_unknown_fields(world: World) -> None:
    fake = world.fake
    opened = await fake.slash(world.alice, world.guild, "report")
    assert opened.response_type == 9 and opened.messages == []
    assert opened.modal is not None and opened.modal["title"] == "Report a call"
    assert [c["type"] for c in opened.modal["components"]] == [1, 18]

    with pytest.raises(FakeDiscordError, match="'outcome' is required"):
        await fake.submit_modal(world.alice, opened, {"notes": "busy line"})
    with pytest.raises(FakeDiscordError, match="no field"):
        await fake.submit_modal(world.alice, opened, {"outcome": "voicemail", "mood": "good"})
    with pytest.raises(FakeDiscordError, match=r"takes 0\.\.20 characters"):
        await fake.submit_modal(world.alice, opened, {"outcome": "x" * 21})
    with pytest.raises(FakeDiscordError, match="only alice"):
        await fake.submit_modal(world.bob, opened, {"outcome": "voicemail"})

    submitted = await fake.submit_modal(
        world.alice, opened, {"outcome": "voicemail", "notes": "left a message"}
    )
    assert submitted.response_type == 4 and submitted.ephemeral()
    assert submitted.messages[0].text() == "Logged voicemail: left a message"
    with pytest.raises(FakeDiscordError, match="already submitted"):
        await fake.submit_modal(world.alice, opened, {"outcome": "voicemail"})


async def test_a_slow_command_defers_then_follows_up(world: World) -> None:
    fake = world.fake
    deferred = await fake.slash(world.alice, world.guild, "slow")
    assert deferred.response_type == 5 and deferred.ephemeral()
    assert deferred.messages == []  # only "thinking..." so far
    world.bot.release_slow.set()
    [answer] = await deferred.wait_messages(1)
    assert answer.text() == "Your representatives are ready"
    assert answer.ephemeral and not answer.loading
    assert deferred.original is answer  # the follow-up filled the deferred message


async def test_answering_twice_is_refused_with_40060(world: World) -> None:
    fake = world.fake
    answered = await fake.slash(world.alice, world.guild, "twice")
    assert answered.response_type == 4
    results = await asyncio.wait_for(world.bot.outcome("twice"), 5)
    refused = [r for r in results if isinstance(r, discord.HTTPException)]
    assert len(refused) == 1 and refused[0].code == 40060 and refused[0].status == 400
    assert len(answered.messages) == 1
    assert [e for e in fake.errors if "answered twice" in e] == fake.errors and len(
        fake.errors
    ) == 1
    fake.errors.clear()


async def test_an_answer_after_the_deadline_expires_with_10062(world: World) -> None:
    fake = world.fake
    assert (
        FakeDiscord().ack_deadline == 3.0
    )  # Discord's limit; shortened here to keep the test fast
    fake.ack_deadline = 0.2
    started = asyncio.get_running_loop().time()
    expired = await fake.slash(world.alice, world.guild, "late")
    assert asyncio.get_running_loop().time() - started >= 0.2
    assert expired.expired and expired.response_type is None and expired.ack_latency is None
    world.bot.release_late.set()
    error = await asyncio.wait_for(world.bot.outcome("late"), 5)
    assert isinstance(error, discord.NotFound) and error.code == 10062
    assert len(fake.errors) == 2
    assert "no response within 0.2 s" in fake.errors[0]
    assert "first response" in fake.errors[1]
    fake.errors.clear()


async def test_a_429_with_retry_after_is_retried_by_discord_py(world: World) -> None:
    fake = world.fake
    fake.fail_next("POST", "/interactions/{id}/{token}/callback", retry_after=0.05)
    asked = await fake.slash(world.alice, world.guild, "pledge")
    assert asked.response_type == 4
    assert statuses(fake, "POST", "/interactions/") == [429, 200]

    fake.fail_next("POST", "/channels/*/messages", retry_after=0.05)
    posted = await fake.slash(world.organizer, world.guild, "alert", {"channel": world.alerts})
    await posted.wait_messages(1)
    assert statuses(fake, "POST", f"/channels/{world.alerts.id}/messages") == [429, 200]
    assert [m.text() for m in fake.channel_messages(world.alerts)] == ["Call today! (1)"]


async def test_the_global_limit_answers_429_global_and_discord_py_waits(world: World) -> None:
    fake = world.fake
    fake.global_limit, fake.global_window = 2, 0.2  # 2 requests per 0.2 s keeps the test fast
    channels = await asyncio.gather(*(world.bot.fetch_channel(world.general.id) for _ in range(4)))
    assert {c.id for c in channels} == {world.general.id}
    fetches = [r for r in fake.request_log if r.path == f"/channels/{world.general.id}"]
    assert [r.status for r in fetches].count(200) == 4
    limited = [r for r in fetches if r.status == 429]
    assert limited and {r.rate_limit_scope for r in limited} == {"global"}


async def test_channel_posts_are_echoed_and_the_bucket_headers_are_honoured(world: World) -> None:
    fake = world.fake
    fake.per_channel_limit = (2, 0.3)
    posted = await fake.slash(
        world.organizer, world.guild, "alert", {"channel": world.alerts, "times": 3}
    )
    [done] = await posted.wait_messages(1)
    assert done.text() == f"Posted 3 in #{world.alerts.name}"
    texts = [m.text() for m in fake.channel_messages(world.alerts)]
    assert texts == ["Call today! (1)", "Call today! (2)", "Call today! (3)"]
    # discord.py read X-RateLimit-Remaining: 0 and waited for the reset instead of getting 429s.
    assert statuses(fake, "POST", f"/channels/{world.alerts.id}/messages") == [200, 200, 200]
    assert all(m.allowed_mentions == {"parse": []} for m in fake.channel_messages(world.alerts))
    while len(world.bot.seen_messages) < 3:  # MESSAGE_CREATE echoes reach on_message
        world.bot.message_seen.clear()
        await asyncio.wait_for(world.bot.message_seen.wait(), 5)
    assert [m.content for m in world.bot.seen_messages] == texts


async def test_raw_rest_strictness_headers_and_channel_bucket(world: World) -> None:
    fake = world.fake
    fake.per_channel_limit = (2, 5.0)
    url = f"{fake.api_base}/channels/{world.general.id}/messages"
    headers = {
        "Authorization": f"Bot {fake.token}",
        "User-Agent": "DiscordBot (https://example.org, 1.0)",
    }
    body = {"content": "hello", "allowed_mentions": {"parse": []}}
    async with aiohttp.ClientSession() as session:
        remaining = []
        for _ in range(2):
            async with session.post(url, json=body, headers=headers) as response:
                assert response.status == 200
                assert response.headers["Content-Type"] == "application/json"
                remaining.append(response.headers["X-RateLimit-Remaining"])
        assert remaining == ["1", "0"]
        async with session.post(url, json=body, headers=headers) as response:
            assert response.status == 429 and response.headers["Via"]
            limited = await response.json()
            assert limited["global"] is False and 4 < limited["retry_after"] <= 5
        async with session.post(
            url, json=body, headers={"User-Agent": headers["User-Agent"]}
        ) as response:
            assert response.status == 401
        async with session.post(url, data=b"{}", headers=headers) as response:
            assert response.status == 400 and (await response.json())["code"] == 50109
    assert any("Authorization" in e for e in fake.errors)
    assert any("Content-Type" in e for e in fake.errors)
    fake.errors.clear()


async def test_dropped_gateway_resumes_or_reidentifies_and_keeps_working(world: World) -> None:
    fake = world.fake
    await fake.drop_gateway()
    assert (fake.resumes, fake.gateway_sessions) == (1, 1)
    assert (await fake.slash(world.alice, world.guild, "pledge")).response_type == 4

    await fake.drop_gateway(resume=False)
    assert (fake.resumes, fake.gateway_sessions) == (1, 2)
    assert (await fake.slash(world.alice, world.guild, "pledge")).response_type == 4


async def test_only_synced_and_permitted_commands_can_be_run(world: World) -> None:
    fake = world.fake
    with pytest.raises(FakeDiscordError, match="never synced"):
        await fake.slash(world.alice, world.guild, "unpledge")
    with pytest.raises(FakeDiscordError, match="does not see /setup"):
        await fake.slash(world.alice, world.guild, "setup")
    with pytest.raises(FakeDiscordError, match="has no option"):
        await fake.slash(world.alice, world.guild, "find", {"zip": "62701"})
    with pytest.raises(FakeDiscordError, match="needs option 'state'"):
        await fake.slash(world.alice, world.guild, "find")
    configured = await fake.slash(world.organizer, world.guild, "setup")
    assert configured.messages[0].text() == "Configured"


async def test_autocomplete_returns_the_bots_choices(world: World) -> None:
    choices = await world.fake.autocomplete(world.alice, world.guild, "find", "state", "co")
    assert choices == [
        {"name": "Colorado", "value": "Colorado"},
        {"name": "Connecticut", "value": "Connecticut"},
    ]
    with pytest.raises(FakeDiscordError, match="no autocomplete"):
        await world.fake.autocomplete(world.organizer, world.guild, "alert", "channel", "al")


async def test_a_message_that_could_mention_everyone_is_recorded(world: World) -> None:
    fake = world.fake
    shouted = await fake.slash(world.alice, world.guild, "shout")
    assert shouted.response_type == 4
    assert fake.channel_messages(world.general) == shouted.messages  # public: it is in the channel
    assert len(fake.errors) == 1 and "parses ['everyone']" in fake.errors[0]
    fake.errors.clear()


async def test_the_bot_cannot_post_where_it_lacks_permission() -> None:
    async with running_fake() as fake:
        guild = fake.add_guild("Quiet Town")
        guild.add_channel("general")
        readonly = guild.add_channel("announcements", bot_can_post=False)
        organizer = guild.add_member("olivia", permissions=MANAGE_GUILD)
        bot = TinyBot()
        async with running_bot(fake, bot):
            posted = await fake.slash(organizer, guild, "alert", {"channel": readonly})
            assert posted.response_type == 5
            request = await fake.wait_request("POST", f"/channels/{readonly.id}/messages")
            assert len(request) == 1
            assert statuses(fake, "POST", f"/channels/{readonly.id}/messages") == [403]
            assert fake.channel_messages(readonly) == []


class TinyShardedBot(discord.AutoShardedClient):
    def __init__(self) -> None:
        super().__init__(
            intents=discord.Intents.default(),
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=0.05,
        )
        self.tree = app_commands.CommandTree(self)

    async def setup_hook(self) -> None:
        @self.tree.command(name="where", description="Which shard am I on?")
        async def where(interaction: discord.Interaction) -> None:
            await interaction.response.send_message(
                f"shard {interaction.guild and interaction.guild.shard_id}", ephemeral=True
            )

        await self.tree.sync()


async def test_an_auto_sharded_client_gets_each_guild_on_its_shard() -> None:
    async with running_fake(shards=2) as fake:
        guilds = [fake.add_guild(f"Town {n}", shard=(n, 2)) for n in (1, 0, 1)]
        assert [shard_of(g.id, 2) for g in guilds] == [1, 0, 1]
        members = []
        for guild in guilds:
            guild.add_channel("general")
            members.append(guild.add_member("alice"))
        bot = TinyShardedBot()
        async with running_bot(fake, bot):
            assert sorted(i["shard"] for i in fake.identifies) == [[0, 2], [1, 2]]
            await bot.wait_until_ready()
            assert [bot.get_shard(0) is not None, bot.get_shard(1) is not None] == [True, True]
            for guild in guilds:
                cached = bot.get_guild(guild.id)
                assert cached is not None and cached.shard_id == shard_of(guild.id, 2)
            assert fake.requests[0].path == "/users/@me"
            assert any(r.path == "/gateway/bot" for r in fake.requests)
            for guild, member in zip(guilds, members, strict=True):
                answered = await fake.slash(member, guild, "where")
                assert answered.messages[0].text() == f"shard {shard_of(guild.id, 2)}"


async def test_the_teardown_guard_notices_a_client_killed_by_a_bad_payload() -> None:
    async with running_fake() as fake:
        guild = fake.add_guild("Broken Town")
        channel = guild.add_channel("general")
        alice = guild.add_member("alice")
        bot = TinyBot()
        with pytest.raises(AssertionError, match="stopped during the test"):
            async with running_bot(fake, bot) as task:
                good = fake.build_slash(alice, guild, "pledge", channel=channel).payload
                # Discord's documentation example lacks member.flags (among others):
                bad = {**good, "member": {k: v for k, v in good["member"].items() if k != "flags"}}
                fake.dispatch_raw(guild, "INTERACTION_CREATE", bad)
                await asyncio.wait({task}, timeout=5)
                assert isinstance(task.exception(), KeyError)


async def test_the_gateway_protocol_with_a_raw_websocket() -> None:
    async with running_fake() as fake, aiohttp.ClientSession() as session:
        guild = fake.add_guild("Raw Town")
        guild.add_member("alice")
        url = f"{fake.gateway_url}?v=10&encoding=json&compress=zlib-stream"
        identify: dict[str, Any] = {
            "op": 2,
            "d": {"token": fake.token, "intents": 1, "properties": {}},
        }

        async with session.ws_connect(url) as ws:
            hello = await ws.receive_json()
            assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] > 0
            await ws.send_json({"op": 1, "d": None})
            assert (await ws.receive_json())["op"] == 11
            await ws.send_json(identify)
            ready, created = await ws.receive_json(), await ws.receive_json()
        assert (ready["t"], ready["s"], created["t"], created["s"]) == (
            "READY",
            1,
            "GUILD_CREATE",
            2,
        )
        assert ready["d"]["guilds"] == [{"id": str(guild.id), "unavailable": True}]
        assert ready["d"]["resume_gateway_url"] == fake.gateway_url
        # Without the GUILD_MEMBERS intent only the bot is listed.
        assert [m["user"]["id"] for m in created["d"]["members"]] == [str(fake.bot_user.id)]

        news = guild.add_channel("news")  # happens while the client is away
        async with session.ws_connect(url) as ws:
            await ws.receive_json()
            resume = {"token": fake.token, "session_id": ready["d"]["session_id"], "seq": 2}
            await ws.send_json({"op": 6, "d": resume})
            missed, resumed = await ws.receive_json(), await ws.receive_json()
        assert (missed["t"], missed["s"], missed["d"]["id"]) == ("CHANNEL_CREATE", 3, str(news.id))
        assert (resumed["t"], resumed["s"]) == ("RESUMED", 4)
        assert fake.resumes == 1

        async with session.ws_connect(url) as ws:
            await ws.receive_json()
            await ws.send_json({"op": 6, "d": {**resume, "session_id": "gone"}})
            assert await ws.receive_json() == {"op": 9, "d": False, "s": None, "t": None}
        async with session.ws_connect(url) as ws:
            await ws.receive_json()
            await ws.send_json({"op": 3, "d": {"status": "online"}})
            assert (await ws.receive()).data == 4003  # not identified yet
        async with session.ws_connect(url) as ws:
            await ws.receive_json()
            await ws.send_json({"op": 2, "d": {**identify["d"], "token": "stolen"}})
            assert (await ws.receive()).data == 4004
        assert fake.errors == [
            "gateway: op 3 before IDENTIFY",
            "gateway: IDENTIFY with a wrong token",
        ]


def test_snowflakes_are_unique_recent_and_guilds_spread_over_shards() -> None:
    ids = SnowflakeFactory()
    made = [ids.next() for _ in range(5000)]
    assert made == sorted(set(made))
    assert abs((snowflake_time(made[-1]) - snowflake_time(made[0])).total_seconds()) < 5
    guilds = [ids.next(own_millisecond=True) for _ in range(4)]
    assert [shard_of(g, 2) for g in guilds] in ([0, 1, 0, 1], [1, 0, 1, 0])
    assert shard_of(ids.on_shard(3, 4), 4) == 3


def test_message_rules_match_discords_limits() -> None:
    button = {"type": 2, "style": 1, "label": "Call", "custom_id": "call"}
    assert (
        message_problems(
            {"content": "ok", "components": [{"type": 1, "components": [button]}]}, creating=True
        )
        == []
    )
    assert message_problems({"content": "x" * 2001}, creating=True)
    six = [{**button, "custom_id": f"b{n}"} for n in range(6)]
    assert message_problems({"components": [{"type": 1, "components": six}]}, creating=True)
    twice = [{"type": 1, "components": [button]}, {"type": 1, "components": [button]}]
    assert any("unique" in p for p in message_problems({"components": twice}, creating=True))
    text = {"type": 10, "content": "Call today"}
    assert message_problems({"components": [text]}, creating=True)  # needs IS_COMPONENTS_V2
    assert message_problems({"components": [text], "flags": 1 << 15}, creating=True) == []
    assert message_problems({"embeds": [{"title": "t" * 257}]}, creating=True)
    assert message_problems({"content": "hi", "flags": 1 << 1}, creating=True)  # not sendable


def test_modal_and_command_rules_match_discords_limits() -> None:
    field = {"type": 4, "custom_id": "zip", "style": 1, "label": "ZIP"}
    assert (
        modal_problems(
            {
                "custom_id": "m",
                "title": "Profile",
                "components": [{"type": 1, "components": [field]}],
            }
        )
        == []
    )
    assert modal_problems(
        {"custom_id": "m", "title": "T" * 46, "components": [{"type": 1, "components": [field]}]}
    )
    assert modal_problems({"custom_id": "m", "title": "Profile", "components": []})
    option = {"type": 3, "name": "zip", "description": "ZIP code"}
    good = {
        "name": "call",
        "description": "Get a script",
        "options": [{**option, "required": True}],
    }
    assert command_problems([good]) == []
    assert command_problems([{**good, "name": "Call"}])
    late_required = [{**option, "name": "a"}, {**option, "name": "b", "required": True}]
    assert any(
        "before optional" in p for p in command_problems([{**good, "options": late_required}])
    )
    assert command_problems([good, good])  # duplicate names


async def test_a_repeated_nonce_gets_the_first_message_back_within_the_window(
    world: World,
) -> None:
    # discord.py sends `enforce_nonce: true` with any nonce; Discord then answers a create
    # with a nonce the bot used in that channel "in the past few minutes" with that message.
    fake = world.fake
    alerts = world.bot.get_channel(world.alerts.id)
    general = world.bot.get_channel(world.general.id)
    assert isinstance(alerts, discord.TextChannel) and isinstance(general, discord.TextChannel)
    first = await alerts.send("Call today!", nonce="alert-12-1")
    again = await alerts.send("Call today! (counts changed)", nonce="alert-12-1")
    assert again.id == first.id and again.content == "Call today!"
    assert [m.id for m in fake.channel_messages(world.alerts)] == [first.id]
    assert fake.nonce_repeats == 1 and fake.messages[first.id].nonce == "alert-12-1"
    elsewhere = await general.send("Call today!", nonce="alert-12-1")  # another channel
    assert elsewhere.id != first.id
    fake.nonce_window = 0.0  # the window has passed
    later = await alerts.send("Call today!", nonce="alert-12-1")
    assert later.id != first.id and len(fake.channel_messages(world.alerts)) == 2


async def test_a_nonce_is_deduplicated_only_when_enforced_and_must_fit_25_characters(
    world: World,
) -> None:
    fake = world.fake
    url = f"{fake.api_base}/channels/{world.general.id}/messages"
    headers = {
        "Authorization": f"Bot {fake.token}",
        "User-Agent": "DiscordBot (https://example.org, 1.0)",
    }
    body = {"content": "hello", "allowed_mentions": {"parse": []}, "nonce": 42}
    async with aiohttp.ClientSession() as session:
        ids = []
        for _ in range(2):  # without enforce_nonce the nonce is only echoed
            async with session.post(url, json=body, headers=headers) as response:
                assert response.status == 200
                created = await response.json()
                assert created["nonce"] == "42"
                ids.append(created["id"])
        assert ids[0] != ids[1]
        too_long = {**body, "nonce": "x" * 26, "enforce_nonce": True}
        async with session.post(url, json=too_long, headers=headers) as response:
            assert response.status == 400 and (await response.json())["code"] == 50035
    assert fake.nonce_repeats == 0
    assert [e for e in fake.errors if "nonce" in e]
    fake.errors.clear()


class DirectView(discord.ui.View):
    """A button on a direct message."""

    @discord.ui.button(label="Post it now", custom_id="direct:post")
    async def post(self, interaction: discord.Interaction, button: discord.ui.Button[Any]) -> None:
        assert interaction.guild_id is None and isinstance(interaction.user, discord.User)
        await interaction.response.send_message("Posting it", ephemeral=True)


async def test_a_button_in_a_direct_message_is_clicked_outside_any_server(world: World) -> None:
    fake = world.fake
    user = await world.bot.fetch_user(world.alice.id)
    await user.send("Alert #12 was missed.", view=DirectView())
    [notice] = fake.direct_messages(world.alice)
    with pytest.raises(FakeDiscordError, match="cannot see direct message"):
        await fake.click(world.bob, notice, "direct:post")  # only its recipient sees it
    clicked = await fake.click(world.alice, notice, "direct:post")
    payload = clicked.payload
    assert "guild_id" not in payload and "member" not in payload and clicked.guild is None
    assert payload["user"]["id"] == str(world.alice.id) and payload["context"] == 1
    [answer] = await clicked.wait_messages(1)
    assert answer.text() == "Posting it" and answer.ephemeral
