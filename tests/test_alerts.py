"""Action alerts, tallies and reminders through the core, on a real database, with a
recording notifier in place of a platform (time moved by hand: `clock`)."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from callbot.alerts import delivery
from callbot.alerts.sending import Runtime
from callbot.alerts.service import (
    cancel_alert,
    discard_alert,
    draft_alert,
    list_alerts,
    post_tally_now,
    preview_alert,
)
from callbot.core import Core
from callbot.db.models import (
    Alert,
    AlertDelivery,
    AlertStatus,
    AuditEvent,
    Community,
    Pledge,
    TallyDelivery,
)
from callbot.markup import markdown_to_text
from callbot.notify import BeforeSend, DeliveryError, DeliveryUncertain, DestinationGone
from callbot.replies import Actor, Reply
from callbot.services import handle_component, pledge, set_profile
from callbot.services.communities import configure_community
from conftest import FIXTURES, Clock, build_core, make_settings, rows
from test_services_counts import call

ORGANIZER = Actor("terminal", "server-1", "olga", "Olga", is_admin=True)
MEMBER = Actor("terminal", "server-1", "alice", "Alice")
OTHER_ORGANIZER = Actor("terminal", "server-2", "oscar", "Oscar", is_admin=True)
PNG = b"\x89PNG\r\n\x1a\n"


@dataclass
class RecordingNotifier:
    """Records every post, edit and direct message; raises what `failures` holds first.

    A post calls `before_send` (its claim) before it "goes out". `lose_answers` posts go out
    and then raise DeliveryUncertain (the answer lost). With `repeats_safe_for`, a post
    repeated with a key it has seen is answered with the first one, as Discord answers a
    nonce it has seen."""

    platform: str = "terminal"
    repeats_safe_for: timedelta = timedelta(0)
    posts: list[tuple[str, str, Reply]] = field(default_factory=list)
    edits: list[tuple[str, str, Reply]] = field(default_factory=list)
    directs: list[tuple[str, str, Reply]] = field(default_factory=list)
    failures: deque[Exception] = field(default_factory=deque)
    lose_answers: int = 0
    keys: dict[str, str] = field(default_factory=dict)  # key -> the ref of its post

    def _maybe_fail(self) -> None:
        if self.failures:
            raise self.failures.popleft()

    async def post(
        self,
        community_id: str,
        channel_id: str,
        reply: Reply,
        *,
        key: str | None = None,
        before_send: BeforeSend | None = None,
    ) -> str:
        await self.before_request(before_send)
        self._maybe_fail()
        if key is not None and self.repeats_safe_for and key in self.keys:
            ref = self.keys[key]
        else:
            self.posts.append((community_id, channel_id, reply))
            ref = f"{channel_id}/{len(self.posts)}"
            if key is not None:
                self.keys[key] = ref
        await self.recorded()
        if self.lose_answers:
            self.lose_answers -= 1
            raise DeliveryUncertain("the connection closed before the answer")
        return ref

    async def before_request(self, before_send: BeforeSend | None) -> None:
        """What comes before a post "goes out": its claim. Subclasses wait here, as a
        platform's pace or a slow answer would make them."""
        if before_send is not None:
            await before_send()

    async def recorded(self) -> None:
        """Called once a post or a direct message is recorded."""

    async def edit(self, community_id: str, ref: str, reply: Reply) -> None:
        self._maybe_fail()
        self.edits.append((community_id, ref, reply))

    async def direct(self, community_id: str, user_id: str, reply: Reply) -> None:
        self.directs.append((community_id, user_id, reply))
        await self.recorded()


@pytest.fixture
async def core(engine: AsyncEngine, tmp_path: Path, clock: Clock) -> AsyncIterator[Core]:
    settings = make_settings(tmp_path, str(engine.url), FIXTURES / "service-campaigns")
    yield await build_core(engine, settings, clock, with_directory=False)


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def runtime(core: Core, notifier: RecordingNotifier) -> Runtime:
    waits: list[float] = []

    async def no_wait(seconds: float) -> None:
        waits.append(seconds)

    runtime = Runtime(core, {"terminal": notifier}, sleep=no_wait)
    runtime.waits = waits  # type: ignore[attr-defined]
    return runtime


