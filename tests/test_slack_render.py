"""Rendering a core Reply as Block Kit (pure): mrkdwn translation and escaping, Slack's limits,
forms as modals, the App Home, and reading submitted values back."""

from __future__ import annotations

import json

import pytest

from callbot.replies import (
    Action,
    Choice,
    Fact,
    Form,
    FormField,
    Image,
    Picker,
    Reply,
    Style,
    Tone,
)
from callbot.safety import member_text
from callbot_slack.render import (
    BUTTON_TEXT_MAX,
    MESSAGE_BLOCKS_MAX,
    SECTION_TEXT_MAX,
    VIEW_BLOCKS_MAX,
    fallback_text,
    mrkdwn,
    render_home,
    render_message,
    render_modal,
    reply_blocks,
    submitted_values,
)
from conftest import PNG_MAGIC
from fakes.slack_blocks import mention_problems, message_problems, view_problems


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("**Call now**", "*Call now*"),
        ("_today_ or *today*", "_today_ or _today_"),
        (
            "[Read the bill](https://example.org/a?b=1&c=2)",
            "<https://example.org/a?b=1&amp;c=2|Read the bill>",
        ),
        ("`202-224-3121`", "`202-224-3121`"),
        ("- one\n- two", "• one\n• two"),
        ("Tom & Jerry <3 > all", "Tom &amp; Jerry &lt;3 &gt; all"),
        ("<!channel> <@U123>", "&lt;!channel&gt; &lt;@U123&gt;"),
    ],
)
def test_the_core_markdown_becomes_mrkdwn(markdown: str, expected: str) -> None:
    assert mrkdwn(markdown) == expected


def test_member_text_shows_as_typed_and_never_as_markup_or_a_mention() -> None:
    name = member_text("*Boss* _x_ <!here> @everyone `rm` ~strike~")
    text = mrkdwn(f"Hello, my name is {name}.")
    assert "*" not in text and "`" not in text and "~" not in text
    assert "_" not in text.replace("ˍ", "")
    assert "∗Boss∗" in text and "ˋrmˋ" in text
    assert "<" not in text and "&lt;\u200b!here&gt;" in text
    assert "@\u200beveryone" in text


def test_a_full_reply_is_a_valid_message() -> None:
    reply = Reply(
        text="Call 1 of 3: Rep. Tanaka",
        title="Call 1 of 3: Representative Riley Tanaka",
        body="Hi, I'm **Alice** from Springfield.\n\nPlease vote no.",
        facts=(
            Fact("Phone (Washington office)", "202-225-0111"),
            Fact("Busy?", "Oakland: 510-555-0100"),
        ),
        actions=(
            Action("outcome:c:abc123:h:contact", "Talked to staff", Style.SUCCESS),
            Action("outcome:c:abc123:h:voicemail", "Left voicemail", Style.PRIMARY),
            Action("outcome:c:abc123:h:skip", "Skip"),
            Action("forget:confirm", "Erase", Style.DANGER),
        ),
        footer="Offices are open 9–5 Eastern.",
    )
    message = render_message(reply)
    assert message_problems(message) == []
    kinds = [block["type"] for block in message["blocks"]]
    assert kinds == ["header", "section", "section", "context", "actions"]
    buttons = message["blocks"][-1]["elements"]
    assert [b.get("style") for b in buttons] == ["primary", "primary", None, "danger"]
    assert message["text"] == "Call 1 of 3: Rep. Tanaka"


def test_limits_are_kept_however_long_the_reply() -> None:
    reply = Reply(
        text="x" * 5000,
        title="T" * 400,
        body="\n\n".join("p" * 2500 for _ in range(80)),
        facts=tuple(Fact(f"fact {i}", "v" * 3000) for i in range(23)),
        actions=tuple(Action(f"call:c{i}", "label " * 30) for i in range(30)),
        picker=Picker(
            "district:c", "Pick", tuple(Choice(f"CA-{i}", f"CA-{i}") for i in range(130))
        ),
    )
    blocks = reply_blocks(reply)
    assert len(blocks) <= MESSAGE_BLOCKS_MAX
    assert message_problems({"text": fallback_text(reply), "blocks": blocks}) == []
    assert all(
        len(b["text"]["text"]) <= SECTION_TEXT_MAX
        for b in blocks
        if "text" in b and b["type"] == "section"
    )
    controls = [b for b in blocks if b["type"] == "actions"]
    assert sum(len(b["elements"]) for b in controls) == 31  # the select, then every button
    assert len(controls[0]["elements"][0]["options"]) == 100
    assert all(
        len(e["text"]["text"]) <= BUTTON_TEXT_MAX for b in controls for e in b["elements"][1:]
    )


