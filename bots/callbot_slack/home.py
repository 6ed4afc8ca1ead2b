"""The App Home tab: the member's stats, the open campaigns with Call now and I'll call
buttons, and the community's leaderboard, published whenever the member opens it."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from callbot import services
from callbot.core import Core
from callbot.errors import apology
from callbot.replies import Actor, Reply
from callbot_slack.actors import PLATFORM, actor_from
from callbot_slack.render import render_home
from callbot_slack.responder import SlackResponder

log = logging.getLogger(__name__)


async def home_sections(core: Core, actor: Actor) -> list[Reply]:
    """What the Home tab shows, in order."""
    return [
        await services.my_stats(core, actor),
        services.open_campaigns(core, actor),
        await services.leaderboard(core, actor),
    ]


async def publish_home(responder: SlackResponder, client: AsyncWebClient, actor: Actor) -> None:
    """Build the member's Home tab and publish it. Never raises: a failure shows an apology
    there instead, and is logged."""
    context = {"team": actor.community_id, "user": actor.user_id, "home": True}
    with responder.workload.tracking():
        try:
            sections = await responder.workload.run(home_sections, responder.core, actor)
        except Exception as exc:
            sections = [apology(log, exc, platform=PLATFORM, **context)]
        try:
            await client.views_publish(user_id=actor.user_id, view=render_home(sections))
        except Exception:
            log.exception("could not publish the Home tab: %s", context)


def register(app: AsyncApp, responder: SlackResponder) -> None:
    """Publish the Home tab when a member opens it."""

    @app.event("app_home_opened")
    async def on_home_opened(
        body: dict[str, Any], event: dict[str, Any], client: AsyncWebClient
    ) -> None:
        if event.get("tab") != "home":
            return  # the Messages tab needs nothing from us
        actor = actor_from(body)
        if actor is not None:
            await publish_home(responder, client, actor)
