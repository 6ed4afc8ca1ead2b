"""The representatives directory: every sitting member of Congress and the ZIP-to-district
table, loaded once into in-memory indexes so that each lookup is a dict hit."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from callbot.civic.errors import DataMissing, InvalidZip
from callbot.civic.manifest import (
    DATA_FILES,
    LEGISLATORS_FILE,
    OFFICES_FILE,
    ZCCD_FILE,
    read_manifest,
)
from callbot.civic.models import Chamber, District, Legislator, ZipMatch
from callbot.civic.parsing import Person, parse_legislators, parse_offices, parse_zccd
from callbot.civic.zipcodes import (
    NON_STATES,
    STATES,
    parse_zip,
    state_for_zip_prefix,
    unassigned_zip_message,
)

STALE_AFTER_DAYS = 90


class CongressDirectory:
    """Who represents whom, as of the loaded snapshot. Immutable once built."""

    __slots__ = (
        "_at_large",
        "_by_id",
        "_house",
        "_senators",
        "_zips",
        "file_rows",
        "folder",
        "source",
        "updated_at",
    )

    def __init__(
        self,
        people: Iterable[Person],
        zips: Mapping[str, tuple[District, ...]],
        *,
        updated_at: datetime | None = None,
        source: str = "",
        folder: Path | None = None,
        file_rows: Mapping[str, int] | None = None,
    ) -> None:
        people = list(people)
        self.updated_at = updated_at
        self.source = source
        self.folder = folder
        self.file_rows = dict(file_rows or {})
        self._by_id = {person.legislator.bioguide_id: person.legislator for person in people}
        self._house: dict[District, Legislator] = {}
        for person in sorted(people, key=lambda p: p.seniority[1]):
            member = person.legislator
            if member.chamber is Chamber.HOUSE and member.district is not None:
                # Two people on one seat only happens mid-transition: the later start wins.
                self._house[District(member.state, member.district)] = member
        senators: dict[str, list[Person]] = {}
        for person in people:
            if person.legislator.chamber is Chamber.SENATE:
                senators.setdefault(person.legislator.state, []).append(person)
        self._senators = {
            state: tuple(p.legislator for p in sorted(group, key=lambda p: p.seniority))
            for state, group in senators.items()
        }
        # Each ZIP maps to (states, districts); the pairs are shared between ZIPs.
        pairs: dict[tuple[District, ...], tuple[tuple[str, ...], tuple[District, ...]]] = {}
        self._zips = {
            zip_code: pairs.setdefault(
                districts, (tuple(sorted({d.state for d in districts})), districts)
            )
            for zip_code, districts in zips.items()
        }
        numbers: dict[str, set[int]] = {}
        for seat in (*self._house, *(d for _, group in pairs.values() for d in group)):
            numbers.setdefault(seat.state, set()).add(seat.number)
        self._at_large = frozenset(
            NON_STATES | {state for state, found in numbers.items() if found == {0}}
        )

    @classmethod
    def load(cls, folder: Path) -> CongressDirectory:
        """Load the data that `callbot data update` put in `folder`.

        Raises DataMissing when the folder or a file is not there, DataInvalid when a file
        cannot be used (the message names it).
        """
        if not folder.is_dir():
            raise DataMissing(folder, DATA_FILES)
        missing = tuple(name for name in DATA_FILES if not (folder / name).is_file())
        if missing:
            raise DataMissing(folder, missing)
        manifest = read_manifest(folder)
        offices, office_people = parse_offices(folder / OFFICES_FILE)
        people = parse_legislators(folder / LEGISLATORS_FILE, offices)
        zips, zip_rows = parse_zccd(folder / ZCCD_FILE)
        return cls(
            people,
            zips,
            updated_at=manifest.updated_at if manifest else None,
            source=manifest.source if manifest else "",
            folder=folder,
            file_rows={
                LEGISLATORS_FILE: len(people),
                OFFICES_FILE: office_people,
                ZCCD_FILE: zip_rows,
            },
        )

    # Lookups

    def lookup_zip(self, text: str) -> ZipMatch:
        """Where a ZIP code is: its candidate districts, or its state by prefix.

        Accepts "12345", " 12345-6789 " and "123456789". Raises InvalidZip with a sentence
        for the member when the text is not a ZIP code in use.
        """
        zip_code = parse_zip(text)
        found = self._zips.get(zip_code)
        if found is not None:
            return ZipMatch(zip_code, found[0], found[1], by_prefix=False)
        states = state_for_zip_prefix(zip_code)
        if not states:
            raise InvalidZip(unassigned_zip_message(zip_code), text)
        # Not a ZCTA (a PO box, an office, a territory): the state is known, and the district
        # too when the state has a single seat.
        at_large = all(state in self._at_large for state in states)
        districts = tuple(District(state, 0) for state in states) if at_large else ()
        return ZipMatch(zip_code, states, districts, by_prefix=True)

    def representative(self, district: District) -> Legislator | None:
        """The House member for a seat; None when the seat is vacant."""
        return self._house.get(district)

    def senators(self, state: str) -> tuple[Legislator, ...]:
        """A state's senators, senior first; () for DC and the territories."""
        return self._senators.get(state, ())

    def has_senators(self, state: str) -> bool:
        """True for the 50 states; DC and the territories have none."""
        return state in STATES

    def is_at_large(self, state: str) -> bool:
        """True when the state has one House seat (district 0), and for DC and territories."""
        return state in self._at_large

    def legislator(self, bioguide_id: str) -> Legislator | None:
        return self._by_id.get(bioguide_id)

    # What was loaded

    @property
    def legislators(self) -> tuple[Legislator, ...]:
        return tuple(self._by_id.values())

    @property
    def house_count(self) -> int:
        return len(self._house)

    @property
    def senate_count(self) -> int:
        return sum(len(group) for group in self._senators.values())

    @property
    def office_count(self) -> int:
        return sum(len(member.offices) for member in self._by_id.values())

    @property
    def zip_count(self) -> int:
        return len(self._zips)

    @property
    def seats(self) -> tuple[District, ...]:
        """Every House seat we know of: from the ZIP table, the members, DC and territories."""
        known = set(self._house)
        known.update(d for _, group in self._zips.values() for d in group)
        known.update(District(state, 0) for state in NON_STATES)
        return tuple(sorted(known))

    @property
    def vacant_seats(self) -> tuple[District, ...]:
        return tuple(seat for seat in self.seats if seat not in self._house)

    def age_days(self, now: datetime) -> int | None:
        """Whole days since the data was downloaded or imported; None when unknown."""
        if self.updated_at is None:
            return None
        moment = now if now.tzinfo else now.replace(tzinfo=UTC)
        return max(0, (moment - self.updated_at).days)

    def is_stale(self, now: datetime) -> bool:
        """True when the data is older than 90 days, or its date is unknown."""
        age = self.age_days(now)
        return age is None or age > STALE_AFTER_DAYS

    @property
    def summary(self) -> str:
        """One line for organizers: what is loaded and from when."""
        when = f"updated {self.updated_at:%Y-%m-%d}" if self.updated_at else "date unknown"
        return (
            f"{len(self._by_id):,} members of Congress ({self.house_count:,} House, "
            f"{self.senate_count:,} Senate), {self.office_count:,} district offices, "
            f"{self.zip_count:,} ZIP codes; {when}"
        )

    def __repr__(self) -> str:
        return f"<CongressDirectory {self.summary}>"
