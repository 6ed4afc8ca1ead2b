"""Serving the app: Socket Mode (one websocket to Slack), or HTTP mode (an aiohttp server
that any load balancer can put in front of several replicas: they share only the database)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

from callbot.adapters import StartupError
from callbot_slack.app import EVENTS_PATH, SlackApp


def http_application(slack: SlackApp) -> web.Application:
    """POST /slack/events (every command, click, submission and event, signature-checked by
    bolt), the OAuth install and redirect pages, and GET /healthz for the load balancer."""
    bolt = slack.bolt
    flow = bolt.oauth_flow
    workload = slack.responder.workload

    async def events(request: web.Request) -> web.Response:
        # Until bolt has the ack, no new service starts: under a burst the 3 s deadlines of
        # the requests waiting here come before the answers of those already acknowledged.
        with workload.acknowledging():
            response = await bolt.async_dispatch(await to_bolt_request(request))
        return await to_aiohttp_response(response)

    async def health(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post(EVENTS_PATH, events)
    app.router.add_get("/healthz", health)
    if flow is not None:

        async def install(request: web.Request) -> web.Response:
            bolt_request = await to_bolt_request(request)
            return await to_aiohttp_response(await flow.handle_installation(bolt_request))

        async def redirect(request: web.Request) -> web.Response:
            bolt_request = await to_bolt_request(request)
            return await to_aiohttp_response(await flow.handle_callback(bolt_request))

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
