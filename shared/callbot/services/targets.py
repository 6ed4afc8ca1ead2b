"""Who a member calls for a campaign: their own Representative and Senators and/or the
campaign's custom targets, in the campaign's order, each with the numbers to dial."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from callbot.campaigns import CampaignSpec, ScriptTarget
from callbot.civic import (
    CAPITOL_SWITCHBOARD,
    CongressDirectory,
    District,
    Legislator,
    Office,
    ZipMatch,
)
from callbot.db.models import Member

PARTY_LETTERS = {"Democrat": "D", "Republican": "R", "Independent": "I"}


@dataclass(frozen=True, slots=True)
class CallTarget:
    """One office to call, as shown to the member."""

    key: str  # stable id used in buttons: a bioguide id, "vacant-CA-14" or "custom-<key>"
    chamber: str  # "house", "senate" or "custom"
    script_target: ScriptTarget
    phone: str
    offices: tuple[Office, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def heading(self) -> str:
        target = self.script_target
        detail = ", ".join(
            part
            for part in (
                PARTY_LETTERS.get(target.party, target.party[:1]),
                target.district or target.state,
            )
            if part
        )
        return f"{target.title} {target.name}" + (f" ({detail})" if detail else "")


@dataclass(frozen=True, slots=True)
class TargetPlan:
    targets: tuple[CallTarget, ...]
    notes: tuple[str, ...]  # why an expected target is missing, for the member


def wants_congress(spec: CampaignSpec) -> bool:
    return spec.targets.house or spec.targets.senate


def district_of(member: Member) -> District | None:
    if member.state is None or member.district is None:
        return None
    return District(member.state, member.district)


def legislator_target(
    legislator: Legislator, today: date, fallback_phone: str | None
) -> CallTarget:
    notes: list[str] = []
    phone = legislator.dc_phone
    if not legislator.has_own_phone:
        phone = fallback_phone or CAPITOL_SWITCHBOARD
        notes.append(
            f"We don't have a direct number for {legislator.short_title} {legislator.name} yet: "
            f"call {phone} and ask for their office."
        )
    if legislator.term_end < today:
        notes.append(
            f"Our records show this term ended on {legislator.term_end:%B %-d, %Y}; a successor may "
            f"hold the seat now. If so, the Capitol switchboard ({CAPITOL_SWITCHBOARD}) will connect you."
        )
    district = None
    if legislator.district is not None:
        district = District(legislator.state, legislator.district).label
    return CallTarget(
        key=legislator.bioguide_id,
        chamber=str(legislator.chamber),
        script_target=ScriptTarget(
            title=legislator.title,
            short_title=legislator.short_title,
            name=legislator.name,
            last_name=legislator.last_name,
            party=legislator.party,
            state=legislator.state,
            district=district,
            phone=phone,
        ),
        phone=phone,
        offices=legislator.offices,
        notes=tuple(notes),
    )


def vacant_target(district: District, fallback_phone: str | None) -> CallTarget:
    phone = fallback_phone or CAPITOL_SWITCHBOARD
    return CallTarget(
        key=f"vacant-{district.label}",
        chamber="house",
        script_target=ScriptTarget(
            title="Office",
            short_title="the office of",
            name=f"{district.label}",
            last_name=district.label,
            party="",
            state=district.state,
            district=district.label,
            phone=phone,
        ),
        phone=phone,
        notes=(
            f"The House seat for {district.label} is vacant right now. The office is kept open "
            f"by the Clerk of the House: call {phone} and ask for the {district.label} office, "
            "or skip to the next call.",
        ),
    )


def plan_targets(
    spec: CampaignSpec,
    member: Member,
    directory: CongressDirectory | None,
    today: date,
    zip_match: ZipMatch | None = None,
) -> TargetPlan:
    """The offices this member calls for this campaign, in the campaign's order."""
    notes: list[str] = []
    by_chamber: dict[str, list[CallTarget]] = {"house": [], "senate": [], "custom": []}
    if wants_congress(spec):
        if directory is None:
            notes.append(
                "The list of members of Congress isn't loaded on this bot yet, so we can't look up "
                "your Representative and Senators. An organizer can load it with `callbot data update`."
            )
        else:
            _plan_congress(spec, member, directory, today, zip_match, by_chamber, notes)
    for custom in spec.targets.custom:
        by_chamber["custom"].append(
            CallTarget(
                key=f"custom-{custom.key}",
                chamber="custom",
                script_target=ScriptTarget(
                    title=custom.title,
                    short_title=custom.title,
                    name=custom.name,
                    last_name=custom.name.split()[-1],
                    party="",
                    state=custom.state or "",
                    district=None,
                    phone=custom.phone,
                ),
                phone=custom.phone,
                notes=(custom.note,) if custom.note else (),
            )
        )
    ordered = [target for chamber in spec.targets.order for target in by_chamber[chamber]]
    return TargetPlan(tuple(ordered), tuple(notes))


def _plan_congress(
    spec: CampaignSpec,
    member: Member,
    directory: CongressDirectory,
    today: date,
    zip_match: ZipMatch | None,
    by_chamber: dict[str, list[CallTarget]],
    notes: list[str],
) -> None:
    fallback = spec.fallback_phone
    district = district_of(member)
    if spec.targets.house:
        if district is None:
            notes.append(
                f"We couldn't tell your House district from ZIP {member.zip_code} (it may be a PO box "
                "or office ZIP). Set your home ZIP with /profile to call your Representative too."
            )
        else:
            representative = directory.representative(district)
            by_chamber["house"].append(
                legislator_target(representative, today, fallback)
                if representative is not None
                else vacant_target(district, fallback)
            )
    if spec.targets.senate:
        state = member.state or (district.state if district else None)
        if state is None and zip_match is not None and len(zip_match.states) == 1:
            state = zip_match.states[0]
        if state is None:
            notes.append("Pick your district first so we know which state's Senators to call.")
        elif not directory.has_senators(state):
            notes.append(
                f"{state} has no Senators: residents of DC and the territories are represented in "
                "Congress only by their delegate."
            )
        else:
            by_chamber["senate"].extend(
                legislator_target(senator, today, fallback) for senator in directory.senators(state)
            )
