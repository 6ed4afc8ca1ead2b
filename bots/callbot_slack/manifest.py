"""The Slack app manifest: exactly the scopes, commands and events the adapter uses.

`callbot slack manifest` prints it as JSON, to paste at api.slack.com/apps ("Create New App",
"From an app manifest"). Without a URL it describes a Socket Mode app; with the public base
URL of an HTTP deployment it names that URL's endpoints instead.
"""

from __future__ import annotations

from typing import Any

from callbot_slack.alerts import ALERT_HINT, TALLY_HINT
from callbot_slack.app import BOT_SCOPES, EVENTS_PATH, REDIRECT_PATH
from callbot_slack.commands import CALLBOT_HINT, SLACK_COMMANDS, TOP_LEVEL

APP_NAME = "callbot"
DESCRIPTION = "Call your members of Congress, together: scripts, pledges, tallies."
#: Organizers' commands: (command, description, usage hint).
ORGANIZER_COMMANDS = (
    (
        "/alert",
        "Organizers: schedule action alerts into a channel, list or cancel them, preview one.",
        ALERT_HINT,
    ),
    ("/tally", "Organizers: post a campaign's tally and chart here, for everyone.", TALLY_HINT),
)
EVENTS = ("app_home_opened",)


def _usage_hint(usage: str) -> str:
    return usage.partition(" ")[2]


def manifest(base_url: str | None = None) -> dict[str, Any]:
    """The manifest: Socket Mode when `base_url` is None, else HTTP endpoints under it."""
    endpoint = base_url.rstrip("/") + EVENTS_PATH if base_url else None
    url = {"url": endpoint} if endpoint else {}
    commands = [
        {
            "command": f"/{info.name}",
            "description": info.description,
            "usage_hint": _usage_hint(info.usage),
            "should_escape": False,
            **url,
        }
        for info in SLACK_COMMANDS
        if info.name in TOP_LEVEL
    ]
    commands.append(
        {
            "command": "/callbot",
            "description": "Your profile, erasing your data, help, and setup for organizers.",
            "usage_hint": CALLBOT_HINT,
            "should_escape": False,
            **url,
        }
    )
    commands += [
        {
            "command": command,
            "description": description,
            "usage_hint": hint,
            "should_escape": False,
            **url,
        }
        for command, description, hint in ORGANIZER_COMMANDS
    ]
    settings: dict[str, Any] = {
        "event_subscriptions": {
            "bot_events": list(EVENTS),
            **({"request_url": endpoint} if endpoint else {}),
        },
        "interactivity": {"is_enabled": True, **({"request_url": endpoint} if endpoint else {})},
        "org_deploy_enabled": False,
        "socket_mode_enabled": endpoint is None,
        "token_rotation_enabled": False,
    }
    oauth: dict[str, Any] = {"scopes": {"bot": list(BOT_SCOPES)}}
    if base_url:
        oauth["redirect_urls"] = [base_url.rstrip("/") + REDIRECT_PATH]
    return {
        "display_information": {"name": APP_NAME, "description": DESCRIPTION},
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": True,
            },
            "bot_user": {"display_name": APP_NAME, "always_online": True},
            "slash_commands": commands,
        },
        "oauth_config": oauth,
        "settings": settings,
    }
