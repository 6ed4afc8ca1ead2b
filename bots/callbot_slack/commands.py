"""The slash commands: /call, /pledge, /leaderboard, /mystats, and /callbot with profile,
forget, help and (for organizers) setup.

Parsing only: the text after a command is read forgivingly by the core's typed commands
(`/call defund-hate`, `/leaderboard week`), which answer anything unreadable with a usage hint.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from callbot.errors import problem
from callbot.replies import Actor, Reply, component_id
from callbot.services.dispatch import call_reopen
from callbot.services.help import MEMBER_COMMANDS, ORGANIZER_COMMANDS, CommandInfo
from callbot.typed_commands import Command, TypedCommands
from callbot_slack.actors import actor_from
from callbot_slack.responder import Origin, SlackResponder
from callbot_slack.setup import open_setup

log = logging.getLogger(__name__)

#: The commands as members type them on Slack (each is a slash command of the app manifest).
TOP_LEVEL = ("call", "pledge", "leaderboard", "mystats")
UNDER_CALLBOT = ("profile", "forget", "help")
SLACK_COMMANDS = tuple(
    info
    if info.name in TOP_LEVEL
    else CommandInfo(info.name, "/callbot " + info.usage.removeprefix("/"), info.description)
    for info in MEMBER_COMMANDS
    if info.name in TOP_LEVEL + UNDER_CALLBOT
)
#: What `/callbot` takes: the usage below and the manifest's hint both say it.
CALLBOT_SUBCOMMANDS = (*UNDER_CALLBOT, "setup")
CALLBOT_HINT = " | ".join(CALLBOT_SUBCOMMANDS)


def usage_of(command: str, subcommands: tuple[str, ...]) -> str:
    """`/x a, /x b or /x c`: a command's subcommands, as a usage line says them."""
    spelled = [f"{command} {sub}" for sub in subcommands]
    return ", ".join(spelled[:-1]) + " or " + spelled[-1]


CALLBOT_USAGE = f"Usage: {usage_of('/callbot', CALLBOT_SUBCOMMANDS)}."

typed_commands = TypedCommands(SLACK_COMMANDS, ORGANIZER_COMMANDS)


def reopen_for(command: Command) -> str | None:
    """The button id that asks again for a form this command shows (when it comes too late
    to open as a modal)."""
    if command.name == "call":
        return call_reopen(command.args[0] if len(command.args) == 1 else None)
    if command.name == "profile":
        return component_id("profile", "edit")
    return None


def register(app: AsyncApp, responder: SlackResponder) -> None:
    """Listen for every slash command of the manifest."""
    core = responder.core

    async def run(body: dict[str, Any], client: AsyncWebClient, command: Command) -> None:
        origin = Origin.of_command(body)
        actor = actor_from(body)
        if actor is None:
            log.warning("slash command without a workspace or member: %s", body.get("command"))
            return

        async def service(actor: Actor) -> Reply:
            return await typed_commands.execute(core, actor, command)

        await responder.answer(
            client,
            origin,
            actor,
            service,
            reopen=reopen_for(command),
            context={"command": body.get("command"), "text": command.rest[:100]},
        )

    def handler(name: str) -> Callable[..., Awaitable[None]]:
        async def handle(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
            await ack()
            await run(body, client, Command(name, str(body.get("text") or "").strip()))

        return handle

    for name in TOP_LEVEL:
        app.command(f"/{name}")(handler(name))

    @app.command("/callbot")
    async def callbot(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        word, _, rest = str(body.get("text") or "").strip().partition(" ")
        sub = word.lower() or "help"
        if sub == "setup" and not rest.strip():
            await open_setup(responder, client, body)
        elif sub in UNDER_CALLBOT:
            await run(body, client, Command(sub, rest.strip()))
        else:
            actor = actor_from(body)
            if actor is None:
                return
            await responder.answer(
                client,
                Origin.of_command(body),
                actor,
                _usage,
                reopen=None,
                context={"command": "/callbot", "text": word[:40]},
            )


async def _usage(actor: Actor) -> Reply:
    return problem(CALLBOT_USAGE)
