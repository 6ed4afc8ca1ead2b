"""The representatives directory on the small fixture: every hard case of design §4."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from callbot.civic import (
    CAPITOL_SWITCHBOARD,
    Chamber,
    CongressDirectory,
    DataInvalid,
    DataMissing,
    District,
    InvalidZip,
    Office,
    ZipMatch,
)
from conftest import FIXTURES

FIXTURE = FIXTURES / "congress"
DATA_FILES = ("legislators-current.json", "legislators-district-offices.json", "zccd.csv")
HOW_TO_LOAD = (
    "No congress data yet: run `callbot data update` (or `callbot data update --from DIR`)."
)


@pytest.fixture(scope="module")
def directory() -> CongressDirectory:
    return CongressDirectory.load(FIXTURE)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of the fixture folder that a test may break."""
    target = tmp_path / "congress"
    shutil.copytree(FIXTURE, target)
    return target


def rep(directory: CongressDirectory, label: str) -> str | None:
    state, number = label.split("-")
    member = directory.representative(District(state, 0 if number == "AL" else int(number)))
    return member.name if member else None


# ZIP lookups


def test_a_zip_in_one_district(directory: CongressDirectory) -> None:
    match = directory.lookup_zip("94110")
    assert match == ZipMatch("94110", ("CA",), (District("CA", 11),), by_prefix=False)
    assert match.single == District("CA", 11)
    assert rep(directory, "CA-11") == "Riley Tanaka"


@pytest.mark.parametrize("text", ["94110", " 94110-1234 ", "941101234"])
def test_zip4_finds_the_same_district(directory: CongressDirectory, text: str) -> None:
    assert directory.lookup_zip(text).districts == (District("CA", 11),)


def test_a_split_zip_lists_every_candidate_sorted(directory: CongressDirectory) -> None:
    match = directory.lookup_zip("94505")
    assert match.districts == (District("CA", 11), District("CA", 12), District("CA", 14))
    assert match.single is None
    assert match.is_split
    assert match.states == ("CA",)


def test_a_two_state_zip_gives_both_states(directory: CongressDirectory) -> None:
    match = directory.lookup_zip("30165")
    assert match.states == ("AL", "GA")
    assert match.districts == (District("AL", 3), District("GA", 14))
    assert not match.by_prefix


def test_a_vacant_seat_has_no_representative(directory: CongressDirectory) -> None:
    match = directory.lookup_zip("94541")
    assert match.single == District("CA", 14)
    assert directory.representative(District("CA", 14)) is None
    assert District("CA", 14) in directory.vacant_seats


def test_vacant_seats_include_delegates_missing_from_the_data(
    directory: CongressDirectory,
) -> None:
    # The fixture has GU's delegate but none for AS, MP or VI.
    assert [seat.label for seat in directory.vacant_seats] == ["AS-AL", "CA-14", "MP-AL", "VI-AL"]


def test_dc_zip_and_its_delegate(directory: CongressDirectory) -> None:
    match = directory.lookup_zip("20001")
    assert match.single == District("DC", 0)
    delegate = directory.representative(District("DC", 0))
    assert delegate is not None
    assert (delegate.title, delegate.short_title) == ("Delegate", "Del.")
    assert delegate.district == 0
    assert directory.senators("DC") == ()
    assert not directory.has_senators("DC")


def test_the_white_house_zip_falls_back_to_dc(directory: CongressDirectory) -> None:
    match = directory.lookup_zip("20500")
    assert match == ZipMatch("20500", ("DC",), (District("DC", 0),), by_prefix=True)
    assert rep(directory, "DC-AL") == "Noor Haddad"


def test_puerto_rico_has_a_resident_commissioner(directory: CongressDirectory) -> None:
    match = directory.lookup_zip("00901")
    assert match.single == District("PR", 0)
    member = directory.representative(District("PR", 0))
    assert member is not None
    assert (member.title, member.short_title) == ("Resident Commissioner", "Res. Comm.")
    assert member.name == "Inés Rivera"  # official_full wins over first + last
    assert member.last_name == "Rivera Colón"
    assert not directory.has_senators("PR")


def test_a_territory_without_zip_rows_works_by_prefix(directory: CongressDirectory) -> None:
    match = directory.lookup_zip("96910")
    assert match == ZipMatch("96910", ("GU",), (District("GU", 0),), by_prefix=True)
    assert rep(directory, "GU-AL") == "Tomas Cruz"
    assert directory.senators("GU") == ()


@pytest.mark.parametrize(("zip5", "state"), [("00802", "VI"), ("96799", "AS"), ("96950", "MP")])
def test_territories_missing_from_the_data_still_resolve(
    directory: CongressDirectory, zip5: str, state: str
) -> None:
    match = directory.lookup_zip(zip5)
    assert match.single == District(state, 0)
    assert directory.representative(District(state, 0)) is None  # vacant in this fixture
    assert directory.is_at_large(state)
    assert not directory.has_senators(state)


