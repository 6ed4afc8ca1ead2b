"""Who is asking: an `Actor` from a Slack request, and whether they own or administer the
workspace (organizers are owners and admins plus the users they add)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from callbot.replies import Actor
from callbot.safety import clean_text, neutralize_mentions

log = logging.getLogger(__name__)

PLATFORM = "slack"
NAME_MAX = 100
ADMIN_TTL = 300.0  # seconds a users.info answer is trusted: roles rarely change
ADMIN_CACHE_MAX = 10_000


def _text(value: object) -> str:
    return neutralize_mentions(clean_text(str(value or ""), NAME_MAX))


def team_id_of(body: Mapping[str, Any]) -> str:
    """The workspace a request belongs to ("" when it names none)."""
    team = body.get("team")
    user = body.get("user")
    return str(
        body.get("team_id")
        or (team.get("id") if isinstance(team, Mapping) else "")
        or (user.get("team_id") if isinstance(user, Mapping) else "")
        or ""
    )


def user_id_of(body: Mapping[str, Any]) -> str:
    """The member a request is from ("" when it names none)."""
    user = body.get("user")
    event = body.get("event")
    return str(
        body.get("user_id")
        or (user.get("id") if isinstance(user, Mapping) else "")
        or (event.get("user") if isinstance(event, Mapping) else "")
        or ""
    )


def actor_from(body: Mapping[str, Any], *, is_admin: bool = False) -> Actor | None:
    """The member and workspace behind a slash command, interaction or event payload; None
    when the payload names no workspace or member (nothing to answer)."""
    team_id, user_id = team_id_of(body), user_id_of(body)
    if not team_id or not user_id:
        return None
    user = body.get("user") if isinstance(body.get("user"), Mapping) else {}
    team = body.get("team") if isinstance(body.get("team"), Mapping) else {}
    assert isinstance(user, Mapping) and isinstance(team, Mapping)
    return Actor(
        platform=PLATFORM,
        community_id=team_id,
        user_id=user_id,
        display_name=_text(body.get("user_name") or user.get("name") or user.get("username")),
        community_name=_text(body.get("team_domain") or team.get("domain")),
        is_admin=is_admin,
    )


class Admins:
    """Whether a member owns or administers their workspace, from users.info, remembered for
    a few minutes so that an organizer's burst of commands costs one lookup."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._known: dict[tuple[str, str], tuple[float, bool]] = {}

    async def check(self, client: AsyncWebClient, team_id: str, user_id: str) -> bool:
        key = (team_id, user_id)
        now = self._clock()
        known = self._known.get(key)
        if known is not None and now - known[0] < ADMIN_TTL:
            return known[1]
        try:
            response = await client.users_info(user=user_id)
        except SlackApiError as exc:
            # Not knowing means not an admin: the member can still use everything else.
            log.warning(
                "users.info failed for %s/%s: %s", team_id, user_id, exc.response.get("error")
            )
            return False
        except Exception:  # a network failure: same answer, and the listener must not raise
            log.exception("users.info failed for %s/%s", team_id, user_id)
            return False
        user = response.get("user") or {}
        admin = bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))
        if len(self._known) >= ADMIN_CACHE_MAX:
            self._known.clear()
        self._known[key] = (now, admin)
        return admin


async def organizer_actor(
    admins: Admins, client: AsyncWebClient, body: Mapping[str, Any]
) -> Actor | None:
    """`actor_from` with whether the member administers the workspace, for what only
    organizers may do (the core decides from it and the community's organizer list)."""
    team_id, user_id = team_id_of(body), user_id_of(body)
    if not team_id or not user_id:
        return None
    return actor_from(body, is_admin=await admins.check(client, team_id, user_id))
