"""Every text reaches a platform through one neutraliser, and a terminal through one filter.

Each renderer (Discord, Slack, the terminal, plain text) starts from `safety.safe_reply`, so
a mention in any text of any reply (an organizer's words, a campaign's summary, a library's
error message) cannot ping anyone; the terminal also shows control characters as escapes,
and so does everything `callbot` prints (`callbot.printable`)."""

from __future__ import annotations

import io
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from callbot.alerts.schedules import parse_schedule
from callbot.campaigns import CampaignSpec, CatalogEntry
from callbot.errors import UserError
from callbot.plaintext import render_plain
from callbot.printable import PrintableStream, printable, printable_output, unwrapped
from callbot.replies import Action, Choice, Fact, Form, FormField, Picker, Reply
from callbot.services.tallies import Tally, tally_reply
from callbot_discord.render import render, render_modal
from callbot_slack.render import render_message
from callbot_slack.render import render_modal as slack_modal
from callbot_terminal.render import render_rich, render_text

PING = "@everyone <@123> <!channel>"
ESC = "\x1b[2J\x1b]0;owned\x07\u202e"


def everything(text: str) -> Reply:
    return Reply(
        text=text,
        title=text,
        body=text,
        facts=(Fact(text, text),),
        actions=(Action("help", text),),
        picker=Picker("district:x", text, (Choice(text, "CA-12", text),)),
        footer=text,
    )


def _pings(shown: str) -> bool:
    return any(m in shown for m in ("@everyone", "<@123>", "<!channel>"))


def test_no_renderer_lets_a_mention_through_in_any_text() -> None:
    reply = everything(PING)
    discord = render(reply)
    assert discord.embed is not None
    shown = str(discord.embed.to_dict()) + str(
        [c.to_component_dict() for c in discord.view.children]
    )  # type: ignore[union-attr]
    assert not _pings(shown)
    assert not _pings(str(render_message(reply)))
    assert not _pings(render_plain(reply)) and not _pings(render_text(reply))
    form = Form("profile:save", PING, (FormField("name", PING, placeholder=PING),))
    assert not _pings(str(render_modal(form).to_dict())) and not _pings(str(slack_modal(form)))


def test_the_tally_post_shows_the_campaign_summary_neutralised() -> None:
    spec = CampaignSpec.model_validate(
        {
            "slug": "x",
            "title": "Title",
            "summary": "Ask @everyone and <@&42> to call",
            "targets": {"house": True},
            "script": "Hello {caller_name}",
        }
    )
    post = tally_reply(CatalogEntry(1, spec), Tally(0, 0, 0, {}), private=False)
    embed = render(post).embed
    assert embed is not None and embed.description is not None
    assert "@everyone" not in embed.description and "<@&42>" not in embed.description


def test_an_unreadable_cron_schedule_is_echoed_as_text_not_markup() -> None:
    zone, now = ZoneInfo("America/New_York"), datetime(2026, 1, 5, tzinfo=UTC)
    with pytest.raises(UserError) as refused:
        parse_schedule("cron 0 [win](https://e.vil)@everyone * * *", zone, now)
    shown = render(Reply(text=str(refused.value), body=str(refused.value))).embed
    assert shown is not None and shown.description is not None
    assert "[win](https://e.vil)" not in shown.description  # no masked link
    assert "\\[win\\]" in shown.description and "@everyone" not in shown.description


def test_the_terminal_shows_control_characters_as_escapes() -> None:
    reply = everything(ESC)
    text = render_text(reply)
    assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text
    assert "\\x1b[2J" in text and "\\u202e" in text
    console_out = io.StringIO()
    from rich.console import Console

    Console(file=console_out, force_terminal=False, width=100).print(render_rich(reply))
    assert "\x1b" not in console_out.getvalue() and "\\x1b" in console_out.getvalue()


def test_printable_escapes_what_could_control_a_terminal_and_keeps_the_rest() -> None:
    assert printable("a\tb\nc") == "a\tb\nc"
    assert printable("\x1b\r\x7f\x85\u2028\ud800") == "\\x1b\\x0d\\x7f\\x85\\u2028\\ud800"
    assert (
        printable("Zoë 👩🏽‍🚀 مرحبا") == "Zoë 👩🏽‍🚀 مرحبا"
    )  # letters, emoji (with ZWJ), RTL text


def test_printed_output_goes_through_the_filter_and_rich_gets_the_stream_behind_it() -> None:
    saved = sys.stdout, sys.stderr
    captured = io.StringIO()
    sys.stdout = captured
    try:
        with printable_output():
            print("title: \x1b[31mred")
            assert isinstance(sys.stdout, PrintableStream)
            assert unwrapped(sys.stdout) is captured
        assert sys.stdout is captured  # restored
    finally:
        sys.stdout, sys.stderr = saved
    assert captured.getvalue() == "title: \\x1b[31mred\n"
