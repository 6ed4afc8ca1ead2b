"""The Discord adapter's settings, read from the environment (and `.env`) when it starts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated

import yarl
from dotenv import dotenv_values
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from callbot.config import read_settings
from callbot.numbers import WholeNumber, ascii_digits, whole_number

API_VERSION = "v10"
_VERSIONED = re.compile(r"/v\d+$")
_SHARD_RANGE = re.compile(r"^([0-9]{1,6})\s*-\s*([0-9]{1,6})$")


def parse_shard_ids(text: str) -> tuple[int, ...]:
    """`"0-3"` -> (0, 1, 2, 3); `"0,2"` -> (0, 2); ranges and single ids can be mixed."""
    ids: list[int] = []
    for part in ascii_digits(text).split(","):
        item = part.strip()
        if not item:
            raise ValueError(f"“{text}” has an empty item; use ids like 0,2 or a range like 0-3")
        span = _SHARD_RANGE.match(item)
        if span:
            first, last = int(span[1]), int(span[2])
            if first > last:
                raise ValueError(f"range “{item}” runs backwards; write it as {last}-{first}")
            ids.extend(range(first, last + 1))
        elif (number := whole_number(item)) is not None:
            ids.append(number)
        else:
            raise ValueError(f"“{item}” is not a shard id; use ids like 0,2 or a range like 0-3")
    if len(set(ids)) != len(ids):
        raise ValueError(f"“{text}” names a shard twice")
    return tuple(sorted(ids))


def normalize_api_base(text: str) -> str:
    """An http(s) REST base ending in the API version discord.py speaks (`/api` -> `/api/v10`)."""
    url = yarl.URL(text.strip())
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("must be an http:// or https:// URL such as https://discord.com/api")
    base = str(url).rstrip("/")
    return base if _VERSIONED.search(base) else f"{base}/{API_VERSION}"


class DiscordSettings(BaseSettings):
    """Everything the Discord adapter reads (`DISCORD_*` variables)."""

    model_config = SettingsConfigDict(
        env_prefix="DISCORD_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,  # compose passes unset variables as empty strings
        extra="ignore",
        case_sensitive=False,
    )

    token: SecretStr | None = Field(default=None, description="the bot token; never logged")
    api_base: str | None = Field(default=None, description="REST base URL (a proxy or a fake)")
    gateway_url: str | None = Field(default=None, description="gateway websocket URL")
    dev_guild_id: WholeNumber | None = Field(
        default=None, gt=0, description="sync commands here at start"
    )
    # NoDecode: "0-3" is our own syntax, not JSON.
    shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = Field(
        default=None, description='e.g. "0-3" or "0,2"'
    )
    shard_count: WholeNumber | None = Field(
        default=None, ge=1, description="total shards of the bot"
    )
    guild_ready_timeout: float = Field(default=2.0, ge=0, le=60)

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str | None) -> str | None:
        return normalize_api_base(value) if value else None

    @field_validator("gateway_url")
    @classmethod
    def _gateway_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        url = yarl.URL(value.strip())
        if url.scheme not in ("ws", "wss") or not url.host:
            raise ValueError("must be a ws:// or wss:// URL such as wss://gateway.discord.gg")
        return str(url)

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _shard_ids(cls, value: object) -> object:
        if isinstance(value, int):
            return (value,)
        return parse_shard_ids(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _shards_fit(self) -> DiscordSettings:
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("DISCORD_SHARD_IDS needs DISCORD_SHARD_COUNT (the bot's total)")
            too_big = [shard for shard in self.shard_ids if shard >= self.shard_count]
            if too_big:
                raise ValueError(
                    f"DISCORD_SHARD_IDS {too_big} must be below DISCORD_SHARD_COUNT "
                    f"({self.shard_count}); shard ids start at 0"
                )
        return self

    @property
    def sharded(self) -> bool:
        """Whether to run an `AutoShardedClient` (shards were given)."""
        return self.shard_count is not None

    @property
    def gateway(self) -> yarl.URL | None:
        return yarl.URL(self.gateway_url) if self.gateway_url else None


def load_discord_settings(**overrides: object) -> DiscordSettings:
    """Read the settings, turning any bad value into one message naming the variable."""
    return read_settings(
        DiscordSettings, overrides, prefix="DISCORD_", what="Discord configuration"
    )


def token_present(environ: Mapping[str, str], env_file: str | None = ".env") -> bool:
    """Whether DISCORD_TOKEN is set in `environ` or, like every setting, in the `.env` file."""
    if (environ.get("DISCORD_TOKEN") or "").strip():
        return True
    if env_file is None:
        return False
    return bool((dotenv_values(env_file).get("DISCORD_TOKEN") or "").strip())
