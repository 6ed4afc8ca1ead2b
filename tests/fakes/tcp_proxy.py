"""A TCP proxy with faults, for putting between callbot and its real PostgreSQL.

`FaultProxy` listens on 127.0.0.1 and forwards every connection to the target. The test
breaks it the ways networks and databases break:

- `refuse()`: new connections are refused (nothing listens), as when PostgreSQL is down;
  `accept()` listens again, on the same port;
- `cut()`: every live connection is reset at once, as when PostgreSQL restarts;
- `stall()`: nothing is forwarded either way, on live and new connections, until `resume()`
  (connections stay open: a network that stopped delivering).

Everything runs on the test's event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

CHUNK = 65536


class FaultProxy:
    """Forwards 127.0.0.1:`port` to `target_host`:`target_port`, with faults on demand."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self.connections = 0  # accepted so far
        self._server: asyncio.Server | None = None
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._live: set[asyncio.StreamWriter] = set()
        self._pumps: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        await self.accept()

    async def accept(self) -> None:
        """Listen (again) for new connections, on the same port."""
        if self._server is not None:
            return
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def refuse(self) -> None:
        """Stop listening: a new connection is refused. Live ones go on."""
        if self._server is not None:
            # Only the listening socket closes (wait_closed would wait for live connections).
            self._server.close()
            self._server = None

    def cut(self) -> int:
        """Reset every live connection; how many there were."""
        live = list(self._live)
        for writer in live:
            _reset(writer)
        return len(live)

    def stall(self) -> None:
        """Forward nothing, either way, until `resume()`."""
        self._flowing.clear()

    def resume(self) -> None:
        self._flowing.set()

    async def stop(self) -> None:
        await self.refuse()
        self.cut()
        for pump in list(self._pumps):
            pump.cancel()
        await asyncio.gather(*self._pumps, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._live.add(writer)
        try:
            await self._flowing.wait()  # a stalled network does not connect through either
            try:
                upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
            except OSError:
                _reset(writer)
                return
            self._live.add(upstream_writer)
            pumps = [
                asyncio.create_task(self._pump(reader, upstream_writer)),
                asyncio.create_task(self._pump(upstream_reader, writer)),
            ]
            self._pumps.update(pumps)
            try:
                # Either side closing (or being cut) ends the pair.
                await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pump in pumps:
                    pump.cancel()
                await asyncio.gather(*pumps, return_exceptions=True)
                self._pumps.difference_update(pumps)
                _close(upstream_writer)
                self._live.discard(upstream_writer)
        finally:
            _close(writer)
            self._live.discard(writer)

    async def _pump(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while True:
                await self._flowing.wait()
                data = await source.read(CHUNK)
                if not data:
                    return
                await self._flowing.wait()  # read before the stall: held back until it ends
                sink.write(data)
                await sink.drain()


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (SO_LINGER 0), as a crashed peer or a dropped route does."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _close(writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(Exception):
        writer.close()


@asynccontextmanager
async def fault_proxy(target_host: str, target_port: int) -> AsyncIterator[FaultProxy]:
    """A started proxy to the target, stopped when the block ends."""
    proxy = FaultProxy(target_host, target_port)
    await proxy.start()
    try:
        yield proxy
    finally:
        await proxy.stop()
