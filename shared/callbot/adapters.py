"""The seam between `callbot run` and the platform adapters.

Adapters register an object under the `callbot.adapters` entry-point group. The core never
imports an adapter: it asks each registered one whether its settings are present.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from importlib.metadata import entry_points
from typing import Protocol, runtime_checkable

from callbot.core import Core
from callbot.notify import Notifier

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = "callbot.adapters"


class StartupError(Exception):
    """An adapter cannot start (its platform refused or cannot be reached); says why in one line."""


@runtime_checkable
class Adapter(Protocol):
    name: str
    #: True for the local playground, which `callbot run` starts only when nothing else is set up.
    playground: bool

    def configured(self, environ: Mapping[str, str]) -> bool:
        """Whether this adapter's credentials are present."""

    def setup_hint(self) -> str:
        """One or two lines telling a newcomer which settings turn this adapter on."""

    async def run(self, core: Core) -> None:
        """Serve until cancelled."""


@runtime_checkable
class PostsScheduled(Protocol):
    """An adapter that can post scheduled output (alerts, tallies, reminders) on its own,
    without serving members: what the scheduler uses, in any process role."""

    name: str

    def notifying(self, core: Core) -> AbstractAsyncContextManager[Notifier]:
        """A notifier opened with the adapter's credentials (REST only: no gateway, no
        listener), closed when the block ends."""


def load_adapters() -> list[Adapter]:
    """Every installed adapter, in name order. A broken one is logged and left out."""
    adapters = []
    for entry_point in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name):
        try:
            adapter = entry_point.load()
        except Exception:
            log.exception("adapter %s could not be loaded", entry_point.name)
            continue
        if isinstance(adapter, Adapter):
            adapters.append(adapter)
        else:
            log.error("adapter %s does not provide the Adapter interface", entry_point.name)
    return adapters
