"""What a member tells us about themselves: show it, change it, and erase it for good."""

from __future__ import annotations

import secrets

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from callbot.civic import InvalidZip, ZipMatch, state_for_zip_prefix
from callbot.civic.zipcodes import parse_zip
from callbot.core import Core
from callbot.db.models import CallOutcome, Member, Pledge
from callbot.errors import UserError, problem
from callbot.replies import Action, Actor, Fact, Form, FormField, Reply, Style, Tone, component_id
from callbot.safety import as_typed, clean_text, member_text
from callbot.services.common import ensure_member_of, find_member_of

NAME_MAX = 50
CITY_MAX = 60


def clean_name(raw: str) -> str:
    name = clean_text(raw, NAME_MAX)
    if not name:
        raise UserError(
            "Please give a name to introduce yourself with on calls (a first name is fine)."
        )
    return name


def match_zip(core: Core, raw: str) -> ZipMatch:
    """Check a ZIP against the congress data, or at least its prefix when no data is loaded."""
    text = raw.strip()
    try:
        if core.directory is not None:
            return core.directory.lookup_zip(text)
        digits = parse_zip(text)
    except InvalidZip as exc:
        raise UserError(str(exc)) from None
    states = state_for_zip_prefix(digits)
    if not states:
        raise UserError(f"{digits} is not a ZIP code in use. Please check it and try again.")
    return ZipMatch(zip_code=digits, states=states, districts=(), by_prefix=True)


def apply_zip(member: Member, match: ZipMatch) -> None:
    """Store the ZIP and whatever it tells us for certain about state and district."""
    member.zip_code = match.zip_code
    single = match.single
    member.state = single.state if single else (match.states[0] if len(match.states) == 1 else None)
    member.district = single.number if single else None


def profile_form(form_id: str, member: Member | None, *, zip_required: bool = True) -> Form:
    """The name/ZIP/city form, pre-filled with what we already know."""
    return Form(
        id=form_id,
        title="About you",
        fields=(
            FormField(
                "name",
                "Your name, as you'll say it on calls",
                True,
                "Jane",
                member.name or "" if member else "",
                NAME_MAX,
            ),
            FormField(
                "zip",
                "ZIP code (finds your members of Congress)",
                zip_required,
                "20001",
                member.zip_code or "" if member else "",
                10,
            ),
            FormField(
                "city",
                "City (optional, said in the script)",
                False,
                "Springfield",
                member.city or "" if member else "",
                CITY_MAX,
            ),
        ),
    )


async def update_profile(
    session: AsyncSession,
    core: Core,
    member: Member,
    *,
    name: str | None = None,
    zip_code: str | None = None,
    city: str | None = None,
    leaderboard_visible: bool | None = None,
    reminders: bool | None = None,
) -> None:
    """Validate everything first, then change the member; a bad value changes nothing."""
    new_name = clean_name(name) if name is not None else None
    # An empty ZIP leaves the stored one alone (the edit form does not require it).
    match = match_zip(core, zip_code) if zip_code and zip_code.strip() else None
    if new_name is not None:
        member.name = new_name
    # Re-applying the same ZIP would forget a district the member picked for a split ZIP.
    if match is not None and (match.zip_code != member.zip_code or member.district is None):
        apply_zip(member, match)
    if city is not None:
        member.city = clean_text(city, CITY_MAX) or None
    if leaderboard_visible is not None:
        member.leaderboard_visible = leaderboard_visible
    if reminders is not None:
        member.reminders = reminders
    member.updated_at = core.clock()
    await session.flush()


def _profile_reply(member: Member, calls: int, pledges: int, saved: bool) -> Reply:
    location = "not set"
    if member.zip_code:
        where = (
            f"{member.state}-{member.district if member.district else 'AL'}"
            if member.state and member.district is not None
            else (member.state or "district not chosen yet")
        )
        location = f"{member.zip_code} ({where})"
    facts = (
        Fact("Name", member_text(member.name) if member.name else "not set"),
        Fact("City", member_text(member.city) if member.city else "not set"),
        Fact("ZIP", location),
        Fact("On the leaderboard", "yes" if member.leaderboard_visible else "no (hidden)"),
        Fact("Pledge reminders", "on" if member.reminders else "off"),
        Fact("Calls logged", str(calls)),
        Fact("Open pledges", str(pledges)),
    )
    return Reply(
        text="Profile saved."
        if saved
        else "Here's everything callbot keeps about you in this community.",
        title="Your profile",
        body=("Saved. " if saved else "")
        + "This is everything callbot keeps about you here. We never store phone numbers or street "
        "addresses. Use /forget to erase it.",
        facts=facts,
        actions=(
            Action(component_id("profile", "edit"), "Edit", Style.PRIMARY),
            Action(
                component_id("profile", "hide" if member.leaderboard_visible else "show"),
                "Hide me from the leaderboard"
                if member.leaderboard_visible
                else "Show me on the leaderboard",
            ),
            Action(
                component_id("profile", "reminders-off" if member.reminders else "reminders-on"),
                "Turn reminders off" if member.reminders else "Turn reminders on",
            ),
        ),
        tone=Tone.SUCCESS if saved else Tone.INFO,
    )


