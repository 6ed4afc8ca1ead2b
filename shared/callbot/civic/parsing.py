"""Read the three source files into plain values, checking their shape as we go.

Each file is parsed once with the standard library (no per-row models), so loading the full
data takes a small fraction of a second. Every problem raises DataInvalid naming the file.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeGuard

from callbot.civic.errors import DataInvalid
from callbot.civic.models import Chamber, District, Legislator, Office
from callbot.civic.zipcodes import NON_STATES

ZCCD_HEADER = ["state_fips", "state_abbr", "zcta", "cd"]
_SENATE_RANKS = {"senior": 0, "junior": 1}


@dataclass(frozen=True, slots=True)
class Person:
    """A legislator plus what only the loader needs (the order of a state's senators)."""

    legislator: Legislator
    seniority: tuple[int, str]  # sorts senior before junior; the start date breaks ties


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataInvalid(path, f"is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise DataInvalid(path, f"cannot be read ({exc.strerror or exc})") from None


def _read_json_list(path: Path, what: str) -> list[Any]:
    try:
        raw = json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise DataInvalid(path, f"is not valid JSON ({exc})") from None
    if not isinstance(raw, list):
        raise DataInvalid(path, f"should be a JSON list of {what}, found {type(raw).__name__}")
    return raw


def _text(value: Any) -> str | None:
    """A non-empty, stripped string, or None for anything else."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _is_state_code(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and len(value) == 2 and value.isascii() and value.isupper()


def _one_line_address(office: dict[str, Any], city: str, state: str) -> str:
    street = [
        part
        for part in map(_text, (office.get(k) for k in ("address", "suite", "building")))
        if part
    ]
    place = f"{city}, {state} {_text(office.get('zip')) or ''}".strip()
    return ", ".join([*street, place])


def parse_offices(path: Path) -> tuple[dict[str, tuple[Office, ...]], int]:
    """District offices with a phone, by bioguide id; and how many people the file lists."""
    people = _read_json_list(path, "people with their offices")
    by_member: dict[str, tuple[Office, ...]] = {}
    for index, entry in enumerate(people, start=1):
        ident = entry.get("id") if isinstance(entry, dict) else None
        bioguide = _text(ident.get("bioguide")) if isinstance(ident, dict) else None
        offices = entry.get("offices") if isinstance(entry, dict) else None
        if bioguide is None or not isinstance(offices, list):
            raise DataInvalid(path, f"entry {index} needs `id.bioguide` and an `offices` list")
        found: list[Office] = []
        for office in offices:
            if not isinstance(office, dict):
                raise DataInvalid(
                    path, f"entry {index} ({bioguide}) has an office that is not an object"
                )
            phone, city, state = (_text(office.get(k)) for k in ("phone", "city", "state"))
            if phone is None:
                continue  # an office we cannot call is no use to a caller
            if city is None or state is None:
                raise DataInvalid(
                    path, f"entry {index} ({bioguide}) has an office without `city` or `state`"
                )
            found.append(Office(city, state, phone, _one_line_address(office, city, state)))
        by_member[bioguide] = tuple(found)
    return by_member, len(people)


def _titles(chamber: Chamber, state: str) -> tuple[str, str]:
    if chamber is Chamber.SENATE:
        return "Senator", "Sen."
    if state == "PR":
        return "Resident Commissioner", "Res. Comm."
    if state in NON_STATES:
        return "Delegate", "Del."
    return "Representative", "Rep."


def _person(raw: Any, index: int, path: Path, offices: dict[str, tuple[Office, ...]]) -> Person:
    if not isinstance(raw, dict):
        raise DataInvalid(path, f"person {index} should be a JSON object")
    ident, name, terms = raw.get("id"), raw.get("name"), raw.get("terms")
    bioguide = _text(ident.get("bioguide")) if isinstance(ident, dict) else None
    where = f"person {index} ({bioguide or 'no bioguide id'})"
    if bioguide is None:
        raise DataInvalid(path, f"{where} has no `id.bioguide`")
    if not isinstance(name, dict) or _text(name.get("last")) is None:
        raise DataInvalid(path, f"{where} has no `name.last`")
    if not isinstance(terms, list) or not terms or not isinstance(terms[-1], dict):
        raise DataInvalid(path, f"{where} has no `terms`")
    term: dict[str, Any] = terms[-1]  # the last term is the current one
    kind, state, party = term.get("type"), term.get("state"), _text(term.get("party"))
    if kind not in ("rep", "sen"):
        raise DataInvalid(path, f"{where}: current term `type` should be rep or sen, not {kind!r}")
    if not _is_state_code(state):
        raise DataInvalid(path, f"{where}: current term `state` {state!r} is not a 2-letter code")
    if party is None:
        raise DataInvalid(path, f"{where}: current term has no `party`")
    try:
        term_end = date.fromisoformat(str(term.get("end")))
        start = date.fromisoformat(str(term.get("start"))).isoformat()
    except ValueError:
        raise DataInvalid(path, f"{where}: current term `start`/`end` are not dates") from None
    chamber = Chamber.SENATE if kind == "sen" else Chamber.HOUSE
    district: int | None = None
    if chamber is Chamber.HOUSE:
        district = term.get("district")
        if not isinstance(district, int) or isinstance(district, bool) or district < 0:
            raise DataInvalid(path, f"{where}: a House term needs a whole-number `district`")
    last = _text(name.get("last")) or ""
    full = _text(name.get("official_full")) or " ".join(
        part for part in (_text(name.get("first")), last) if part
    )
    title, short_title = _titles(chamber, state)
    legislator = Legislator(
        bioguide_id=bioguide,
        name=full,
        last_name=last,
        party=party,
        chamber=chamber,
        state=state,
        district=district,
        title=title,
        short_title=short_title,
        phone=_text(term.get("phone")),
        url=_text(term.get("url")),
        term_end=term_end,
        offices=offices.get(bioguide, ()),
    )
    return Person(legislator, (_SENATE_RANKS.get(str(term.get("state_rank")), 2), start))


def parse_legislators(path: Path, offices: dict[str, tuple[Office, ...]]) -> list[Person]:
    """Every person in legislators-current.json, with their current term."""
    raw = _read_json_list(path, "legislators")
    people = [_person(entry, index, path, offices) for index, entry in enumerate(raw, start=1)]
    if not people:
        raise DataInvalid(path, "lists no legislators")
    return people


def parse_zccd(path: Path) -> tuple[dict[str, tuple[District, ...]], int]:
    """ZCTA -> its candidate districts (sorted, shared tuples); and the number of data rows."""
    lines = _read_text(path).splitlines()
    reader = csv.reader(lines)
    header = next(reader, None)
    if header != ZCCD_HEADER:
        seen = ",".join(header) if header else "nothing"
        raise DataInvalid(
            path, f"the header should be exactly `{','.join(ZCCD_HEADER)}`, found `{seen}`"
        )
    seats: dict[tuple[str, int], District] = {}
    candidates: dict[str, set[District]] = {}
    rows = 0
    for line_number, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != 4:
            raise DataInvalid(path, f"line {line_number} has {len(row)} fields instead of 4")
        _, state, zcta, cd = row
        if len(zcta) != 5 or not zcta.isascii() or not zcta.isdigit():
            raise DataInvalid(path, f"line {line_number}: zcta {zcta!r} is not 5 digits")
        if not _is_state_code(state):
            raise DataInvalid(
                path, f"line {line_number}: state_abbr {state!r} is not a 2-letter code"
            )
        if not (1 <= len(cd) <= 2 and cd.isascii() and cd.isdigit()):
            raise DataInvalid(path, f"line {line_number}: cd {cd!r} is not a district number")
        key = (state, int(cd))
        seat = seats.get(key)
        if seat is None:
            seat = seats[key] = District(*key)
        candidates.setdefault(zcta, set()).add(seat)
        rows += 1
    if rows == 0:
        raise DataInvalid(path, "has no rows after the header")
    # Most ZIPs share one of a few hundred district sets: store each set once.
    shared: dict[tuple[District, ...], tuple[District, ...]] = {}
    index: dict[str, tuple[District, ...]] = {}
    for zcta, seats_found in candidates.items():
        ordered = tuple(sorted(seats_found))
        index[zcta] = shared.setdefault(ordered, ordered)
    return index, rows
