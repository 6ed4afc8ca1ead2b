"""Answer one Slack request: run the core service in turn, then send its reply where the
member will see it.

Every listener acknowledges first (bolt must `ack()` within 3 s, and drops the ack if the
listener raises right after: see platforms.md), then hands the work here. Nothing escapes:
a failure becomes a private apology with a reference id that is also in the log.

Where an answer goes depends on where the request came from (`Origin`): through the
request's response_url (slash commands, clicks on messages), replacing the private card
clicked when the answer carries the flow on; as a private message in the channel a form was
opened from; or, from the App Home, in the app's Messages tab. A form opens as a modal while
the request's trigger_id is fresh, and otherwise becomes a button that asks again. A public
answer's picture is uploaded into its channel; a private one shows the picture's alt text.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from callbot.core import Core
from callbot.errors import apology
from callbot.replies import Actor, Form, Reply, continues_card, form_as_button
from callbot.workload import Workload
from callbot_slack.actors import PLATFORM, Admins, team_id_of, user_id_of
from callbot_slack.images import upload_image
from callbot_slack.render import render_message, render_modal

log = logging.getLogger(__name__)

Service = Callable[[Actor], Awaitable[Reply]]

#: views.open refuses a trigger_id that is older than 3 s or was used already.
STALE_TRIGGER = frozenset({"expired_trigger_id", "exchanged_trigger_id", "invalid_trigger_id"})
#: chat.postEphemeral cannot reach the member there: answer in the app's Messages tab instead.
NO_EPHEMERAL = frozenset(
    {"channel_not_found", "not_in_channel", "is_archived", "user_not_in_channel"}
)
#: Seconds one request to Slack may take (slack_sdk's own default).
HTTP_TIMEOUT = 30


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a request came from, and so where its answer goes."""

    team_id: str
    user_id: str
    channel_id: str | None = None  # a conversation the member is in (none from the App Home)
    response_url: str | None = None
    trigger_id: str | None = None
    card: str | None = None  # the component clicked, when it is on a private card
    home: bool = False  # the request came from the App Home tab

    def modal_metadata(self) -> dict[str, str]:
        """What a modal opened from here must remember to answer its submission."""
        return {"channel": self.channel_id or "", "home": "1" if self.home else ""}

    @staticmethod
    def of_command(body: Mapping[str, Any]) -> Origin:
        """A slash command: answered through its response_url; forms open with its trigger."""
        return Origin(
            team_id=str(body.get("team_id") or ""),
            user_id=str(body.get("user_id") or ""),
            channel_id=str(body.get("channel_id") or "") or None,
            response_url=body.get("response_url") or None,
            trigger_id=body.get("trigger_id") or None,
        )

    @staticmethod
    def of_action(body: Mapping[str, Any], action_id: str) -> Origin:
        """A click on a message (answered through its response_url, replacing the card when
        it is private: ephemeral or in the app's Messages tab) or on the App Home (answered in
        the Messages tab)."""
        container = body.get("container") or {}
        channel = body.get("channel") or {}
        channel_id = str(container.get("channel_id") or channel.get("id") or "") or None
        home = container.get("type") == "view"
        private = bool(container.get("is_ephemeral")) or (channel_id or "").startswith("D")
        return Origin(
            team_id=team_id_of(body),
            user_id=user_id_of(body),
            channel_id=None if home else channel_id,
            response_url=None if home else body.get("response_url") or None,
            trigger_id=body.get("trigger_id") or None,
            card=action_id if private and not home else None,
            home=home,
        )

    @staticmethod
    def of_submission(team_id: str, user_id: str, private_metadata: str) -> Origin:
        """The origin a modal remembered (`modal_metadata`), for its submission's answer."""
        metadata = read_metadata(private_metadata)
        return Origin(
            team_id,
            user_id,
            channel_id=str(metadata.get("channel") or "") or None,
            home=bool(metadata.get("home")),
        )


def read_metadata(private_metadata: str) -> dict[str, Any]:
    """A modal's `private_metadata` (JSON that `Origin.modal_metadata` and the forms wrote):
    {} when it is empty or not an object."""
    try:
        metadata = json.loads(private_metadata or "{}")
    except ValueError:
        return {}
    return metadata if isinstance(metadata, dict) else {}


