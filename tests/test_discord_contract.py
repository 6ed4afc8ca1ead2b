"""Contract: the payload shapes Discord documents, and the ones the loopback fake sends, both
go through discord.py 2.7.1's real parsers (`Interaction`, `Message`, the guild parser of
`ConnectionState`, `AppInfo`, `AppCommand`, `Modal`).

The payloads below follow discord/discord-api-docs (interactions/receiving-and-responding,
interactions/application-commands, components/reference, resources/message,
events/gateway-events) with values of our own. Discord's slash-command example lacks four
fields discord.py needs; the test that proves it is why the fake always sends them. The day
Discord or discord.py changes a required field, this file fails first."""

from __future__ import annotations

import copy
from typing import Any

import discord
import pytest
from discord import app_commands
from discord.state import ConnectionState

from fakes.discord_fake import FakeDiscord
from fakes.discord_payloads import MANAGE_GUILD, MODAL

GUILD_ID = "1290926798626357999"
CHANNEL_ID = "1345027906669510667"
USER_ID = "1153908232506183680"


@pytest.fixture
def state() -> ConnectionState:
    """discord.py's connection state, offline, as after login (it knows its own user)."""
    client = discord.Client(intents=discord.Intents.default())
    state = client._connection
    me = {"id": "1000", "username": "callbot", "discriminator": "0", "avatar": None, "bot": True}
    state.user = discord.ClientUser(state=state, data=me)  # type: ignore[arg-type]
    return state


def docs_slash_example() -> dict[str, Any]:
    """A slash-command interaction as Discord's application-commands page shows one
    (our values): no application_id, version, attachment_size_limit or member.flags."""
    return {
        "type": 2,
        "token": "A_UNIQUE_INTERACTION_TOKEN",
        "member": {
            "user": {
                "id": USER_ID,
                "username": "dana",
                "avatar": "a_1f2e3d4c5b6a79880796a5b4c3d2e1f0",
                "discriminator": "0",
                "public_flags": 64,
            },
            "roles": ["1539082325061836999"],
            "premium_since": None,
            "permissions": "2147483647",
            "pending": False,
            "nick": "Dana C.",
            "mute": False,
            "joined_at": "2021-06-02T15:04:05.123000+00:00",
            "is_pending": False,
            "deaf": False,
        },
        "id": "1386008729715212338",
        "guild_id": GUILD_ID,
        "app_permissions": "442368",
        "guild_locale": "en-US",
        "locale": "en-GB",
        "data": {
            "options": [{"type": 3, "name": "zip", "value": "62701"}],
            "type": 1,
            "name": "call",
            "id": "1371825006014889984",
        },
        "channel_id": CHANNEL_ID,
    }


def with_the_four_fields(payload: dict[str, Any]) -> dict[str, Any]:
    """What Discord really sends on top of its documentation example."""
    complete = copy.deepcopy(payload)
    complete["application_id"] = "1375799577604522054"
    complete["version"] = 1
    complete["attachment_size_limit"] = 10 * 1024 * 1024
    complete["member"]["flags"] = 0
    # Discord also sends the channel object now (discord.py builds a TextChannel from it,
    # which needs `position`); the documentation example has only channel_id.
    complete["channel"] = {
        "id": CHANNEL_ID,
        "type": 0,
        "guild_id": GUILD_ID,
        "name": "phone-bank",
        "position": 3,
        "permissions": "2147483647",
        "parent_id": None,
        "topic": None,
        "nsfw": False,
        "flags": 0,
        "last_message_id": None,
        "rate_limit_per_user": 0,
    }
    return complete


