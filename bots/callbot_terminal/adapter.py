"""The terminal playground as a callbot adapter (entry point `callbot.adapters: terminal`).

`callbot run` never starts it as a platform (it has no credentials); it is the playground that
`callbot try` starts, and that `callbot run` falls back to when no platform is configured.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Mapping

from callbot.core import Core
from callbot_terminal.playground import Playground, playground_actor
from callbot_terminal.terminal import LineReader, is_interactive, open_terminal


class TerminalAdapter:
    """Play one member of a local community in this terminal."""

    name = "terminal"
    playground = True

    def configured(self, environ: Mapping[str, str]) -> bool:
        """Never: the playground is not a platform that `callbot run` serves."""
        return False

    def setup_hint(self) -> str:
        """How to reach the playground."""
        return "no settings needed: run `callbot try` to use callbot in this terminal."

    async def run(self, core: Core) -> None:
        """Run one interactive session on standard input and output, until /quit or EOF.

        Ctrl-C ends the session like Ctrl-D, with a goodbye instead of a traceback.
        """
        loop = asyncio.get_running_loop()
        reader = LineReader(sys.stdin)
        terminal = open_terminal(reader, is_interactive())
        previous = signal.getsignal(signal.SIGINT)
        interrupt_handled = False
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGINT, reader.close)
            interrupt_handled = True
        try:
            await Playground(core, playground_actor(os.environ), terminal).run()
        finally:
            reader.close()
            if interrupt_handled:
                loop.remove_signal_handler(signal.SIGINT)
                signal.signal(signal.SIGINT, previous)


adapter = TerminalAdapter()
