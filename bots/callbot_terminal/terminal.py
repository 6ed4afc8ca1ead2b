"""Reading lines and showing replies: a rich console on a TTY, plain lines otherwise."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from typing import Protocol, TextIO

from rich.console import Console
from rich.text import Text

from callbot.printable import printable, unwrapped
from callbot.replies import Reply, Tone
from callbot_terminal.render import TONE_COLOURS, render_rich, render_text

_READ_SIZE = 65536


class LineReader:
    """Lines from a file descriptor without blocking the event loop.

    Pipes and terminals are watched by the event loop (no thread is left blocked on a read
    when the session ends, so exit is immediate). Regular files and platforms without
    `add_reader` are read in a worker thread; such reads never wait for a person.
    """

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._buffer = bytearray()
        self._eof = False
        self._closed = False
        self._changed = asyncio.Event()
        self._fd: int | None = None
        try:
            fd = stream.fileno()
            asyncio.get_running_loop().add_reader(fd, self._on_readable, fd)
            self._fd = fd
        except (OSError, ValueError, NotImplementedError, AttributeError):
            self._fd = None

    def _on_readable(self, fd: int) -> None:
        try:
            data = os.read(fd, _READ_SIZE)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            self._buffer.extend(data)
        else:
            self._eof = True
            self._stop_watching()
        self._changed.set()

    def _stop_watching(self) -> None:
        if self._fd is not None:
            asyncio.get_running_loop().remove_reader(self._fd)
            self._fd = None

    def close(self) -> None:
        """Stop reading: the pending and every later `readline` returns None."""
        self._closed = True
        self._stop_watching()
        self._changed.set()

    async def readline(self) -> str | None:
        """The next line without its line ending, or None at the end of input."""
        if self._fd is None and not self._buffer and not self._eof:
            return await self._read_in_thread()
        while not self._closed:
            newline = self._buffer.find(b"\n")
            if newline >= 0:
                line = bytes(self._buffer[:newline])
                del self._buffer[: newline + 1]
                return _decode(line)
            if self._eof:
                if self._buffer:
                    line = bytes(self._buffer)
                    self._buffer.clear()
                    return _decode(line)
                return None
            self._changed.clear()
            await self._changed.wait()
        return None

    async def _read_in_thread(self) -> str | None:
        if self._closed:
            return None
        reading = asyncio.ensure_future(asyncio.to_thread(self._stream.readline))
        closing = asyncio.ensure_future(self._wait_closed())
        try:
            await asyncio.wait({reading, closing}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closing.cancel()
        if not reading.done():
            return None
        line = reading.result()
        if not line:
            return None
        return line.rstrip("\r\n")

    async def _wait_closed(self) -> None:
        while not self._closed:
            self._changed.clear()
            await self._changed.wait()


def _decode(line: bytes) -> str:
    return line.decode("utf-8", errors="replace").rstrip("\r")


class Terminal(Protocol):
    """Where the session writes replies and reads answers."""

    def show(self, reply: Reply) -> None:
        """Show one reply."""

    def say(self, message: str, tone: Tone = Tone.INFO) -> None:
        """Show one short line of our own (a hint, a goodbye)."""

    async def ask(self, prompt: str) -> str | None:
        """Show `prompt` and read one line; None at the end of input."""


class PlainTerminal:
    """Plain text for pipes and files. Answers are written after their prompt, so the output
    reads as a transcript of the session even though nothing echoes the input."""

    def __init__(self, reader: LineReader, out: TextIO) -> None:
        self._reader = reader
        self._out = out

    def show(self, reply: Reply) -> None:
        self._out.write(render_text(reply) + "\n\n")
        self._out.flush()

    def say(self, message: str, tone: Tone = Tone.INFO) -> None:
        self._out.write(printable(message) + "\n")
        self._out.flush()

    async def ask(self, prompt: str) -> str | None:
        self._out.write(printable(prompt))
        self._out.flush()
        line = await self._reader.readline()
        # The echo of what was typed is shown, never obeyed, like everything else.
        self._out.write(printable("" if line is None else line) + "\n")
        self._out.flush()
        return line


class RichTerminal:
    """Panels and colour for a person at a terminal."""

    def __init__(self, reader: LineReader, console: Console) -> None:
        self._reader = reader
        self._console = console

    def show(self, reply: Reply) -> None:
        self._console.print(render_rich(reply))

    def say(self, message: str, tone: Tone = Tone.INFO) -> None:
        style = "" if tone is Tone.INFO else TONE_COLOURS[tone]
        self._console.print(Text(printable(message), style=style))

    async def ask(self, prompt: str) -> str | None:
        self._console.print(Text(printable(prompt), style="bold cyan"), end="")
        self._console.file.flush()
        line = await self._reader.readline()
        if line is None:
            self._console.print()  # Ctrl-D leaves the cursor after the prompt
        return line


def is_interactive(stdin: TextIO = sys.stdin, stdout: TextIO = sys.stdout) -> bool:
    """Rich output only when a person is at both ends."""
    with contextlib.suppress(ValueError, AttributeError):
        return stdin.isatty() and stdout.isatty()
    return False


def open_terminal(reader: LineReader, interactive: bool) -> Terminal:
    """The terminal that fits standard output."""
    if interactive:
        return RichTerminal(reader, Console(file=unwrapped(sys.stdout), highlight=False))
    return PlainTerminal(reader, sys.stdout)
