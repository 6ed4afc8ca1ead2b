"""Parsing in the Discord adapter: the Actor behind an interaction, submitted forms, picker
choices, late forms, autocomplete choices and the command line (no network)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

import discord
import pytest

from callbot.campaigns import CampaignCatalog
from callbot.replies import OPEN_FORM_LABEL, Action, Form, FormField, Reply, Style, form_as_button
from callbot.safety import ZERO_WIDTH_SPACE
from callbot.services.help import MEMBER_COMMANDS, ORGANIZER_COMMANDS
from callbot_discord import cli
from callbot_discord.actors import actor_from_interaction
from callbot_discord.alerts import WHEN_EXAMPLES, when_choices
from callbot_discord.choices import COMMON_ZONES, campaign_choices, timezone_choices
from callbot_discord.commands import call_reopen, describe
from callbot_discord.responder import submitted_values, with_choice
from callbot_discord.tree import build_tree

GUILD_ID = 811111111111111111
ORGANIZER_ROLE = 822222222222222222
OTHER_ROLE = 833333333333333333
OWNER_ID = 844444444444444444
MEMBER_ID = 855555555555555555
MANAGE_GUILD = 1 << 5
ADMINISTRATOR = 1 << 3


def role(role_id: int, name: str) -> dict[str, Any]:
    return {
        "id": str(role_id),
        "name": name,
        "permissions": "0",
        "position": 0,
        "color": 0,
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "flags": 0,
    }


def interaction_payload(
    *, user_id: int, roles: list[int], permissions: int, name: str, guild: bool = True
) -> dict[str, Any]:
    user = {
        "id": str(user_id),
        "username": "member",
        "discriminator": "0",
        "global_name": name,
        "avatar": None,
    }
    payload: dict[str, Any] = {
        "id": "866666666666666666",
        "type": 2,
        "token": "interaction-token",
        "version": 1,
        "application_id": "1000",
        "attachment_size_limit": 10485760,
        "data": {"id": "1", "name": "call", "type": 1},
        "locale": "en-US",
        "app_permissions": "0",
    }
    if guild:
        payload["guild_id"] = str(GUILD_ID)
        payload["channel"] = {
            "id": "877777777777777777",
            "type": 0,
            "guild_id": str(GUILD_ID),
            "name": "general",
            "position": 0,
            "permission_overwrites": [],
        }
        payload["member"] = {
            "user": user,
            "roles": [str(r) for r in roles],
            "joined_at": "2024-01-01T00:00:00+00:00",
            "deaf": False,
            "mute": False,
            "flags": 0,
            "permissions": str(permissions),
        }
    else:
        payload["channel"] = {"id": "888888888888888888", "type": 1}
        payload["user"] = user
    return payload


@pytest.fixture
def state() -> Any:
    """discord.py's connection state with one cached server, as after its GUILD_CREATE."""
    client = discord.Client(intents=discord.Intents(guilds=True))
    connection = client._connection
    connection.user = discord.ClientUser(
        state=connection,
        data={"id": "1000", "username": "callbot", "discriminator": "0", "avatar": None},
    )
    connection._add_guild_from_data(
        {
            "id": str(GUILD_ID),
            "name": "Springfield @everyone Callers",
            "owner_id": str(OWNER_ID),
            "roles": [
                role(GUILD_ID, "@everyone"),
                role(ORGANIZER_ROLE, "Organizers"),
                role(OTHER_ROLE, "Members"),
            ],
            "channels": [],
            "members": [],
            "member_count": 3,
            "features": [],
            "emojis": [],
            "stickers": [],
            "unavailable": False,
        }
    )
    return connection


async def test_actor_carries_server_user_roles_and_admin_flag(state: Any) -> None:
    payload = interaction_payload(
        user_id=MEMBER_ID, roles=[ORGANIZER_ROLE], permissions=MANAGE_GUILD, name="Jane"
    )
    actor = actor_from_interaction(discord.Interaction(data=payload, state=state))
    assert actor is not None
    assert actor.platform == "discord"
    assert actor.community_id == str(GUILD_ID) and actor.user_id == str(MEMBER_ID)
    assert actor.display_name == "Jane"
    assert str(ORGANIZER_ROLE) in actor.roles and str(OTHER_ROLE) not in actor.roles
    assert actor.is_admin


@pytest.mark.parametrize(
    ("user_id", "permissions", "admin"),
    [
        (MEMBER_ID, 0, False),
        (MEMBER_ID, MANAGE_GUILD, True),
        (MEMBER_ID, ADMINISTRATOR, True),
        (OWNER_ID, 0, True),
    ],
)
async def test_admin_means_manage_server_administrator_or_owner(
    state: Any, user_id: int, permissions: int, admin: bool
) -> None:
    payload = interaction_payload(user_id=user_id, roles=[], permissions=permissions, name="x")
    actor = actor_from_interaction(discord.Interaction(data=payload, state=state))
    assert actor is not None and actor.is_admin is admin


