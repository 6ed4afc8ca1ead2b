"""Opening the configured database at start-up, or saying in one line why it cannot be.

Everything that can be wrong with `DATABASE_URL` (an unknown host, a refused port, an address
that never answers, a database that does not exist, a folder where the SQLite file should be)
or with `CALLBOT_DATA_DIR` (where the default SQLite file lives: a file where a folder should
be, a folder callbot may not write) becomes a `SettingsError` naming the variable, within
`CONNECT_TIMEOUT` seconds, instead of a driver's traceback.
"""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from callbot.config import Settings, SettingsError
from callbot.db.engine import CONNECT_TIMEOUT, create_engine, is_sqlite
from callbot.db.migrate import upgrade


def database_variable(settings: Settings) -> str:
    """The setting that decides where the database is."""
    return "DATABASE_URL" if settings.database_url else "CALLBOT_DATA_DIR"


async def open_database(settings: Settings, *, migrate: bool = True) -> AsyncEngine:
    """An engine for the configured database, connected once (and migrated with `migrate`);
    SettingsError naming the variable when it cannot be reached or created."""
    url = settings.resolved_database_url
    variable = database_variable(settings)
    shown = make_url(url).render_as_string(hide_password=True)
    if is_sqlite(url):
        _check_sqlite_path(variable, make_url(url).database or "")
    try:
        engine = create_engine(url)
    except OSError as exc:  # the SQLite file's folder cannot be made
        raise SettingsError(
            f"{variable}: cannot create the folder of {shown}: {_why(exc)}"
        ) from None
    try:
        # The driver's own connect timeout bounds each attempt; this bounds them all.
        async with asyncio.timeout(CONNECT_TIMEOUT + 5):
            async with engine.connect():
                pass
    except (OSError, TimeoutError, SQLAlchemyError, UnicodeError) as exc:
        await engine.dispose()
        raise SettingsError(f"{variable}: cannot open the database {shown}: {_why(exc)}") from None
    if migrate:
        try:
            await upgrade(engine)
        except BaseException:
            await engine.dispose()
            raise
    return engine


def _check_sqlite_path(variable: str, database: str) -> None:
    if not database or database == ":memory:":
        return
    path = Path(database)
    if path.is_dir():
        raise SettingsError(f"{variable}: {path} is a folder, not an SQLite database file")
    for folder in (path.parent, *path.parent.parents):
        if folder.exists():
            if not folder.is_dir():
                raise SettingsError(f"{variable}: {folder} is a file, not a folder")
            break


def _why(exc: BaseException) -> str:
    """The cause of a failed connection in a few words (the driver's, without a traceback)."""
    if isinstance(exc, UnicodeError):
        return "its name is not UTF-8 text"
    if isinstance(exc, TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT:g} s (is the address right and reachable?)"
    if isinstance(exc, socket.gaierror):
        return "unknown host name"
    if isinstance(exc, ConnectionRefusedError):
        return "the connection was refused (is PostgreSQL running on that host and port?)"
    if isinstance(exc, OSError):
        return exc.strerror or str(exc) or type(exc).__name__
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        return str(exc.orig).splitlines()[0] or type(exc.orig).__name__
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
