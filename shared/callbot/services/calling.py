"""The call flow: start a call session, show one office at a time with its filled-in
script, record how each call went, and thank the member at the end."""

from __future__ import annotations

import re
import secrets

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from callbot.campaigns import Caller, CatalogEntry, render_script
from callbot.civic import ZipMatch
from callbot.core import Core
from callbot.db.models import COMPLETED_OUTCOMES, CallOutcome, Community, Member, Outcome
from callbot.errors import UserError, problem
from callbot.replies import (
    Action,
    Actor,
    Choice,
    Fact,
    Picker,
    Reply,
    Style,
    Tone,
    component_id,
)
from callbot.safety import member_text, neutralize_mentions
from callbot.services.common import (
    ensure_member_of,
    insert_ignoring_conflicts,
    pick_campaign,
)
from callbot.services.profile import choose_district, profile_form, update_profile
from callbot.services.targets import TargetPlan, plan_targets, wants_congress

OUTCOME_BUTTONS = (
    (Outcome.CONTACT, "Talked to staff", Style.SUCCESS),
    (Outcome.VOICEMAIL, "Left voicemail", Style.PRIMARY),
    (Outcome.UNAVAILABLE, "Couldn't get through", Style.SECONDARY),
    (Outcome.SKIP, "Skip", Style.SECONDARY),
)
OUTCOME_WORDS = {
    Outcome.CONTACT: "talked to staff",
    Outcome.VOICEMAIL: "left a voicemail",
    Outcome.UNAVAILABLE: "couldn't get through",
    Outcome.SKIP: "skipped",
}
MAX_DISTRICT_OFFICES = 3
_SESSION_KEY = re.compile(r"^[a-z0-9]{6,16}$")
_TARGET_KEY = re.compile(r"^[A-Za-z0-9-]{1,64}$")


def new_session_key() -> str:
    return secrets.token_hex(4)


def campaign_picker(
    core: Core, picker_id: str = "call", question: str = "Which campaign do you want to call for?"
) -> Reply:
    """Ask which open campaign the member means; the choice is appended to `picker_id`."""
    choices = tuple(
        Choice(entry.spec.title[:100], entry.spec.slug, entry.spec.summary[:100])
        for entry in core.campaigns.open_campaigns(core.clock())[:25]
    )
    return Reply(text=question, picker=Picker(picker_id, "Choose a campaign", choices))


def about_campaign(core: Core, campaign: str) -> Reply:
    """The campaign's background and links, for members who want to know more before calling."""
    entry = core.campaigns.get(campaign)
    if entry is None:
        return problem("That campaign no longer exists.")
    spec = entry.spec
    links = "\n".join(f"- [{link.label}]({link.url})" for link in spec.links)
    body = "\n\n".join(part for part in (spec.summary, spec.why or "", links) if part)
    return Reply(
        text=f"{spec.title}: {spec.summary}",
        title=spec.title,
        body=neutralize_mentions(body),
        actions=(Action(component_id("call", spec.slug), "Call now", Style.PRIMARY),),
    )


def _needs_profile(entry: CatalogEntry, member: Member) -> bool:
    return member.name is None or (wants_congress(entry.spec) and member.zip_code is None)


def _district_picker(core: Core, entry: CatalogEntry, match: ZipMatch) -> Reply:
    assert core.directory is not None
    choices = []
    for district in match.districts:
        representative = core.directory.representative(district)
        who = (
            f"{representative.short_title} {representative.name}"
            if representative
            else "vacant seat"
        )
        choices.append(Choice(f"{district.label}: {who}"[:100], district.label))
    return Reply(
        text=f"ZIP {match.zip_code} spans {len(match.districts)} congressional districts.",
        title="Which district do you live in?",
        body=f"ZIP {match.zip_code} is split between {len(match.districts)} districts. Pick yours; "
        "if you're not sure, your representative's name on a ballot or a mailer will tell you.",
        picker=Picker(
            component_id("district", entry.spec.slug), "Choose your district", tuple(choices)
        ),
    )


def _location_match(core: Core, member: Member) -> ZipMatch | None:
    if core.directory is None or member.zip_code is None:
        return None
    return core.directory.lookup_zip(member.zip_code)


def _plan(core: Core, entry: CatalogEntry, member: Member) -> tuple[TargetPlan, ZipMatch | None]:
    match = _location_match(core, member)
    plan = plan_targets(entry.spec, member, core.directory, core.clock().date(), match)
    return plan, match


