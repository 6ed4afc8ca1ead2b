"""Organizers' action alerts and tallies: `/alert create | list | cancel [id] | preview
[campaign]` and `/tally [campaign]`.

`/alert create` opens a modal (campaign, channel, when, message). Its submission asks the core
for a preview (the schedule, the next posts, the post as members will see it) with "Schedule
it" and "Discard" buttons, shown privately in the channel the modal was opened from. `/tally`
posts the campaign's tally publicly, with its chart uploaded beside it.

The core decides who is an organizer: every request here carries whether the member
administers the workspace (users.info), like the clicks on alert buttons do (`components`).
"""

from __future__ import annotations

import json
import logging
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from callbot.alerts import service as alerts
from callbot.alerts.posts import MESSAGE_MAX
from callbot.alerts.schedules import WHEN_MAX
from callbot.core import Core
from callbot.errors import problem
from callbot.replies import OPEN_FORM_LABEL, Action, Actor, Reply, Style, component_id
from callbot.services.common import default_campaign
from callbot.services.communities import SetupValues
from callbot_slack.actors import actor_from, organizer_actor
from callbot_slack.commands import usage_of
from callbot_slack.render import (
    METADATA_MAX,
    campaign_option,
    channel_select,
    plain,
    submitted_element,
    truncate,
)
from callbot_slack.responder import Origin, Service, SlackResponder, read_metadata
from callbot_slack.setup import open_organizer_form

log = logging.getLogger(__name__)

CALLBACK_ID = "callbot-alert"
#: The button that opens the form when Slack's trigger_id was too old to open it at once.
OPEN_FORM = component_id("alert", "create")
#: What `/alert` and `/tally` take: their usage below and the manifest's hints both say it.
ALERT_SUBCOMMANDS = ("create", "list", "cancel [id]", "preview [campaign]")
ALERT_HINT = " | ".join(ALERT_SUBCOMMANDS)
TALLY_HINT = "[campaign]"
ALERT_USAGE = f"Usage: {usage_of('/alert', ALERT_SUBCOMMANDS)} (organizers only)."
TALLY_USAGE = f"Usage: /tally {TALLY_HINT} (organizers only): posts the tally here for everyone."
TOO_LATE = "Slack gave up waiting for the alert form. Press the button to open it."
WHEN_HINT = (
    "For example “tomorrow 18:00”, “daily 18:00”, “weekdays 9:30”, “mondays 6pm” or "
    "“cron 0 18 * * 1-5”, in the community's time zone."
)
#: What Slack sends as the name of a conversation that has none to show.
UNNAMED = frozenset({"", "privategroup", "directmessage"})


def channel_name_of(body: dict[str, Any]) -> str:
    """The name of the conversation a command or click came from ("" if Slack gave none)."""
    channel = body.get("channel")
    name = str(
        body.get("channel_name") or (channel.get("name") if isinstance(channel, dict) else "") or ""
    )
    return "" if name in UNNAMED else name


def alert_modal(
    core: Core,
    values: SetupValues,
    origin: Origin,
    channel_name: str = "",
) -> dict[str, Any]:
    """The alert form: the featured (or only) open campaign and the community's alert channel
    (else the one it was opened from) chosen already. Pure."""
    entries = core.campaigns.open_campaigns(core.clock())[:100]
    options = [campaign_option(entry) for entry in entries]
    blocks: list[dict[str, Any]] = []
    if options:  # none open: the core says so when the form comes back
        campaign: dict[str, Any] = {
            "type": "static_select",
            "action_id": "campaign",
            "placeholder": plain("Choose a campaign", 150),
            "options": options,
        }
        preset = default_campaign(entries, values.featured_campaign)
        if preset is not None:
            campaign["initial_option"] = options[entries.index(preset)]
        blocks.append(
            {
                "type": "input",
                "block_id": "campaign",
                "label": plain("Campaign", 2000),
                "element": campaign,
            }
        )
    current = values.alert_channel_id or (
        origin.channel_id if (origin.channel_id or "").startswith(("C", "G")) else None
    )
    blocks += [
        {
            "type": "input",
            "block_id": "channel",
            "label": plain("Post it in", 2000),
            "element": channel_select("channel", current, placeholder="Choose a channel"),
        },
        {
            "type": "input",
            "block_id": "when",
            "label": plain("When", 2000),
            "hint": plain(WHEN_HINT, 2000),
            "element": {
                "type": "plain_text_input",
                "action_id": "when",
                "placeholder": plain("daily 18:00", 150),
                "max_length": WHEN_MAX,
            },
        },
        {
            "type": "input",
            "block_id": "message",
            "optional": True,
            "label": plain("Your message (optional)", 2000),
            "hint": plain("Shown above the campaign's ask. **bold** and links work.", 2000),
            "element": {
                "type": "plain_text_input",
                "action_id": "message",
                "multiline": True,
                "max_length": MESSAGE_MAX,
            },
        },
    ]
    # The name of the channel it was opened from labels the preview when that is the one chosen.
    metadata = {**origin.modal_metadata(), "channel_name": channel_name}
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain("New action alert", 24),
        "submit": plain("Preview", 24),
        "close": plain("Cancel", 24),
        "private_metadata": truncate(json.dumps(metadata), METADATA_MAX),
        "blocks": blocks,
    }


