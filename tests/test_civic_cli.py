"""`callbot lookup ZIP` and `callbot data update`, and the lookup text they print."""

from __future__ import annotations

import argparse
import io
import shutil
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
from rich.console import Console

from callbot.civic import CongressDirectory, InvalidZip, describe_zip
from callbot.civic import cli as civic_cli
from callbot.civic.report import report_table, zip_report
from callbot.civic.update import update_from_urls
from callbot.config import Settings, load_settings
from conftest import FIXTURES

FIXTURE = FIXTURES / "congress"
NOW = datetime(2026, 11, 18, 15, tzinfo=UTC)
HOW_TO_LOAD = (
    "No congress data yet: run `callbot data update` (or `callbot data update --from DIR`)."
)


@pytest.fixture(scope="module")
def directory() -> CongressDirectory:
    return CongressDirectory.load(FIXTURE)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(callbot_data_dir=tmp_path / "data", _env_file=None)


def run(settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="callbot")
    civic_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result = args.handler(args, settings)
    assert isinstance(result, int)
    return result


# The lookup text


def test_describe_a_plain_zip(directory: CongressDirectory) -> None:
    assert describe_zip(directory, "43215", now=NOW) == "\n".join(
        [
            "ZIP 43215: OH-3",
            "House:",
            "  OH-3: Rep. Jordan Pike (Democrat)",
            "    Washington office: 202-225-0203",
            "    District offices: Columbus 614-555-0203",
            "Senate:",
            "  OH senior: Sen. Sam Okafor (Republican)",
            "    Washington office: 202-224-0202",
            "  OH junior: Sen. Pat Delgado (Republican)",
            "    Washington office: 202-224-0203",
            "    District offices: Toledo 567-555-0203",
            "    Note: this term ended 2026-11-03 in our data; a successor may hold the seat now: "
            "run `callbot data update`",
            "Data updated 2026-11-01, 17 days ago.",
        ]
    )


def test_an_ended_term_is_only_flagged_after_it_ends(directory: CongressDirectory) -> None:
    text = describe_zip(directory, "43215", now=datetime(2026, 10, 1, tzinfo=UTC))
    assert "term ended" not in text
    assert "Sen. Pat Delgado" in text


def test_describe_a_split_zip_with_a_vacant_seat(directory: CongressDirectory) -> None:
    text = describe_zip(directory, "94505", now=NOW)
    assert (
        "This ZIP spans 3 districts: CA-11, CA-12, CA-14. Ask for the member's street address"
        in text
    )
    assert "  CA-11: Rep. Riley Tanaka (Democrat)" in text
    assert "  CA-12: Rep. Morgan Ellis (Democrat)" in text
    assert "  CA-14: vacant seat\n    Washington office: 202-224-3121\n" in text
    assert "ask for the CA-14 office" in text


def test_describe_a_member_without_a_phone(directory: CongressDirectory) -> None:
    text = describe_zip(directory, "96001", now=NOW)
    assert (
        "  CA-1: Rep. Casey Hollister (Republican)\n    Washington office: 202-224-3121\n" in text
    )
    assert "no direct number yet: call the Capitol switchboard (202-224-3121)" in text


def test_describe_the_white_house(directory: CongressDirectory) -> None:
    lines = describe_zip(directory, "20500", now=NOW).splitlines()
    assert lines[0] == "ZIP 20500: DC-AL"
    assert "matched to DC by its ZIP prefix" in lines[1]
    assert "  DC-AL: Del. Noor Haddad (Democrat)" in lines
    assert (
        "No senators: DC is not a state, so its only member of Congress is its delegate." in lines
    )


def test_describe_puerto_rico_and_guam(directory: CongressDirectory) -> None:
    pr = describe_zip(directory, "00901", now=NOW)
    assert "its only member of Congress is its Resident Commissioner." in pr
    assert "Res. Comm. Inés Rivera" in pr
    guam = describe_zip(directory, "96910", now=NOW)
    assert "GU is a territory" in guam and "Del. Tomas Cruz" in guam


def test_describe_a_po_box_in_a_state_with_districts(directory: CongressDirectory) -> None:
    text = describe_zip(directory, "94199", now=NOW)
    assert text.splitlines()[0] == "ZIP 94199: CA"
    assert "The House district is unknown: CA has several." in text
    assert "House:" not in text
    assert "CA senior: Sen. Dana Whitfield" in text


def test_describe_a_zip_across_a_state_line(directory: CongressDirectory) -> None:
    text = describe_zip(directory, "30165", now=NOW)
    assert "crosses a state line: it is partly in AL and GA" in text
    assert "No senators for AL in the loaded data." in text


def test_old_data_says_so(directory: CongressDirectory) -> None:
    text = describe_zip(directory, "99501", now=datetime(2027, 3, 1, tzinfo=UTC))
    assert text.endswith(
        "Data updated 2026-11-01, 119 days ago (older than 90 days: run `callbot data update`)."
    )


