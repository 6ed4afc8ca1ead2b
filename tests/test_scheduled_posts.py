"""Scheduled posts through the core on a real database, the clock moved by hand: the one
"too late" rule, decided by the delivery at the moment of the claim; claims left unconfirmed
settled by the leader (repeated with their key where the platform makes that safe, else
reported with Post it now); and the organizer's Post it now."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from callbot.alerts import delivery, settle
from callbot.alerts.due import LATE_AFTER
from callbot.alerts.sending import SETTLE_AFTER, Runtime, alert_post_key
from callbot.alerts.service import cancel_alert
from callbot.core import Core
from callbot.db.models import Alert, AlertDelivery, AuditEvent, Community, TallyDelivery
from callbot.notify import BeforeSend
from callbot.replies import Actor, Reply
from callbot.services import handle_component
from callbot.services.communities import configure_community
from conftest import FIXTURES, Clock, build_core, make_settings, rows
from test_alerts import MEMBER, ORGANIZER, OTHER_ORGANIZER, RecordingNotifier, scheduled

DUE = datetime(2026, 11, 18, 23, 0, tzinfo=UTC)  # Wed 18:00 in New York ("daily 18:00")
NONCE_WINDOW = timedelta(minutes=2)  # as Discord's notifier says


@pytest.fixture
async def core(engine: AsyncEngine, tmp_path: Path, clock: Clock) -> AsyncIterator[Core]:
    settings = make_settings(tmp_path, str(engine.url), FIXTURES / "service-campaigns")
    yield await build_core(engine, settings, clock, with_directory=False)


def runtime_for(core: Core, notifier: RecordingNotifier) -> Runtime:
    async def no_wait(seconds: float) -> None:
        return None

    return Runtime(core, {"terminal": notifier}, sleep=no_wait)


async def statuses(core: Core) -> list[str]:
    return [d.status for d in await rows(core, AlertDelivery)]


def post_it_now_ids(reply: Reply) -> list[str]:
    return [a.id for a in reply.actions if a.id.startswith("alert:postnow:")]


# -- one "too late" rule, decided by the delivery ---------------------------------------------


async def test_up_to_five_minutes_late_is_posted_and_a_second_later_is_missed(
    core: Core, clock: Clock
) -> None:
    on_time, late = RecordingNotifier(), RecordingNotifier()
    first = await scheduled(core, "daily 18:00")
    second = await scheduled(core, "daily 18:00")
    clock.now = DUE + LATE_AFTER
    assert await delivery.run_alert(runtime_for(core, on_time), first, clock.now) == "posted"
    clock.now = DUE + LATE_AFTER + timedelta(seconds=1)
    assert await delivery.run_alert(runtime_for(core, late), second, clock.now) == "missed"
    assert len(on_time.posts) == 1 and on_time.directs == []
    assert late.posts == [] and len(late.directs) == 1
    assert await statuses(core) == ["posted", "missed"]


class SlowTurn(RecordingNotifier):
    """A notifier whose turn under the pace comes only after `wait` (a long fan-out)."""

    def __init__(self, clock: Clock, wait: timedelta) -> None:
        super().__init__()
        self.clock, self.wait = clock, wait

    async def before_request(self, before_send: BeforeSend | None) -> None:
        self.clock.now += self.wait  # waiting its turn
        await super().before_request(before_send)


async def test_a_post_that_became_too_late_while_waiting_its_turn_is_reported_not_lost(
    core: Core, clock: Clock
) -> None:
    # Once, APScheduler's grace let such a run start (4 min late) and the delivery's own
    # window, read after the wait, said "not due": neither posted nor reported.
    notifier = SlowTurn(clock, timedelta(minutes=2))
    alert_id = await scheduled(core, "daily 18:00")
    clock.now = DUE + timedelta(minutes=4)
    assert await delivery.run_alert(runtime_for(core, notifier), alert_id, clock.now) == "missed"
    [(_, organizer, notice)] = notifier.directs
    assert organizer == "olga" and "was not posted" in notice.text
    [missed] = await rows(core, AlertDelivery)
    assert notifier.posts == [] and missed.status == "missed"
    assert post_it_now_ids(notice) == [f"alert:postnow:{missed.id}"]


async def test_nothing_is_posted_or_reported_for_an_occurrence_before_it_was_scheduled(
    core: Core, clock: Clock
) -> None:
    notifier = RecordingNotifier()
    runtime = runtime_for(core, notifier)
    clock.now = DUE + timedelta(minutes=2)  # "daily 18:00" confirmed at 18:02
    alert_id = await scheduled(core, "daily 18:00")
    assert await delivery.run_alert(runtime, alert_id, clock.now) == "not due"
    clock.now = DUE + timedelta(days=1, minutes=1)
    assert await delivery.run_alert(runtime, alert_id, clock.now) == "posted"
    assert len(notifier.posts) == 1 and notifier.directs == []


async def test_days_missed_are_recorded_and_reported_once_and_the_latest_still_posted(
    core: Core, clock: Clock
) -> None:
    notifier = RecordingNotifier()
    runtime = runtime_for(core, notifier)
    alert_id = await scheduled(core, "daily 18:00")  # Wed 10:00: due Wed, Thu, Fri, Sat 18:00
    clock.now = DUE + timedelta(days=3, minutes=1)  # back on Saturday at 18:01
    assert await delivery.run_alert(runtime, alert_id, clock.now) == "posted"
    [(_, _, notice)] = notifier.directs
    assert "Sat" not in notice.body and "Fri 20 Nov 18:00" in notice.body
    assert "2 earlier time(s), since Wed 18 Nov 18:00" in notice.body
    assert await statuses(core) == ["missed", "missed", "missed", "posted"]
    assert await delivery.run_alert(runtime, alert_id, clock.now) == "not due"
    assert len(notifier.directs) == 1 and len(notifier.posts) == 1  # never twice


async def test_the_sweep_finds_what_no_run_judged_and_nothing_else(
    core: Core, clock: Clock
) -> None:
    notifier = RecordingNotifier()
    runtime = runtime_for(core, notifier)
    alert_id = await scheduled(core, "daily 18:00")
    await scheduled(core, "daily 19:00")
    clock.now = DUE + timedelta(minutes=1)
    assert await delivery.unjudged_alerts(runtime, clock.now) == [alert_id]
    await delivery.run_alert(runtime, alert_id, clock.now)
    assert await delivery.unjudged_alerts(runtime, clock.now) == []


# -- settling claims a crash left unconfirmed -------------------------------------------------


async def claim_left_by_a_crash(core: Core, clock: Clock, notifier: RecordingNotifier) -> int:
    """An alert due at 18:00, claimed by a process that sent its post (`notifier` has it)
    and died before recording the answer: the row stays claimed, no one was told."""
    alert_id = await scheduled(core, "daily 18:00")
    clock.now = DUE + timedelta(seconds=30)
    async with core.sessions.begin() as session:
        alert = await session.get(Alert, alert_id)
        assert alert is not None
        session.add(
            AlertDelivery(
                community_id=alert.community_id,
                alert_id=alert_id,
                occurrence=DUE,
                channel_id="C1",
                status="claimed",
                claimed_at=clock.now,
                attempted_at=clock.now,
                attempts=1,
            )
        )
    notifier.posts.append(("server-1", "C1", Reply(text="Action alert: Call the Governor")))
    notifier.keys[alert_post_key(alert_id, DUE, "C1")] = "C1/1"
    return alert_id


async def test_a_lost_claim_is_repeated_with_its_key_where_that_is_safe_and_posted_once(
    core: Core, clock: Clock
) -> None:
    notifier = RecordingNotifier(repeats_safe_for=NONCE_WINDOW)  # Discord's nonce
    alert_id = await claim_left_by_a_crash(core, clock, notifier)
    clock.now += timedelta(seconds=20)
    assert await settle.settle(runtime_for(core, notifier), clock.now) == 1
    [posted] = await rows(core, AlertDelivery)
    assert posted.status == "posted" and posted.message_ref == "C1/1"  # the first post's id
    assert len(notifier.posts) == 1 and notifier.directs == []
    assert list(notifier.keys) == [alert_post_key(alert_id, posted.occurrence, "C1")]
    assert await settle.settle(runtime_for(core, notifier), clock.now) == 0


async def test_a_lost_claim_past_the_keys_window_is_reported_once_with_post_it_now(
    core: Core, clock: Clock
) -> None:
    notifier = RecordingNotifier(repeats_safe_for=NONCE_WINDOW)
    await claim_left_by_a_crash(core, clock, notifier)
    runtime = runtime_for(core, notifier)
    clock.now += NONCE_WINDOW + timedelta(seconds=1)
    assert await settle.settle(runtime, clock.now) == 1
    [unconfirmed] = await rows(core, AlertDelivery)
    assert unconfirmed.status == "unconfirmed" and len(notifier.posts) == 1
    [(_, organizer, notice)] = notifier.directs
    assert organizer == "olga" and "cannot tell whether it went out" in notice.body
    assert post_it_now_ids(notice) == [f"alert:postnow:{unconfirmed.id}"]
    assert await settle.settle(runtime, clock.now + timedelta(minutes=5)) == 0
    assert len(notifier.directs) == 1  # never twice


async def test_without_a_safe_repeat_a_lost_claim_waits_until_no_one_can_still_be_sending_it(
    core: Core, clock: Clock
) -> None:
    notifier = RecordingNotifier()  # Slack: no idempotency key
    await claim_left_by_a_crash(core, clock, notifier)
    runtime = runtime_for(core, notifier)
    assert await settle.settle(runtime, clock.now + SETTLE_AFTER - timedelta(seconds=1)) == 0
    assert await statuses(core) == ["claimed"] and notifier.directs == []
    assert await settle.settle(runtime, clock.now + SETTLE_AFTER) == 1
    assert await statuses(core) == ["unconfirmed"] and len(notifier.directs) == 1
    assert len(notifier.posts) == 1


class HeldAtSend(RecordingNotifier):
    """Holds a post after its claim, as the platform takes its time to answer."""

    def __init__(self) -> None:
        super().__init__(repeats_safe_for=NONCE_WINDOW)
        self.claimed, self.answer = asyncio.Event(), asyncio.Event()

    async def before_request(self, before_send: BeforeSend | None) -> None:
        await super().before_request(before_send)
        self.claimed.set()
        await self.answer.wait()


async def test_the_leaders_periodic_settling_never_touches_its_own_posts_in_flight(
    core: Core, clock: Clock
) -> None:
    notifier = HeldAtSend()
    runtime = runtime_for(core, notifier)
    alert_id = await scheduled(core, "daily 18:00")
    clock.now = DUE
    posting = asyncio.create_task(delivery.run_alert(runtime, alert_id, clock.now))
    async with asyncio.timeout(5):
        await notifier.claimed.wait()
    clock.now += SETTLE_AFTER * 2  # a slow platform: older than any claim may stay
    assert await settle.settle(runtime, clock.now) == 0
    assert await statuses(core) == ["claimed"] and notifier.posts == []
    notifier.answer.set()
    assert await posting == "posted"
    assert len(notifier.posts) == 1 and await statuses(core) == ["posted"]


async def test_an_answer_lost_while_sending_is_repeated_with_its_key_or_reported(
    core: Core, clock: Clock
) -> None:
    safe = RecordingNotifier(repeats_safe_for=NONCE_WINDOW, lose_answers=1)
    first = await scheduled(core, "daily 18:00")
    second = await scheduled(core, "daily 18:00")
    clock.now = DUE
    assert await delivery.run_alert(runtime_for(core, safe), first, clock.now) == "posted"
    assert len(safe.posts) == 1 and safe.directs == []  # the repeat got the first post back
    unsafe = RecordingNotifier(lose_answers=1)
    assert await delivery.run_alert(runtime_for(core, unsafe), second, clock.now) == "unconfirmed"
    assert len(unsafe.posts) == 1  # not sent again
    [(_, _, notice)] = unsafe.directs
    assert notice.title == "Was this alert posted?" and post_it_now_ids(notice)


async def test_a_lost_tally_claim_is_repeated_with_its_key_or_let_go_without_a_word(
    core: Core, clock: Clock
) -> None:
    await configure_community(core, ORGANIZER, alert_channel_id="C-alerts")
    async with core.sessions() as session:
        community = await session.scalar(select(Community))
    entry = core.campaigns.get("governor")
    assert community is not None and entry is not None
    notifier = RecordingNotifier(lose_answers=1)
    clock.now = DUE + timedelta(seconds=10)
    runtime = runtime_for(core, notifier)
    outcome = await delivery.run_tally(runtime, community.id, entry.id, clock.now)
    assert outcome == "unconfirmed" and notifier.directs == []  # a tally has no organizer
    async with core.sessions.begin() as session:
        await session.execute(update(TallyDelivery).values(status="claimed"))  # as if it crashed
    notifier.repeats_safe_for = NONCE_WINDOW
    assert await settle.settle(runtime, clock.now + timedelta(seconds=30)) == 1
    [tally] = await rows(core, TallyDelivery)
    assert tally.status == "posted" and len(notifier.posts) == 1
    async with core.sessions.begin() as session:
        await session.execute(update(TallyDelivery).values(status="claimed"))
    later = clock.now + NONCE_WINDOW + SETTLE_AFTER
    assert await settle.settle(runtime, later) == 1
    [tally] = await rows(core, TallyDelivery)
    assert tally.status == "unconfirmed" and len(notifier.posts) == 1 and notifier.directs == []


# -- Post it now -------------------------------------------------------------------------------


async def missed_one(core: Core, clock: Clock, notifier: RecordingNotifier) -> tuple[int, str]:
    """An alert missed while callbot was down; its id and the notice's Post it now id."""
    alert_id = await scheduled(core, "daily 18:00")
    clock.now = DUE + timedelta(minutes=30)
    assert await delivery.run_alert(runtime_for(core, notifier), alert_id, clock.now) == "missed"
    [button] = post_it_now_ids(notifier.directs[-1][2])
    return alert_id, button