def test_the_documented_slash_interaction_parses_once_the_four_fields_are_added(
    state: ConnectionState,
) -> None:
    interaction = discord.Interaction(data=with_the_four_fields(docs_slash_example()), state=state)  # type: ignore[arg-type]
    assert interaction.type is discord.InteractionType.application_command
    assert interaction.user.id == int(USER_ID) and interaction.user.name == "dana"
    assert isinstance(interaction.user, discord.Member) and interaction.user.nick == "Dana C."
    assert interaction.guild_id == int(GUILD_ID)
    assert (
        isinstance(interaction.channel, discord.TextChannel)
        and interaction.channel.name == "phone-bank"
    )
    assert interaction.permissions.value == 2147483647
    assert interaction.app_permissions.value == 442368
    assert interaction.locale is discord.Locale.british_english
    assert interaction.data is not None and interaction.data.get("name") == "call"


def test_the_documented_example_as_is_kills_the_parser(state: ConnectionState) -> None:
    with pytest.raises(KeyError):
        discord.Interaction(data=docs_slash_example(), state=state)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "missing", ["application_id", "version", "attachment_size_limit", "member.flags"]
)
def test_each_of_the_four_fields_is_required(state: ConnectionState, missing: str) -> None:
    payload = with_the_four_fields(docs_slash_example())
    if missing == "member.flags":
        del payload["member"]["flags"]
    else:
        del payload[missing]
    with pytest.raises(KeyError, match=missing.split(".")[-1]):
        discord.Interaction(data=payload, state=state)  # type: ignore[arg-type]


def docs_message(
    *, components: list[dict[str, Any]] | None = None, flags: int = 0
) -> dict[str, Any]:
    """A message object as resources/message documents it (a bot's, with a button)."""
    return {
        "id": "1334385199974967042",
        "channel_id": CHANNEL_ID,
        "author": {
            "id": "1375799577604522054",
            "username": "callbot",
            "global_name": None,
            "discriminator": "0",
            "avatar": None,
            "bot": True,
            "public_flags": 0,
        },
        "content": "Tuesday is call day: phone your senators about the transit bill.",
        "timestamp": "2025-03-04T17:00:00.000000+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [
            {
                "type": "rich",
                "title": "Call your senators",
                "description": "Tell them how the bill affects you.",
                "fields": [{"name": "When", "value": "Tuesday", "inline": True}],
            }
        ],
        "pinned": False,
        "type": 0,
        "flags": flags,
        "components": components
        if components is not None
        else [
            {
                "type": 1,
                "id": 1,
                "components": [
                    {"type": 2, "id": 2, "style": 1, "label": "I called", "custom_id": "called:42"}
                ],
            }
        ],
    }


def test_the_documented_message_parses(state: ConnectionState) -> None:
    channel = discord.PartialMessageable(state=state, id=int(CHANNEL_ID))
    message = discord.Message(state=state, channel=channel, data=docs_message())  # type: ignore[arg-type]
    assert message.author.bot and message.embeds[0].title == "Call your senators"
    [row] = message.components
    assert isinstance(row, discord.ActionRow)
    assert [getattr(b, "custom_id", None) for b in row.children] == ["called:42"]


def test_the_documented_button_click_parses(state: ConnectionState) -> None:
    payload = with_the_four_fields(docs_slash_example())
    payload["type"] = 3
    payload["data"] = {"custom_id": "called:42", "component_type": 2, "id": 2}
    payload["message"] = docs_message(flags=64)
    interaction = discord.Interaction(data=payload, state=state)  # type: ignore[arg-type]
    assert interaction.type is discord.InteractionType.component
    assert interaction.message is not None and interaction.message.id == 1334385199974967042
    assert interaction.message.flags.ephemeral


class CallReport(discord.ui.Modal, title="How did it go?"):
    outcome: discord.ui.TextInput[Any] = discord.ui.TextInput(label="Outcome", custom_id="outcome")
    notes: discord.ui.Label[Any] = discord.ui.Label(
        text="Notes", component=discord.ui.TextInput(custom_id="notes", required=False)
    )


