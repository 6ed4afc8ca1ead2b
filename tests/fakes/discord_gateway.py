"""The fake's gateway: the websocket discord.py keeps open for events.

HELLO -> (client heartbeats, IDENTIFY) -> READY -> GUILD_CREATE per guild of the shard, then
dispatches. Sessions outlive connections: every dispatch is numbered and kept, so a client
that RESUMEs gets what it missed, then RESUMED. Frames are plain text (discord.py asks for
zlib-stream but only inflates binary frames). Each connection has one writer task, so
frames leave in the order they were dispatched."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from fakes.discord_payloads import (
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILDS,
    shard_of,
)

if TYPE_CHECKING:
    from fakes.discord_fake import FakeDiscord

HEARTBEAT_INTERVAL_MS = 41_250
REPLAY_LIMIT = 10_000

# Which intent a client needs to receive an event (events not listed always go out).
EVENT_INTENTS = {
    "MESSAGE_CREATE": INTENT_GUILD_MESSAGES,
    "MESSAGE_UPDATE": INTENT_GUILD_MESSAGES,
    "MESSAGE_DELETE": INTENT_GUILD_MESSAGES,
    "GUILD_MEMBER_ADD": INTENT_GUILD_MEMBERS,
    "CHANNEL_CREATE": INTENT_GUILDS,
    "GUILD_ROLE_CREATE": INTENT_GUILDS,
}

# Gateway opcodes.
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE_UPDATE, VOICE_STATE_UPDATE = 0, 1, 2, 3, 4
RESUME, RECONNECT, REQUEST_GUILD_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 6, 7, 8, 9, 10, 11


@dataclass(frozen=True)
class _Close:
    code: int


class GatewayConnection:
    """One websocket. Frames are queued and written by a single task, in order."""

    def __init__(self, ws: web.WebSocketResponse, loop: asyncio.AbstractEventLoop) -> None:
        self.ws = ws
        self.session: GatewaySession | None = None
        self._queue: asyncio.Queue[str | _Close] = asyncio.Queue()
        self._closing = False
        self._writer = loop.create_task(self._write(), name="fake-discord-gateway-writer")

    def send(self, frame: str) -> None:
        """Queue a frame."""
        self._queue.put_nowait(frame)

    def send_op(self, op: int, data: Any) -> None:
        """Queue a non-dispatch frame."""
        self.send(json.dumps({"op": op, "d": data, "s": None, "t": None}))

    async def close(self, code: int) -> None:
        """Send what is queued, then close with `code`."""
        if self.session is not None and self.session.connection is self:
            self.session.connection = None
        self._closing = True
        self._queue.put_nowait(_Close(code))
        await self._writer

    def abort(self) -> None:
        """Stop writing (the socket is gone). A close in progress finishes by itself: the
        client's close reply is what ends the handler that calls this."""
        if self.session is not None and self.session.connection is self:
            self.session.connection = None
        if not self._closing:
            self._writer.cancel()

    async def _write(self) -> None:
        while True:
            item = await self._queue.get()
            if isinstance(item, _Close):
                if not self.ws.closed:
                    await self.ws.close(code=item.code)
                return
            if self.ws.closed:
                return
            try:
                await self.ws.send_str(item)
            except (ConnectionResetError, RuntimeError):
                return


class GatewaySession:
    """What IDENTIFY creates and RESUME continues: a shard, its intents and its events."""

    def __init__(self, shard_id: int, shard_count: int, intents: int) -> None:
        self.session_id = secrets.token_hex(16)
        self.shard_id = shard_id
        self.shard_count = shard_count
        self.intents = intents
        self.seq = 0
        self.sent: deque[tuple[int, str]] = deque(maxlen=REPLAY_LIMIT)
        self.connection: GatewayConnection | None = None
        self.invalid = False
        self.ready_sent = False

    def dispatch(self, event: str, data: Any) -> None:
        """Number the event, keep it for RESUME, and send it if connected."""
        self.seq += 1
        frame = json.dumps({"op": DISPATCH, "t": event, "s": self.seq, "d": data})
        self.sent.append((self.seq, frame))
        if self.connection is not None:
            self.connection.send(frame)

    def replay_after(self, seq: int) -> list[str] | None:
        """Frames after `seq`, or None when some of them were already forgotten."""
        if self.sent and seq < self.sent[0][0] - 1:
            return None
        return [frame for number, frame in self.sent if number > seq]