async def test_names_read_from_discord_cannot_mention_anyone(state: Any) -> None:
    name = f"@everyone <@&{ORGANIZER_ROLE}> Jane"
    payload = interaction_payload(user_id=MEMBER_ID, roles=[], permissions=0, name=name)
    actor = actor_from_interaction(discord.Interaction(data=payload, state=state))
    assert actor is not None
    assert (
        "@everyone" not in actor.display_name and f"<@&{ORGANIZER_ROLE}>" not in actor.display_name
    )
    assert ZERO_WIDTH_SPACE in actor.display_name and "Jane" in actor.display_name
    assert actor.community_name == f"Springfield @{ZERO_WIDTH_SPACE}everyone Callers"


async def test_no_actor_outside_a_server(state: Any) -> None:
    payload = interaction_payload(user_id=MEMBER_ID, roles=[], permissions=0, name="x", guild=False)
    assert actor_from_interaction(discord.Interaction(data=payload, state=state)) is None


def test_submitted_values_read_labels_and_action_rows() -> None:
    components = [
        {"type": 18, "id": 1, "component": {"type": 4, "custom_id": "name", "value": "Jane"}},
        {"type": 1, "components": [{"type": 4, "custom_id": "zip", "value": "94110"}]},
        {"type": 18, "component": {"type": 4, "custom_id": "city"}},  # left empty
        {"type": 10, "content": "text display, not an input"},
    ]
    assert submitted_values(components) == {"name": "Jane", "zip": "94110", "city": ""}


def test_a_choice_is_appended_to_the_picker_id() -> None:
    assert with_choice("district:both-chambers", "CA-12") == "district:both-chambers:CA-12"
    assert with_choice("call", "house-budget") == "call:house-budget"
    assert with_choice("call", "a:b") is None  # a choice can never smuggle in arguments
    assert with_choice("call", "x" * 100) is None


def test_a_late_form_becomes_a_button_that_asks_again() -> None:
    form = Form("profile:call:c", "About you", (FormField("name", "Name"),))
    reply = Reply(text="Tell us who you are.", form=form, actions=(Action("mystats", "Stats"),))
    shown = form_as_button(reply, "call:c")
    assert shown.form is None and shown.text == reply.text
    assert shown.actions == (
        Action("call:c", OPEN_FORM_LABEL, Style.PRIMARY),
        Action("mystats", "Stats"),
    )
    assert form_as_button(reply, None).actions == reply.actions
    plain = Reply(text="no form")
    assert form_as_button(plain, "call:c") is plain


def test_call_reopen_starts_the_same_call_again() -> None:
    assert call_reopen(None) == "call:"
    assert call_reopen(" house-budget ") == "call:house-budget"
    assert call_reopen("bad:slug") is None


def test_command_descriptions_come_from_the_core() -> None:
    assert describe("call") == next(c.description for c in MEMBER_COMMANDS if c.name == "call")
    with pytest.raises(KeyError):
        describe("dance")


def test_the_tree_has_the_member_commands_and_the_organizer_group() -> None:
    tree = build_tree(discord.Client(intents=discord.Intents.none()))
    commands = {command.name: command for command in tree.get_commands()}
    assert set(commands) == {c.name for c in MEMBER_COMMANDS} | {"callbot", "alert", "tally"}
    group = commands["callbot"]
    assert isinstance(group, discord.app_commands.Group)
    assert group.default_permissions == discord.Permissions(manage_guild=True)
    assert group.guild_only
    assert {c.name for c in group.commands} == {"setup", "show"}
    setup = group.get_command("setup")
    assert isinstance(setup, discord.app_commands.Command)
    options = {p.name: p for p in setup.parameters}
    assert options["organizer_role"].type is discord.AppCommandOptionType.role
    assert options["alert_channel"].type is discord.AppCommandOptionType.channel
    # discord.TextChannel covers text and announcement channels, both fine for alerts.
    assert set(options["alert_channel"].channel_types) == {
        discord.ChannelType.text,
        discord.ChannelType.news,
    }
    assert options["timezone"].autocomplete and options["featured_campaign"].autocomplete
    leaderboard = commands["leaderboard"]
    assert isinstance(leaderboard, discord.app_commands.Command)
    period = next(p for p in leaderboard.parameters if p.name == "period")
    assert [c.value for c in period.choices] == ["week", "month", "all"]
    profile = commands["profile"]
    assert isinstance(profile, discord.app_commands.Command)
    assert [p.display_name for p in profile.parameters] == ["name", "zip", "city", "leaderboard"]
    assert all(not p.required for p in profile.parameters)
    payload = profile.to_dict(tree)
    assert payload["contexts"] == [0]  # servers only: a DM has no community