def test_the_documented_modal_submit_with_a_label_parses(state: ConnectionState) -> None:
    payload = with_the_four_fields(docs_slash_example())
    payload["type"] = 5
    payload["data"] = {
        "custom_id": "report",
        "components": [
            {
                "type": 1,
                "id": 1,
                "components": [{"type": 4, "id": 2, "custom_id": "outcome", "value": "voicemail"}],
            },
            {
                "type": 18,
                "id": 3,
                "component": {"type": 4, "id": 4, "custom_id": "notes", "value": "busy"},
            },
        ],
    }
    interaction = discord.Interaction(data=payload, state=state)  # type: ignore[arg-type]
    modal = CallReport()
    modal._refresh(interaction, payload["data"]["components"], {})
    notes = modal.notes.component
    assert isinstance(notes, discord.ui.TextInput)
    assert (modal.outcome.value, notes.value) == ("voicemail", "busy")


def test_a_documented_guild_create_parses(state: ConnectionState) -> None:
    guild_data = {
        "id": GUILD_ID,
        "name": "Transit Riders United",
        "icon": None,
        "owner_id": USER_ID,
        "roles": [{"id": GUILD_ID, "name": "@everyone", "permissions": "104324673", "position": 0}],
        "channels": [
            {
                "id": CHANNEL_ID,
                "type": 0,
                "name": "phone-bank",
                "position": 0,
                "permission_overwrites": [],
            }
        ],
        "members": [],
        "member_count": 212,
        "features": ["COMMUNITY"],
        "unavailable": False,
        "large": False,
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "voice_states": [],
        "presences": [],
        "threads": [],
    }
    state.parse_guild_create(guild_data)
    guild = state._get_guild(int(GUILD_ID))
    assert guild is not None and guild.member_count == 212
    assert guild.default_role.id == int(GUILD_ID)
    assert [c.name for c in guild.text_channels] == ["phone-bank"]


# -- the fake's own payloads ---------------------------------------------------------------


@pytest.fixture
def fake() -> FakeDiscord:
    """A fake that is never started: only its payload builders are used."""
    return FakeDiscord()


COMMANDS = [
    {
        "name": "call",
        "description": "Get your call script",
        "type": 1,
        "options": [
            {"type": 3, "name": "zip", "description": "Your ZIP code", "required": True},
            {"type": 6, "name": "buddy", "description": "Call with a friend", "required": False},
            {"type": 7, "name": "where", "description": "Post here", "required": False},
            {"type": 8, "name": "team", "description": "Your team", "required": False},
        ],
        "default_member_permissions": None,
        "dm_permission": False,
        "contexts": [0],
        "integration_types": [0],
        "nsfw": False,
    },
    {
        "name": "campaign",
        "description": "Organize campaigns",
        "type": 1,
        "options": [{"type": 1, "name": "start", "description": "Start one", "options": []}],
        "default_member_permissions": MANAGE_GUILD,
    },
]


def test_the_fakes_start_up_payloads_parse(fake: FakeDiscord, state: ConnectionState) -> None:
    me = discord.ClientUser(state=state, data=fake.bot_user_payload())  # type: ignore[arg-type]
    assert me.bot and me.id == fake.bot_user.id
    info = discord.AppInfo(state, fake.application_payload())  # type: ignore[arg-type]
    assert info.id == fake.app_id and info.interactions_endpoint_url is None
    stored = fake.store_commands(None, copy.deepcopy(COMMANDS))
    parsed = [app_commands.AppCommand(data=c, state=state) for c in stored]  # type: ignore[arg-type]
    assert [c.name for c in parsed] == ["call", "campaign"]
    assert parsed[1].default_member_permissions == discord.Permissions(manage_guild=True)
    assert all(c.application_id == fake.app_id for c in parsed)


