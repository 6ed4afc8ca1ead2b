"""The Slack adapter's settings: which mode they select, and one clear line for each mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from callbot.config import SettingsError
from callbot_slack.adapter import SlackAdapter
from callbot_slack.settings import credentials_present, load_slack_settings

SOCKET = {"app_token": "xapp-1-A-2-abc", "bot_token": "xoxb-1-2-abc"}
HTTP = {"signing_secret": "s3cret", "client_id": "1.2", "client_secret": "c1ient"}


def settings(**values: object) -> object:
    return load_slack_settings(_env_file=None, **values)


def test_socket_mode_and_http_mode_are_told_apart() -> None:
    assert settings(**SOCKET).mode == "socket"  # type: ignore[attr-defined]
    http = settings(**HTTP)
    assert http.mode == "http" and http.port == 3000 and http.host == "0.0.0.0"  # type: ignore[attr-defined]
    assert settings().mode is None  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"app_token": "xapp-1"}, "Socket Mode needs both SLACK_APP_TOKEN and SLACK_BOT_TOKEN"),
        ({"client_id": "1.2"}, "HTTP mode needs SLACK_SIGNING_SECRET, SLACK_CLIENT_ID"),
        ({**SOCKET, **HTTP}, "not both"),
        (
            {"app_token": "xoxb-wrong", "bot_token": "xoxb-1"},
            "SLACK_APP_TOKEN must be an app-level",
        ),
        ({"app_token": "xapp-1", "bot_token": "xoxp-user"}, "SLACK_BOT_TOKEN must be a bot token"),
        ({**HTTP, "port": "99999"}, "SLACK_PORT"),
        ({**SOCKET, "api_url": "ftp://example.org"}, "SLACK_API_URL must be an http"),
    ],
)
def test_each_mistake_is_named_in_one_line(values: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        settings(**values)


def test_the_api_url_can_point_elsewhere_and_ends_with_a_slash() -> None:
    gov = settings(**SOCKET, api_url="https://slack-gov.com/api")
    assert gov.api_url == "https://slack-gov.com/api/"  # type: ignore[attr-defined]


def test_secrets_never_show_in_the_settings_repr() -> None:
    shown = repr(settings(**HTTP)) + repr(settings(**SOCKET))
    assert "s3cret" not in shown and "c1ient" not in shown and "xoxb-1-2-abc" not in shown


def test_credentials_are_found_in_the_environment_or_the_env_file(tmp_path: Path) -> None:
    assert not credentials_present({}, None)
    assert credentials_present({"SLACK_BOT_TOKEN": "xoxb-1"}, None)
    env_file = tmp_path / ".env"
    env_file.write_text("SLACK_SIGNING_SECRET=abc\n", encoding="utf-8")
    assert credentials_present({}, str(env_file))
    assert not SlackAdapter().configured({"DISCORD_TOKEN": "x"})