class SlackResponder:
    """Runs services for one Slack app's requests; holds the core and the app's one HTTP
    session (`session`): response_urls are answered through it, and every Web API client of
    the app shares it (`callbot_slack.app`), so requests reuse open connections instead of
    each opening its own. `close()` closes it, at shutdown."""

    def __init__(self, core: Core, *, workload: Workload | None = None) -> None:
        self.core = core
        self.workload = workload or Workload()
        self.admins = Admins()
        # slack_sdk gives the sessions it opens itself this timeout; the shared one keeps it.
        self.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=HTTP_TIMEOUT))

    async def close(self) -> None:
        await self.session.close()

    async def answer(
        self,
        client: AsyncWebClient,
        origin: Origin,
        actor: Actor,
        service: Service,
        *,
        reopen: str | None,
        context: Mapping[str, object],
    ) -> None:
        """Run `service` in turn and send its reply. Never raises."""
        full_context = {"team": origin.team_id, "user": origin.user_id, **context}
        with self.workload.tracking():
            try:
                reply = await self.workload.run(service, actor)
            except Exception as exc:
                reply = apology(log, exc, platform=PLATFORM, **full_context)
            await self.send(client, origin, reply, reopen=reopen, context=full_context)

    async def send(
        self,
        client: AsyncWebClient,
        origin: Origin,
        reply: Reply,
        *,
        reopen: str | None,
        context: Mapping[str, object],
    ) -> None:
        """Deliver `reply`; a failure to deliver is logged and apologised for once."""
        try:
            await self._deliver(client, origin, reply, reopen)
        except Exception as exc:
            sorry = apology(log, exc, platform=PLATFORM, stage="send", **context)
            try:
                await self._deliver(client, origin, sorry, None)
            except Exception:
                log.exception("could not send the apology either: %s", dict(context))

    async def _deliver(
        self, client: AsyncWebClient, origin: Origin, reply: Reply, reopen: str | None
    ) -> None:
        if reply.form is not None:
            if origin.trigger_id and await self._open_modal(client, origin, reply.form):
                return
            reply = form_as_button(reply, reopen)
        # Only a public answer in a channel can carry an uploaded file; elsewhere, the alt text.
        upload_into = origin.channel_id if origin.response_url and not reply.private else None
        message = render_message(reply, image_uploaded=upload_into is not None)
        if origin.response_url:
            replace = origin.card is not None and continues_card(origin.card, reply)
            webhook = AsyncWebhookClient(origin.response_url, session=self.session)
            response = await webhook.send_dict(
                {
                    **message,
                    "response_type": "ephemeral" if reply.private else "in_channel",
                    "replace_original": replace,
                }
            )
            if response.status_code != 200:
                raise RuntimeError(f"response_url answered {response.status_code}: {response.body}")
            if upload_into is not None and reply.image is not None:
                await upload_image(client, upload_into, reply.image)
            return
        if origin.channel_id and not origin.home:
            try:
                await client.chat_postEphemeral(
                    channel=origin.channel_id, user=origin.user_id, **message
                )
                return
            except SlackApiError as exc:
                if exc.response.get("error") not in NO_EPHEMERAL:
                    raise
        # The App Home, or a channel the bot cannot reach: the app's Messages tab is private.
        await client.chat_postMessage(channel=origin.user_id, **message)

    async def _open_modal(self, client: AsyncWebClient, origin: Origin, form: Form) -> bool:
        """Open the form as a modal; False if the trigger_id is too old (or used) for that."""
        view = render_modal(form, metadata=origin.modal_metadata())
        return await open_modal(client, origin.trigger_id, view)


async def open_modal(client: AsyncWebClient, trigger_id: str | None, view: dict[str, Any]) -> bool:
    """views.open; False when the trigger has expired or was used (the member clicked long
    ago, or a queue delayed us past Slack's 3 s), so the caller offers a button instead."""
    if not trigger_id:
        return False
    try:
        await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        if exc.response.get("error") in STALE_TRIGGER:
            log.info("trigger too old to open a form (%s)", exc.response.get("error"))
            return False
        raise
    return True