class Gateway:
    """Sessions, connections and the websocket handler."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: list[GatewayConnection] = []
        self.identifies: list[dict[str, Any]] = []
        self.presence_updates: list[dict[str, Any]] = []
        self.queries: list[dict[str, str]] = []
        self.sessions_created = 0
        self.resumes = 0
        self.heartbeats = 0

    # -- routing events -------------------------------------------------------------------

    def live_sessions(self) -> list[GatewaySession]:
        """Sessions a client may still use (connected or resumable), newest last."""
        return [s for s in self.sessions.values() if not s.invalid and s.ready_sent]

    def session_for_guild(self, guild_id: int | None) -> GatewaySession | None:
        """The newest live session whose shard receives this guild's events."""
        for session in reversed(self.live_sessions()):
            shard = 0 if guild_id is None else shard_of(guild_id, session.shard_count)
            if session.shard_id == shard:
                return session
        return None

    def dispatch_guild(self, guild_id: int | None, event: str, data: Any) -> None:
        """Send a guild's event to the shard that owns the guild, if the client asked for it."""
        session = self.session_for_guild(guild_id)
        if session is None:
            return
        intent = EVENT_INTENTS.get(event)
        if intent is not None and not session.intents & intent:
            return
        if event == "GUILD_CREATE" and not session.intents & INTENT_GUILD_MEMBERS:
            data = {**data, "members": [m for m in data["members"] if m["user"]["bot"]]}
        session.dispatch(event, data)

    # -- the websocket ----------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Serve one gateway connection."""
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        query = dict(request.query)
        self.queries.append(query)
        connection = GatewayConnection(ws, asyncio.get_running_loop())
        self.connections.append(connection)
        if query.get("v") != "10" or query.get("encoding") != "json":
            self.fake.error(f"gateway: connected with {query}, expected v=10 and encoding=json")
            await connection.close(4012)
            return ws
        connection.send_op(HELLO, {"heartbeat_interval": HEARTBEAT_INTERVAL_MS, "_trace": ["fake"]})
        try:
            async for message in ws:
                if message.type is WSMsgType.TEXT:
                    await self._receive(connection, message.data)
                elif message.type is WSMsgType.BINARY:
                    self.fake.error("gateway: the client sent a binary frame")
                    await connection.close(4002)
        finally:
            connection.abort()
            self.connections.remove(connection)
            self.fake.state.fire()
        return ws

    async def _receive(self, connection: GatewayConnection, raw: str) -> None:
        try:
            frame = json.loads(raw)
            op = frame["op"]
        except (ValueError, KeyError, TypeError):
            self.fake.error(f"gateway: undecodable frame {raw[:200]!r}")
            await connection.close(4002)
            return
        data = frame.get("d")
        if op == HEARTBEAT:
            self.heartbeats += 1
            connection.send_op(HEARTBEAT_ACK, None)
        elif op == IDENTIFY:
            await self._identify(connection, data if isinstance(data, dict) else {})
        elif op == RESUME:
            await self._resume(connection, data if isinstance(data, dict) else {})
        elif connection.session is None:
            self.fake.error(f"gateway: op {op} before IDENTIFY")
            await connection.close(4003)
        elif op == PRESENCE_UPDATE:
            self.presence_updates.append(data)
        elif op == REQUEST_GUILD_MEMBERS:
            self._request_members(connection.session, data if isinstance(data, dict) else {})
        elif op == VOICE_STATE_UPDATE:
            return
        else:
            self.fake.error(f"gateway: unknown opcode {op}")
            await connection.close(4001)

    async def _identify(self, connection: GatewayConnection, data: dict[str, Any]) -> None:
        if connection.session is not None:
            self.fake.error("gateway: IDENTIFY twice on one connection")
            await connection.close(4005)
            return
        if data.get("token") != self.fake.token:
            self.fake.error("gateway: IDENTIFY with a wrong token")
            await connection.close(4004)
            return
        intents = data.get("intents")
        shard = data.get("shard") or [0, 1]
        if not isinstance(intents, int):
            self.fake.error("gateway: IDENTIFY without intents")
            await connection.close(4013)
            return
        valid_shard = (
            isinstance(shard, list)
            and len(shard) == 2
            and all(isinstance(n, int) for n in shard)
            and 0 <= shard[0] < shard[1]
        )
        if not valid_shard:
            self.fake.error(f"gateway: invalid shard {shard!r}")
            await connection.close(4010)
            return
        session = GatewaySession(shard[0], shard[1], intents)
        self.sessions[session.session_id] = session
        self.sessions_created += 1
        self.identifies.append({k: v for k, v in data.items() if k != "token"})
        connection.session = session
        session.connection = connection
        guilds = [g for g in self.fake.guilds if shard_of(g.id, session.shard_count) == shard[0]]
        session.dispatch(
            "READY",
            {
                "v": 10,
                "user": self.fake.bot_user_payload(),
                "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
                "session_id": session.session_id,
                "session_type": "normal",
                "resume_gateway_url": self.fake.gateway_url,
                "shard": list(shard),
                "application": {"id": str(self.fake.app_id), "flags": 1 << 23},
                "private_channels": [],
                "relationships": [],
                "presences": [],
                "guild_join_requests": [],
                "geo_ordered_rtc_regions": [],
                "user_settings": {},
                "auth": {},
                "_trace": ["fake-discord"],
            },
        )
        all_members = bool(intents & INTENT_GUILD_MEMBERS)
        for guild in guilds:
            session.dispatch("GUILD_CREATE", guild.create_payload(all_members=all_members))
        session.ready_sent = True
        self.fake.state.fire()

    async def _resume(self, connection: GatewayConnection, data: dict[str, Any]) -> None:
        if data.get("token") != self.fake.token:
            self.fake.error("gateway: RESUME with a wrong token")
            await connection.close(4004)
            return
        session = self.sessions.get(str(data.get("session_id")))
        seq = data.get("seq") or 0
        frames = None if session is None or session.invalid else session.replay_after(seq)
        if session is None or frames is None:
            # Discord: the session cannot be resumed; the client must IDENTIFY afresh.
            connection.send_op(INVALID_SESSION, False)
            return
        old = session.connection
        if old is not None and old is not connection:
            old.abort()
        connection.session = session
        session.connection = connection
        for frame in frames:
            connection.send(frame)
        session.dispatch("RESUMED", {"_trace": ["fake-discord"]})
        self.resumes += 1
        self.fake.state.fire()

    def _request_members(self, session: GatewaySession, data: dict[str, Any]) -> None:
        guild = self.fake.guild(int(data.get("guild_id", 0)))
        if guild is None:
            return
        query = str(data.get("query") or "")
        limit = int(data.get("limit") or 0) or len(guild.members)
        wanted = {int(i) for i in data.get("user_ids") or []}
        users = [
            u
            for u in guild.members
            if (u.id in wanted) or (not wanted and u.name.lower().startswith(query.lower()))
        ][:limit]
        payload: dict[str, Any] = {
            "guild_id": str(guild.id),
            "members": [guild.member(u).payload() for u in users],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [str(i) for i in wanted - {u.id for u in users}],
        }
        if data.get("nonce") is not None:
            payload["nonce"] = data["nonce"]
        session.dispatch("GUILD_MEMBERS_CHUNK", payload)

    # -- knobs --------------------------------------------------------------------------------

    async def drop(self, *, resume: bool, shard: int | None) -> int:
        """Close the live connections (of one shard, or all); return how many were closed.

        With resume=False the sessions are invalidated first, so the client's RESUME gets
        INVALID_SESSION and it must IDENTIFY again."""
        targets = [
            c
            for c in list(self.connections)
            if c.session is not None and (shard is None or c.session.shard_id == shard)
        ]
        for connection in targets:
            if not resume and connection.session is not None:
                connection.session.invalid = True
            await connection.close(4000)
        return len(targets)

    async def close_all(self) -> None:
        """Close every connection (the fake is stopping)."""
        for connection in list(self.connections):
            await connection.close(1001)
