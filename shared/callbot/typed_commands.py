"""Commands typed as text (the playground's lines, Slack's slash commands): read them
forgivingly and call the matching service.

Parsing only: every rule about campaigns, periods, names and ZIPs is the services' business.
Each platform says which commands it offers and how they are spelled there (`CommandInfo`
usages such as "/callbot profile"), so a usage hint always names what the member can type.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from callbot import services
from callbot.core import Core
from callbot.errors import UserError, problem
from callbot.replies import Actor, Reply, component_id
from callbot.safety import as_typed
from callbot.services.help import CommandInfo
from callbot.services.leaderboard import parse_period


@dataclass(frozen=True, slots=True)
class Command:
    """A command's name (lower case) and the text typed after it."""

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
    """A fresh id for one typed command, like the ids platforms give each interaction."""
    return uuid.uuid4().hex


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


Handler = Callable[[Core, Actor, Command], Awaitable[Reply]]


class TypedCommands:
    """The commands of one platform, spelled as `catalogue` says (`/profile` in the
    playground, `/callbot profile` on Slack)."""

    def __init__(
        self, catalogue: tuple[CommandInfo, ...], organizer: tuple[CommandInfo, ...] = ()
    ) -> None:
        self.catalogue = catalogue
        self.organizer = organizer
        self._usage = {info.name: info.usage for info in catalogue}
        # Services are looked up when a command runs (not bound here), like every adapter does.
        handlers: dict[str, Handler] = {
            "call": self._with_campaign(lambda *a: services.start_call(*a)),
            "pledge": self._with_campaign(lambda *a: services.pledge(*a)),
            "unpledge": self._with_campaign(lambda *a: services.unpledge(*a)),
            "tally": self._with_campaign(lambda *a: services.tally(*a)),
            "leaderboard": self._leaderboard,
            "mystats": self._without_arguments(lambda *a: services.my_stats(*a)),
            "profile": self._profile,
            "forget": self._without_arguments(self._forget),
            "help": self._without_arguments(self._help),
        }
        self._handlers = {name: handlers[name] for name in self._usage if name in handlers}

    def usage(self, name: str) -> Reply:
        """A hint showing how to type the command."""
        return problem(f"Usage: {self._usage.get(name, '/' + name)}")

    async def execute(self, core: Core, actor: Actor, command: Command) -> Reply:
        """Run one command and return the service's reply (a hint for anything unreadable)."""
        handler = self._handlers.get(command.name)
        if handler is None:
            return problem(
                f"There is no “{as_typed(command.name, 30)}” command. Type "
                f"{self._usage.get('help', '/help')} to see them all."
            )
        return await handler(core, actor, command)

    def _with_campaign(
        self, service: Callable[[Core, Actor, str | None], Awaitable[Reply]]
    ) -> Handler:
        async def run(core: Core, actor: Actor, command: Command) -> Reply:
            args = command.args
            if len(args) > 1:
                return self.usage(command.name)
            return await service(core, actor, args[0] if args else None)

        return run

    def _without_arguments(self, make: Callable[[Core, Actor], Awaitable[Reply]]) -> Handler:
        async def run(core: Core, actor: Actor, command: Command) -> Reply:
            if command.args:
                return self.usage(command.name)
            return await make(core, actor)

        return run

    async def _leaderboard(self, core: Core, actor: Actor, command: Command) -> Reply:
        parsed = leaderboard_arguments(command.args)
        if parsed is None:
            return self.usage("leaderboard")
        campaign, period = parsed
        return await services.leaderboard(core, actor, campaign, period)

    def profile_usage(self) -> str:
        profile = self._usage.get("profile", "/profile")
        return (
            f"Use {profile} to see your profile, or change it with `{profile} name Jane`, "
            f"`{profile} zip 94110`, `{profile} city Oakland` (`{profile} city` alone clears "
            f"it), `{profile} hide`, `{profile} show`, `{profile} reminders on` or "
            f"`{profile} reminders off`."
        )

    async def _profile(self, core: Core, actor: Actor, command: Command) -> Reply:
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
                    core,
                    actor,
                    component_id("profile", "edit"),
                    interaction_id=new_interaction_id(),
                )
        return problem(self.profile_usage())

    async def _forget(self, core: Core, actor: Actor) -> Reply:
        return services.confirm_erase()

    async def _help(self, core: Core, actor: Actor) -> Reply:
        return services.help_reply(self.catalogue, self.organizer)