def test_a_po_box_zip_in_an_at_large_state_knows_the_district(
    directory: CongressDirectory,
) -> None:
    match = directory.lookup_zip("99511")  # not in the fixture's ZIP table
    assert match == ZipMatch("99511", ("AK",), (District("AK", 0),), by_prefix=True)


def test_a_po_box_zip_in_a_state_with_districts_knows_only_the_state(
    directory: CongressDirectory,
) -> None:
    match = directory.lookup_zip("94199")
    assert match == ZipMatch("94199", ("CA",), (), by_prefix=True)
    assert match.single is None
    assert not match.is_split
    assert len(directory.senators("CA")) == 2


@pytest.mark.parametrize("text", ["1234", "abcde", "00000", "99999", "123456", ""])
def test_bad_zip_codes_are_refused(directory: CongressDirectory, text: str) -> None:
    with pytest.raises(InvalidZip) as caught:
        directory.lookup_zip(text)
    assert isinstance(caught.value, ValueError)
    assert "ZIP code" in str(caught.value)


def test_unused_zip_message(directory: CongressDirectory) -> None:
    with pytest.raises(InvalidZip, match=r"^99999 is not a ZIP code in use\."):
        directory.lookup_zip("99999")


# Members


def test_at_large_states(directory: CongressDirectory) -> None:
    for state in ("AK", "DC", "PR", "GU", "VI", "AS", "MP"):
        assert directory.is_at_large(state), state
    for state in ("CA", "OH", "NJ", "GA"):
        assert not directory.is_at_large(state), state
    assert directory.lookup_zip("99701").single == District("AK", 0)


def test_a_member_with_no_phone_and_no_official_name(directory: CongressDirectory) -> None:
    member = directory.representative(District("CA", 1))
    assert member is not None
    assert member.name == "Casey Hollister"
    assert member.phone is None and member.url is None
    assert not member.has_own_phone
    assert member.dc_phone == CAPITOL_SWITCHBOARD == "202-224-3121"
    assert member.offices == ()


def test_no_official_name_but_a_phone(directory: CongressDirectory) -> None:
    member = directory.legislator("X000301")
    assert member is not None
    assert (member.name, member.dc_phone, member.has_own_phone) == (
        "Lena Morales",
        "202-225-0311",
        True,
    )


def test_a_representative_in_full(directory: CongressDirectory) -> None:
    member = directory.representative(District("CA", 12))
    assert member is not None
    assert member.bioguide_id == "X000102"
    assert (member.title, member.short_title, member.chamber) == (
        "Representative",
        "Rep.",
        Chamber.HOUSE,
    )
    assert member.party == "Democrat"
    assert member.url == "https://ellis.house.gov"
    assert member.term_end == date(2027, 1, 3)
    assert member.offices == (
        Office(
            city="Oakland",
            state="CA",
            phone="510-555-0112",
            address="1301 Clay St., Suite 1000-N, Ronald V. Dellums Federal Building, "
            "Oakland, CA 94612",
        ),
    )


def test_the_current_term_is_the_last_one(directory: CongressDirectory) -> None:
    member = directory.legislator("X000101")  # served CA-13 before, CA-11 now
    assert member is not None
    assert (member.district, member.dc_phone) == (11, "202-225-0111")


def test_offices_without_a_phone_are_left_out(directory: CongressDirectory) -> None:
    member = directory.legislator("X000101")
    assert member is not None
    assert [office.city for office in member.offices] == ["San Francisco"]


def test_senators_senior_first(directory: CongressDirectory) -> None:
    assert [s.name for s in directory.senators("CA")] == ["Dana Whitfield", "Avery Lopez"]
    assert [s.name for s in directory.senators("AK")] == ["Robin Marsh", "Skyler Vance"]
    senator = directory.senators("AK")[1]
    assert (senator.title, senator.short_title, senator.chamber) == (
        "Senator",
        "Sen.",
        Chamber.SENATE,
    )
    assert senator.district is None
    assert senator.party == "Independent"
    assert directory.has_senators("AK")


def test_a_senator_whose_term_has_ended_is_kept(directory: CongressDirectory) -> None:
    ohio = directory.senators("OH")
    assert [s.name for s in ohio] == ["Sam Okafor", "Pat Delgado"]
    assert ohio[1].term_end == date(2026, 11, 3)


def test_a_state_with_no_senators_loaded(directory: CongressDirectory) -> None:
    assert directory.has_senators("NJ")
    assert directory.senators("NJ") == ()


