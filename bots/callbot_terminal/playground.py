"""The playground session: one member of one local community, typing commands.

After a reply with buttons or a picker the member types a number; a form is asked field by
field. A line starting with `/` at any prompt leaves what was being asked and runs as a command.
"""

from __future__ import annotations

import getpass
import logging
from collections.abc import Awaitable, Mapping

from callbot import services
from callbot.core import Core
from callbot.errors import apology
from callbot.replies import Actor, Form, FormField, Reply, Tone
from callbot.safety import clean_text, member_text
from callbot.typed_commands import new_interaction_id, parse_command
from callbot_terminal.commands import NOT_A_COMMAND, QUIT_COMMANDS, terminal_commands
from callbot_terminal.options import Option, options_of, pick_option
from callbot_terminal.terminal import Terminal

log = logging.getLogger(__name__)

PLATFORM = "terminal"
DEFAULT_COMMUNITY = "playground"
COMMUNITY_NAME = "Playground"
COMMAND_PROMPT = "> "
GOODBYE = "Goodbye! Everything is saved for next time: come back with callbot try."
FIELD_ATTEMPTS = 2  # a required field left empty is asked once more, then the form is dropped


def _os_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in this environment (some containers)
        return "member"


def playground_actor(environ: Mapping[str, str]) -> Actor:
    """The member you play: CALLBOT_PLAYGROUND_USER (default: your login name) in the
    community CALLBOT_PLAYGROUND_COMMUNITY (default: "playground")."""
    user = clean_text(environ.get("CALLBOT_PLAYGROUND_USER", ""), 64) or clean_text(_os_user(), 64)
    community = clean_text(environ.get("CALLBOT_PLAYGROUND_COMMUNITY", ""), 64)
    return Actor(
        platform=PLATFORM,
        community_id=community or DEFAULT_COMMUNITY,
        user_id=user or "member",
        display_name=user or "member",
        community_name=COMMUNITY_NAME,
    )


def banner(core: Core, actor: Actor) -> Reply:
    """What this is and the one command to type, plus how to load data that is missing."""
    body = (
        f"You're **{member_text(actor.display_name)}**, a member of the community "
        f"“{member_text(actor.community_name)}”. This is the real callbot on its real database, "
        "as a member sees it in chat.\n\n"
        "Type **/call** to get your script, or **/help** to see everything you can do."
    )
    tone = Tone.INFO
    if core.directory is None:
        body += (
            "\n\nThe list of members of Congress isn't loaded yet, so only campaigns with their "
            "own phone numbers work. Load it with `callbot data update` (downloads the public "
            "data) or `callbot data update --from DIR` (a folder holding the same files)."
        )
        tone = Tone.WARNING
    return Reply(
        text="callbot playground: type /call to get your script, /help for more.",
        title="callbot playground",
        body=body,
        footer="Type a number to choose; /quit or Ctrl-D to leave.",
        tone=tone,
    )


class _EndOfInput(Exception):
    """The member closed the input (Ctrl-D, end of the script, Ctrl-C)."""


class _NewCommand(Exception):
    """The member typed a command while something else was being asked."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


class Playground:
    """One interactive session on a `Terminal`."""

    def __init__(self, core: Core, actor: Actor, terminal: Terminal) -> None:
        self.core = core
        self.actor = actor
        self.terminal = terminal

    async def run(self) -> None:
        """Greet, then run commands until /quit or the end of input."""
        self.terminal.show(banner(self.core, self.actor))
        line: str | None = None
        try:
            while True:
                if line is None:
                    line = await self._read(COMMAND_PROMPT, commands=False)
                try:
                    await self.handle_line(line)
                    line = None
                except _NewCommand as new:
                    line = new.line
        except _EndOfInput:
            pass
        self.terminal.say(GOODBYE)

    async def handle_line(self, line: str) -> None:
        """Run one typed line and follow its reply through choices and forms."""
        if not line.strip():
            return
        command = parse_command(line)
        if command is None:
            self.terminal.say(NOT_A_COMMAND, Tone.WARNING)
            return
        if command.name in QUIT_COMMANDS:
            raise _EndOfInput
        reply = await self._safely(
            terminal_commands.execute(self.core, self.actor, command), command=command.name
        )
        await self.follow(reply)

    async def follow(self, reply: Reply) -> None:
        """Show a reply and keep going while it asks for something: a form or a choice."""
        while True:
            self.terminal.show(reply)
            if reply.form is not None:
                values = await self.fill_form(reply.form)
                if values is None:
                    return
                reply = await self._component(reply.form.id, values=values)
                continue
            options = options_of(reply)
            if not options:
                return
            option = await self.choose(options)
            if option is None:
                return
            reply = await self._component(option.component, choice=option.choice)

    async def choose(self, options: tuple[Option, ...]) -> Option | None:
        """Read a choice by number; Enter alone goes back to the command prompt."""
        prompt = (
            "Type 1 and Enter, or just Enter to go back: "
            if len(options) == 1
            else f"Choose 1-{len(options)} (Enter to go back): "
        )
        while True:
            answer = await self._read(prompt)
            if not answer.strip():
                return None
            option = pick_option(options, answer)
            if option is not None:
                return option
            self.terminal.say(
                f"Type a number from 1 to {len(options)}, a command such as /help, "
                "or just Enter to go back.",
                Tone.WARNING,
            )

    async def fill_form(self, form: Form) -> dict[str, str] | None:
        """Ask every field in order; None when a required field stays empty."""
        values: dict[str, str] = {}
        for field in form.fields:
            value = await self._ask_field(field)
            if value is None:
                self.terminal.say("Cancelled: nothing was saved. Type a command to go on.")
                return None
            values[field.key] = value
        return values

    async def _ask_field(self, field: FormField) -> str | None:
        prompt = field.label
        if field.default:
            prompt += f" [{field.default}]"
        elif field.placeholder:
            prompt += f" (e.g. {field.placeholder})"
        if not field.required and "optional" not in field.label.lower():
            prompt += " (optional)"
        prompt += ": "
        for _attempt in range(FIELD_ATTEMPTS):
            value = (await self._read(prompt)).strip() or field.default
            if len(value) > field.max_length:
                self.terminal.say(
                    f"That's too long: at most {field.max_length} characters.", Tone.WARNING
                )
            elif field.required and not value:
                self.terminal.say("This one is needed.", Tone.WARNING)
            else:
                return value
        return None

    async def _read(self, prompt: str, *, commands: bool = True) -> str:
        """One line; with `commands`, a line starting with `/` interrupts what was asked."""
        line = await self.terminal.ask(prompt)
        if line is None:
            raise _EndOfInput
        if commands and parse_command(line) is not None:
            raise _NewCommand(line)
        return line

    async def _component(
        self, component: str, *, choice: str | None = None, values: dict[str, str] | None = None
    ) -> Reply:
        """Press a button, pick a choice or submit a form, as the platforms do."""
        return await self._safely(
            services.handle_component(
                self.core,
                self.actor,
                component,
                interaction_id=new_interaction_id(),
                choice=choice,
                values=values,
            ),
            component=component,
        )

    async def _safely(self, call: Awaitable[Reply], **context: object) -> Reply:
        """The service's reply, or an apology when it fails: a bug never ends the session."""
        try:
            return await call
        except Exception as exc:
            return apology(log, exc, platform=PLATFORM, user=self.actor.user_id, **context)
