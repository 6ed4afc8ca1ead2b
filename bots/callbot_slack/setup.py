"""Organizer setup: `/callbot setup` opens a modal with the workspace's settings.

Organizers are the workspace's owners and admins (as users.info says) plus the members named
in the modal. The core decides, on opening and again on saving, so a member who reaches the
modal anyway gets a clear refusal and nothing changes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from callbot.core import Core
from callbot.errors import apology, problem
from callbot.replies import Actor, Reply
from callbot.services.communities import SetupValues, configure_community, setup_values
from callbot_slack.actors import PLATFORM, organizer_actor
from callbot_slack.render import campaign_option, channel_select, plain, submitted_element
from callbot_slack.responder import Origin, SlackResponder, open_modal

log = logging.getLogger(__name__)

CALLBACK_ID = "callbot-setup"
TOO_LATE = "Slack gave up waiting for the setup form. Type /callbot setup again."


def setup_modal(core: Core, values: SetupValues, metadata: dict[str, str]) -> dict[str, Any]:
    """The setup modal, filled in with the settings as they stand. Pure."""
    organizers: dict[str, Any] = {"type": "multi_users_select", "action_id": "organizers"}
    if values.organizer_user_ids:
        organizers["initial_users"] = list(values.organizer_user_ids)
    blocks: list[dict[str, Any]] = [
        {
            "type": "input",
            "block_id": "organizers",
            "optional": True,
            "label": plain("Organizers (besides workspace owners and admins)", 2000),
            "element": organizers,
        },
        {
            "type": "input",
            "block_id": "timezone",
            "label": plain("Time zone", 2000),
            "hint": plain("An IANA name such as America/Chicago: alerts and weeks use it.", 2000),
            "element": {
                "type": "plain_text_input",
                "action_id": "timezone",
                "initial_value": values.timezone,
                "max_length": 64,
            },
        },
    ]
    options = [campaign_option(entry) for entry in core.campaigns.all()[:100]]
    if options:
        featured: dict[str, Any] = {
            "type": "static_select",
            "action_id": "featured",
            "placeholder": plain("None: members choose", 150),
            "options": options,
        }
        current = next((o for o in options if o["value"] == values.featured_campaign), None)
        if current is not None:
            featured["initial_option"] = current
        blocks.append(
            {
                "type": "input",
                "block_id": "featured",
                "optional": True,
                "label": plain("Featured campaign (what /call and /pledge use)", 2000),
                "element": featured,
            }
        )
    blocks += [
        {
            "type": "input",
            "block_id": "alert_channel",
            "optional": True,
            "label": plain("Channel for action alerts and tallies", 2000),
            "element": channel_select("alert_channel", values.alert_channel_id),
        },
        {
            "type": "input",
            "block_id": "tally_time",
            "label": plain("Daily tally at", 2000),
            "hint": plain("A time like 18:00 or 6pm, in the time zone above.", 2000),
            "element": {
                "type": "plain_text_input",
                "action_id": "tally_time",
                "initial_value": values.tally_time,
                "max_length": 16,
            },
        },
    ]
    return {
        "type": "modal",
        "callback_id": CALLBACK_ID,
        "title": plain("callbot setup", 24),
        "submit": plain("Save", 24),
        "close": plain("Cancel", 24),
        "private_metadata": json.dumps(metadata),
        "blocks": blocks,
    }


def chosen_settings(state: dict[str, Any]) -> dict[str, Any]:
    """configure_community's arguments from the setup modal's submitted state."""
    element = partial(submitted_element, state)
    featured = element("featured").get("selected_option") or {}
    return {
        "organizer_user_ids": list(element("organizers").get("selected_users") or []),
        "timezone": str(element("timezone").get("value") or "").strip() or None,
        "featured_campaign": str(featured.get("value") or ""),
        "alert_channel_id": str(element("alert_channel").get("selected_conversation") or ""),
        "tally_time": str(element("tally_time").get("value") or "").strip() or None,
    }


async def open_organizer_form(
    responder: SlackResponder,
    client: AsyncWebClient,
    body: dict[str, Any],
    origin: Origin,
    form: Callable[[SetupValues], dict[str, Any]],
    too_late: Reply,
    context: dict[str, str],
) -> None:
    """An organizers' modal made by `form` from the community's settings (the request already
    acknowledged); the refusal for anyone else; `too_late` when Slack's trigger_id expired."""
    actor = await organizer_actor(responder.admins, client, body)
    if actor is None:
        return
    context = {"team": actor.community_id, "user": actor.user_id, **context}
    with responder.workload.tracking():
        try:
            values = await responder.workload.run(setup_values, responder.core, actor)
            if isinstance(values, Reply):
                answer = values  # the refusal
            elif await open_modal(client, origin.trigger_id, form(values)):
                return
            else:
                answer = too_late
        except Exception as exc:
            answer = apology(log, exc, platform=PLATFORM, **context)
        await responder.send(client, origin, answer, reopen=None, context=context)


async def open_setup(
    responder: SlackResponder, client: AsyncWebClient, body: dict[str, Any]
) -> None:
    """`/callbot setup`: the setup modal for organizers."""
    origin = Origin.of_command(body)
    await open_organizer_form(
        responder,
        client,
        body,
        origin,
        lambda values: setup_modal(responder.core, values, origin.modal_metadata()),
        problem(TOO_LATE),
        {"command": "/callbot setup"},
    )


def register(app: AsyncApp, responder: SlackResponder) -> None:
    """Listen for the setup modal's submission."""
    core = responder.core

    @app.view(CALLBACK_ID)
    async def on_setup(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        view = body.get("view") or {}
        actor = await organizer_actor(responder.admins, client, body)
        if actor is None:
            return
        settings = chosen_settings(view.get("state") or {})

        async def save(actor: Actor) -> Reply:
            return await configure_community(core, actor, **settings)

        origin = Origin.of_submission(
            actor.community_id, actor.user_id, str(view.get("private_metadata") or "")
        )
        await responder.answer(client, origin, actor, save, reopen=None, context={"view": "setup"})
