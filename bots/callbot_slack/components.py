"""Buttons, selects and forms: every `action_id` and modal `callback_id` the adapter sends is a
core component id, so any click or submission, however old, goes to
`callbot.services.handle_component` with the state it carries.

Clicks on organizer components (alerts, posting the tally) carry whether the member
administers the workspace (users.info, remembered a few minutes), so that the core can decide;
members' clicks skip that lookup.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from callbot import services
from callbot.replies import Actor, Reply, with_choice
from callbot.services.dispatch import needs_organizer
from callbot_slack.actors import actor_from
from callbot_slack.alerts import CALLBACK_ID as ALERT_CALLBACK_ID
from callbot_slack.home import publish_home
from callbot_slack.render import submitted_values
from callbot_slack.responder import Origin, SlackResponder
from callbot_slack.setup import CALLBACK_ID as SETUP_CALLBACK_ID

ANY = re.compile(r".+")
INTERACTION_ID_MAX = 100
#: Modals with a listener of their own.
OWN_FORMS = (SETUP_CALLBACK_ID, ALERT_CALLBACK_ID)


def chosen(action: dict[str, Any]) -> str | None:
    """The value picked in a select (None for a button)."""
    option = action.get("selected_option")
    return str(option.get("value")) if isinstance(option, dict) and option.get("value") else None


def register(app: AsyncApp, responder: SlackResponder) -> None:
    """Listen for every click and every form submission (the setup form has its own)."""
    core = responder.core

    @app.action(ANY)
    async def on_action(
        ack: Any, body: dict[str, Any], action: dict[str, Any], client: AsyncWebClient
    ) -> None:
        await ack()
        actor = actor_from(body)
        if actor is None:
            return
        action_id = str(action.get("action_id") or "")
        if needs_organizer(action_id):
            is_admin = await responder.admins.check(client, actor.community_id, actor.user_id)
            actor = replace(actor, is_admin=is_admin)
        choice = chosen(action)
        # Unique per click (a retry of the same click records nothing twice).
        interaction_id = f"{actor.user_id}:{action.get('action_ts') or body.get('trigger_id')}"

        async def service(actor: Actor) -> Reply:
            return await services.handle_component(
                core,
                actor,
                action_id,
                interaction_id=interaction_id[:INTERACTION_ID_MAX],
                choice=choice,
            )

        origin = Origin.of_action(body, action_id)
        await responder.answer(
            client,
            origin,
            actor,
            service,
            reopen=with_choice(action_id, choice),
            context={"component": action_id, "choice": choice},
        )
        if origin.home:
            await publish_home(responder, client, actor)  # counts shown there may have moved

    own_forms = "|".join(re.escape(form) for form in OWN_FORMS)

    @app.view(re.compile(rf"^(?!(?:{own_forms})$).+"))
    async def on_submission(ack: Any, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()  # closes the modal; the answer comes as a message
        actor = actor_from(body)
        if actor is None:
            return
        view = body.get("view") or {}
        form_id = str(view.get("callback_id") or "")
        values = submitted_values(view.get("state") or {})

        async def service(actor: Actor) -> Reply:
            return await services.handle_component(
                core, actor, form_id, interaction_id=str(view.get("id") or ""), values=values
            )

        origin = Origin.of_submission(
            actor.community_id, actor.user_id, str(view.get("private_metadata") or "")
        )
        await responder.answer(
            client,
            origin,
            actor,
            service,
            reopen=None,
            context={"form": form_id, "fields": sorted(values)},
        )
