"""The services adapters call. Each takes a `Core` and an `Actor` and returns a `Reply`."""

from callbot.services.calling import (
    record_outcome,
    start_call,
    submit_call_profile,
    submit_district,
)
from callbot.services.dispatch import handle_component
from callbot.services.help import MEMBER_COMMANDS, help_reply
from callbot.services.leaderboard import leaderboard
from callbot.services.overview import open_campaigns
from callbot.services.pledges import pledge, unpledge
from callbot.services.profile import confirm_erase, erase_member, set_profile, show_profile
from callbot.services.stats import my_stats
from callbot.services.tallies import tally

__all__ = [
    "MEMBER_COMMANDS",
    "confirm_erase",
    "erase_member",
    "handle_component",
    "help_reply",
    "leaderboard",
    "my_stats",
    "open_campaigns",
    "pledge",
    "record_outcome",
    "set_profile",
    "show_profile",
    "start_call",
    "submit_call_profile",
    "submit_district",
    "tally",
    "unpledge",
]