def test_describe_refuses_a_bad_zip(directory: CongressDirectory) -> None:
    with pytest.raises(InvalidZip):
        describe_zip(directory, "abcde")


def test_the_rich_table_shows_every_seat(directory: CongressDirectory) -> None:
    out = io.StringIO()
    Console(file=out, width=200).print(report_table(zip_report(directory, "94505", now=NOW)))
    table = out.getvalue()
    for text in ("House CA-11", "Riley Tanaka", "vacant seat", "Senate CA senior", "415-555-0111"):
        assert text in table


def test_the_rich_table_does_not_read_markup_from_the_data(tmp_path: Path) -> None:
    folder = tmp_path / "congress"
    shutil.copytree(FIXTURE, folder)
    people = folder / "legislators-current.json"
    people.write_text(
        people.read_text(encoding="utf-8").replace("Riley Tanaka", "[bold]Riley[/bold]"),
        encoding="utf-8",
    )
    out = io.StringIO()
    directory = CongressDirectory.load(folder)
    Console(file=out, width=200).print(report_table(zip_report(directory, "94110", now=NOW)))
    assert "[bold]Riley[/bold]" in out.getvalue()


# The commands


def test_lookup_prints_plain_lines(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(settings, "data", "update", "--from", str(FIXTURE)) == 0
    capsys.readouterr()
    assert run(settings, "lookup", "94505") == 0
    out = capsys.readouterr().out
    assert out.startswith("ZIP 94505: CA-11, CA-12, CA-14\n")
    assert "vacant seat" in out and "Sen. Dana Whitfield" in out


def test_lookup_a_bad_zip_exits_2(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    run(settings, "data", "update", "--from", str(FIXTURE))
    capsys.readouterr()
    assert run(settings, "lookup", "1234") == 2
    captured = capsys.readouterr()
    assert captured.err == "callbot: “1234” is not a ZIP code: enter 5 digits, like 20001.\n"
    assert captured.out == ""


def test_lookup_without_data_says_how_to_load(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(settings, "lookup", "20001") == 1
    assert capsys.readouterr().err == f"callbot: {HOW_TO_LOAD}\n"


def test_lookup_with_broken_data_names_the_file(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    run(settings, "data", "update", "--from", str(FIXTURE))
    (settings.congress_dir / "zccd.csv").write_text("nonsense\n", encoding="utf-8")
    capsys.readouterr()
    assert run(settings, "lookup", "20001") == 1
    assert "zccd.csv: the header should be exactly" in capsys.readouterr().err


def test_data_update_from_a_folder_prints_a_summary(
    settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(settings, "data", "update", "--from", str(FIXTURE)) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"Importing congress data from {FIXTURE} into {settings.congress_dir} ..."
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert out[1] == (
        "Loaded 17 members of Congress (11 House, 6 Senate), 10 district offices, "
        f"16 ZIP codes; updated {today}."
    )
    assert out[2] == "Vacant House seats: AS-AL, CA-14, MP-AL, VI-AL."
    assert CongressDirectory.load(settings.congress_dir).house_count == 11


def test_data_update_from_a_bad_folder_exits_1(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(settings, "data", "update", "--from", str(tmp_path / "nowhere")) == 1
    err = capsys.readouterr().err
    assert err.startswith(
        f"callbot: {tmp_path / 'nowhere' / 'legislators-current.json'}: is missing"
    )
    assert not settings.congress_dir.exists()


def test_data_update_downloads(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # No internet in tests: answer every published URL from the fixture folder.
    seen: list[str] = []

    def opener(request: object, *, timeout: float) -> io.BytesIO:
        url = getattr(request, "full_url", "")
        seen.append(url)
        response = io.BytesIO((FIXTURE / url.rsplit("/", 1)[1]).read_bytes())
        response.headers = {}  # type: ignore[attr-defined]
        return response

    monkeypatch.setattr(civic_cli, "update_from_urls", partial(update_from_urls, opener=opener))
    assert run(settings, "data", "update") == 0
    out = capsys.readouterr().out
    assert out.startswith(f"Downloading congress data into {settings.congress_dir} ...\n")
    assert "Loaded 17 members of Congress" in out
    assert len(seen) == 3


def test_data_update_download_failure_exits_1(
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def offline(request: object, *, timeout: float) -> io.BytesIO:
        raise OSError(101, "Network is unreachable")

    monkeypatch.setattr(civic_cli, "update_from_urls", partial(update_from_urls, opener=offline))
    assert run(settings, "data", "update") == 1
    err = capsys.readouterr().err
    assert err.startswith("callbot: Could not download https://unitedstates.github.io/")
    assert "Network is unreachable" in err