def test_unknown_ids_and_seats(directory: CongressDirectory) -> None:
    assert directory.legislator("NOPE") is None
    assert directory.representative(District("TX", 99)) is None


def test_district_labels_and_order() -> None:
    assert District("CA", 12).label == "CA-12"
    assert District("AK", 0).label == "AK-AL"
    assert District("DC", 0).label == "DC-AL"
    assert sorted([District("CA", 12), District("AK", 0), District("CA", 2)]) == [
        District("AK", 0),
        District("CA", 2),
        District("CA", 12),
    ]


# What was loaded


def test_counts_and_summary(directory: CongressDirectory) -> None:
    assert len(directory.legislators) == 17
    assert (directory.house_count, directory.senate_count) == (11, 6)
    assert directory.office_count == 10
    assert directory.zip_count == 16
    assert directory.file_rows == {
        "legislators-current.json": 17,
        "legislators-district-offices.json": 9,
        "zccd.csv": 21,
    }
    assert directory.summary == (
        "17 members of Congress (11 House, 6 Senate), 10 district offices, 16 ZIP codes; "
        "updated 2026-11-01"
    )


def test_age_and_staleness(directory: CongressDirectory) -> None:
    assert directory.updated_at == datetime(2026, 11, 1, 12, tzinfo=UTC)
    assert directory.age_days(datetime(2026, 11, 11, 12, tzinfo=UTC)) == 10
    assert not directory.is_stale(datetime(2027, 1, 30, 12, tzinfo=UTC))  # 90 days
    assert directory.is_stale(datetime(2027, 1, 31, 12, tzinfo=UTC))  # 91 days
    # A naive time is taken as UTC rather than refused.
    assert directory.age_days(datetime(2026, 11, 2, 12)) == 1


def test_without_a_manifest_the_age_is_unknown_and_stale(copy: Path) -> None:
    (copy / "manifest.json").unlink()
    directory = CongressDirectory.load(copy)
    assert directory.updated_at is None
    assert directory.age_days(datetime.now(UTC)) is None
    assert directory.is_stale(datetime.now(UTC))
    assert directory.summary.endswith("date unknown")


def test_the_fixture_manifest_matches_its_files() -> None:
    manifest = json.loads((FIXTURE / "manifest.json").read_text(encoding="utf-8"))
    directory = CongressDirectory.load(FIXTURE)
    for name in DATA_FILES:
        data = (FIXTURE / name).read_bytes()
        assert manifest["files"][name] == {
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "rows": directory.file_rows[name],
        }


# Missing and broken data


def test_no_folder_is_data_missing(tmp_path: Path) -> None:
    with pytest.raises(DataMissing) as caught:
        CongressDirectory.load(tmp_path / "nowhere")
    assert str(caught.value) == HOW_TO_LOAD
    assert caught.value.missing == DATA_FILES


@pytest.mark.parametrize("name", DATA_FILES)
def test_a_missing_file_is_data_missing(copy: Path, name: str) -> None:
    (copy / name).unlink()
    with pytest.raises(DataMissing) as caught:
        CongressDirectory.load(copy)
    assert str(caught.value) == HOW_TO_LOAD
    assert caught.value.missing == (name,)
    assert caught.value.folder == copy


def break_json(copy: Path, name: str, change: object) -> None:
    path = copy / name
    data = json.loads(path.read_text(encoding="utf-8"))
    if callable(change):
        change(data)
        path.write_text(json.dumps(data), encoding="utf-8")
    else:
        path.write_text(json.dumps(change), encoding="utf-8")


def _drop_terms(people: list[dict[str, object]]) -> None:
    del people[2]["terms"]


def _bad_state(people: list[dict[str, object]]) -> None:
    people[0]["terms"][-1]["state"] = "California"  # type: ignore[index]


def _bad_end(people: list[dict[str, object]]) -> None:
    people[0]["terms"][-1]["end"] = "soon"  # type: ignore[index]


def _bad_district(people: list[dict[str, object]]) -> None:
    people[2]["terms"][-1]["district"] = "11"  # type: ignore[index]


def _bad_type(people: list[dict[str, object]]) -> None:
    people[2]["terms"][-1]["type"] = "gov"  # type: ignore[index]


def _no_bioguide(people: list[dict[str, object]]) -> None:
    people[3]["id"] = {}


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"people": []}, "should be a JSON list of legislators, found dict"),
        ([], "lists no legislators"),
        (_drop_terms, "person 3 (X000101) has no `terms`"),
        (_bad_state, "`state` 'California' is not a 2-letter code"),
        (_bad_end, "are not dates"),
        (_bad_district, "needs a whole-number `district`"),
        (_bad_type, "should be rep or sen, not 'gov'"),
        (_no_bioguide, "person 4 (no bioguide id) has no `id.bioguide`"),
    ],
)
def test_broken_legislators_file(copy: Path, change: object, problem: str) -> None:
    break_json(copy, "legislators-current.json", change)
    with pytest.raises(DataInvalid) as caught:
        CongressDirectory.load(copy)
    assert "legislators-current.json" in str(caught.value)
    assert problem in str(caught.value)


