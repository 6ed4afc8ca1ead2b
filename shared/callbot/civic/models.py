"""The values the representatives lookup hands out: legislators, their offices, districts and
the result of a ZIP lookup. All are small frozen values, safe to share and cache."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

CAPITOL_SWITCHBOARD = "202-224-3121"


class Chamber(StrEnum):
    HOUSE = "house"
    SENATE = "senate"


@dataclass(frozen=True, slots=True)
class Office:
    """A district (local) office with a phone number."""

    city: str
    state: str
    phone: str
    address: str  # one line: street, suite, building, city, state and ZIP


@dataclass(frozen=True, slots=True)
class Legislator:
    """A sitting member of the House or Senate, as of the data snapshot."""

    bioguide_id: str
    name: str  # official_full, else "first last"
    last_name: str
    party: str  # "Democrat", "Republican" or "Independent", as in the source file
    chamber: Chamber
    state: str
    district: int | None  # None for senators; 0 for at-large seats and delegates
    title: str  # "Representative", "Senator", "Delegate" or "Resident Commissioner"
    short_title: str  # "Rep.", "Sen.", "Del." or "Res. Comm."
    phone: str | None  # the Washington office; None while the member has none yet
    url: str | None
    term_end: date
    offices: tuple[Office, ...]  # district offices that have a phone

    @property
    def dc_phone(self) -> str:
        """The number to call: the member's Washington office, or the Capitol switchboard."""
        return self.phone or CAPITOL_SWITCHBOARD

    @property
    def has_own_phone(self) -> bool:
        return self.phone is not None


@dataclass(frozen=True, slots=True, order=True)
class District:
    """A House seat: a state (or DC or a territory) and a district number (0 = the only seat)."""

    state: str
    number: int

    @property
    def label(self) -> str:
        """ "CA-12"; a state's or territory's only seat is "AK-AL" or "DC-AL"."""
        return f"{self.state}-{self.number if self.number else 'AL'}"


@dataclass(frozen=True, slots=True)
class ZipMatch:
    """What a ZIP code tells us about where a member lives."""

    zip_code: str  # 5 digits
    states: tuple[str, ...]  # sorted; two for the ZIPs that cross a state line
    districts: tuple[District, ...]  # sorted candidates; empty when we cannot tell
    by_prefix: bool  # True: not in the ZIP-to-district table, state taken from the ZIP prefix

    @property
    def single(self) -> District | None:
        """The district when the ZIP has exactly one candidate."""
        return self.districts[0] if len(self.districts) == 1 else None

    @property
    def is_split(self) -> bool:
        """True when the member must pick (or give an address): several candidate districts."""
        return len(self.districts) > 1
