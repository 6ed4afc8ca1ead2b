"""Text printed to a terminal never controls it.

A campaign title, a file name, a setting or what a member typed may hold terminal control
sequences (ESC [2J clears the screen, ESC ]0; retitles the window, a carriage return or a
right-to-left override disguises what is shown). Everything `callbot` prints goes through
`PrintableStream`, which writes each such character as a visible escape (`\\x1b`, `\\u202e`);
`cli.main` puts it in front of standard output and standard error. Rich consoles, which write
control sequences of their own (colours), get the stream behind it (`unwrapped`) and only text
already made `printable`.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
from collections.abc import Iterator
from typing import TextIO

# C0 controls but tab and newline, DEL and the C1 controls, the bidirectional embeddings,
# overrides and isolates, line and paragraph separators, and lone surrogates (undecodable
# bytes of a file name or a setting).
_CONTROL = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every character that could control a terminal written as an escape."""
    return _CONTROL.sub(_escape, text)


class PrintableStream(io.TextIOBase):
    """A text stream that writes `printable` text to the stream behind it."""

    def __init__(self, raw: TextIO) -> None:
        super().__init__()
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(printable(text))
        return len(text)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return self.raw.isatty()

    def fileno(self) -> int:
        return self.raw.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]  # io.TextIOBase declares it read-only
        return str(getattr(self.raw, "encoding", "utf-8"))


def unwrapped(stream: TextIO) -> TextIO:
    """The stream behind a `PrintableStream` (for rich consoles), else `stream` itself."""
    return stream.raw if isinstance(stream, PrintableStream) else stream


@contextlib.contextmanager
def printable_output() -> Iterator[None]:
    """Standard output and standard error through `PrintableStream` until the block ends."""
    saved = sys.stdout, sys.stderr
    sys.stdout = PrintableStream(unwrapped(sys.stdout))
    sys.stderr = PrintableStream(unwrapped(sys.stderr))
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        sys.stdout, sys.stderr = saved
