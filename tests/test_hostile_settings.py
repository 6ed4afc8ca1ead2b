"""The hostile-input corpus, settings: every unusable DATABASE_URL, CALLBOT_DATA_DIR, .env and
other setting of tests/fixtures/hostile/settings.yaml, given to a real `callbot` process.

Each must end that process within 30 s with one line on stderr that names the variable, a
non-zero status, and no traceback. An unreachable address is a port on 127.0.0.1 whose listen
queue is full, so that every connection attempt goes unanswered (the kernel drops the SYN),
as with a blackholed address, without sending anything off this machine.

The processes run a few at a time while the module starts. The cases do not use the test
database, so the PostgreSQL pass runs only those that need a PostgreSQL server."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from conftest import FIXTURES, test_database_url
from hostile import assert_no_traceback_in, cases, unescape

CALLBOT = Path(sys.executable).with_name("callbot")
EXIT_WITHIN = 30  # seconds, as the README promises
PARALLEL = 4
_FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
CASES = cases("settings.yaml")


@dataclass
class Ran:
    status: int
    stderr: str
    stdout: str


def _unwritable(tmp: Path) -> Path:
    """A folder this process cannot create anything in (root may write anywhere on disk)."""
    if os.geteuid() == 0:
        return Path("/sys/callbot-test")  # sysfs refuses new entries, even to root
    locked = tmp / "locked"
    locked.mkdir(mode=0o500)
    return locked


def _value(text: str, tmp: Path, blackhole: int) -> bytes:
    pg = test_database_url()
    pg_host = ""
    if pg:
        url = make_url(pg)
        pg_host = f"{url.host or '127.0.0.1'}:{url.port or 5432}"
    text = (
        text.replace("TMP", str(tmp))
        .replace("WIDE_BLACKHOLE", str(blackhole).translate(_FULL_WIDTH))
        .replace("BLACKHOLE", str(blackhole))
        .replace("PGHOST", pg_host)
        .replace("UNWRITABLE", str(_unwritable(tmp) if "UNWRITABLE" in text else ""))
        .replace("CONGRESS", str(FIXTURES / "congress"))
    )
    return unescape(text)


def _run(case: dict[str, Any], tmp: Path, blackhole: int) -> Ran:
    tmp.mkdir(parents=True)
    for name in case.get("folders", []):
        (tmp / name).mkdir(parents=True)
    for name in case.get("files", []):
        (tmp / name).write_text("not a folder\n")
    if "dotenv" in case:
        (tmp / ".env").write_bytes(_value(case["dotenv"], tmp, blackhole))
    env = {
        os.fsencode(k): os.fsencode(v)
        for k, v in os.environ.items()
        if k in ("PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH")
    }
    env[b"CALLBOT_DATA_DIR"] = os.fsencode(tmp / "data")
    env[b"CAMPAIGNS_DIR"] = os.fsencode(tmp / "campaigns")
    for name, value in case.get("env", {}).items():
        env[name.encode()] = _value(str(value), tmp, blackhole)
    args = [_value(str(arg), tmp, blackhole) for arg in case["args"]]
    done = subprocess.run(
        [os.fsencode(CALLBOT), *args],
        cwd=tmp,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=EXIT_WITHIN,
    )
    return Ran(
        done.returncode,
        done.stderr.decode("utf-8", "replace"),
        done.stdout.decode("utf-8", "replace"),
    )


@pytest.fixture(scope="module")
def blackhole() -> Iterator[int]:
    """A port on 127.0.0.1 that accepts no connection and refuses none: its listen queue is
    full, so the kernel drops every new SYN and the client waits."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    yield port
    for filler in fillers:
        filler.close()
    server.close()


def _wanted(case: dict[str, Any]) -> bool:
    if case.get("needs") == "postgresql":
        return test_database_url() is not None
    return test_database_url() is None  # the SQLite pass runs the rest (they use no test db)


@pytest.fixture(scope="module")
def outcomes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, blackhole: int
) -> dict[str, Ran]:
    root = tmp_path_factory.mktemp("hostile-settings")
    selected = {
        item.callspec.params["case"]["id"]
        for item in request.session.items
        if isinstance(item, pytest.Function) and item.originalname == "test_an_unusable_setting"
    }
    chosen = [
        param.values[0]
        for param in CASES
        if _wanted(param.values[0]) and param.values[0]["id"] in selected
    ]
    with ThreadPoolExecutor(PARALLEL) as pool:
        futures = {
            case["id"]: pool.submit(_run, case, root / str(index), blackhole)
            for index, case in enumerate(chosen)
        }
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("case", CASES)
def test_an_unusable_setting(
    case: dict[str, Any], outcomes: dict[str, Ran], blackhole: int
) -> None:
    if not _wanted(case):
        pytest.skip("needs a PostgreSQL server" if case.get("needs") else "run in the SQLite pass")
    ran = outcomes[case["id"]]
    assert_no_traceback_in(ran.stderr)
    assert ran.status == case.get("exit", 2), (ran.status, ran.stderr, ran.stdout)
    if case.get("exit", 2) != 0:
        errors = [line for line in ran.stderr.splitlines() if line.startswith("callbot: ")]
        assert len(errors) == 1, ran.stderr
        for words in case.get("says", []):
            wanted = words.replace("BLACKHOLE", str(blackhole))  # words, not bytes: no unescape
            assert wanted in errors[0], errors[0]
    for words in case.get("never", []):
        assert words not in ran.stderr + ran.stdout
