"""The playground's commands: the member commands every platform has, plus its own."""

from __future__ import annotations

from callbot.services.help import MEMBER_COMMANDS, CommandInfo
from callbot.typed_commands import TypedCommands

QUIT_COMMANDS = frozenset({"quit", "exit"})

#: What /help lists here: the member commands every platform has, plus the playground's own.
TERMINAL_COMMANDS = (
    *MEMBER_COMMANDS,
    CommandInfo("unpledge", "/unpledge [campaign]", "Withdraw a pledge."),
    CommandInfo("tally", "/tally [campaign]", "How a campaign is going in this community."),
    CommandInfo("quit", "/quit", "Leave the playground (Ctrl-D works too)."),
)
NOT_A_COMMAND = "Type /call to get your script, or /help to see everything you can do."

terminal_commands = TypedCommands(TERMINAL_COMMANDS)
