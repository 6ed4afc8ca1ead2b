"""Golden tests for the Discord rendering of a `Reply` and a `Form` (pure, no network)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import discord
import pytest

import callbot.services.dispatch
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
from callbot_discord.components import ROUTED_KINDS, CoreComponent, is_core_component
from callbot_discord.render import (
    EMBED_TOTAL_MAX,
    RenderedMessage,
    render,
    render_modal,
    truncate,
)
from conftest import PNG_MAGIC

OUTCOME = "outcome:clean-air:abcd1234:A000001:"
CALL = Reply(
    text="Call 1 of 3: Rep. Ada Lovelace (D, CA-12): 202-225-0001",
    title="Call 1 of 3: Rep. Ada Lovelace (D, CA-12)",
    body="Hi, my name is **" + member_text("@everyone Jane_Doe") + "** and I live in Oakland.\n"
    "Please support the [Clean Air Act](https://example.org/bill).",
    facts=(
        Fact("Phone (Washington office)", "202-225-0001"),
        Fact("Line busy? District offices", "Oakland: 510-555-0100; Fresno: 559-555-0101"),
    ),
    actions=(
        Action(OUTCOME + "contact", "Talked to staff", Style.SUCCESS),
        Action(OUTCOME + "voicemail", "Left voicemail", Style.PRIMARY),
        Action(OUTCOME + "unavailable", "Couldn't get through"),
        Action(OUTCOME + "skip", "Skip"),
        Action("about:clean-air", "Why it matters"),
    ),
    footer="Offices answer 9:00-17:00 Eastern.",
)
DISTRICTS = Reply(
    text="ZIP 94607 spans 2 congressional districts.",
    title="Which district do you live in?",
    body="ZIP 94607 is split between 2 districts. Pick yours.",
    picker=Picker(
        "district:clean-air",
        "Choose your district",
        (
            Choice("CA-12: Rep. Ada Lovelace", "CA-12"),
            Choice("CA-13: Rep. Grace Hopper", "CA-13", "East of the lake"),
        ),
    ),
    actions=(Action("call:clean-air", "Start over"),),
)
PROFILE_FORM = Form(
    id="profile:call:clean-air",
    title="About you",
    fields=(
        FormField("name", "Your name, as you'll say it on calls", True, "Jane", "Jo", 50),
        FormField(
            "zip", "ZIP code, which finds your members of Congress for you", True, "20001", "", 10
        ),
        FormField("city", "City (optional)", False, "", "", 60),
    ),
)


CHART = Image(
    data=PNG_MAGIC + b"chart",
    filename="calls-per-day.png",
    alt="Completed calls per day: Call the Governor: Nov 17 2, Nov 18 5",
)
TALLY = Reply(
    text="Call the Governor: 7 calls so far.",
    title="Tally: Call the Governor",
    body="7 completed calls from 4 members.",
    facts=(Fact("Pledged to call", "6"),),
    private=False,
    image=CHART,
)


def button(custom_id: str, label: str, style: int = 2) -> dict[str, Any]:
    return {
        "type": 2,
        "style": style,
        "disabled": False,
        "label": label,
        "custom_id": custom_id,
    }


def test_a_bare_reply_is_plain_content_without_embed_or_components() -> None:
    rendered = render(Reply(text="Nothing was erased."))
    assert rendered == RenderedMessage(content="Nothing was erased.", embed=None, view=None)


def test_a_call_card_is_an_embed_with_fields_footer_colour_and_buttons() -> None:
    rendered = render(CALL)
    assert rendered.content is None  # the fallback text only goes where there is no embed
    assert rendered.embed is not None
    assert rendered.embed.to_dict() == {
        "type": "rich",
        "flags": 0,
        "title": "Call 1 of 3: Rep. Ada Lovelace (D, CA-12)",
        "description": "Hi, my name is **@\u200beveryone Jane\\_Doe** and I live in Oakland.\n"
        "Please support the [Clean Air Act](https://example.org/bill).",
        "color": 0x5865F2,
        "fields": [
            {"name": "Phone (Washington office)", "value": "202-225-0001", "inline": True},
            {
                "name": "Line busy? District offices",
                "value": "Oakland: 510-555-0100; Fresno: 559-555-0101",
                "inline": False,
            },
        ],
        "footer": {"text": "Offices answer 9:00-17:00 Eastern."},
    }
    assert rendered.view is not None
    assert rendered.view.to_components() == [
        {
            "type": 1,
            "components": [
                button(OUTCOME + "contact", "Talked to staff", 3),
                button(OUTCOME + "voicemail", "Left voicemail", 1),
                button(OUTCOME + "unavailable", "Couldn't get through"),
                button(OUTCOME + "skip", "Skip"),
                button("about:clean-air", "Why it matters"),
            ],
        }
    ]
    assert rendered.view.timeout is None
    assert all(isinstance(item, CoreComponent) for item in rendered.view.children)


def test_a_picker_is_a_select_on_the_first_row_and_buttons_follow() -> None:
    rendered = render(DISTRICTS)
    assert rendered.view is not None
    assert rendered.view.to_components() == [
        {
            "type": 1,
            "components": [
                {
                    "type": 3,
                    "custom_id": "district:clean-air",
                    "placeholder": "Choose your district",
                    "min_values": 1,
                    "max_values": 1,
                    "disabled": False,
                    "required": True,
                    "options": [
                        {"label": "CA-12: Rep. Ada Lovelace", "value": "CA-12", "default": False},
                        {
                            "label": "CA-13: Rep. Grace Hopper",
                            "value": "CA-13",
                            "description": "East of the lake",
                            "default": False,
                        },
                    ],
                }
            ],
        },
        {"type": 1, "components": [button("call:clean-air", "Start over")]},
    ]


@pytest.mark.parametrize(
    ("tone", "colour"),
    [
        (Tone.INFO, 0x5865F2),
        (Tone.SUCCESS, 0x57F287),
        (Tone.WARNING, 0xFEE75C),
        (Tone.ERROR, 0xED4245),
    ],
)
def test_tone_is_the_embed_colour(tone: Tone, colour: int) -> None:
    embed = render(Reply(text="t", title="Title", tone=tone)).embed
    assert embed is not None and embed.colour == discord.Colour(colour)


def test_button_styles_follow_the_core_styles() -> None:
    reply = Reply(
        text="t",
        actions=tuple(
            Action(f"pledge:{style.value}", style.value, style)
            for style in (Style.PRIMARY, Style.SECONDARY, Style.SUCCESS, Style.DANGER)
        ),
    )
    view = render(reply).view
    assert view is not None
    styles = [c["style"] for c in view.to_components()[0]["components"]]
    assert styles == [1, 2, 3, 4]


def test_a_title_without_body_shows_the_text_as_description() -> None:
    embed = render(Reply(text="Setup saved.", title="callbot setup")).embed
    assert embed is not None and embed.description == "Setup saved."


def test_empty_fact_values_and_names_are_shown_as_blank_not_refused() -> None:
    embed = render(Reply(text="t", facts=(Fact("", ""),))).embed
    assert embed is not None
    assert embed.to_dict()["fields"] == [{"name": "\u200b", "value": "\u200b", "inline": True}]


def embed_size(data: dict[str, Any]) -> int:
    size = len(data.get("title", "")) + len(data.get("description", ""))
    size += len(data.get("footer", {}).get("text", ""))
    return size + sum(len(f["name"]) + len(f["value"]) for f in data.get("fields", []))


def test_long_texts_are_cut_to_discord_limits_with_an_ellipsis() -> None:
    reply = Reply(
        text="x",
        title="T" * 300,
        body="b" * 5000,
        facts=(Fact("N" * 300, "v" * 2000),),
        footer="f" * 3000,
    )
    embed = render(reply).embed
    assert embed is not None
    data = embed.to_dict()
    assert len(data["title"]) == 256 and data["title"].endswith("…")
    [field] = data["fields"]
    assert len(field["name"]) == 256 and len(field["value"]) == 1024 and not field["inline"]
    assert len(data["footer"]["text"]) == 2048
    assert data["description"].endswith("…")
    assert embed_size(data) == EMBED_TOTAL_MAX


def test_at_most_25_fields() -> None:
    embed = render(Reply(text="t", facts=tuple(Fact(f"n{i}", "v") for i in range(30)))).embed
    assert embed is not None and len(embed.fields) == 25


def test_facts_come_before_the_description_when_the_embed_would_be_too_big() -> None:
    reply = Reply(text="t", body="b" * 4000, facts=tuple(Fact("n", "v" * 1000) for _ in range(3)))
    embed = render(reply).embed
    assert embed is not None and embed.description is not None
    assert len(embed.fields) == 3
    assert len(embed.description) == EMBED_TOTAL_MAX - 3 * 1001
    assert embed.description.endswith("…")
    huge = render(Reply(text="t", facts=tuple(Fact("n", "v" * 1024) for _ in range(25)))).embed
    assert huge is not None
    assert len(huge.fields) == 5 and embed_size(huge.to_dict()) <= EMBED_TOTAL_MAX


def test_plain_content_is_cut_to_2000() -> None:
    rendered = render(Reply(text="y" * 2500))
    assert rendered.content is not None and len(rendered.content) == 2000


def test_truncate_never_leaves_an_escape_hanging() -> None:
    assert truncate("abc", 3) == "abc"
    assert truncate("abcd", 3) == "ab…"
    assert truncate("a\\*bcdef", 3) == "a…"  # not "a\\…", which would escape the ellipsis
    assert truncate("a\\\\bcdef", 4) == "a\\\\…"  # an escaped backslash stays whole


def test_buttons_fill_rows_of_five_and_stop_at_five_rows() -> None:
    reply = Reply(
        text="t",
        actions=tuple(Action(f"leaderboard:-:{i}", f"Button {i}" + "!" * 90) for i in range(30)),
    )
    view = render(reply).view
    assert view is not None
    rows = view.to_components()
    assert [len(row["components"]) for row in rows] == [5, 5, 5, 5, 5]
    labels = [c["label"] for row in rows for c in row["components"]]
    assert all(len(label) == 80 and label.endswith("…") for label in labels)


def test_a_picker_leaves_four_rows_for_buttons() -> None:
    reply = Reply(
        text="t",
        picker=Picker("call", "Choose a campaign", (Choice("A", "a"),)),
        actions=tuple(Action(f"pledge:c{i}", str(i)) for i in range(25)),
    )
    view = render(reply).view
    assert view is not None
    assert [len(row["components"]) for row in view.to_components()] == [1, 5, 5, 5, 5]


def test_a_select_offers_at_most_25_choices_and_never_cuts_a_value() -> None:
    choices = (
        Choice("too long", "v" * 101),
        Choice("dup", "a"),
        Choice("dup again", "a"),
        Choice("L" * 150, "b", "D" * 150),
        *(Choice(f"c{i}", f"c{i}") for i in range(40)),
    )
    view = render(Reply(text="t", picker=Picker("call", "P" * 200, choices))).view
    assert view is not None
    select = view.to_components()[0]["components"][0]
    values = [option["value"] for option in select["options"]]
    assert len(values) == 25 and values[:3] == ["a", "b", "c0"]
    assert len(select["placeholder"]) == 150
    long_option = select["options"][1]
    assert len(long_option["label"]) == 100 and len(long_option["description"]) == 100


def test_a_picker_with_no_usable_choice_is_left_out() -> None:
    assert render(Reply(text="t", picker=Picker("call", "P", ()))).view is None


def test_components_the_core_does_not_route_or_repeats_are_left_out() -> None:
    reply = Reply(
        text="t",
        actions=(
            Action("pledge:a", "Pledge"),
            Action("pledge:a", "Pledge twice"),
            Action("unknown:thing", "Not routed"),
            Action("call:" + "x" * 100, "Too long"),
        ),
    )
    view = render(reply).view
    assert view is not None
    assert [c["custom_id"] for c in view.to_components()[0]["components"]] == ["pledge:a"]


def test_the_template_covers_every_kind_the_core_routes() -> None:
    source = Path(callbot.services.dispatch.__file__).read_text(encoding="utf-8")
    routed = set(re.findall(r'case "([a-z-]+)"', source))
    assert routed == set(ROUTED_KINDS)
    for kind in ROUTED_KINDS:
        assert is_core_component(kind) and is_core_component(f"{kind}:a:b-c:1")
    assert not is_core_component("calls:x") and not is_core_component("x-call")


def test_send_and_edit_arguments_always_turn_mentions_off() -> None:
    rendered = render(CALL)
    sent = rendered.send_arguments()
    assert set(sent) == {"allowed_mentions", "embed", "view"}
    assert sent["allowed_mentions"].to_dict() == {"parse": []}
    bare = render(Reply(text="Done.")).edit_arguments()
    # An edit names every part: None clears the embed and buttons the message had before.
    assert bare["content"] == "Done." and bare["embed"] is None and bare["view"] is None
    assert bare["allowed_mentions"].to_dict()["parse"] == []


def test_a_form_is_a_modal_of_labelled_text_inputs() -> None:
    modal = render_modal(PROFILE_FORM)
    assert modal.to_dict() == {
        "custom_id": "profile:call:clean-air",
        "title": "About you",
        "components": [
            {
                "type": 18,
                "label": "Your name, as you'll say it on calls",
                "component": {
                    "type": 4,
                    "style": 1,
                    "label": None,
                    "custom_id": "name",
                    "required": True,
                    "placeholder": "Jane",
                    "value": "Jo",
                    "max_length": 50,
                },
            },
            {
                "type": 18,
                "label": "ZIP code, which finds your members of Congre…",
                "description": "ZIP code, which finds your members of Congress for you",
                "component": {
                    "type": 4,
                    "style": 1,
                    "label": None,
                    "custom_id": "zip",
                    "required": True,
                    "placeholder": "20001",
                    "max_length": 10,
                },
            },
            {
                "type": 18,
                "label": "City (optional)",
                "component": {
                    "type": 4,
                    "style": 1,
                    "label": None,
                    "custom_id": "city",
                    "required": False,
                    "max_length": 60,
                },
            },
        ],
    }
    assert modal.timeout is None


def test_modal_limits_title_five_fields_and_default_within_max_length() -> None:
    form = Form(
        id="profile:save",
        title="A very long form title that goes on and on and on",
        fields=tuple(
            FormField(f"f{i}", f"Field {i}", default="abcdef", max_length=3) for i in range(7)
        ),
    )
    data = render_modal(form).to_dict()
    assert len(data["title"]) == 45 and data["title"].endswith("…")
    assert len(data["components"]) == 5
    assert data["components"][0]["component"]["value"] == "abc"


def test_a_form_the_core_cannot_route_is_refused() -> None:
    with pytest.raises(ValueError, match="not one the core routes"):
        render_modal(Form(id="survey:1", title="t", fields=(FormField("a", "A"),)))
    with pytest.raises(ValueError, match="no fields"):
        render_modal(Form(id="profile:save", title="t", fields=()))


# -- images ---------------------------------------------------------------------------------------


def test_an_image_is_uploaded_and_shown_inside_the_embed() -> None:
    rendered = render(TALLY)
    assert rendered.embed is not None
    assert rendered.embed.to_dict() == {
        "type": "rich",
        "flags": 0,
        "title": "Tally: Call the Governor",
        "description": "7 completed calls from 4 members.",
        "color": 0x5865F2,
        "fields": [{"name": "Pledged to call", "value": "6", "inline": True}],
        "image": {"url": "attachment://calls-per-day.png"},
    }
    sent = rendered.send_arguments()
    assert set(sent) == {"allowed_mentions", "embed", "file"}
    file = sent["file"]
    assert isinstance(file, discord.File)
    assert file.filename == "calls-per-day.png" and file.description == CHART.alt
    assert file.fp.read() == CHART.data
    # discord.py closes a File once sent: every call uploads a fresh one.
    assert rendered.send_arguments()["file"] is not file
    assert rendered.send_arguments()["file"].fp.read() == CHART.data


def test_an_edit_uploads_the_image_again_or_clears_the_old_one() -> None:
    [file] = render(TALLY).edit_arguments()["attachments"]
    assert isinstance(file, discord.File) and file.filename == "calls-per-day.png"
    assert render(Reply(text="Done.")).edit_arguments()["attachments"] == []


def test_an_image_alone_still_gets_an_embed_to_be_shown_in() -> None:
    rendered = render(Reply(text="Calls this fortnight", image=CHART))
    assert rendered.content is None and rendered.embed is not None
    assert rendered.embed.description == "Calls this fortnight"
    assert rendered.embed.image.url == "attachment://calls-per-day.png"


def test_where_no_file_can_go_the_image_is_described_in_words() -> None:
    rendered = render(TALLY, attach_image=False)
    assert rendered.image is None and "file" not in rendered.send_arguments()
    assert rendered.embed is not None and rendered.embed.image.url is None
    assert rendered.embed.description == f"7 completed calls from 4 members.\n\n{CHART.alt}"


def test_an_image_file_name_is_one_attachment_urls_can_name() -> None:
    odd = Reply(text="t", image=Image(b"png", "calls per day (Nov).png", "chart"))
    rendered = render(odd)
    assert rendered.image is not None and rendered.image.filename == "calls_per_day__Nov_.png"
    assert rendered.embed is not None
    assert rendered.embed.image.url == "attachment://calls_per_day__Nov_.png"
    assert rendered.send_arguments()["file"].filename == "calls_per_day__Nov_.png"


def test_a_long_image_description_is_cut_to_discords_limit() -> None:
    long = Reply(text="t", image=Image(b"png", "c.png", "x" * 2000))
    assert len(render(long).send_arguments()["file"].description) == 1024
