"""Anonymous visits to /slack/install leave no lasting trace: each "Add to Slack" link's OAuth
state expires (its row is removed when the next link is issued), and at most MAX_PENDING wait
at once, past which the page asks to try again later. Real installs still work, through two
replicas sharing the states."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from callbot.core import Core
from callbot.db.models import slack_oauth_states
from callbot_slack.app import INSTALL_PATH, OAUTH_STATE_SECONDS, REDIRECT_PATH, build_slack_app
from callbot_slack.oauth_states import BoundedOAuthStates
from callbot_slack.server import serving_http
from conftest import FIXTURES, Clock, build_core, make_settings
from fakes.slack_fake import FakeSlack, running_slack
from hostile import slack_http_settings


@pytest.fixture
async def core(engine, tmp_path: Path, clock: Clock) -> Core:  # type: ignore[no-untyped-def]
    settings = make_settings(tmp_path, str(engine.url), FIXTURES / "service-campaigns")
    return await build_core(engine, settings, clock, with_directory=False)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with running_slack() as started:
        yield started


async def states(core: Core) -> int:
    async with core.engine.connect() as connection:
        return int(
            await connection.scalar(select(func.count()).select_from(slack_oauth_states)) or 0
        )


async def test_visits_expire_and_are_bounded_and_installs_still_work(
    fake: FakeSlack, core: Core
) -> None:
    slack = build_slack_app(core, slack_http_settings(fake))
    store = slack.bolt.oauth_flow.settings.state_store  # type: ignore[union-attr]
    assert isinstance(store, BoundedOAuthStates)
    now = [1_900_000_000.0]
    store.clock = lambda: now[0]
    store.max_pending = 3
    try:
        async with serving_http(slack, "127.0.0.1", 0) as base, aiohttp.ClientSession() as http:

            async def visit() -> tuple[int, str]:
                async with http.get(base + INSTALL_PATH, allow_redirects=False) as page:
                    return page.status, await page.text()

            for _ in range(3):
                assert (await visit())[0] == 200
            assert await states(core) == 3
            status, text = await visit()  # the fourth waiting link is refused, nothing stored
            assert status == 503 and "try again in a few minutes" in text
            assert await states(core) == 3
            now[0] += OAUTH_STATE_SECONDS + 1  # the links expire
            assert (await visit())[0] == 200
            assert await states(core) == 1  # the expired ones are gone
            # A real install, begun here and finished through a second replica.
            workspace = fake.add_workspace("Springfield", installed=False)
            workspace.add_user("olga", admin=True)
            second = build_slack_app(core, slack_http_settings(fake))
            second_store = second.bolt.oauth_flow.settings.state_store  # type: ignore[union-attr]
            second_store.clock = store.clock  # type: ignore[attr-defined]
            try:
                async with serving_http(second, "127.0.0.1", 0) as other:
                    await fake.install(
                        workspace, base + INSTALL_PATH, redirect_url=other + REDIRECT_PATH
                    )
            finally:
                await second.responder.close()
            assert workspace.installed
            assert await states(core) == 1  # its state was used up; the anonymous one waits
    finally:
        await slack.responder.close()


async def test_an_expired_or_unknown_state_is_refused(core: Core) -> None:
    now = [1_900_000_000.0]
    store = BoundedOAuthStates(
        expiration_seconds=OAUTH_STATE_SECONDS, engine=core.engine, clock=lambda: now[0]
    )
    state = await store.async_issue()
    assert await store.async_consume(state) is True
    assert await store.async_consume(state) is False  # once only
    late = await store.async_issue()
    now[0] += OAUTH_STATE_SECONDS + 1
    assert await store.async_consume(late) is False
    for junk in ("", "x" * 10_000, "\x00", "nope"):
        assert await store.async_consume(junk) is False