def facts(reply: Reply) -> dict[str, str]:
    return {fact.name: fact.value for fact in reply.facts}


async def scheduled(core: Core, when: str = "daily 18:00", message: str = "") -> int:
    """An organizer creates and confirms an alert for the governor campaign; its id."""
    preview = await draft_alert(
        core, ORGANIZER, campaign="governor", channel_id="C1", when=when, message=message
    )
    [confirm] = [a.id for a in preview.actions if a.id.startswith("alert:confirm:")]
    confirmed = await handle_component(core, ORGANIZER, confirm, interaction_id="confirm")
    assert confirmed.title == "Alert scheduled", confirmed.text
    return int(confirm.rsplit(":", 1)[1])


async def count(core: Core, model: type) -> int:
    async with core.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


# -- organizers' commands -------------------------------------------------------------------


async def test_a_preview_then_schedule_it_saves_the_alert_and_audits_it(core: Core) -> None:
    preview = await draft_alert(
        core,
        ORGANIZER,
        campaign="governor",
        channel_id="C1",
        when="daily 18:00",
        message="Big vote Thursday! @everyone",
        channel_label="#action",
    )
    shown = facts(preview)
    assert markdown_to_text(shown["Posted in"]) == "#action"
    assert shown["When"] == "every day at 18:00 (America/New_York)"
    assert shown["Next posts"].startswith("Wed 18 Nov 18:00 EST")  # the clock: Wed 10:00 ET
    assert "Big vote Thursday! @\u200beveryone" in preview.body  # never a mass ping
    assert [a.label for a in preview.actions] == ["Schedule it", "Discard"]
    async with core.sessions() as session:
        assert (await session.scalar(select(Alert.status))) == AlertStatus.DRAFT
    confirm = preview.actions[0].id
    assert (
        "Scheduled" in (await handle_component(core, ORGANIZER, confirm, interaction_id="1")).text
    )
    again = await handle_component(core, ORGANIZER, confirm, interaction_id="2")
    assert "expired or was already used" in again.text
    async with core.sessions() as session:
        alert = await session.scalar(select(Alert))
        event = await session.scalar(select(AuditEvent))
    assert alert is not None and alert.status == AlertStatus.ACTIVE and alert.channel_id == "C1"
    assert event is not None and (event.action, event.user_id) == ("alert.create", "olga")


async def test_a_preview_confirmed_too_late_schedules_nothing(core: Core, clock: Clock) -> None:
    async def preview(when: str) -> str:
        reply = await draft_alert(core, ORGANIZER, campaign="governor", channel_id="C1", when=when)
        return reply.actions[0].id

    start = clock.now
    passing = await preview("today 10:30")  # the clock: Wed 10:00 in New York
    clock.now = start + timedelta(hours=1)
    refused = await handle_component(core, ORGANIZER, passing, interaction_id="1")
    assert "time has passed" in refused.text
    stale = await preview("daily 18:00")
    clock.now += timedelta(days=1, minutes=1)
    expired = await handle_component(core, ORGANIZER, stale, interaction_id="2")
    assert "expired" in expired.text
    async with core.sessions() as session:
        statuses = list(await session.scalars(select(Alert.status)))
    assert statuses and set(statuses) == {AlertStatus.DRAFT}


async def test_only_organizers_create_list_cancel_or_post_tallies(core: Core) -> None:
    for attempt in (
        draft_alert(core, MEMBER, campaign="governor", channel_id="C1", when="daily 18:00"),
        list_alerts(core, MEMBER),
        cancel_alert(core, MEMBER),
        preview_alert(core, MEMBER, "governor"),
        post_tally_now(core, MEMBER, "governor"),
    ):
        assert "Only organizers" in (await attempt).text
    assert await count(core, Alert) == 0 and await count(core, AuditEvent) == 0


async def test_a_bad_request_is_explained_and_nothing_is_stored(core: Core) -> None:
    bad_when = await draft_alert(core, ORGANIZER, campaign="governor", channel_id="C1", when="soon")
    assert "Say when as a date and time" in bad_when.text
    no_campaign = await draft_alert(
        core, ORGANIZER, campaign="nope", channel_id="C1", when="daily 9:00"
    )
    assert "no campaign called" in no_campaign.text
    assert await count(core, Alert) == 0


