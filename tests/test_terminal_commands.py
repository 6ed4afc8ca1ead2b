"""Parsing what a member types in the playground, and who the member is (pure)."""

from __future__ import annotations

import pytest

from callbot.typed_commands import Command, leaderboard_arguments, parse_command
from callbot_terminal.adapter import TerminalAdapter, adapter
from callbot_terminal.playground import playground_actor


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("/call", Command("call", "")),
        ("  /CALL clean-air  ", Command("call", "clean-air")),
        ("/profile name Jane  O'Brien", Command("profile", "name Jane  O'Brien")),
        ("/leaderboard week", Command("leaderboard", "week")),
        ("call", None),
        ("", None),
        ("/", None),
        ("hello /call", None),
    ],
)
def test_parse_command(line: str, expected: Command | None) -> None:
    assert parse_command(line) == expected


def test_command_args_split_on_any_space() -> None:
    assert Command("leaderboard", "clean-air   month").args == ["clean-air", "month"]


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ([], (None, None)),
        (["week"], (None, "week")),
        (["monthly"], (None, "monthly")),
        (["ALL"], (None, "ALL")),
        (["clean-air"], ("clean-air", None)),
        (["clean-air", "week"], ("clean-air", "week")),
        (["week", "clean-air"], ("clean-air", "week")),
        (["clean-air", "fortnight"], ("clean-air", "fortnight")),
        (["a", "b", "c"], None),
    ],
)
def test_leaderboard_arguments_forgive_the_order(
    args: list[str], expected: tuple[str | None, str | None] | None
) -> None:
    assert leaderboard_arguments(args) == expected


def test_actor_comes_from_the_environment() -> None:
    actor = playground_actor(
        {"CALLBOT_PLAYGROUND_USER": " tester ", "CALLBOT_PLAYGROUND_COMMUNITY": "oakland"}
    )
    assert (actor.platform, actor.community_id, actor.user_id) == ("terminal", "oakland", "tester")
    assert actor.display_name == "tester"
    assert actor.community_name == "Playground"


def test_actor_defaults_to_the_login_name_and_the_playground(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "ada")
    actor = playground_actor({})
    assert (actor.community_id, actor.user_id) == ("playground", "ada")


def test_actor_without_any_login_name(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_user() -> str:
        raise KeyError("uid not found")

    monkeypatch.setattr("getpass.getuser", no_user)
    assert playground_actor({"CALLBOT_PLAYGROUND_USER": "  "}).user_id == "member"


def test_adapter_is_the_playground_and_never_a_platform() -> None:
    assert isinstance(adapter, TerminalAdapter)
    assert adapter.name == "terminal"
    assert adapter.playground is True
    assert adapter.configured({"DISCORD_TOKEN": "x", "SLACK_BOT_TOKEN": "y"}) is False
    assert "callbot try" in adapter.setup_hint()


def test_adapter_is_registered_as_an_entry_point() -> None:
    from callbot.adapters import Adapter, load_adapters

    found = [a for a in load_adapters() if a.name == "terminal"]
    assert found == [adapter]
    assert isinstance(found[0], Adapter)
