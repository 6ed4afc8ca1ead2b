"""Who represents a ZIP code, as lines of text or a rich table (for `callbot lookup`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from rich.table import Table
from rich.text import Text

from callbot.civic.directory import STALE_AFTER_DAYS, CongressDirectory
from callbot.civic.models import CAPITOL_SWITCHBOARD, Legislator, ZipMatch


@dataclass(frozen=True, slots=True)
class Seat:
    """One row of the answer: a House seat or a senator."""

    label: str  # "CA-12", "CA-AL", or "OH senior" for senators
    who: str  # "Rep. Jane Doe", or "vacant seat"
    party: str
    phone: str  # the number to call: own Washington office, else the switchboard
    offices: tuple[str, ...]  # "Oakland 510-555-0100"
    notes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ZipReport:
    match: ZipMatch
    notes: tuple[str, ...]  # how sure we are about the location
    house: tuple[Seat, ...]
    senate: tuple[Seat, ...]
    closing: tuple[str, ...]  # no senators, data age


def _and(items: tuple[str, ...]) -> str:
    return ", ".join(items[:-1]) + f" and {items[-1]}" if len(items) > 1 else "".join(items)


def _member_seat(label: str, member: Legislator, today: date) -> Seat:
    notes: list[str] = []
    if not member.has_own_phone:
        notes.append(
            f"no direct number yet: call the Capitol switchboard ({CAPITOL_SWITCHBOARD}) "
            f"and ask for {member.short_title} {member.name}'s office"
        )
    if member.term_end < today:
        notes.append(
            f"this term ended {member.term_end:%Y-%m-%d} in our data; a successor may hold the "
            "seat now: run `callbot data update`"
        )
    return Seat(
        label=label,
        who=f"{member.short_title} {member.name}",
        party=member.party,
        phone=member.dc_phone,
        offices=tuple(f"{office.city} {office.phone}" for office in member.offices),
        notes=tuple(notes),
    )


def zip_report(
    directory: CongressDirectory, text: str, *, now: datetime | None = None
) -> ZipReport:
    """Everything `callbot lookup` says about a ZIP. Raises InvalidZip for a bad ZIP."""
    moment = now or datetime.now(UTC)
    match = directory.lookup_zip(text)
    states = "/".join(match.states)
    notes: list[str] = []
    if match.by_prefix:
        notes.append(
            f"ZIP {match.zip_code} is not in the ZIP-to-district table (a PO box, office or "
            f"territory ZIP), so it was matched to {states} by its ZIP prefix."
        )
    if len(match.states) > 1:
        notes.append(
            f"ZIP {match.zip_code} crosses a state line: it is partly in {_and(match.states)}."
        )
    if match.is_split:
        labels = ", ".join(d.label for d in match.districts)
        notes.append(
            f"This ZIP spans {len(match.districts)} districts: {labels}. Ask for the member's "
            "street address, or let them pick."
        )
    elif not match.districts:
        notes.append(
            f"The House district is unknown: {states} has several. Ask for the member's street "
            "address to find it."
        )
    house = []
    for district in match.districts:
        member = directory.representative(district)
        if member is None:
            house.append(
                Seat(
                    label=district.label,
                    who="vacant seat",
                    party="",
                    phone=CAPITOL_SWITCHBOARD,
                    offices=(),
                    notes=(
                        f"the seat is vacant: call the Capitol switchboard ({CAPITOL_SWITCHBOARD}) "
                        f"and ask for the {district.label} office, which the Clerk keeps open",
                    ),
                )
            )
        else:
            house.append(_member_seat(district.label, member, moment.date()))
    senate: list[Seat] = []
    closing: list[str] = []
    for state in match.states:
        if not directory.has_senators(state):
            kind = "is not a state" if state == "DC" else "is a territory"
            delegate = "Resident Commissioner" if state == "PR" else "delegate"
            closing.append(
                f"No senators: {state} {kind}, so its only member of Congress is its {delegate}."
            )
            continue
        senators = directory.senators(state)
        if not senators:
            closing.append(f"No senators for {state} in the loaded data.")
        ranks = ("senior", "junior") if len(senators) == 2 else ("",) * len(senators)
        for rank, senator in zip(ranks, senators, strict=True):
            senate.append(_member_seat(f"{state} {rank}".strip(), senator, moment.date()))
    age = directory.age_days(moment)
    if age is None:
        closing.append("The data's download date is unknown: run `callbot data update`.")
    else:
        assert directory.updated_at is not None
        stale = ""
        if age > STALE_AFTER_DAYS:
            stale = f" (older than {STALE_AFTER_DAYS} days: run `callbot data update`)"
        closing.append(f"Data updated {directory.updated_at:%Y-%m-%d}, {age} days ago{stale}.")
    return ZipReport(match, tuple(notes), tuple(house), tuple(senate), tuple(closing))


def _seat_lines(seat: Seat) -> list[str]:
    party = f" ({seat.party})" if seat.party else ""
    lines = [f"  {seat.label}: {seat.who}{party}", f"    Washington office: {seat.phone}"]
    if seat.offices:
        lines.append(f"    District offices: {'; '.join(seat.offices)}")
    lines.extend(f"    Note: {note}" for note in seat.notes)
    return lines


def report_lines(report: ZipReport) -> list[str]:
    """The report as plain lines, for pipes, logs and tests."""
    match = report.match
    where = ", ".join(d.label for d in match.districts) or "/".join(match.states)
    lines = [f"ZIP {match.zip_code}: {where}", *report.notes]
    if report.house:
        lines.append("House:")
        for seat in report.house:
            lines.extend(_seat_lines(seat))
    if report.senate:
        lines.append("Senate:")
        for seat in report.senate:
            lines.extend(_seat_lines(seat))
    lines.extend(report.closing)
    return lines


def describe_zip(directory: CongressDirectory, text: str, *, now: datetime | None = None) -> str:
    """Who represents a ZIP, with the numbers to call, as plain text lines."""
    return "\n".join(report_lines(zip_report(directory, text, now=now)))


def report_table(report: ZipReport) -> Table:
    """The members as a rich table (the notes are printed around it)."""
    table = Table(title=f"ZIP {report.match.zip_code}", show_lines=True)
    for column in ("Seat", "Member", "Party", "Washington office", "District offices"):
        table.add_column(column)
    for chamber, seats in (("House", report.house), ("Senate", report.senate)):
        for seat in seats:
            cells = (
                f"{chamber} {seat.label}",
                "\n".join([seat.who, *(f"Note: {note}" for note in seat.notes)]),
                seat.party,
                seat.phone,
                "\n".join(seat.offices),
            )
            # Text, not markup: names and addresses come from a downloaded file.
            table.add_row(*(Text(cell) for cell in cells))
    return table