async def _counts(session: AsyncSession, member: Member) -> tuple[int, int]:
    calls = await session.scalar(
        select(func.count()).select_from(CallOutcome).where(CallOutcome.member_id == member.id)
    )
    pledges = await session.scalar(
        select(func.count()).select_from(Pledge).where(Pledge.member_id == member.id)
    )
    return int(calls or 0), int(pledges or 0)


async def show_profile(core: Core, actor: Actor) -> Reply:
    """Everything the bot holds about the member in this community."""
    async with core.sessions.begin() as session:
        _, member = await ensure_member_of(session, core, actor)
        calls, pledges = await _counts(session, member)
        return _profile_reply(member, calls, pledges, saved=False)


async def set_profile(
    core: Core,
    actor: Actor,
    *,
    name: str | None = None,
    zip_code: str | None = None,
    city: str | None = None,
    leaderboard_visible: bool | None = None,
    reminders: bool | None = None,
) -> Reply:
    """Change any of the member's settings; a bad value is explained and nothing changes."""
    async with core.sessions.begin() as session:
        _, member = await ensure_member_of(session, core, actor)
        try:
            await update_profile(
                session,
                core,
                member,
                name=name,
                zip_code=zip_code,
                city=city,
                leaderboard_visible=leaderboard_visible,
                reminders=reminders,
            )
        except UserError as exc:
            await session.rollback()
            return problem(str(exc))
        calls, pledges = await _counts(session, member)
        return _profile_reply(member, calls, pledges, saved=True)


def edit_profile_form(member: Member | None) -> Reply:
    return Reply(
        text="Update your name, ZIP or city.",
        form=profile_form(component_id("profile", "save"), member, zip_required=False),
    )


async def profile_form_reply(core: Core, actor: Actor) -> Reply:
    async with core.sessions.begin() as session:
        _, member = await find_member_of(session, actor)
        return edit_profile_form(member)


def confirm_erase() -> Reply:
    """Ask before erasing: it cannot be undone."""
    return Reply(
        text="Erase everything callbot keeps about you in this community?",
        title="Erase your data?",
        body="This removes your name, city, ZIP and district, your pledges and your place on the "
        "leaderboard, for good. Calls you logged stay in the community's totals, with nothing "
        "that links them to you. This cannot be undone.",
        actions=(
            Action(component_id("forget", "confirm"), "Erase my data", Style.DANGER),
            Action(component_id("forget", "cancel"), "Keep my data"),
        ),
        tone=Tone.WARNING,
    )


async def erase_member(core: Core, actor: Actor) -> Reply:
    """Erase the member's personal data and leaderboard identity for good.

    The member row is kept but unlinked from the platform user (its user id becomes a random
    placeholder) so that anonymous call counts stay in the community's totals.
    """
    async with core.sessions.begin() as session:
        _, member = await find_member_of(session, actor)
        if member is None:
            return Reply(
                text="callbot holds nothing about you in this community.", tone=Tone.SUCCESS
            )
        await session.execute(delete(Pledge).where(Pledge.member_id == member.id))
        member.user_id = "erased-" + secrets.token_hex(12)
        member.name = member.city = member.zip_code = member.state = None
        member.district = None
        member.leaderboard_visible = False
        member.reminders = False
        member.erased_at = member.updated_at = core.clock()
    return Reply(
        text="Done: your data is erased. If you use callbot again, you'll start fresh.",
        title="Erased",
        tone=Tone.SUCCESS,
    )


async def choose_district(session: AsyncSession, core: Core, member: Member, label: str) -> None:
    """Set the member's district to one of the candidates for their ZIP."""
    if member.zip_code is None or core.directory is None:
        raise UserError("Set your ZIP code first.")
    match = core.directory.lookup_zip(member.zip_code)
    for district in match.districts:
        if district.label == label:
            member.state, member.district = district.state, district.number
            member.updated_at = core.clock()
            await session.flush()
            return
    raise UserError(
        f"“{as_typed(label, 10)}” is not one of the districts for ZIP {member.zip_code}."
    )
