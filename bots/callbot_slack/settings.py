"""The Slack adapter's settings, read from the environment (and `.env`) when it starts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import yarl
from dotenv import dotenv_values
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from callbot.config import read_settings
from callbot.numbers import WholeNumber

SOCKET_MODE = ("SLACK_APP_TOKEN", "SLACK_BOT_TOKEN")
HTTP_MODE = ("SLACK_SIGNING_SECRET", "SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")
DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_AUTHORIZE_URL = "https://slack.com/oauth/v2/authorize"

Mode = Literal["socket", "http"]


def _http_url(value: str, example: str) -> str:
    url = yarl.URL(value.strip())
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"must be an http:// or https:// URL such as {example}")
    return str(url)


class SlackSettings(BaseSettings):
    """Everything the Slack adapter reads (`SLACK_*` variables)."""

    model_config = SettingsConfigDict(
        env_prefix="SLACK_",
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,  # compose passes unset variables as empty strings
        extra="ignore",
        case_sensitive=False,
    )

    # Socket Mode: one workspace, no public URL.
    app_token: SecretStr | None = Field(default=None, description="xapp-... app-level token")
    bot_token: SecretStr | None = Field(default=None, description="xoxb-... bot token")
    # HTTP mode: OAuth installation to many workspaces, behind any load balancer.
    signing_secret: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    host: str = Field(default="0.0.0.0", description="HTTP mode: the address to listen on")  # noqa: S104 (a server in a container)
    port: WholeNumber = Field(
        default=3000, ge=0, le=65535, description="HTTP mode: the port (0: any free)"
    )
    # Where Slack is: GovSlack (slack-gov.com), or a fake in tests.
    api_url: str = DEFAULT_API_URL
    authorize_url: str = DEFAULT_AUTHORIZE_URL

    @field_validator("api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        url = _http_url(value, DEFAULT_API_URL)
        return url if url.endswith("/") else url + "/"

    @field_validator("authorize_url")
    @classmethod
    def _authorize_url(cls, value: str) -> str:
        return _http_url(value, DEFAULT_AUTHORIZE_URL)

    @field_validator("app_token")
    @classmethod
    def _app_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    @field_validator("bot_token")
    @classmethod
    def _bot_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith("xoxb-"):
            raise ValueError("must be a bot token starting with xoxb-")
        return value

    @model_validator(mode="after")
    def _one_complete_mode(self) -> SlackSettings:
        socket = [self.app_token, self.bot_token]
        http = [self.signing_secret, self.client_id, self.client_secret]
        if any(v is not None for v in socket) and not all(v is not None for v in socket):
            raise ValueError("Socket Mode needs both SLACK_APP_TOKEN and SLACK_BOT_TOKEN")
        if any(v is not None for v in http) and not all(v is not None for v in http):
            raise ValueError(
                "HTTP mode needs SLACK_SIGNING_SECRET, SLACK_CLIENT_ID and SLACK_CLIENT_SECRET"
            )
        if all(v is not None for v in socket) and all(v is not None for v in http):
            raise ValueError(
                "set either Socket Mode (SLACK_APP_TOKEN, SLACK_BOT_TOKEN) or HTTP mode "
                "(SLACK_SIGNING_SECRET, SLACK_CLIENT_ID, SLACK_CLIENT_SECRET), not both"
            )
        return self

    @property
    def mode(self) -> Mode | None:
        if self.app_token is not None:
            return "socket"
        if self.signing_secret is not None:
            return "http"
        return None


def load_slack_settings(**overrides: object) -> SlackSettings:
    """Read the settings, turning any bad value into one message naming the variable."""
    return read_settings(SlackSettings, overrides, prefix="SLACK_", what="Slack configuration")


def credentials_present(environ: Mapping[str, str], env_file: str | None = ".env") -> bool:
    """Whether either mode's credentials are set, in `environ` or (like every setting) `.env`.
    A half-set mode counts too, so that `callbot run` says what is missing."""
    found = {name: (environ.get(name) or "").strip() for name in SOCKET_MODE + HTTP_MODE}
    if env_file is not None and not any(found.values()):
        from_file = dotenv_values(env_file)
        found = {name: (from_file.get(name) or "").strip() for name in found}
    return any(found.values())