def _caller(member: Member) -> Caller:
    return Caller(
        name=member.name or "", city=member.city, state=member.state, zip_code=member.zip_code
    )


def target_reply(
    entry: CatalogEntry,
    member: Member,
    plan: TargetPlan,
    index: int,
    session_key: str,
    preface: str = "",
) -> Reply:
    """One office: who, the filled-in script, the numbers, and the outcome buttons."""
    target = plan.targets[index]
    script = render_script(
        entry.spec.script_for(target.chamber), _caller(member), target.script_target
    )
    facts = [
        Fact("Phone (Washington office)" if target.chamber != "custom" else "Phone", target.phone)
    ]
    offices = target.offices[:MAX_DISTRICT_OFFICES]
    if offices:
        facts.append(
            Fact(
                "Line busy? District offices",
                "; ".join(f"{office.city}: {office.phone}" for office in offices),
            )
        )
    notes = list(target.notes)
    if index == 0:
        notes.extend(plan.notes)
    actions = tuple(
        Action(
            component_id("outcome", entry.spec.slug, session_key, target.key, outcome.value),
            label,
            style,
        )
        for outcome, label, style in OUTCOME_BUTTONS
    )
    spec = entry.spec
    if index == 0 and (spec.why or spec.links):
        actions += (Action(component_id("about", spec.slug), "Why it matters"),)
    heading = f"Call {index + 1} of {len(plan.targets)}: {target.heading}"
    intro = preface or (neutralize_mentions(spec.summary) if index == 0 else "")
    return Reply(
        text=f"{preface} {heading}: {target.phone}".strip(),
        title=heading,
        body=(f"{intro}\n\n" if intro else "") + script,
        facts=tuple(facts),
        actions=actions,
        footer=" ".join(notes),
    )


def _continue_call(core: Core, entry: CatalogEntry, member: Member) -> Reply:
    """The next step for a member whose campaign is known: form, district picker or first call."""
    if _needs_profile(entry, member):
        return Reply(
            text="Tell us who you are so we can fill in your script.",
            title="Before your first call",
            form=profile_form(
                component_id("profile", "call", entry.spec.slug),
                member,
                zip_required=wants_congress(entry.spec),
            ),
        )
    plan, match = _plan(core, entry, member)
    if (
        entry.spec.targets.house
        and match is not None
        and member.district is None
        and len(match.districts) > 1
    ):
        return _district_picker(core, entry, match)
    if not plan.targets:
        return problem(
            " ".join(plan.notes) or "This campaign has no one for you to call.", "Nobody to call"
        )
    return target_reply(entry, member, plan, 0, new_session_key())


async def start_call(core: Core, actor: Actor, campaign: str | None = None) -> Reply:
    """Begin a call session for the member: the first office to call, or what we need first."""
    async with core.sessions.begin() as session:
        community, member = await ensure_member_of(session, core, actor)
        try:
            entry = pick_campaign(core, community, campaign)
        except UserError as exc:
            return problem(str(exc))
        if entry is None:
            return campaign_picker(core)
        if not entry.spec.is_open(core.clock()):
            return problem(f"“{entry.spec.title}” is closed. Thank you for wanting to help!")
        return _continue_call(core, entry, member)


async def submit_call_profile(
    core: Core, actor: Actor, campaign: str, *, name: str, zip_code: str, city: str = ""
) -> Reply:
    """The member filled in the form that `/call` showed: save it and carry on with the call."""
    async with core.sessions.begin() as session:
        community, member = await ensure_member_of(session, core, actor)
        try:
            entry = pick_campaign(core, community, campaign or None)
            if entry is not None and wants_congress(entry.spec) and not zip_code.strip():
                raise UserError(
                    "Please enter your ZIP code so we can find your members of Congress."
                )
            await update_profile(session, core, member, name=name, zip_code=zip_code, city=city)
        except UserError as exc:
            await session.rollback()
            return _try_again(str(exc), campaign)
        if entry is None:
            return campaign_picker(core)
        return _continue_call(core, entry, member)


async def submit_district(core: Core, actor: Actor, campaign: str, district_label: str) -> Reply:
    """The member picked their district from the candidates for a split ZIP."""
    async with core.sessions.begin() as session:
        community, member = await ensure_member_of(session, core, actor)
        try:
            entry = pick_campaign(core, community, campaign or None)
            await choose_district(session, core, member, district_label)
        except UserError as exc:
            await session.rollback()
            return _try_again(str(exc), campaign)
        if entry is None:
            return campaign_picker(core)
        return _continue_call(core, entry, member)