async def test_listing_shows_next_runs_and_recent_changes_and_cancel_asks_which(core: Core) -> None:
    first = await scheduled(core, "daily 18:00")
    await scheduled(core, "mondays 9am")
    listed = await list_alerts(core, ORGANIZER)
    assert list(facts(listed)) == [f"#{first} Call the Governor", f"#{first + 1} Call the Governor"]
    assert (
        "every day at 18:00; next: Wed 18 Nov 18:00 EST"
        in facts(listed)[f"#{first} Call the Governor"]
    )
    assert "alert.create by olga" in listed.body
    asked = await cancel_alert(core, ORGANIZER)
    assert asked.picker is not None and [c.value for c in asked.picker.choices] == [
        str(first),
        str(first + 1),
    ]
    picked = await handle_component(
        core, ORGANIZER, asked.picker.id, interaction_id="p", choice=str(first)
    )
    assert f"Cancelled alert #{first}" in picked.text
    assert "not scheduled" in (await cancel_alert(core, ORGANIZER, str(first))).text
    typed = await cancel_alert(core, ORGANIZER, f" #{first + 1}")  # as the list shows it
    assert f"Cancelled alert #{first + 1}" in typed.text
    async with core.sessions() as session:
        actions = list(await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))
    assert actions == ["alert.create", "alert.create", "alert.cancel", "alert.cancel"]


async def test_another_communitys_organizer_cannot_touch_an_alert(core: Core) -> None:
    alert_id = await scheduled(core)
    refused = await cancel_alert(core, OTHER_ORGANIZER, str(alert_id))
    assert "not scheduled" in refused.text
    async with core.sessions() as session:
        assert await session.scalar(select(Alert.status)) == AlertStatus.ACTIVE


async def test_discarding_a_preview_schedules_nothing(core: Core) -> None:
    preview = await draft_alert(
        core, ORGANIZER, campaign="governor", channel_id="C1", when="daily 9:00"
    )
    alert_id = preview.actions[1].id.rsplit(":", 1)[1]
    assert "nothing was scheduled" in (await discard_alert(core, ORGANIZER, alert_id)).text
    assert await count(core, Alert) == 0


async def test_the_alerts_ill_call_button_pledges_then_withdraws(core: Core) -> None:
    first = await handle_component(core, MEMBER, "pledge:governor:toggle", interaction_id="a")
    assert "Thank you for pledging" in first.text
    second = await handle_component(core, MEMBER, "pledge:governor:toggle", interaction_id="b")
    assert "withdrawn" in second.text
    assert await count(core, Pledge) == 0


# -- posting, exactly once --------------------------------------------------------------------


async def test_an_alert_is_posted_once_at_its_time_with_live_counts(
    core: Core, clock: Clock, runtime: Runtime, notifier: RecordingNotifier
) -> None:
    alert_id = await scheduled(core, "daily 18:00", "Call today!")
    early = await delivery.run_alert(runtime, alert_id, core.clock())
    assert early == "not due" and notifier.posts == []
    clock.now = datetime(2026, 11, 18, 23, 2, tzinfo=UTC)  # 18:02 New York: two minutes late
    assert await delivery.run_alert(runtime, alert_id, core.clock()) == "posted"
    assert await delivery.run_alert(runtime, alert_id, core.clock()) == "not due"  # judged
    [(community, channel, post)] = notifier.posts
    assert (community, channel, post.private) == ("server-1", "C1", False)
    assert post.title == "Action alert: Call the Governor" and "Call today!" in post.body
    assert [a.id for a in post.actions] == ["call:governor", "pledge:governor:toggle"]
    assert facts(post)["Pledged to call"] == "0"
    # Counts on the post follow pledges, one edit per change however many refreshes.
    assert await delivery.refresh_alert_posts(runtime, core.clock()) == 0
    await pledge(core, MEMBER, "governor")
    assert await delivery.refresh_alert_posts(runtime, core.clock()) == 1
    assert await delivery.refresh_alert_posts(runtime, core.clock()) == 0
    [(_, ref, edited)] = notifier.edits
    assert ref == "C1/1" and facts(edited)["Pledged to call"] == "1"


