"""Settings read from the environment and an optional `.env` file.

Nothing is read at import time: call `load_settings()` where the program starts.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

_Model = TypeVar("_Model", bound=BaseSettings)


class SettingsError(Exception):
    """A setting has a value we cannot use; the message names the variable."""


def _default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "callbot"


class Settings(BaseSettings):
    """Everything callbot reads from its environment."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,  # compose passes unset variables as empty strings
        extra="ignore",
        case_sensitive=False,
    )

    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: an SQLite file in the data directory"
    )
    callbot_data_dir: Path = Field(default_factory=_default_data_dir)
    campaigns_dir: Path = Path("campaigns")
    log_level: str = "INFO"
    default_timezone: str = "America/New_York"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("is not an IANA time zone such as America/Chicago") from exc
        return value

    @field_validator("database_url", "callbot_data_dir", mode="before")
    @classmethod
    def _utf8(cls, value: object) -> object:
        # The environment hands over undecodable bytes as lone surrogates; a database URL (and
        # the data folder, where the default SQLite file lives) must be text a driver can use.
        try:
            str(value).encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("is not UTF-8 text") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(value.strip())
        except ArgumentError as exc:
            raise ValueError("is not a database URL such as postgresql://user@host/db") from exc
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("must be an sqlite:// or postgresql:// URL")
        if url.port is not None and not 0 < url.port < 65536:
            raise ValueError(f"has the port {url.port}; a port is 1 to 65535")
        return value.strip()

    @property
    def data_dir(self) -> Path:
        return self.callbot_data_dir

    @property
    def congress_dir(self) -> Path:
        """Where the downloaded legislators and ZIP files live."""
        return self.callbot_data_dir / "congress"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.callbot_data_dir / 'callbot.sqlite3'}"

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning any bad value into one message naming the variable."""
    return read_settings(Settings, overrides, unnamed="settings")


def read_settings(
    model: type[_Model],
    overrides: Mapping[str, object],
    *,
    prefix: str = "",
    what: str = "configuration",
    unnamed: str = "",
) -> _Model:
    """`model(**overrides)` (the environment and `.env` as the model reads them), turning any
    bad value into one SettingsError ("Bad <what>: ...") naming each variable: `prefix` and
    the field's name, upper-cased; a problem of no one field is named `unnamed` (if given)."""
    try:
        return model(**overrides)  # type: ignore[arg-type]
    except UnicodeDecodeError:
        raise SettingsError(_not_utf8(overrides.get("_env_file", ".env"))) from None
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            message = error["msg"].removeprefix("Value error, ")
            variable = f"{prefix}{error['loc'][0]}".upper() if error["loc"] else unnamed
            problems.append(f"{variable} {message}" if variable else message)
        raise SettingsError(f"Bad {what}: " + "; ".join(problems)) from None


def _not_utf8(env_file: object) -> str:
    """Where a settings file that is not UTF-8 goes wrong, said for the person who saves it."""
    path = Path(str(env_file))
    try:
        raw = path.read_bytes()
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return (
            f"{path} is not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); "
            "save it as UTF-8"
        )
    except OSError:
        pass
    return f"{path} is not UTF-8 text; save it as UTF-8"
