"""`callbot campaigns check` and `callbot campaigns list`: output and exit codes."""

from __future__ import annotations

import argparse
import asyncio
import shutil
from pathlib import Path

import pytest

from callbot.campaigns import cli
from callbot.config import Settings, load_settings

TESTS = Path(__file__).resolve().parent
CAMPAIGN_FIXTURES = TESTS / "fixtures" / "campaigns"
BAD = CAMPAIGN_FIXTURES / "bad"


def run(argv: list[str], campaigns_dir: Path, tmp_path: Path) -> int:
    """Parse `argv` with the campaigns commands only and run the handler like `callbot` does."""
    parser = argparse.ArgumentParser(prog="callbot")
    cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    settings: Settings = load_settings(
        campaigns_dir=campaigns_dir, callbot_data_dir=tmp_path / "data", _env_file=None
    )
    result = args.handler(args, settings)
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    return int(result)


def test_check_of_good_files_says_ok(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["campaigns", "check", str(CAMPAIGN_FIXTURES / "good")], tmp_path, tmp_path)

    assert code == 0
    assert capsys.readouterr().out == "2 campaigns OK\n"


def test_check_defaults_to_the_campaigns_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(CAMPAIGN_FIXTURES / "good" / "minimal.yaml", tmp_path / "one.yaml")

    code = run(["campaigns", "check"], tmp_path, tmp_path)

    assert code == 0
    assert capsys.readouterr().out == "1 campaign OK\n"


def test_check_prints_every_problem_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "campaigns"
    folder.mkdir()
    shutil.copy(BAD / "bad-phone.yaml", folder / "a.yaml")
    shutil.copy(BAD / "unknown-field.yaml", folder / "b.yaml")
    shutil.copy(CAMPAIGN_FIXTURES / "good" / "minimal.yaml", folder / "c.yaml")

    code = run(["campaigns", "check", str(folder)], tmp_path, tmp_path)

    captured = capsys.readouterr()
    assert code == 1
    assert captured.out.splitlines() == [
        f"{folder / 'a.yaml'}:9: targets.custom[0].phone: '555-0100' is not a US phone number "
        "like 202-224-3121",
        f"{folder / 'a.yaml'}:11: fallback_phone: '123-456-7890' is not a US phone number "
        "like 202-224-3121",
        f"{folder / 'b.yaml'}:1: summary: is required",
        f"{folder / 'b.yaml'}:6: targets.sentate: is not a known field (did you mean senate?)",
        f"{folder / 'b.yaml'}:3: sumary: is not a known field (did you mean summary?)",
    ]
    assert "5 problems in 2 files" in captured.err


def test_check_of_a_missing_path_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["campaigns", "check", str(tmp_path / "nope")], tmp_path, tmp_path)

    assert code == 1
    assert capsys.readouterr().out == f"{tmp_path / 'nope'}: file: no such file or folder\n"


def test_check_help_lists_the_placeholders(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run(["campaigns", "check", "--help"], Path("."), Path("."))

    out = capsys.readouterr().out
    assert "{caller_name}" in out and "[REP/SEN NAME]" in out


def test_list_shows_slug_title_targets_status_and_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "campaigns"
    folder.mkdir()
    shutil.copy(CAMPAIGN_FIXTURES / "good" / "everything.yml", folder / "everything.yml")
    shutil.copy(CAMPAIGN_FIXTURES / "good" / "minimal.yaml", folder / "minimal.yaml")
    (folder / "future.yaml").write_text(
        "slug: future\ntitle: Later\nsummary: Not yet.\ntargets: {house: true}\n"
        "script: Hi.\nstarts: 2999-01-01\n",
        encoding="utf-8",
    )
    (folder / "paused.yaml").write_text(
        "slug: paused\ntitle: Paused\nsummary: Off.\ntargets: {senate: true}\n"
        "script: Hi.\nactive: false\n",
        encoding="utf-8",
    )

    code = run(["campaigns", "list"], folder, tmp_path)

    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert lines[0].split() == ["SLUG", "TITLE", "TARGETS", "STATUS", "FILE"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert set(rows) == {"everything-2025", "future", "minimal", "paused"}
    assert "house, senate, 2 custom" in rows["everything-2025"]
    assert "closed (ended 2025-06-30 23:59 UTC)" in rows["everything-2025"]
    assert "closed (starts 2999-01-01 00:00 UTC)" in rows["future"]
    assert "closed (inactive)" in rows["paused"]
    assert rows["minimal"].split()[-2:] == ["open", str(folder / "minimal.yaml")]


def test_list_reports_skipped_files_and_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copy(CAMPAIGN_FIXTURES / "good" / "minimal.yaml", tmp_path / "good.yaml")
    shutil.copy(BAD / "no-targets.yaml", tmp_path / "bad.yaml")

    code = run(["campaigns", "list"], tmp_path, tmp_path)

    captured = capsys.readouterr()
    assert code == 1
    assert "minimal" in captured.out
    assert f"{tmp_path / 'bad.yaml'}:4: targets: no one to call" in captured.err


def test_list_of_a_missing_folder_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(["campaigns", "list"], tmp_path / "missing", tmp_path)

    assert code == 1
    assert "does not exist" in capsys.readouterr().err