async def test_a_one_time_alert_finishes_after_its_post(
    core: Core, clock: Clock, runtime: Runtime
) -> None:
    alert_id = await scheduled(core, "2026-11-18 12:00")
    clock.now = datetime(2026, 11, 18, 17, 0, tzinfo=UTC)
    assert await delivery.run_alert(runtime, alert_id, core.clock()) == "posted"
    async with core.sessions() as session:
        assert await session.scalar(select(Alert.status)) == AlertStatus.FINISHED


async def test_a_failing_post_is_retried_with_backoff(
    core: Core, clock: Clock, runtime: Runtime, notifier: RecordingNotifier
) -> None:
    alert_id = await scheduled(core)
    clock.now = datetime(2026, 11, 18, 23, 0, tzinfo=UTC)
    notifier.failures.extend([DeliveryError("429"), DeliveryError("502")])
    assert await delivery.run_alert(runtime, alert_id, core.clock()) == "posted"
    assert runtime.waits == [2.0, 5.0]  # type: ignore[attr-defined]
    async with core.sessions() as session:
        posted = await session.scalar(select(AlertDelivery))
    assert posted is not None and (posted.status, posted.attempts) == ("posted", 3)


async def test_a_post_that_keeps_failing_is_given_up_and_its_organizer_told(
    core: Core, clock: Clock, runtime: Runtime, notifier: RecordingNotifier
) -> None:
    alert_id = await scheduled(core)
    clock.now = datetime(2026, 11, 18, 23, 0, tzinfo=UTC)
    notifier.failures.extend([DeliveryError("outage")] * 4)
    assert await delivery.run_alert(runtime, alert_id, core.clock()) == "failed"
    [(_, organizer, notice)] = notifier.directs
    assert organizer == "olga" and "could not be posted" in notice.text
    async with core.sessions() as session:
        assert await session.scalar(select(Alert.status)) == AlertStatus.ACTIVE  # runs again
    # Judged: the same occurrence is not posted late by another run (Post it now can).
    assert await delivery.run_alert(runtime, alert_id, core.clock()) == "not due"


async def test_a_channel_that_is_gone_disables_the_alert_and_tells_its_organizer(
    core: Core, clock: Clock, runtime: Runtime, notifier: RecordingNotifier
) -> None:
    alert_id = await scheduled(core)
    clock.now = datetime(2026, 11, 18, 23, 0, tzinfo=UTC)
    notifier.failures.append(DestinationGone("channel C1 no longer exists"))
    assert await delivery.run_alert(runtime, alert_id, core.clock()) == "gone"
    async with core.sessions() as session:
        alert = await session.scalar(select(Alert))
        audit = list(await session.scalars(select(AuditEvent.action)))
    assert alert is not None and alert.status == AlertStatus.DISABLED
    assert "no longer exists" in (alert.disabled_reason or "")
    assert audit == ["alert.create", "alert.disable"]
    [(_, organizer, notice)] = notifier.directs
    assert organizer == "olga" and "turned off" in notice.text
    assert runtime.waits == []  # type: ignore[attr-defined]  # nothing to retry


async def test_a_missed_occurrence_is_reported_with_post_it_now_and_never_posted_late(
    core: Core, clock: Clock, runtime: Runtime, notifier: RecordingNotifier
) -> None:
    alert_id = await scheduled(core)
    clock.now = datetime(2026, 11, 18, 23, 10, tzinfo=UTC)  # ten minutes after 18:00 NY
    assert await delivery.run_alert(runtime, alert_id, core.clock()) == "missed"
    [(_, organizer, notice)] = notifier.directs
    assert organizer == "olga" and "was not posted" in notice.text and "runs again" in notice.body
    [missed] = await rows(core, AlertDelivery)
    assert missed.status == "missed"
    assert [(a.label, a.id) for a in notice.actions] == [
        ("Post it now", f"alert:postnow:{missed.id}")
    ]
    assert await delivery.run_alert(runtime, alert_id, core.clock()) == "not due"  # judged once
    assert notifier.posts == [] and len(notifier.directs) == 1


