"""The Discord adapter's settings: shards, endpoints, and what turns the adapter on."""

from __future__ import annotations

from pathlib import Path

import discord
import pytest
import yarl

from callbot.config import SettingsError
from callbot_discord.adapter import DiscordAdapter, adapter
from callbot_discord.client import (
    DEFAULT_API_BASE,
    DEFAULT_GATEWAY,
    apply_endpoints,
    client_options,
)
from callbot_discord.settings import (
    DiscordSettings,
    load_discord_settings,
    normalize_api_base,
    parse_shard_ids,
    token_present,
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No DISCORD_* variable and no .env from the developer's machine."""
    monkeypatch.chdir(tmp_path)
    for name in (
        "DISCORD_TOKEN",
        "DISCORD_API_BASE",
        "DISCORD_GATEWAY_URL",
        "DISCORD_DEV_GUILD_ID",
        "DISCORD_SHARD_IDS",
        "DISCORD_SHARD_COUNT",
        "DISCORD_GUILD_READY_TIMEOUT",
    ):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", (0,)),
        ("0-3", (0, 1, 2, 3)),
        ("0,2", (0, 2)),
        (" 4 - 5 , 0 ", (0, 4, 5)),
        ("7,1-2", (1, 2, 7)),
    ],
)
def test_shard_ids_are_lists_or_ranges(text: str, expected: tuple[int, ...]) -> None:
    assert parse_shard_ids(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty item"),
        ("0,,1", "empty item"),
        ("3-1", "runs backwards"),
        ("a", "not a shard id"),
        ("-1", "not a shard id"),
        ("0,0-1", "names a shard twice"),
    ],
)
def test_bad_shard_ids_are_explained(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_shard_ids(text)


def test_everything_comes_from_discord_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "secret-token")
    monkeypatch.setenv("DISCORD_API_BASE", "http://proxy:8080/api/")
    monkeypatch.setenv("DISCORD_GATEWAY_URL", "ws://gateway-proxy:7878")
    monkeypatch.setenv("DISCORD_DEV_GUILD_ID", "123456789012345678")
    monkeypatch.setenv("DISCORD_SHARD_IDS", "0-1")
    monkeypatch.setenv("DISCORD_SHARD_COUNT", "4")
    monkeypatch.setenv("DISCORD_GUILD_READY_TIMEOUT", "0.1")
    settings = load_discord_settings()
    assert settings.token is not None and settings.token.get_secret_value() == "secret-token"
    assert "secret-token" not in repr(settings)  # never in a log line
    assert settings.api_base == "http://proxy:8080/api/v10"
    assert settings.gateway == yarl.URL("ws://gateway-proxy:7878")
    assert settings.dev_guild_id == 123456789012345678
    assert settings.shard_ids == (0, 1) and settings.shard_count == 4 and settings.sharded
    assert settings.guild_ready_timeout == 0.1


def test_empty_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DISCORD_TOKEN", "DISCORD_API_BASE", "DISCORD_SHARD_IDS", "DISCORD_DEV_GUILD_ID"):
        monkeypatch.setenv(name, "")
    settings = load_discord_settings()
    assert settings.token is None and settings.api_base is None and not settings.sharded
    assert settings.dev_guild_id is None


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"DISCORD_SHARD_IDS": "0-3"}, "DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT"),
        (
            {"DISCORD_SHARD_IDS": "2-4", "DISCORD_SHARD_COUNT": "4"},
            r"DISCORD_SHARD_IDS \[4\] must be below DISCORD_SHARD_COUNT \(4\)",
        ),
        ({"DISCORD_SHARD_IDS": "x"}, "DISCORD_SHARD_IDS “x” is not a shard id"),
        ({"DISCORD_SHARD_COUNT": "0"}, "DISCORD_SHARD_COUNT"),
        ({"DISCORD_API_BASE": "discord.com/api"}, "DISCORD_API_BASE must be an http"),
        ({"DISCORD_GATEWAY_URL": "https://gateway"}, "DISCORD_GATEWAY_URL must be a ws://"),
        ({"DISCORD_DEV_GUILD_ID": "server"}, "DISCORD_DEV_GUILD_ID"),
    ],
)
def test_bad_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], message: str
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=message):
        load_discord_settings()


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://discord.com/api", "https://discord.com/api/v10"),
        ("https://discord.com/api/v10/", "https://discord.com/api/v10"),
        ("http://127.0.0.1:5000/api/v9", "http://127.0.0.1:5000/api/v9"),
    ],
)
def test_api_base_gets_the_version_discord_py_speaks(given: str, expected: str) -> None:
    assert normalize_api_base(given) == expected


def test_endpoints_point_discord_py_at_a_proxy_and_back() -> None:
    try:
        apply_endpoints(
            DiscordSettings(api_base="http://127.0.0.1:1/api", gateway_url="ws://127.0.0.1:2/gw")
        )
        assert discord.http.Route.BASE == "http://127.0.0.1:1/api/v10"
        gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        assert gateway == yarl.URL("ws://127.0.0.1:2/gw")
    finally:
        apply_endpoints(DiscordSettings())
    assert discord.http.Route.BASE == DEFAULT_API_BASE
    assert discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY == DEFAULT_GATEWAY


def test_client_options_are_lean_and_mention_free() -> None:
    options = client_options(DiscordSettings(guild_ready_timeout=0.05))
    intents = options["intents"]
    assert intents.value == discord.Intents(guilds=True).value  # guilds only, nothing privileged
    assert options["member_cache_flags"].value == 0
    assert options["chunk_guilds_at_startup"] is False and options["max_messages"] is None
    assert options["allowed_mentions"].to_dict() == {"parse": []}
    assert options["guild_ready_timeout"] == 0.05


def test_the_adapter_is_on_only_with_a_token() -> None:
    assert not DiscordAdapter().configured({})
    assert not DiscordAdapter().configured({"DISCORD_TOKEN": "  "})
    assert DiscordAdapter().configured({"DISCORD_TOKEN": "abc"})
    assert "DISCORD_TOKEN" in adapter.setup_hint() and adapter.name == "discord"
    assert adapter.playground is False


def test_a_token_in_the_env_file_counts_too(tmp_path: Path) -> None:
    env_file = tmp_path / "custom.env"
    env_file.write_text("DISCORD_TOKEN=from-file\n", encoding="utf-8")
    assert token_present({}, str(env_file))
    assert not token_present({}, None)
    assert not token_present({}, str(tmp_path / "missing.env"))


async def test_run_without_a_token_says_so() -> None:
    with pytest.raises(SettingsError, match="DISCORD_TOKEN is not set"):
        await DiscordAdapter().run(core=None)  # type: ignore[arg-type]  # never reached


def test_callbot_finds_the_adapter_and_its_commands_through_entry_points() -> None:
    """pyproject.toml registers `callbot.adapters: discord` and `callbot.cli: discord`."""
    from callbot.adapters import load_adapters
    from callbot.cli import build_parser
    from callbot_discord import cli

    assert adapter in load_adapters()
    args = build_parser().parse_args(["discord", "invite", "--application-id", "5"])
    assert args.handler is cli.print_invite
