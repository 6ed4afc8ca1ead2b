"""Pictures (`Reply.image`, such as the tally's chart): Slack shows a PNG only as an uploaded
file, so it goes up with files_upload_v2 (files.getUploadURLExternal, the bytes, then
files.completeUploadExternal) into the channel, or the thread, of the message it belongs to.

A picture is an extra: a failed upload is logged and the message it belongs to stands.
"""

from __future__ import annotations

import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from callbot.replies import Image
from callbot.safety import neutralize_mentions
from callbot_slack.render import truncate

log = logging.getLogger(__name__)

TITLE_MAX = 250
ALT_TEXT_MAX = 1000  # files.getUploadURLExternal refuses more (alt_txt_too_large)


async def upload_image(
    client: AsyncWebClient, channel_id: str, image: Image, *, thread_ts: str | None = None
) -> bool:
    """Share `image` in the channel (under the message `thread_ts`, if given), titled and
    described by its alt text. Never raises: False (and a log line) when it did not go up."""
    words = neutralize_mentions(image.alt)
    try:
        await client.files_upload_v2(
            channel=channel_id,
            thread_ts=thread_ts,
            file=image.data,
            filename=image.filename,
            title=truncate(words, TITLE_MAX),
            alt_txt=truncate(words, ALT_TEXT_MAX),
        )
    except SlackApiError as exc:
        log.warning(
            "could not upload %s to %s: %s", image.filename, channel_id, exc.response.get("error")
        )
        return False
    except Exception:  # the network, or the upload URL refusing the bytes
        log.exception("could not upload %s to %s", image.filename, channel_id)
        return False
    return True