def submitted_alert(view: dict[str, Any]) -> dict[str, Any]:
    """draft_alert's arguments from the alert modal's submitted view."""
    element = partial(submitted_element, view.get("state") or {})
    campaign = (element("campaign").get("selected_option") or {}).get("value")
    channel_id = str(element("channel").get("selected_conversation") or "")
    metadata = read_metadata(str(view.get("private_metadata") or ""))
    name = str(metadata.get("channel_name") or "")
    same_channel = bool(name) and channel_id == metadata.get("channel")
    return {
        "campaign": str(campaign) if campaign else None,
        "channel_id": channel_id,
        "when": str(element("when").get("value") or ""),
        "message": str(element("message").get("value") or ""),
        "channel_label": f"#{name}" if same_channel else "",
    }


async def open_alert_form(
    responder: SlackResponder, client: AsyncWebClient, body: dict[str, Any], origin: Origin
) -> None:
    """The alert modal for organizers (already acknowledged), a refusal for others, or a
    button that opens it when Slack's trigger_id has expired."""
    await open_organizer_form(
        responder,
        client,
        body,
        origin,
        lambda values: alert_modal(responder.core, values, origin, channel_name_of(body)),
        Reply(text=TOO_LATE, actions=(Action(OPEN_FORM, OPEN_FORM_LABEL, Style.PRIMARY),)),
        {"form": "alert"},
    )


def alert_command(core: Core, text: str) -> Service | None:
    """The service `/alert <text>` asks for (None for `create`, which opens the form)."""
    word, _, rest = text.strip().partition(" ")
    sub, rest = word.lower(), rest.strip()
    if sub == "create":
        return None
    if sub == "list" and not rest:
        return lambda actor: alerts.list_alerts(core, actor)
    if sub == "cancel" and " " not in rest:
        return lambda actor: alerts.cancel_alert(core, actor, rest or None)
    if sub == "preview" and " " not in rest:
        return lambda actor: alerts.preview_alert(core, actor, rest or None)
    return _usage


async def _usage(actor: Actor) -> Reply:
    return problem(ALERT_USAGE)


async def _tally_usage(actor: Actor) -> Reply:
    return problem(TALLY_USAGE)


def register(app: AsyncApp, responder: SlackResponder) -> None:
    """Listen for /alert, /tally, the alert form and the button that opens it."""
    core = responder.core

    async def answer(
        client: AsyncWebClient, body: dict[str, Any], service: Service, command: str
    ) -> None:
        # A usage hint needs no users.info lookup; everything else is the core's to allow.
        if service in (_usage, _tally_usage):
            actor = actor_from(body)
        else:
            actor = await organizer_actor(responder.admins, client, body)
        if actor is None:
            log.warning("%s without a workspace or member", command)
            return
        text = str(body.get("text") or "")[:100]
        await responder.answer(
            client,
            Origin.of_command(body),
            actor,
            service,
            reopen=None,
            context={"command": command, "text": text},
        )

    @app.command("/alert")
    async def on_alert(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        service = alert_command(core, str(body.get("text") or ""))
        if service is None:
            await open_alert_form(responder, client, body, Origin.of_command(body))
        else:
            await answer(client, body, service, "/alert")

    @app.command("/tally")
    async def on_tally(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        words = str(body.get("text") or "").split()
        if len(words) > 1:
            await answer(client, body, _tally_usage, "/tally")
            return
        campaign = words[0] if words else None

        async def tally(actor: Actor) -> Reply:
            return await alerts.post_tally_now(core, actor, campaign)

        await answer(client, body, tally, "/tally")

    @app.action(OPEN_FORM)
    async def on_open_form(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        await open_alert_form(responder, client, body, Origin.of_action(body, OPEN_FORM))

    @app.view(CALLBACK_ID)
    async def on_alert_form(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()  # closes the modal; the preview comes as a private message
        actor = await organizer_actor(responder.admins, client, body)
        if actor is None:
            return
        view = body.get("view") or {}

        async def draft(actor: Actor) -> Reply:
            return await alerts.draft_alert(core, actor, **submitted_alert(view))

        origin = Origin.of_submission(
            actor.community_id, actor.user_id, str(view.get("private_metadata") or "")
        )
        await responder.answer(client, origin, actor, draft, reopen=None, context={"form": "alert"})
