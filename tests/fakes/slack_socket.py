"""Socket Mode: the websocket an app opens with the URL apps.connections.open gave it.

The fake greets each connection with {"type": "hello", ...}, pushes the workspace's
envelopes {envelope_id, payload, type, accepts_response_payload} to its newest open
connection, and reads acks {envelope_id, payload?}. Tickets are single-use. An ack for an
unknown envelope, a second ack, or a message that is not an ack are recorded as violations;
a late ack (after the deadline) is ignored, as Slack ignores it.
`disconnect_all` sends {"type": "disconnect", "reason": ...} and waits for the app to
reconnect, as Slack's periodic connection refreshes demand."""

# Waits are bounded by `timeout` arguments (asyncio.timeout inside).
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from fakes.slack_world import FakeAction, FakeSlackError, FakeWorkspace

if TYPE_CHECKING:
    from fakes.slack_fake import FakeSlack


@dataclass(eq=False)
class Connection:
    """One open Socket Mode websocket of one workspace's app."""

    number: int
    workspace: FakeWorkspace
    ws: web.WebSocketResponse
    opened: float
    closed: bool = False


class SocketServer:
    """Serves /socket-mode for one FakeSlack."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.tickets: dict[str, FakeWorkspace] = {}
        self.connections: list[Connection] = []
        self.pending: dict[str, FakeAction] = {}
        self.received: list[Any] = []  # every message the apps sent, parsed

    def issue_url(self, workspace: FakeWorkspace) -> str:
        """A single-use websocket URL for the workspace's app."""
        ticket = str(uuid.uuid4())
        self.tickets[ticket] = workspace
        return f"{self.fake.ws_base_url}/socket-mode?ticket={ticket}&app_id={self.fake.app_id}"

    def live(self, workspace: FakeWorkspace) -> list[Connection]:
        """The workspace's open connections, oldest first."""
        return [
            c
            for c in self.connections
            if c.workspace is workspace and not c.closed and not c.ws.closed
        ]

    def opened(self, workspace: FakeWorkspace) -> int:
        """How many connections the workspace's app ever opened."""
        return sum(1 for c in self.connections if c.workspace is workspace)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """GET /socket-mode?ticket=...: the websocket."""
        fake = self.fake
        workspace = self.tickets.pop(request.query.get("ticket", ""), None)
        if workspace is None:
            return web.Response(status=401, text="invalid or used ticket")
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        connection = Connection(len(self.connections) + 1, workspace, ws, fake.loop_time())
        self.connections.append(connection)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self.live(workspace)),
                "debug_info": {
                    "host": f"applink-fake-{connection.number}",
                    "build_number": 1,
                    "approximate_connection_time": 18060,
                },
                "connection_info": {"app_id": fake.app_id},
            }
        )
        fake.state.fire()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._receive(connection, message.data)
                elif message.type == WSMsgType.ERROR:
                    break
        finally:
            connection.closed = True
            fake.state.fire()
        return ws

    def _receive(self, connection: Connection, data: str) -> None:
        fake = self.fake
        try:
            parsed = json.loads(data)
        except json.JSONDecodeError:
            fake.error(f"socket mode: a message that is not JSON: {data[:100]!r}")
            return
        self.received.append(parsed)
        fake.state.fire()
        if not isinstance(parsed, dict) or not isinstance(parsed.get("envelope_id"), str):
            fake.error(f"socket mode: a message that is not an ack: {data[:100]!r}")
            return
        action = self.pending.get(parsed["envelope_id"])
        if action is None:
            fake.error(f"socket mode: ack for an unknown envelope {parsed['envelope_id']}")
            return
        if action.expired:
            return  # Slack already gave up on it; the member saw an error
        if action.acked.is_set():
            fake.error(f"{action.label}: acknowledged twice")
            return
        payload = parsed.get("payload")
        if payload is not None and not isinstance(payload, dict):
            fake.error(f"{action.label}: ack payload is not an object: {payload!r}")
            payload = None
        fake.acknowledge(action, status=200, body=payload)

    async def send(self, action: FakeAction, envelope: dict[str, Any]) -> bool:
        """Push an envelope to the workspace's newest open connection; False if none."""
        live = self.live(action.workspace)
        if not live:
            return False
        action.envelope_id = envelope["envelope_id"]
        self.pending[envelope["envelope_id"]] = action
        await live[-1].ws.send_json(envelope)
        return True

    async def disconnect_all(self, reason: str, timeout: float) -> None:
        """Ask every connected app to reconnect; wait until each has a new connection."""
        fake = self.fake
        connected = {c.workspace for c in self.connections if not c.closed and not c.ws.closed}
        if not connected:
            raise FakeSlackError("no Socket Mode connection to disconnect")
        before = {w: self.opened(w) for w in connected}
        old = [c for c in self.connections if not c.closed]
        for connection in old:
            await connection.ws.send_json(
                {
                    "type": "disconnect",
                    "reason": reason,
                    "debug_info": {"host": f"applink-fake-{connection.number}"},
                }
            )

        def reconnected() -> bool:
            return all(
                self.opened(w) > before[w] and any(c not in old for c in self.live(w))
                for w in connected
            )

        await fake.state.wait_until(reconnected, timeout, "the apps to reconnect")
        # Slack closes the refreshed connections soon after; close any the app kept.
        for connection in old:
            if not connection.ws.closed:
                await connection.ws.close(code=1001, message=b"refreshed")

    async def close_all(self) -> None:
        """Close every connection (the fake is stopping)."""
        for connection in self.connections:
            if not connection.ws.closed:
                await asyncio.wait_for(connection.ws.close(code=1001), timeout=2)