async def test_a_missed_one_time_alert_is_finished_and_its_failure_worded_as_such(
    core: Core, clock: Clock, runtime: Runtime, notifier: RecordingNotifier
) -> None:
    missed = await scheduled(core, "2026-11-18 18:00")
    clock.now = datetime(2026, 11, 18, 23, 10, tzinfo=UTC)
    assert await delivery.run_alert(runtime, missed, core.clock()) == "missed"
    async with core.sessions() as session:
        assert (await session.get(Alert, missed)).status == AlertStatus.FINISHED  # type: ignore[union-attr]
    assert "this once" in notifier.directs[-1][2].body
    failing = await scheduled(core, "2026-11-19 18:00")
    clock.now = datetime(2026, 11, 19, 23, 0, tzinfo=UTC)
    notifier.failures.extend([DeliveryError("outage")] * 4)
    assert await delivery.run_alert(runtime, failing, core.clock()) == "failed"
    notice = notifier.directs[-1][2]
    assert "this once" in notice.body and "next time" not in notice.body
    assert [a.label for a in notice.actions] == ["Post it now"]


async def test_the_daily_tally_is_posted_once_with_its_chart(
    core: Core, clock: Clock, runtime: Runtime, notifier: RecordingNotifier
) -> None:
    await configure_community(core, ORGANIZER, alert_channel_id="C-alerts")
    await call(core, MEMBER)
    async with core.sessions() as session:
        community = await session.scalar(select(Community))
    entry = core.campaigns.get("governor")
    assert community is not None and entry is not None
    due = datetime(2026, 11, 18, 23, 0, tzinfo=UTC)
    late = due + timedelta(minutes=2)
    early = due - timedelta(minutes=5)
    assert await delivery.run_tally(runtime, community.id, entry.id, early) == "not due"
    assert await delivery.run_tally(runtime, community.id, entry.id, late) == "posted"
    assert await delivery.run_tally(runtime, community.id, entry.id, late) == "already claimed"
    [(_, channel, tally)] = notifier.posts
    assert channel == "C-alerts" and not tally.private
    assert facts(tally)["Members who called"] == "1"
    assert "1. Alice: 1 call" in tally.body
    assert tally.image is not None and tally.image.data.startswith(PNG)
    assert "Nov 18 1" in tally.image.alt
    assert await count(core, TallyDelivery) == 1


async def test_the_tally_can_be_posted_now_by_an_organizer(core: Core) -> None:
    posted = await post_tally_now(core, ORGANIZER, "governor")
    assert posted.title == "Tally: Call the Governor" and not posted.private
    assert posted.image is not None


# -- reminders ----------------------------------------------------------------------------------


async def test_one_reminder_while_offices_are_open_to_those_who_have_not_called(
    core: Core, clock: Clock, runtime: Runtime, notifier: RecordingNotifier
) -> None:
    bob = Actor("terminal", "server-1", "bob", "Bob")
    carol = Actor("terminal", "server-1", "carol", "Carol")
    for member in (MEMBER, bob, carol):
        await pledge(core, member, "governor")
    await call(core, bob)  # Bob kept his pledge
    await set_profile(core, carol, reminders=False)  # Carol wants no reminders
    assert await delivery.send_reminders(runtime, core.clock()) == 0  # they pledged just now
    clock.now = datetime(2026, 11, 19, 1, 0, tzinfo=UTC)  # 20:00 in New York: offices closed
    assert await delivery.send_reminders(runtime, core.clock()) == 0
    clock.now = datetime(2026, 11, 19, 15, 0, tzinfo=UTC)  # Thursday 10:00 in New York
    assert await delivery.send_reminders(runtime, core.clock()) == 1
    assert await delivery.send_reminders(runtime, core.clock()) == 0  # once only
    [(community, user, reminder)] = notifier.directs
    assert (community, user) == ("server-1", "alice")
    assert [a.id for a in reminder.actions] == ["call:governor", "profile:reminders-off"]
    assert "until 5 PM EST" in reminder.body