def test_warnings_and_errors_are_marked() -> None:
    warned = reply_blocks(Reply(text="That ZIP is not valid.", tone=Tone.WARNING))
    assert warned[0]["text"]["text"] == ":warning: That ZIP is not valid."
    failed = reply_blocks(Reply(text="Sorry", title="Oops", tone=Tone.ERROR))
    assert failed[0]["text"]["text"] == ":x: Oops"


def test_a_repeated_or_unusable_component_id_is_left_out() -> None:
    reply = Reply(
        text="x",
        actions=(Action("call:a", "One"), Action("call:a", "Twice"), Action("x" * 300, "Long")),
    )
    [controls] = [b for b in reply_blocks(reply) if b["type"] == "actions"]
    assert [e["action_id"] for e in controls["elements"]] == ["call:a"]


def test_a_form_is_a_valid_modal_that_remembers_where_it_came_from() -> None:
    form = Form(
        "profile:call:governor",
        "About you, and a title far too long for Slack",
        (
            FormField("name", "Your name, as you'll say it on calls", default="Alice"),
            FormField("zip", "ZIP code", placeholder="94110", max_length=10),
            FormField("city", "City", required=False),
        ),
    )
    view = render_modal(form, metadata={"channel": "C1", "home": ""})
    assert view_problems(view, expected="modal") == []
    assert view["callback_id"] == "profile:call:governor"
    assert len(view["title"]["text"]) <= 24
    assert json.loads(view["private_metadata"]) == {"channel": "C1", "home": ""}
    name, zip_code, city = view["blocks"]
    assert name["element"]["initial_value"] == "Alice" and not name["optional"]
    assert zip_code["element"]["max_length"] == 10 and city["optional"]
    with pytest.raises(ValueError, match="no fields"):
        render_modal(Form("profile:save", "Empty", ()))


def test_submitted_values_read_text_inputs_and_selects() -> None:
    state = {
        "values": {
            "name": {"name": {"type": "plain_text_input", "value": "Alice"}},
            "city": {"city": {"type": "plain_text_input", "value": None}},
            "campaign": {
                "campaign": {"type": "static_select", "selected_option": {"value": "governor"}}
            },
        }
    }
    assert submitted_values(state) == {"name": "Alice", "city": "", "campaign": "governor"}


def test_the_home_tab_joins_sections_within_the_view_limit() -> None:
    section = Reply(text="x", title="Part", body="y", actions=(Action("call:a", "Call"),))
    home = render_home([section, section])
    assert home["type"] == "home"
    assert [b["type"] for b in home["blocks"]].count("divider") == 1
    assert view_problems(home, expected="home") == []
    many = render_home([Reply(text="z", body="\n\n".join("p" * 2900 for _ in range(60)))] * 3)
    assert len(many["blocks"]) == VIEW_BLOCKS_MAX


def test_a_picture_is_described_where_it_is_not_uploaded() -> None:
    chart = Image(PNG_MAGIC, "chart.png", "Calls per day: Nov 05 3 <!channel>")
    reply = Reply(text="Tally", title="Tally", image=chart, actions=(Action("call:x", "Call now"),))
    blocks = reply_blocks(reply)
    stand_in = blocks[-2]
    assert stand_in["type"] == "context"
    [words] = stand_in["elements"]
    assert words["type"] == "plain_text" and words["text"].startswith(":bar_chart: Calls per day")
    assert mention_problems(blocks) == [] and message_problems(render_message(reply)) == []
    # Uploaded beside the message, the picture needs no words in it.
    assert [b["type"] for b in reply_blocks(reply, image_uploaded=True)] == [
        "header",
        "section",
        "actions",
    ]
    home = render_home([reply])
    assert stand_in in home["blocks"] and view_problems(home, expected="home") == []
