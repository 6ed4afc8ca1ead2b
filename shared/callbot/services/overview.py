"""The open campaigns at a glance, each with its Call now and I'll call buttons
(Slack's App Home, the playground's `/campaigns`)."""

from __future__ import annotations

from callbot.core import Core
from callbot.replies import Action, Actor, Reply, Style, component_id
from callbot.safety import neutralize_mentions

MAX_LISTED = 10  # each campaign adds two buttons; platforms cap how many fit in one message


def open_campaigns(core: Core, actor: Actor) -> Reply:
    """Every open campaign with a one-line summary and buttons to call or pledge."""
    entries = core.campaigns.open_campaigns(core.clock())[:MAX_LISTED]
    if not entries:
        return Reply(text="No campaign is open right now.", title="Campaigns")
    lines = [f"- **{entry.spec.title}**: {entry.spec.summary}" for entry in entries]
    actions: list[Action] = []
    for entry in entries:
        label = entry.spec.title if len(entries) > 1 else ""
        actions.append(
            Action(
                component_id("call", entry.spec.slug),
                f"Call now: {label}"[:80] if label else "Call now",
                Style.PRIMARY,
            )
        )
        actions.append(
            Action(
                component_id("pledge", entry.spec.slug),
                f"I'll call: {label}"[:80] if label else "I'll call",
            )
        )
    return Reply(
        text=f"{len(entries)} open campaign{'s' if len(entries) != 1 else ''}.",
        title="Campaigns",
        body=neutralize_mentions("\n".join(lines)),
        actions=tuple(actions),
    )