def _try_again(message: str, campaign: str) -> Reply:
    return Reply(
        text=message,
        tone=Tone.WARNING,
        actions=(Action(component_id("call", campaign), "Try again", Style.PRIMARY),),
    )


async def record_outcome(
    core: Core,
    actor: Actor,
    campaign: str,
    session_key: str,
    target_key: str,
    result: str,
    interaction_id: str,
) -> Reply:
    """Record how one call went, then show the next office or the thank-you.

    Idempotent: the same interaction id, or a second click on the same step of the same
    session, records nothing new and answers the same way.
    """
    try:
        outcome = Outcome(result)
    except ValueError:
        return problem("That button is out of date. Start again with /call.")
    if not _SESSION_KEY.match(session_key) or not _TARGET_KEY.match(target_key):
        return problem("That button is out of date. Start again with /call.")
    entry = core.campaigns.get(campaign)
    if entry is None:
        return problem("That campaign no longer exists. Start again with /call.")
    async with core.sessions.begin() as session:
        community, member = await ensure_member_of(session, core, actor)
        plan, _ = _plan(core, entry, member)
        target = next((t for t in plan.targets if t.key == target_key), None)
        await _insert_outcome(
            session,
            core,
            community,
            member,
            entry,
            session_key,
            target_key,
            target.heading if target else target_key,
            outcome,
            interaction_id,
        )
        done = set(
            await session.scalars(
                select(CallOutcome.target_key).where(
                    CallOutcome.member_id == member.id, CallOutcome.session_key == session_key
                )
            )
        )
        preface = f"Noted: you {OUTCOME_WORDS[outcome]}" + (
            f" with {target.heading}." if target else "."
        )
        for index, upcoming in enumerate(plan.targets):
            if upcoming.key not in done:
                return target_reply(entry, member, plan, index, session_key, preface)
        return await _thank_you(session, community, member, entry, session_key)


async def _insert_outcome(
    session: AsyncSession,
    core: Core,
    community: Community,
    member: Member,
    entry: CatalogEntry,
    session_key: str,
    target_key: str,
    target_name: str,
    outcome: Outcome,
    interaction_id: str,
) -> None:
    await insert_ignoring_conflicts(
        session,
        CallOutcome.__table__,  # type: ignore[arg-type]
        {
            "community_id": community.id,
            "member_id": member.id,
            "campaign_id": entry.id,
            "session_key": session_key,
            "target_key": target_key,
            "target_name": target_name[:200],
            "result": outcome.value,
            "interaction_id": interaction_id[:100],
            "created_at": core.clock(),
        },
    )


async def _thank_you(
    session: AsyncSession,
    community: Community,
    member: Member,
    entry: CatalogEntry,
    session_key: str,
) -> Reply:
    completed = CallOutcome.result.in_(COMPLETED_OUTCOMES)
    this_session, mine = (
        await session.execute(
            select(func.count().filter(CallOutcome.session_key == session_key), func.count()).where(
                CallOutcome.member_id == member.id, CallOutcome.campaign_id == entry.id, completed
            )
        )
    ).one()
    community_total = await session.scalar(
        select(func.count()).where(
            CallOutcome.community_id == community.id, CallOutcome.campaign_id == entry.id, completed
        )
    )
    facts = [
        Fact("Your completed calls for this campaign", str(mine or 0)),
        Fact("Your community's completed calls", str(community_total or 0)),
    ]
    goal = entry.spec.goal
    if goal:
        facts.append(
            Fact(
                "Goal",
                f"{community_total or 0} of {goal} ({100 * (community_total or 0) // goal}%)",
            )
        )
    name = member_text(member.name) if member.name else "friend"
    if this_session:
        body = f"Thank you, {name}! You reached {this_session} office{'s' if this_session != 1 else ''} today. Every call is counted by the staff who answer it."
    else:
        body = f"Thanks for trying, {name}. Lines are often busy: try again later, or a district office."
    return Reply(
        text=f"Thank you! Calls for “{entry.spec.title}”: yours {mine or 0}, your community's {community_total or 0}.",
        title="You're done. Thank you!",
        body=body,
        facts=tuple(facts),
        actions=(
            Action(component_id("leaderboard", entry.spec.slug, "all"), "Leaderboard"),
            Action(component_id("mystats"), "My stats"),
        ),
        tone=Tone.SUCCESS,
    )