def test_the_alert_commands_are_for_organizers_in_servers() -> None:
    tree = build_tree(discord.Client(intents=discord.Intents.none()))
    group = tree.get_command("alert")
    assert isinstance(group, discord.app_commands.Group)
    assert group.default_permissions == discord.Permissions(manage_guild=True)
    assert group.guild_only
    assert group.description == describe("alert", ORGANIZER_COMMANDS)
    assert [c.name for c in group.commands] == ["create", "list", "cancel", "preview"]
    create = group.get_command("create")
    assert isinstance(create, discord.app_commands.Command)
    options = {p.name: p for p in create.parameters}
    assert [p.name for p in create.parameters] == ["campaign", "channel", "when", "message"]
    assert [p.required for p in create.parameters] == [True, True, True, False]
    assert options["channel"].type is discord.AppCommandOptionType.channel
    assert set(options["channel"].channel_types) == {
        discord.ChannelType.text,
        discord.ChannelType.news,
    }
    assert options["campaign"].autocomplete and options["when"].autocomplete
    assert options["message"].max_value == 1000  # the core keeps this much (string length)
    cancel = group.get_command("cancel")
    assert isinstance(cancel, discord.app_commands.Command)
    [alert] = cancel.parameters
    assert alert.type is discord.AppCommandOptionType.integer and not alert.required
    tally = tree.get_command("tally")
    assert isinstance(tally, discord.app_commands.Command)
    assert tally.default_permissions == discord.Permissions(manage_guild=True)
    assert tally.to_dict(tree)["contexts"] == [0]


def test_when_suggestions_start_from_what_was_typed() -> None:
    assert [c.value for c in when_choices("")] == list(WHEN_EXAMPLES)
    assert [c.value for c in when_choices("  DAILY ")] == ["DAILY", "daily 18:00"]
    assert [c.value for c in when_choices("daily 18:00")] == ["daily 18:00"]
    assert [c.value for c in when_choices("6:30pm")][:3] == [
        "6:30pm",
        "tomorrow 6:30pm",
        "daily 6:30pm",
    ]
    # Discord takes at most 100 characters: a longer suggestion could not be picked.
    assert [c.value for c in when_choices("9" * 94)] == ["9" * 94, "daily " + "9" * 94]


class _Spec:
    def __init__(self, slug: str, title: str, open_now: bool) -> None:
        self.slug, self.title, self.open_now = slug, title, open_now

    def is_open(self, now: datetime) -> bool:
        return self.open_now


class _Core:
    def __init__(self, catalog: CampaignCatalog) -> None:
        self.campaigns = catalog

    def clock(self) -> datetime:
        return datetime(2026, 11, 18, tzinfo=UTC)


def _core(*specs: _Spec) -> Any:
    from callbot.campaigns import CatalogEntry

    return _Core(CampaignCatalog(CatalogEntry(i, spec) for i, spec in enumerate(specs)))  # type: ignore[arg-type]


def test_campaign_choices_match_slug_or_title_and_skip_closed_ones() -> None:
    core = _core(
        _Spec("house-budget", "Cut the detention budget", True),
        _Spec("both-chambers", "Block the bill", True),
        _Spec("old", "An old budget fight", False),
    )
    assert [c.value for c in campaign_choices(core, "")] == ["both-chambers", "house-budget"]
    assert [c.value for c in campaign_choices(core, "BUDGET")] == ["house-budget"]
    assert [c.value for c in campaign_choices(core, "budget", open_only=False)] == [
        "old",
        "house-budget",
    ]
    [choice] = campaign_choices(core, "block")
    assert choice.name == "Block the bill (both-chambers)"


def test_campaign_choices_stop_at_25_with_short_names() -> None:
    core = _core(*(_Spec(f"c{i:02}", "T" * 120, True) for i in range(30)))
    choices = campaign_choices(core, "")
    assert len(choices) == 25 and all(len(c.name) <= 100 for c in choices)


def test_timezone_choices_put_us_zones_first() -> None:
    first = timezone_choices("")
    assert [c.value for c in first[: len(COMMON_ZONES)]] == list(COMMON_ZONES)
    assert len(first) == 25
    assert [c.value for c in timezone_choices("chicago")] == ["America/Chicago"]
    assert next(c.value for c in timezone_choices("new york")) == "America/New_York"
    assert timezone_choices("Nowhere/Atlantis") == []


def test_invite_asks_for_exactly_the_permissions_the_bot_needs() -> None:
    permissions = cli.invite_permissions()
    # View channels, send messages, embed links, attach files (the tally chart), read history.
    assert permissions.value == (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16)
    assert permissions.value == 117760
    assert not permissions.mention_everyone and not permissions.administrator
    assert cli.invite_url(1000) == (
        "https://discord.com/oauth2/authorize?client_id=1000"
        "&scope=bot+applications.commands&permissions=117760"
    )


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="callbot")
    cli.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


async def test_callbot_discord_invite_prints_the_link(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse("discord", "invite", "--application-id", "1234")
    assert args.handler is cli.print_invite
    assert await args.handler(args, None) == 0
    assert capsys.readouterr().out.strip() == cli.invite_url(1234)


async def test_callbot_discord_sync_needs_a_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    args = _parse("discord", "sync", "--guild", "42")
    assert args.handler is cli.sync_commands and args.guild == 42
    assert await args.handler(args, None) == 2
    assert "DISCORD_TOKEN" in capsys.readouterr().err
