"""What Slack POSTs to /slack/events, read before bolt sees it.

The signature is checked on the raw bytes before anything is parsed: an unsigned, forged or
stale request is refused with 401 and nothing of it is read. A signed request must then be
what Slack sends: UTF-8, form fields (slash commands), `payload=<JSON>` (interactions) or JSON
(events), nested at most `MAX_JSON_DEPTH` deep, with every field that bolt or our listeners
read of the type Slack gives it (`ENVELOPE`); anything else is refused with 400. Either way the
client's mistake is one warning line in the log, never a traceback.

bolt (1.30) would otherwise parse first and crash on much of this: `int()` of the timestamp
header, `json.loads` of any body that merely contains "payload", a charset aiohttp cannot
decode, and a string where it expects an object (`"team": []`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

MAX_BODY_BYTES = 1024 * 1024  # Slack's largest payloads (a modal's state) are tens of KB
MAX_JSON_DEPTH = 40  # Slack's own payloads nest about 10 deep
MAX_FORM_FIELDS = 200
SIGNATURE_MAX_AGE = 5 * 60  # seconds, as Slack asks
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_CHARSETS = {"utf-8", "utf8", "us-ascii", "ascii"}


class Refused(Exception):
    """A request we do not serve: the HTTP status to answer and why, in a few words."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def verify_signature(
    signing_secret: str, headers: Mapping[str, str], body: bytes, now: float
) -> None:
    """Refused(401) unless `body` carries Slack's signature, made less than five minutes ago:
    `v0=hex(hmac_sha256(secret, "v0:{timestamp}:" + body))` over the bytes as received."""
    timestamp = headers.get(TIMESTAMP_HEADER)
    signature = headers.get(SIGNATURE_HEADER)
    if not timestamp or not signature:
        raise Refused(401, f"unsigned ({SIGNATURE_HEADER} or {TIMESTAMP_HEADER} missing)")
    if not _TIMESTAMP.fullmatch(timestamp):
        raise Refused(401, f"{TIMESTAMP_HEADER} is not a Unix time")
    age = now - int(timestamp)
    if abs(age) > SIGNATURE_MAX_AGE:
        raise Refused(401, f"stale signature ({int(age)} s old)")
    signed = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(signing_secret.encode(), signed, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "backslashreplace")):
        raise Refused(401, "bad signature")


def parse_body(body: bytes, content_type: str, charset: str | None) -> dict[str, Any]:
    """The signed body as bolt would read it, or Refused(400) saying what is wrong with it."""
    if charset is not None and charset.lower() not in _CHARSETS:
        raise Refused(400, f"charset {charset[:40]!r} is not UTF-8")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(400, f"body is not UTF-8 (byte {exc.start})") from None
    if content_type == "application/json":
        data = _json(text, "body")
    elif content_type == "application/x-www-form-urlencoded":
        try:
            fields = parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS)
        except ValueError:
            raise Refused(400, f"more than {MAX_FORM_FIELDS} form fields") from None
        form = dict(fields)
        data = _json(form["payload"], "payload") if "payload" in form else form
    else:
        raise Refused(400, f"Content-Type {content_type[:60]!r} is not one Slack sends")
    if not isinstance(data, dict):
        raise Refused(400, "the JSON is not an object")
    if not any(key in data for key in ("command", "type", "ssl_check")):
        raise Refused(400, "neither a slash command nor an interaction or event")
    problem = ENVELOPE.problem(data, "")
    if problem:
        raise Refused(400, problem)
    return data


def _json(text: str, what: str) -> Any:
    try:
        data = json.loads(text)
    except RecursionError:
        raise Refused(400, f"{what} is nested more than {MAX_JSON_DEPTH} deep") from None
    except ValueError as exc:  # JSONDecodeError, and integers longer than Python reads
        raise Refused(400, f"{what} is not JSON ({str(exc)[:60]})") from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise Refused(400, f"{what} is nested more than {MAX_JSON_DEPTH} deep")
    return data


def _depth(data: Any) -> int:
    """How deep lists and objects nest in `data` (a scalar is 0), without recursing."""
    deepest = 0
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, dict):
            children = list(value.values())
        elif isinstance(value, list):
            children = value
        else:
            continue
        deepest = max(deepest, depth)
        if depth <= MAX_JSON_DEPTH:
            pending.extend((child, depth + 1) for child in children)
    return deepest


# -- the fields bolt and our listeners read, with the JSON types Slack gives them ---------------

_NULL = type(None)


@dataclass(frozen=True)
class Shape:
    """What one JSON value may be: its `kinds`, and for an object the shapes of its known
    `fields` (others are free), or for a list, or an object with free keys, the shape of
    `each` item. `nonempty`: a list with at least one item (bolt reads the first)."""

    kinds: tuple[type, ...]
    fields: Mapping[str, Shape] = field(default_factory=dict)
    each: Shape | None = None
    nonempty: bool = False
    required: tuple[str, ...] = ()  # keys an object must have
    pattern: re.Pattern[str] | None = None  # what a text must look like
    looks_like: str = ""  # the pattern in words

    def problem(self, value: Any, path: str) -> str:
        """The first thing wrong in `value` (at `path`), in words; "" when it fits."""
        where = path or "body"
        # JSON true is a Python int too: it fits only where true or false is expected.
        fits = bool in self.kinds if isinstance(value, bool) else isinstance(value, self.kinds)
        if not fits:
            return f"{where} is not {_kind_names(self.kinds)}"
        if isinstance(value, str) and self.pattern and not self.pattern.fullmatch(value):
            return f"{where} is not {self.looks_like}"
        if isinstance(value, dict):
            missing = [key for key in self.required if key not in value]
            if missing:
                return f"{where} has no {missing[0]}"
            for key, shape in self.fields.items():
                if key in value:
                    found = shape.problem(value[key], f"{path}.{key}" if path else key)
                    if found:
                        return found
            if self.each is not None:
                for key, item in value.items():
                    found = self.each.problem(item, f"{path}.{key}" if path else str(key))
                    if found:
                        return found
        elif isinstance(value, list):
            if self.nonempty and not value:
                return f"{path} is empty"
            if self.each is not None:
                for index, item in enumerate(value):
                    found = self.each.problem(item, f"{path}[{index}]")
                    if found:
                        return found
        return ""


