"""Slash commands typed in the playground: parse a line and call the matching service.

Parsing only: every rule about campaigns, periods, names and ZIPs is the services' business.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from callbot import services
from callbot.core import Core
from callbot.errors import UserError, problem
from callbot.replies import Actor, Reply, component_id
from callbot.safety import member_text
from callbot.services.help import MEMBER_COMMANDS, CommandInfo
from callbot.services.leaderboard import parse_period

QUIT_COMMANDS = frozenset({"quit", "exit"})

#: What /help lists here: the member commands every platform has, plus the playground's own.
TERMINAL_COMMANDS = (
    *MEMBER_COMMANDS,
    CommandInfo("unpledge", "/unpledge [campaign]", "Withdraw a pledge."),
    CommandInfo("tally", "/tally [campaign]", "How a campaign is going in this community."),
    CommandInfo("quit", "/quit", "Leave the playground (Ctrl-D works too)."),
)

PROFILE_USAGE = (
    "Use /profile to see your profile, or change it with `/profile name Jane`, "
    "`/profile zip 94110`, `/profile city Oakland` (`/profile city` alone clears it), "
    "`/profile hide`, `/profile show`, `/profile reminders on` or `/profile reminders off`."
)
NOT_A_COMMAND = "Type /call to get your script, or /help to see everything you can do."


@dataclass(frozen=True, slots=True)
class Command:
    """A typed line that starts with `/`: its name (lower case) and the text after it."""

    name: str
    rest: str = ""

    @property
    def args(self) -> list[str]:
        return self.rest.split()


def parse_command(line: str) -> Command | None:
    """`/leaderboard week` -> Command("leaderboard", "week"); None when it is not a command."""
    text = line.strip()
    if not text.startswith("/") or len(text) == 1:
        return None
    name, _, rest = text[1:].partition(" ")
    return Command(name.lower(), rest.strip())


def new_interaction_id() -> str:
    """A fresh id for one input, like the ids platforms give each interaction."""
    return uuid.uuid4().hex


def _usage(name: str) -> Reply:
    usage = next((info.usage for info in TERMINAL_COMMANDS if info.name == name), f"/{name}")
    return problem(f"Usage: {usage}")


def _is_period(word: str) -> bool:
    try:
        parse_period(word)
    except UserError:
        return False
    return True


def leaderboard_arguments(args: list[str]) -> tuple[str | None, str | None] | None:
    """(campaign, period) from `[campaign] [period]` in either order; None if it can't be read."""
    if len(args) > 2:
        return None
    if len(args) == 2:
        first, second = args
        if _is_period(first) and not _is_period(second):
            first, second = second, first
        return first, second
    if len(args) == 1:
        return (None, args[0]) if _is_period(args[0]) else (args[0], None)
    return None, None


async def _profile(core: Core, actor: Actor, command: Command) -> Reply:
    field, _, value = command.rest.partition(" ")
    field, value = field.lower(), value.strip()
    match field, value.lower():
        case "", _:
            return await services.show_profile(core, actor)
        case "name", text if text:
            return await services.set_profile(core, actor, name=value)
        case "zip", text if text:
            return await services.set_profile(core, actor, zip_code=value)
        case "city", _:
            return await services.set_profile(core, actor, city=value)
        case "hide", "":
            return await services.set_profile(core, actor, leaderboard_visible=False)
        case "show", "":
            return await services.set_profile(core, actor, leaderboard_visible=True)
        case "reminders", "on" | "off":
            return await services.set_profile(core, actor, reminders=value.lower() == "on")
        case "edit", "":
            return await services.handle_component(
                core, actor, component_id("profile", "edit"), interaction_id=new_interaction_id()
            )
    return problem(PROFILE_USAGE)


async def _leaderboard(core: Core, actor: Actor, command: Command) -> Reply:
    parsed = leaderboard_arguments(command.args)
    if parsed is None:
        return _usage("leaderboard")
    campaign, period = parsed
    return await services.leaderboard(core, actor, campaign, period)


def _with_campaign(
    service: Callable[[Core, Actor, str | None], Awaitable[Reply]], name: str
) -> Callable[[Core, Actor, Command], Awaitable[Reply]]:
    async def run(core: Core, actor: Actor, command: Command) -> Reply:
        args = command.args
        if len(args) > 1:
            return _usage(name)
        return await service(core, actor, args[0] if args else None)

    return run


def _without_arguments(
    make: Callable[[Core, Actor], Awaitable[Reply]], name: str
) -> Callable[[Core, Actor, Command], Awaitable[Reply]]:
    async def run(core: Core, actor: Actor, command: Command) -> Reply:
        if command.args:
            return _usage(name)
        return await make(core, actor)

    return run


async def _forget(core: Core, actor: Actor) -> Reply:
    return services.confirm_erase()


async def _help(core: Core, actor: Actor) -> Reply:
    return services.help_reply(TERMINAL_COMMANDS)


HANDLERS: dict[str, Callable[[Core, Actor, Command], Awaitable[Reply]]] = {
    "call": _with_campaign(services.start_call, "call"),
    "pledge": _with_campaign(services.pledge, "pledge"),
    "unpledge": _with_campaign(services.unpledge, "unpledge"),
    "tally": _with_campaign(services.tally, "tally"),
    "leaderboard": _leaderboard,
    "mystats": _without_arguments(services.my_stats, "mystats"),
    "profile": _profile,
    "forget": _without_arguments(_forget, "forget"),
    "help": _without_arguments(_help, "help"),
}


async def execute(core: Core, actor: Actor, command: Command) -> Reply:
    """Run one command (not /quit, which the session handles) and return the service's reply."""
    handler = HANDLERS.get(command.name)
    if handler is None:
        return problem(
            f"There is no /{member_text(command.name, 30)} command. Type /help to see them all."
        )
    return await handler(core, actor, command)
