"""The lookup on the full real data (../shared/data/congress, or $CALLBOT_DATA_DIR/congress).

Skipped when the data is not there. The data is imported into a temporary folder first; the
source folder is only ever read.
"""

from __future__ import annotations

import csv
import os
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

import pytest

from callbot.civic import (
    CAPITOL_SWITCHBOARD,
    Chamber,
    CongressDirectory,
    District,
    state_for_zip_prefix,
)
from callbot.civic.update import import_from_dir
from callbot.civic.zipcodes import STATES
from conftest import REAL_CONGRESS_DATA

pytestmark = pytest.mark.realdata
DATA_FILES = ("legislators-current.json", "legislators-district-offices.json", "zccd.csv")


def real_data_folder() -> Path:
    configured = os.environ.get("CALLBOT_DATA_DIR")
    return Path(configured) / "congress" if configured else REAL_CONGRESS_DATA


@pytest.fixture(scope="module")
def source() -> Path:
    folder = real_data_folder()
    if not all((folder / name).is_file() for name in DATA_FILES):
        pytest.skip(f"no real congress data in {folder}")
    return folder


@pytest.fixture(scope="module")
def directory(source: Path, tmp_path_factory: pytest.TempPathFactory) -> CongressDirectory:
    target = tmp_path_factory.mktemp("real") / "congress"
    import_from_dir(source, target)
    started = time.perf_counter()
    loaded = CongressDirectory.load(target)
    print(f"\nloaded the real data in {time.perf_counter() - started:.3f} s: {loaded.summary}")
    return loaded


@pytest.fixture(scope="module")
def zccd(source: Path) -> dict[str, set[tuple[str, int]]]:
    rows: dict[str, set[tuple[str, int]]] = defaultdict(set)
    with (source / "zccd.csv").open(encoding="utf-8", newline="") as stream:
        for row in csv.DictReader(stream):
            rows[row["zcta"]].add((row["state_abbr"], int(row["cd"])))
    return rows


def test_everyone_is_loaded(directory: CongressDirectory) -> None:
    assert len(directory.legislators) == 537
    assert directory.house_count == 437
    assert directory.senate_count == 100
    assert directory.zip_count == 33_774
    assert directory.office_count > 1_200
    assert [seat.label for seat in directory.vacant_seats] == ["CA-14", "FL-20", "GA-13", "TX-23"]


def test_every_state_has_two_senators_senior_first(directory: CongressDirectory) -> None:
    for state in sorted(STATES):
        senators = directory.senators(state)
        assert len(senators) == 2, state
        assert all(s.chamber is Chamber.SENATE and s.state == state for s in senators)


def test_the_white_house_is_dc(directory: CongressDirectory) -> None:
    match = directory.lookup_zip("20500")
    assert match.by_prefix
    assert match.single == District("DC", 0)
    delegate = directory.representative(District("DC", 0))
    assert delegate is not None and delegate.title == "Delegate"
    assert delegate.name == "Eleanor Holmes Norton"
    assert not directory.has_senators("DC") and directory.senators("DC") == ()


def test_a_split_zip(directory: CongressDirectory) -> None:
    match = directory.lookup_zip("43215")
    assert match.districts == (District("OH", 3), District("OH", 15))
    assert match.single is None and not match.by_prefix


def test_split_and_two_state_counts(
    directory: CongressDirectory, zccd: dict[str, set[tuple[str, int]]]
) -> None:
    matches = [directory.lookup_zip(zcta) for zcta in zccd]
    assert sum(len(m.districts) > 1 for m in matches) == 7_299
    assert sum(len(m.states) > 1 for m in matches) == 109
    assert directory.lookup_zip("82082").states == ("CO", "NE", "WY")  # the one in three states
    for match in matches:
        assert {(d.state, d.number) for d in match.districts} == zccd[match.zip_code]


def test_vacant_ca_14(directory: CongressDirectory) -> None:
    assert directory.representative(District("CA", 14)) is None
    assert District("CA", 14) in directory.lookup_zip("94541").districts


def test_gallagher_has_only_the_switchboard(directory: CongressDirectory) -> None:
    member = directory.representative(District("CA", 1))
    assert member is not None
    assert member.name == "James Gallagher"
    assert member.phone is None and not member.has_own_phone
    assert member.dc_phone == CAPITOL_SWITCHBOARD
    assert member.offices == ()


def test_mejia_falls_back_to_first_and_last(directory: CongressDirectory) -> None:
    member = directory.representative(District("NJ", 11))
    assert member is not None and member.name == "Analilia Mejia"
    assert member.has_own_phone


def test_anchorage(directory: CongressDirectory) -> None:
    match = directory.lookup_zip("99501")
    assert match.single == District("AK", 0)
    assert directory.is_at_large("AK")
    assert len(directory.senators("AK")) == 2
    assert directory.representative(District("AK", 0)) is not None


def test_san_juan(directory: CongressDirectory) -> None:
    match = directory.lookup_zip("00901")
    assert match.single == District("PR", 0)
    member = directory.representative(District("PR", 0))
    assert member is not None and member.title == "Resident Commissioner"
    assert directory.senators("PR") == ()


@pytest.mark.parametrize(
    ("zip5", "state"), [("96910", "GU"), ("00802", "VI"), ("96799", "AS"), ("96950", "MP")]
)
def test_territories_by_prefix(directory: CongressDirectory, zip5: str, state: str) -> None:
    match = directory.lookup_zip(zip5)
    assert match.by_prefix
    assert match.single == District(state, 0)
    member = directory.representative(District(state, 0))
    assert member is not None and member.title == "Delegate"
    assert directory.senators(state) == ()


def test_appointed_senators_whose_terms_end_are_kept(directory: CongressDirectory) -> None:
    ohio = {s.name: s for s in directory.senators("OH")}
    assert len(ohio) == 2
    assert ohio["Jon Husted"].term_end == date(2026, 11, 3)
    florida = {s.name: s.term_end for s in directory.senators("FL")}
    assert florida["Ashley Moody"] == date(2026, 11, 3)
    assert directory.senators("OH")[0].name == "Bernie Moreno"  # senior first


def test_at_large_states(directory: CongressDirectory) -> None:
    at_large = {
        s for s in STATES | {"DC", "PR", "GU", "VI", "AS", "MP"} if directory.is_at_large(s)
    }
    assert at_large == {"AK", "DE", "ND", "SD", "VT", "WY", "DC", "PR", "GU", "VI", "AS", "MP"}


def test_titles(directory: CongressDirectory) -> None:
    titles = {(m.chamber, m.title, m.short_title) for m in directory.legislators}
    assert titles == {
        (Chamber.HOUSE, "Representative", "Rep."),
        (Chamber.HOUSE, "Delegate", "Del."),
        (Chamber.HOUSE, "Resident Commissioner", "Res. Comm."),
        (Chamber.SENATE, "Senator", "Sen."),
    }
    assert {m.party for m in directory.legislators} == {"Democrat", "Republican", "Independent"}


def test_the_prefix_table_agrees_with_the_census(zccd: dict[str, set[tuple[str, int]]]) -> None:
    disagree = [
        zcta
        for zcta, seats in zccd.items()
        if not set(state_for_zip_prefix(zcta)) & {state for state, _ in seats}
    ]
    # A few ZCTAs sit across a state line from their post office (06390 Fishers Island, NY).
    assert len(disagree) <= 20, disagree


def test_the_source_folder_is_not_written(source: Path, directory: CongressDirectory) -> None:
    assert not (source / "manifest.json").exists() or directory.folder != source
    assert directory.folder is not None and directory.folder != source
