"""A scripted playground session: `callbot try` with commands on standard input, end to end
on the real core, database and (fixture) congress data, as a newcomer would use it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from conftest import REPO

PLATFORM_VARIABLES = ("DISCORD_TOKEN", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET")


def run_playground(
    engine: AsyncEngine, data_dir: Path, script: str, *command: str, user: str = "tester"
) -> str:
    env = {k: v for k, v in os.environ.items() if k not in PLATFORM_VARIABLES}
    env.update(
        DATABASE_URL=engine.url.render_as_string(hide_password=False),
        CALLBOT_DATA_DIR=str(data_dir),
        CAMPAIGNS_DIR=str(REPO / "campaigns"),
        CALLBOT_PLAYGROUND_USER=user,
        LOG_LEVEL="WARNING",
    )
    result = subprocess.run(
        [sys.executable, "-m", "callbot.cli", *(command or ("try",))],
        input=script,
        capture_output=True,
        text=True,
        env=env,
        cwd=data_dir,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


@pytest.fixture
def data_dir(congress_dir: Path) -> Path:
    return congress_dir.parent


def test_a_newcomer_calls_their_representative(engine: AsyncEngine, data_dir: Path) -> None:
    script = "\n".join(
        [
            "/call defund-hate-budget",
            "Jo @everyone",  # name
            "94110",  # ZIP: one district in the fixture (CA-11, Rep. Riley Tanaka)
            "Springfield",  # city
            "1",  # talked to staff
            "/mystats",
            "/leaderboard",
            "/quit",
        ]
    )
    out = run_playground(engine, data_dir, script)
    assert "Riley Tanaka" in out and "202-225-0111" in out
    assert "my name is Jo @\u200beveryone" in out  # the mention is broken, the name kept
    assert "@everyone" not in out.replace("Jo @everyone", "")  # only the typed input echoes it
    assert "You're done" in out or "Thank you" in out
    assert "Completed calls: 1" in out
    assert "1. Jo" in out


def test_split_zip_offers_districts_and_forget_erases(engine: AsyncEngine, data_dir: Path) -> None:
    script = "\n".join(
        [
            "/call defund-hate-budget",
            "Sam",
            "94601",  # split between CA-11 and CA-12 in the fixture
            "",
            "2",  # the second candidate: CA-12, Rep. Morgan Ellis
            "2",  # left voicemail
            "/forget",
            "1",  # confirm
            "/mystats",
            "/quit",
        ]
    )
    out = run_playground(engine, data_dir, script)
    assert "CA-11" in out and "CA-12: Rep. Morgan Ellis" in out
    assert "Call 1 of 1: Representative Morgan Ellis" in out
    assert "your data is erased" in out
    assert "haven't logged a call" in out


def test_run_without_credentials_explains_and_opens_the_playground(
    engine: AsyncEngine, data_dir: Path
) -> None:
    out = run_playground(engine, data_dir, "/help\n/quit\n", "run")
    assert "No chat platform is configured" in out
    assert "DISCORD_TOKEN" in out
    assert "/call" in out


def test_no_data_says_how_to_load_it(engine: AsyncEngine, tmp_path: Path) -> None:
    empty = tmp_path / "empty-data"
    empty.mkdir()
    out = run_playground(engine, empty, "/quit\n")
    assert "callbot data update" in out


def test_numbers_in_any_script_and_control_characters_are_read_safely(
    engine: AsyncEngine, data_dir: Path
) -> None:
    script = "\n".join(
        [
            "/call defund-hate-budget",
            "\x1b]0;owned\x07Jo\x1b[2J",  # name: the terminal must show, not obey, it
            "９４６０１",  # ZIP in full-width digits: 94601, split in the fixture
            "",
            "²",  # not a digit: asked again, never a traceback
            "２",  # the second candidate: CA-12
            "1",
            "/quit",
        ]
    )
    out = run_playground(engine, data_dir, script)
    assert "Traceback" not in out
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b]0;owned\\x07Jo\\x1b[2J" in out  # the echo of what was typed, escaped
    assert "Type a number from 1 to" in out  # ² refused as a choice
    assert "Call 1 of 1: Representative Morgan Ellis" in out
