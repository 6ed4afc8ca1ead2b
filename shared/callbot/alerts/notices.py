"""What an alert's organizer is told privately when its post did not simply go out: missed,
refused, maybe not sent, or its channel gone. Each notice about an occurrence that can still
be posted carries a "Post it now" button (`alert:postnow:<delivery id>`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from callbot.alerts.schedules import from_stored
from callbot.db.models import Alert
from callbot.replies import Action, Reply, Style, Tone, component_id
from callbot.safety import member_text

POST_IT_NOW = "Post it now"
#: How much of a platform's error text a notice quotes (it names the channel and the code).
REASON_MAX = 300


def post_it_now_action(delivery_id: int) -> Action:
    """The button that posts one occurrence of an alert now (callbot.alerts.service)."""
    return Action(component_id("alert", "postnow", str(delivery_id)), POST_IT_NOW, Style.PRIMARY)


def _reason(reason: str | None) -> str:
    return member_text(reason or "no answer", REASON_MAX)


def _when(alert: Alert, moment: datetime) -> str:
    return f"{moment.astimezone(ZoneInfo(alert.timezone)):%a %-d %b %H:%M %Z}"


def _short(alert: Alert, moment: datetime) -> str:
    return f"{moment.astimezone(ZoneInfo(alert.timezone)):%H:%M}"


def _afterwards(alert: Alert, now: datetime) -> str:
    schedule = from_stored(alert.schedule)
    if schedule.kind == "once":
        return "It was to be posted this once."
    upcoming = schedule.next_runs(ZoneInfo(alert.timezone), now, 1)
    return f"It runs again {_when(alert, upcoming[0])}." if upcoming else ""


def missed_notice(
    alert: Alert, missed: Sequence[datetime], delivery_id: int, now: datetime
) -> Reply:
    """Occurrences found too late to post (callbot was down); the latest can be posted now."""
    latest = missed[-1]
    earlier = ""
    if len(missed) > 1:
        earlier = (
            f" It was also not posted {len(missed) - 1} earlier time(s), since "
            f"{_when(alert, missed[0])}."
        )
    return Reply(
        text=f"Alert #{alert.id} due {_short(alert, latest)} was not posted: callbot was offline.",
        title="An alert was missed",
        body=f"Alert #{alert.id}, due {_when(alert, latest)}, was not posted: callbot was "
        f"offline then, and a post that late could confuse members.{earlier} "
        f"{_afterwards(alert, now)} Press {POST_IT_NOW} if it still matters.",
        actions=(post_it_now_action(delivery_id),),
        tone=Tone.WARNING,
    )


def failed_notice(
    alert: Alert, occurrence: datetime, reason: str | None, delivery_id: int
) -> Reply:
    """A post the platform refused several times: not posted."""
    after = (
        "It was to be posted this once."
        if from_stored(alert.schedule).kind == "once"
        else "It stays scheduled for its next time."
    )
    return Reply(
        text=f"Alert #{alert.id} due {_short(alert, occurrence)} could not be posted.",
        title="An alert could not be posted",
        body=f"Alert #{alert.id}, due {_when(alert, occurrence)}, could not be posted after "
        f"several tries ({_reason(reason)}). {after} Press {POST_IT_NOW} to try once more.",
        actions=(post_it_now_action(delivery_id),),
        tone=Tone.WARNING,
    )


def unconfirmed_notice(alert: Alert, occurrence: datetime, delivery_id: int) -> Reply:
    """A post that may or may not have gone out, where sending it again could post it twice."""
    return Reply(
        text=f"Alert #{alert.id} due {_short(alert, occurrence)} may not have been posted.",
        title="Was this alert posted?",
        body=f"callbot was interrupted while posting alert #{alert.id}, due "
        f"{_when(alert, occurrence)}, and cannot tell whether it went out. Look in its "
        f"channel: if the alert is not there, press {POST_IT_NOW}.",
        actions=(post_it_now_action(delivery_id),),
        tone=Tone.WARNING,
    )


def disabled_notice(alert: Alert, reason: str | None) -> Reply:
    """The alert's channel is gone or closed to the bot: the alert is turned off."""
    return Reply(
        text=f"Alert #{alert.id} is turned off: callbot can no longer post in its channel.",
        title="An alert was turned off",
        body=f"Alert #{alert.id} could not be posted: its channel is gone, or callbot may no "
        f"longer post there ({_reason(reason)}). It is turned off; create it again in another channel "
        "with /alert create.",
        tone=Tone.WARNING,
    )
