"""Serving the app: Socket Mode (one websocket to Slack), or HTTP mode (an aiohttp server
that any load balancer can put in front of several replicas: they share only the database)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.context.async_context import AsyncBoltContext
from slack_bolt.request.async_internals import build_async_context
from slack_bolt.request.async_request import AsyncBoltRequest

from callbot.adapters import StartupError
from callbot_slack.app import EVENTS_PATH, SlackApp
from callbot_slack.oauth_states import InstallsBusy
from callbot_slack.requests import MAX_BODY_BYTES, Refused, parse_body, verify_signature

log = logging.getLogger(__name__)


def bolt_request(request: web.Request, raw: str = "", body: dict[str, Any] | None = None) -> Any:
    """The request as bolt takes it, with the body we read and checked (`raw`, `body`): bolt
    never parses a body itself (its parser crashes on some, and misreads a slash command
    whose text says "payload")."""
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers.setdefault(name.lower(), []).append(value)
    converted = AsyncBoltRequest(body="", query=request.query_string, headers=headers)  # type: ignore[arg-type]
    if body:
        converted.raw_body = raw
        converted.body = body
        converted.context = build_async_context(AsyncBoltContext({}), body)
    return converted


def refusal(request: web.Request, refused: Refused) -> web.Response:
    """Answer a client's mistake with its status and one warning line, never a traceback."""
    log.warning(
        "refused %s %s from %s: HTTP %d, %s",
        request.method,
        request.path,
        request.remote,
        refused.status,
        refused.reason,
    )
    return web.Response(status=refused.status, text=refused.reason)


async def read_signed(
    request: web.Request, signing_secret: str, clock: Callable[[], float] = time.time
) -> tuple[str, dict[str, Any]]:
    """The body of a request to /slack/events, as text and parsed, once its signature is
    verified on the raw bytes; Refused (401, 400 or 413) otherwise."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise Refused(413, f"body larger than {MAX_BODY_BYTES} bytes") from None
    verify_signature(signing_secret, request.headers, raw, clock())
    body = parse_body(raw, request.content_type, request.charset)
    return raw.decode("utf-8"), body


def http_application(slack: SlackApp) -> web.Application:
    """POST /slack/events (every command, click, submission and event, signature-checked by
    bolt), the OAuth install and redirect pages, and GET /healthz for the load balancer."""
    bolt = slack.bolt
    flow = bolt.oauth_flow
    workload = slack.responder.workload
    assert slack.settings.signing_secret is not None
    signing_secret = slack.settings.signing_secret.get_secret_value()

    async def events(request: web.Request) -> web.Response:
        try:
            raw, body = await read_signed(request, signing_secret)
        except Refused as refused:
            return refusal(request, refused)
        # Until bolt has the ack, no new service starts: under a burst the 3 s deadlines of
        # the requests waiting here come before the answers of those already acknowledged.
        with workload.acknowledging():
            response = await bolt.async_dispatch(bolt_request(request, raw, body))
        return await to_aiohttp_response(response)

    async def health(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_post(EVENTS_PATH, events)
    app.router.add_get("/healthz", health)
    if flow is not None:
        # Browsers GET these pages: whatever body one sends is never read.
        async def install(request: web.Request) -> web.Response:
            try:
                page = await flow.handle_installation(bolt_request(request))
            except InstallsBusy as busy:
                log.warning("install page not served: %s", busy)
                return web.Response(
                    status=503,
                    headers={"Retry-After": "300"},
                    text="Too many installs are in progress. Please try again in a few minutes.",
                )
            return await to_aiohttp_response(page)

        async def redirect(request: web.Request) -> web.Response:
            return await to_aiohttp_response(await flow.handle_callback(bolt_request(request)))

        app.router.add_get(flow.install_path, install)
        app.router.add_get(flow.redirect_uri_path, redirect)
    return app


@asynccontextmanager
async def serving_http(slack: SlackApp, host: str, port: int) -> AsyncIterator[str]:
    """Listen on host:port until the block ends; yields the base URL actually bound (port 0
    picks a free one)."""
    runner = web.AppRunner(http_application(slack), handle_signals=False, access_log=None)
    await runner.setup()
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            raise StartupError(
                f"cannot listen on {host}:{port} ({exc}); set SLACK_PORT to a free port"
            ) from None
        bound_host, bound_port = runner.addresses[0][:2]
        yield f"http://{bound_host}:{bound_port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def connected_socket_mode(slack: SlackApp) -> AsyncIterator[AsyncSocketModeHandler]:
    """A Socket Mode connection (apps.connections.open with the app token, through the same
    API URL as every other call) until the block ends."""
    assert slack.settings.app_token is not None
    handler = AsyncSocketModeHandler(
        slack.bolt, slack.settings.app_token.get_secret_value(), web_client=slack.bolt.client
    )
    try:
        await handler.connect_async()  # type: ignore[no-untyped-call]  # bolt leaves it untyped
        yield handler
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


async def forever() -> None:
    await asyncio.Event().wait()
