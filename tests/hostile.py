"""The hostile-input corpus's shared parts: its case files (tests/fixtures/hostile/*.yaml,
data rather than code) and the one verdict every case gets: nothing escaped as a traceback.

A case file is YAML: a mapping whose `cases` list holds one mapping per case, each with an
`id` (shown by pytest) and the fields its test reads. Byte strings that YAML cannot hold are
written with the escapes of `unescape`.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from callbot.core import Core
from callbot.db.engine import create_engine, is_sqlite
from callbot.db.models import Base

HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"


def cases(name: str, key: str = "cases") -> list[Any]:
    """The cases of `HOSTILE/name` as pytest params, each with its id."""
    data = yaml.safe_load((HOSTILE / name).read_text(encoding="utf-8"))
    found = data[key]
    ids = [str(case["id"]) for case in found]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    assert not repeated, f"{name}: ids used twice: {repeated}"
    return [pytest.param(case, id=str(case["id"])) for case in found]


def data(name: str) -> Any:
    """The whole of a case file."""
    return yaml.safe_load((HOSTILE / name).read_text(encoding="utf-8"))


_REPEAT = re.compile(r"\{repeat (\d+)\}(.*?)\{/repeat\}", re.DOTALL)


def expand(text: str) -> str:
    """`{repeat N}...{/repeat}` written out N times: long or deep inputs stay short in a file."""
    return _REPEAT.sub(lambda m: m.group(2) * int(m.group(1)), text)


def unescape(text: str) -> bytes:
    """A case's text as bytes: `expand`ed, UTF-8 encoded, and `\\xNN` written as that byte
    (so a case can hold bytes that are not UTF-8)."""
    out = bytearray()
    for part in re.split(r"(\\x[0-9a-fA-F]{2})", expand(text)):
        if re.fullmatch(r"\\x[0-9a-fA-F]{2}", part):
            out.append(int(part[2:], 16))
        else:
            out.extend(part.encode("utf-8", "surrogatepass"))
    return bytes(out)


def tracebacks(records: Iterable[logging.LogRecord]) -> list[str]:
    """Log records that carry a traceback, or an ERROR of callbot's own (which would mean a
    fault of ours): none may come of a client's input. (bolt says ERROR, without a
    traceback, of a request from a workspace that has not installed the app.)"""
    return [
        f"{record.levelname} {record.name}: {record.getMessage()}"
        for record in records
        if record.exc_info
        or record.exc_text
        or (record.levelno >= logging.ERROR and record.name.startswith("callbot"))
    ]


def assert_no_traceback_in(stderr: str) -> None:
    assert "Traceback (most recent call last)" not in stderr, stderr


async def own_database(url: str, folder: Path) -> AsyncEngine:
    """A migrated, empty database for a whole module of cases (like conftest's `engine`, which
    makes one per test): a copy of the SQLite template, or the PostgreSQL test database
    emptied."""
    if is_sqlite(url):
        copy = folder / "hostile.sqlite3"
        shutil.copyfile(url.removeprefix("sqlite:///"), copy)
        return create_engine(f"sqlite:///{copy}")
    engine = create_engine(url)
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return engine


async def service_core(url: str, folder: Path, now: datetime) -> Core:
    """A core for a module of cases: its own database, the congress fixture and the service
    campaigns, its clock stopped at `now`."""
    from callbot.civic.update import import_from_dir
    from conftest import FIXTURES, Clock, build_core, make_settings

    engine = await own_database(url, folder)
    import_from_dir(FIXTURES / "congress", folder / "data" / "congress")
    settings = make_settings(folder, str(engine.url), FIXTURES / "service-campaigns")
    return await build_core(engine, settings, Clock(now))


def slack_http_settings(fake: Any) -> Any:
    """The Slack adapter's HTTP-mode settings for a FakeSlack."""
    from callbot_slack.settings import SlackSettings

    return SlackSettings(
        signing_secret=fake.signing_secret,
        client_id=fake.client_id,
        client_secret=fake.client_secret,
        api_url=fake.api_url,
        authorize_url=fake.authorize_url,
        _env_file=None,
    )