def _kind_names(kinds: tuple[type, ...]) -> str:
    names = {str: "text", dict: "an object", list: "a list", bool: "true or false", _NULL: "null"}
    return " or ".join(names.get(kind, kind.__name__) for kind in kinds)


def _text(nullable: bool = True) -> Shape:
    return Shape((str, _NULL) if nullable else (str,))


TEXT = _text()
FLAG = Shape((bool, str, _NULL))  # Slack sends "true"/"false" in forms, true/false in JSON
# Slack's ids (T..., U..., W..., C..., D..., E..., A...): they go into API calls and URLs.
ID = Shape((str, _NULL), pattern=re.compile(r"[A-Z0-9]{0,40}"), looks_like="a Slack id")
URL = Shape((str, _NULL), pattern=re.compile(r"https?://[^\s<>]{1,2000}"), looks_like="a URL")
# `team`, `user`, `channel`, `enterprise`: an id, or an object with one.
NAMED = Shape(
    (str, dict, _NULL),
    {
        **{key: ID for key in ("id", "team_id", "enterprise_id")},
        **{key: TEXT for key in ("name", "username", "domain")},
    },
    pattern=ID.pattern,
    looks_like=ID.looks_like,
)
OPTION = Shape((dict, _NULL), {"value": TEXT, "text": Shape((dict, _NULL), {"text": TEXT})})
TEXTS = Shape((list, _NULL), each=_text(nullable=False))
OPTIONS = Shape((list, _NULL), each=OPTION)
ELEMENT = Shape(
    (dict,),
    {
        "type": TEXT,
        "value": TEXT,
        "selected_option": OPTION,
        "selected_options": OPTIONS,
        "selected_conversation": TEXT,
        "selected_channel": TEXT,
        "selected_user": TEXT,
        "selected_users": TEXTS,
        "selected_conversations": TEXTS,
        "selected_channels": TEXTS,
    },
)
ACTION = Shape(
    (dict,),
    {
        **{key: TEXT for key in ("action_id", "block_id", "value", "type", "action_ts")},
        "selected_option": OPTION,
        "selected_options": OPTIONS,
        "selected_conversation": ID,
        "selected_user": ID,
    },
    required=("action_id",),
)
VIEW = Shape(
    (dict,),
    {
        **{key: TEXT for key in ("type", "callback_id", "private_metadata", "hash", "external_id")},
        **{
            key: ID
            for key in (
                "id",
                "team_id",
                "app_installed_team_id",
                "root_view_id",
                "previous_view_id",
            )
        },
        "state": Shape(
            (dict, _NULL), {"values": Shape((dict, _NULL), each=Shape((dict,), each=ELEMENT))}
        ),
    },
)
# The ids bolt's context extraction looks for, at the top and in every object it descends into.
_IDS: dict[str, Shape] = {
    "type": TEXT,
    "team": NAMED,
    "user": NAMED,
    "channel": NAMED,
    "enterprise": NAMED,
    "is_enterprise_install": FLAG,
    "is_ext_shared_channel": FLAG,
    **{
        key: ID
        for key in (
            "team_id",
            "user_id",
            "channel_id",
            "enterprise_id",
            "user_team",
            "context_team_id",
            "context_enterprise_id",
            "bot_id",
        )
    },
    **{
        key: TEXT
        for key in (
            "thread_ts",
            "function_execution_id",
            "bot_access_token",
            "ts",
            "tab",
            "subtype",
            "channel_type",
        )
    },
}
NESTED = Shape((dict, _NULL), _IDS)
EVENT = Shape(
    (dict,),
    {
        **_IDS,
        "message": NESTED,
        "previous_message": NESTED,
        "item": NESTED,
        "assistant_thread": NESTED,
        "view": VIEW,
    },
)
ENVELOPE = Shape(
    (dict,),
    {
        **_IDS,
        **{
            key: TEXT
            for key in (
                "command",
                "text",
                "trigger_id",
                "api_app_id",
                "token",
                "callback_id",
                "action_id",
                "challenge",
                "user_name",
                "team_domain",
                "channel_name",
                "action_ts",
            )
        },
        "response_url": URL,
        "authorizations": Shape((list, _NULL), each=Shape((dict,), _IDS)),
        "response_urls": Shape((list,), each=Shape((dict,), {"response_url": URL})),
        "actions": Shape((list,), each=ACTION, nonempty=True),
        "container": Shape(
            (dict, _NULL),
            {
                **{key: TEXT for key in ("type", "message_ts")},
                **{key: ID for key in ("channel_id", "view_id")},
                "is_ephemeral": FLAG,
            },
        ),
        "view": VIEW,
        "event": EVENT,
        "message": NESTED,
        "function_data": Shape((dict, _NULL)),
    },
)