def test_the_fakes_guild_create_parses(fake: FakeDiscord, state: ConnectionState) -> None:
    guild = fake.add_guild("Transit Riders United")
    guild.add_channel("phone-bank")
    guild.add_member("dana", owner=True)
    state.parse_guild_create(guild.create_payload())
    parsed = state._get_guild(guild.id)
    assert parsed is not None and parsed.owner_id == guild.owner_id
    assert parsed.member_count == 2 and len(parsed.roles) == 2  # @everyone and the bot's role
    assert [c.name for c in parsed.text_channels] == ["phone-bank"]


def test_the_fakes_slash_interaction_parses_with_resolved_options(
    fake: FakeDiscord, state: ConnectionState
) -> None:
    guild = fake.add_guild("Transit Riders United")
    channel = guild.add_channel("phone-bank")
    dana = guild.add_member("dana")
    eli = guild.add_member("eli")
    team = guild.add_role("Team East")
    fake.store_commands(None, copy.deepcopy(COMMANDS))
    built = fake.build_slash(
        dana, guild, "call", {"zip": "62701", "buddy": eli, "where": channel, "team": team}
    )
    interaction = discord.Interaction(data=built.payload, state=state)  # type: ignore[arg-type]
    assert isinstance(interaction.user, discord.Member) and interaction.user.id == dana.id
    assert interaction.channel_id == channel.id and interaction.filesize_limit > 0
    assert interaction.data is not None
    namespace = app_commands.Namespace(
        interaction,
        interaction.data.get("resolved", {}),  # type: ignore[arg-type]
        interaction.data["options"],  # type: ignore[typeddict-item]
    )
    assert namespace.zip == "62701"
    assert isinstance(namespace.buddy, discord.Member) and namespace.buddy.id == eli.id
    assert (
        isinstance(namespace.where, app_commands.AppCommandChannel)
        and namespace.where.name == "phone-bank"
    )
    assert isinstance(namespace.team, discord.Role) and namespace.team.name == "Team East"

    organizer = guild.add_member("olivia", permissions=MANAGE_GUILD)
    started = fake.build_slash(organizer, guild, "campaign", subcommand="start")
    parsed = discord.Interaction(data=started.payload, state=state)  # type: ignore[arg-type]
    assert parsed.data is not None and parsed.data["options"] == [  # type: ignore[typeddict-item]
        {"type": 1, "name": "start", "options": []}
    ]


def test_the_fakes_click_and_modal_submit_parse(fake: FakeDiscord, state: ConnectionState) -> None:
    guild = fake.add_guild("Transit Riders United")
    channel = guild.add_channel("phone-bank")
    dana = guild.add_member("dana")
    fake.store_commands(None, copy.deepcopy(COMMANDS))
    body = {key: docs_message()[key] for key in ("content", "embeds", "components")}
    message = fake.create_message(channel=channel, body=body, files=[], interaction=None, flags=0)
    channel_obj = discord.PartialMessageable(state=state, id=channel.id)
    parsed_message = discord.Message(state=state, channel=channel_obj, data=message.payload())  # type: ignore[arg-type]
    assert parsed_message.embeds[0].fields[0].value == "Tuesday"

    click = fake.build_click(dana, message, "called:42")
    clicked = discord.Interaction(data=click.payload, state=state)  # type: ignore[arg-type]
    assert clicked.message is not None and clicked.message.id == message.id
    assert clicked.data == {"custom_id": "called:42", "component_type": 2, "id": 2}

    # As if the bot had answered the command with discord.py's CallReport modal:
    opened = fake.build_slash(dana, guild, "call", {"zip": "62701"})
    opened.response_type, opened.modal = MODAL, CallReport().to_dict()
    submit = fake.build_modal_submit(dana, opened, {"outcome": "spoke to staff"})
    submitted = discord.Interaction(data=submit.payload, state=state)  # type: ignore[arg-type]
    assert submitted.type is discord.InteractionType.modal_submit
    modal = CallReport()
    modal._refresh(submitted, submit.data["components"], {})
    notes = modal.notes.component
    assert isinstance(notes, discord.ui.TextInput)
    assert (modal.outcome.value, notes.value) == ("spoke to staff", "")