def test_truncated_json_is_data_invalid(copy: Path) -> None:
    path = copy / "legislators-current.json"
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(DataInvalid, match=r"legislators-current\.json: is not valid JSON"):
        CongressDirectory.load(copy)


def test_binary_junk_is_data_invalid(copy: Path) -> None:
    (copy / "legislators-district-offices.json").write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(DataInvalid, match=r"legislators-district-offices\.json: is not UTF-8"):
        CongressDirectory.load(copy)


def test_broken_offices_file(copy: Path) -> None:
    break_json(copy, "legislators-district-offices.json", [{"id": {"bioguide": "X1"}}])
    with pytest.raises(DataInvalid, match=r"entry 1 needs `id.bioguide` and an `offices` list"):
        CongressDirectory.load(copy)


def test_an_office_with_a_phone_but_no_city(copy: Path) -> None:
    entry = {"id": {"bioguide": "X1"}, "offices": [{"phone": "555-0100", "state": "CA"}]}
    break_json(copy, "legislators-district-offices.json", [entry])
    with pytest.raises(DataInvalid, match="an office without `city` or `state`"):
        CongressDirectory.load(copy)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "zip,state,cd\r\n94110,CA,11\r\n",
            "header should be exactly `state_fips,state_abbr,zcta,cd`",
        ),
        ("", "found `nothing`"),
        ("state_fips,state_abbr,zcta,cd\r\n", "has no rows after the header"),
        ("state_fips,state_abbr,zcta,cd\r\n06,CA,94110\r\n", "line 2 has 3 fields instead of 4"),
        (
            "state_fips,state_abbr,zcta,cd\r\n06,CA,9411,11\r\n",
            "line 2: zcta '9411' is not 5 digits",
        ),
        ("state_fips,state_abbr,zcta,cd\r\n06,CA,94110,x\r\n", "line 2: cd 'x' is not a district"),
        ("state_fips,state_abbr,zcta,cd\r\n06,ca,94110,1\r\n", "state_abbr 'ca' is not a 2-letter"),
    ],
)
def test_broken_zip_table(copy: Path, text: str, problem: str) -> None:
    (copy / "zccd.csv").write_text(text, encoding="utf-8")
    with pytest.raises(DataInvalid) as caught:
        CongressDirectory.load(copy)
    assert str(caught.value).startswith(str(copy / "zccd.csv"))
    assert problem in str(caught.value)


@pytest.mark.parametrize(
    ("manifest", "problem"),
    [
        ("{", "is not valid JSON"),
        ("[]", "should be a JSON object"),
        ('{"updated_at": "yesterday"}', "`updated_at` 'yesterday' is not an ISO 8601"),
        ('{"updated_at": 5}', "`updated_at` should be an ISO 8601"),
        (
            '{"updated_at": "2026-11-01T00:00:00Z", "files": {"zccd.csv": {"rows": 1}}}',
            "needs `sha256`",
        ),
    ],
)
def test_broken_manifest(copy: Path, manifest: str, problem: str) -> None:
    (copy / "manifest.json").write_text(manifest, encoding="utf-8")
    with pytest.raises(DataInvalid) as caught:
        CongressDirectory.load(copy)
    assert "manifest.json" in str(caught.value)
    assert problem in str(caught.value)


def test_a_manifest_without_a_time_zone_is_utc(copy: Path) -> None:
    (copy / "manifest.json").write_text('{"updated_at": "2026-10-01T08:00:00"}', encoding="utf-8")
    directory = CongressDirectory.load(copy)
    assert directory.updated_at == datetime(2026, 10, 1, 8, tzinfo=UTC)
    assert directory.age_days(datetime(2026, 10, 1, 8, tzinfo=UTC) + timedelta(days=3)) == 3


def test_two_members_on_one_seat_keep_the_later_one(copy: Path) -> None:
    def add_successor(people: list[dict[str, object]]) -> None:
        successor = json.loads(json.dumps(people[3]))  # CA-12
        successor["id"] = {"bioguide": "X000999"}
        successor["name"] = {"first": "New", "last": "Member"}
        successor["terms"][-1]["start"] = "2026-09-01"
        people.insert(0, successor)

    break_json(copy, "legislators-current.json", add_successor)
    assert rep(CongressDirectory.load(copy), "CA-12") == "New Member"