async def test_post_it_now_posts_that_occurrence_once_through_the_leader(
    core: Core, clock: Clock
) -> None:
    notifier = RecordingNotifier()
    runtime = runtime_for(core, notifier)
    alert_id, button = await missed_one(core, clock, notifier)
    asked = await handle_component(core, ORGANIZER, button, interaction_id="1")
    assert "will be posted in its channel within a few seconds" in asked.text
    again = await handle_component(core, ORGANIZER, button, interaction_id="2")
    assert "being posted now" in again.text
    assert await settle.settle(runtime, clock.now) == 1
    [(_, channel, post)] = notifier.posts
    assert channel == "C1" and post.title == "Action alert: Call the Governor"
    done = await handle_component(core, ORGANIZER, button, interaction_id="3")
    assert "was posted already" in done.text
    assert await settle.settle(runtime, clock.now) == 0 and len(notifier.posts) == 1
    [event] = await rows(core, AuditEvent, AuditEvent.action == "alert.postnow")
    assert (event.user_id, event.subject) == ("olga", f"alert {alert_id}")


async def test_post_it_now_is_for_the_alerts_organizers_and_says_when_the_alert_is_gone(
    core: Core, clock: Clock
) -> None:
    notifier = RecordingNotifier()
    alert_id, button = await missed_one(core, clock, notifier)
    refused = await handle_component(core, MEMBER, button, interaction_id="m")
    assert "Only organizers" in refused.text
    other = await handle_component(core, OTHER_ORGANIZER, button, interaction_id="o")
    assert "That alert is gone" in other.text  # another community's: never even seen
    # In a direct message naming no community (Discord), the organizer the notice went to.
    stranger = Actor("terminal", "", "mallory", "Mallory")
    assert (
        "Only organizers"
        in (await handle_component(core, stranger, button, interaction_id="s")).text
    )
    creator = Actor("terminal", "", "olga", "Olga")
    other_kind = await handle_component(core, creator, "call:governor", interaction_id="c")
    assert "inside a server" in other_kind.text  # nothing else is answered there
    await cancel_alert(core, ORGANIZER, str(alert_id))
    cancelled = await handle_component(core, creator, button, interaction_id="x")
    assert f"Alert #{alert_id} was cancelled, so it was not posted" in cancelled.text
    async with core.sessions.begin() as session:
        await session.execute(update(Alert).where(Alert.id == alert_id).values(status="active"))
    assert (
        "will be posted" in (await handle_component(core, creator, button, interaction_id="y")).text
    )
    async with core.sessions.begin() as session:
        await session.delete(await session.get(Alert, alert_id))
    gone = await handle_component(core, ORGANIZER, button, interaction_id="z")
    assert "That alert is gone" in gone.text
    assert notifier.posts == []
