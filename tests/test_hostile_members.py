"""The hostile-input corpus, what members type (tests/fixtures/hostile/member_text.yaml): ZIPs,
names, cities, command text, form values, picker choices and made-up button ids, given to the
real services (on the test database and the congress fixture) as one member.

No case raises. A refusal is a warning that quotes what was typed as typed, with invisible
characters shown as escapes. Every answer is rendered for Discord, Slack and a terminal, and
none lets a mention through or a control character reach the terminal."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from callbot import services
from callbot.core import Core
from callbot.db.models import Member
from callbot.replies import Actor, Reply, Tone
from callbot.typed_commands import new_interaction_id, parse_command
from callbot_discord.render import render
from callbot_slack.render import render_message
from callbot_terminal.commands import terminal_commands
from callbot_terminal.options import Option, pick_option
from callbot_terminal.render import render_text
from hostile import cases, expand, service_core

PINGS = ("@everyone", "@here", "<!channel>", "<!everyone>", "<@&")


@dataclass
class Members:
    core: Core
    count: int = 0

    def actor(self) -> Actor:
        self.count += 1  # a member of their own for each case
        return Actor("terminal", "hostile", f"member-{self.count}", f"Member {self.count}")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def members(
    migrated_database: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Members]:
    folder = tmp_path_factory.mktemp("hostile-members")
    core = await service_core(migrated_database, folder, datetime(2026, 11, 18, 15, tzinfo=UTC))
    yield Members(core)
    await core.engine.dispose()


def _expanded(value: Any) -> Any:
    if isinstance(value, str):
        return expand(value)
    if isinstance(value, dict):
        return {key: _expanded(item) for key, item in value.items()}
    return value


async def _typed(core: Core, actor: Actor, line: str) -> Reply:
    command = parse_command(line)
    assert command is not None, line
    return await terminal_commands.execute(core, actor, command)


def _shown_safely(reply: Reply) -> str:
    """Render the reply everywhere; the terminal text (what the member reads)."""
    discord = render(reply)
    shown = json.dumps(
        [
            discord.content,
            discord.embed.to_dict() if discord.embed else None,
            render_message(reply),
        ],
        ensure_ascii=False,
    )
    assert not any(ping in shown for ping in PINGS), shown[:500]
    text = render_text(reply)
    assert not any(ch in text for ch in "\x1b\x07\x00\r\u202e"), text[:500]
    assert not any(ping in text for ping in PINGS), text[:500]
    return text


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("case", cases("member_text.yaml"))
async def test_what_a_member_types(members: Members, case: dict[str, Any]) -> None:
    core, actor, kind = members.core, members.actor(), case["kind"]
    if kind == "option":
        options = tuple(Option(n, f"choice {n}", "help") for n in range(1, case["options"] + 1))
        picked = pick_option(options, expand(case["typed"]))
        assert (picked.number if picked else None) == case["picks"]
        return
    if "before" in case:
        await _typed(core, actor, case["before"])
    if kind == "line":
        reply = await _typed(core, actor, expand(case["typed"]))
    else:
        reply = await services.handle_component(
            core,
            actor,
            case["component"],
            interaction_id=new_interaction_id(),
            choice=_expanded(case.get("choice")),
            values=_expanded(case.get("values")) if kind == "form" else None,
        )
    shown = _shown_safely(reply)
    if case.get("refused"):
        assert reply.tone in (Tone.WARNING, Tone.ERROR), shown
    for words in case.get("says", []):
        assert words in reply.text or words in reply.body or words in shown, shown
    if "stored" in case:
        async with core.sessions() as session:
            member = await session.scalar(
                select(Member).where(
                    Member.community_id.is_not(None), Member.user_id == actor.user_id
                )
            )
        assert member is not None
        for field, value in case["stored"].items():
            assert getattr(member, field) == value, (field, getattr(member, field))
