"""The commands every adapter offers, described once, and the help message built from them."""

from __future__ import annotations

from dataclasses import dataclass

from callbot.replies import Reply


@dataclass(frozen=True, slots=True)
class CommandInfo:
    name: str
    usage: str
    description: str


MEMBER_COMMANDS = (
    CommandInfo(
        "call", "/call [campaign]", "Get your script and numbers, and log how each call went."
    ),
    CommandInfo("pledge", "/pledge [campaign]", "Promise to call; we'll count you in the tally."),
    CommandInfo(
        "leaderboard", "/leaderboard [campaign] [week|month|all]", "Top callers in this community."
    ),
    CommandInfo("mystats", "/mystats", "Your calls by outcome and your weekly streak."),
    CommandInfo(
        "profile", "/profile", "See or change your name, ZIP, city and leaderboard visibility."
    ),
    CommandInfo("forget", "/forget", "Erase everything callbot keeps about you here."),
    CommandInfo("help", "/help", "This list."),
)


#: The chat platforms' commands for organizers (the playground has none).
ORGANIZER_COMMANDS = (
    CommandInfo(
        "setup", "/callbot setup", "Time zone, organizers, featured campaign, alert channel."
    ),
    CommandInfo(
        "alert",
        "/alert create | list | cancel | preview",
        "Schedule action alerts into a channel, once or repeating.",
    ),
    CommandInfo("tally", "/tally [campaign]", "Post how a campaign is going, for everyone."),
)


def help_reply(
    commands: tuple[CommandInfo, ...] = MEMBER_COMMANDS,
    organizer: tuple[CommandInfo, ...] = (),
) -> Reply:
    lines = "\n".join(f"- **{c.usage}**: {c.description}" for c in commands)
    if organizer:
        lines += "\n\nFor organizers:\n" + "\n".join(
            f"- **{c.usage}**: {c.description}" for c in organizer
        )
    return Reply(
        text="callbot helps you call your members of Congress. Start with /call.",
        title="callbot",
        body="callbot gives you a short script with your name and your own Representative and "
        "Senators filled in, plus their phone numbers. Calls take two minutes and staff count "
        f"every one.\n\n{lines}\n\nScripts and your profile are only ever shown to you.",
    )
