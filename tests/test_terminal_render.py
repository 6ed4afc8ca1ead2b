"""Golden tests for the terminal playground's renderings of a `Reply` (pure, no database)."""

from __future__ import annotations

import pytest
from rich.cells import cell_len
from rich.console import Console

from callbot.markup import markdown_to_text
from callbot.replies import (
    Action,
    Choice,
    Fact,
    Form,
    FormField,
    Picker,
    Reply,
    Style,
    Tone,
)
from callbot.safety import member_text
from callbot_terminal.options import options_of, pick_option
from callbot_terminal.render import render_rich, render_text

CALL = Reply(
    text="Call 1 of 3: Rep. Ada Lovelace (D, CA-12): 202-225-0001",
    title="Call 1 of 3: Rep. Ada Lovelace (D, CA-12)",
    body="Hi, my name is **"
    + member_text("@everyone Jane_Doe")
    + "** and I live in Oakland, CA 94607.\n"
    "I'm calling to ask Rep. Lovelace to support the [Clean Air Act](https://example.org/bill).\n\n"
    "_Thank you for your time._",
    facts=(
        Fact("Phone (Washington office)", "202-225-0001"),
        Fact("Line busy? District offices", "Oakland: 510-555-0100"),
    ),
    actions=(
        Action("outcome:clean-air:abcd1234:A000001:contact", "Talked to staff", Style.SUCCESS),
        Action("outcome:clean-air:abcd1234:A000001:voicemail", "Left voicemail", Style.PRIMARY),
        Action("outcome:clean-air:abcd1234:A000001:unavailable", "Couldn't get through"),
        Action("outcome:clean-air:abcd1234:A000001:skip", "Skip"),
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
PROBLEM = Reply(
    text="There is no campaign called “" + member_text("*nope*") + "”.", tone=Tone.WARNING
)
LEADERBOARD = Reply(
    text="Leaderboard: all time.",
    title="Leaderboard: all time",
    body="1. Ada: 3 calls\n1. Grace: 3 calls\n3. A caller: 1 call",
    facts=(Fact("You", "You're #1 with 3 completed calls."),),
    actions=(
        Action("leaderboard:-:week", "This week"),
        Action("leaderboard:-:month", "This month"),
    ),
    tone=Tone.SUCCESS,
)
FORM = Reply(
    text="Tell us who you are so we can fill in your script.",
    title="Before your first call",
    form=Form("profile:call:clean-air", "About you", (FormField("name", "Your name"),)),
)

ZWSP = "\u200b"

TEXT_GOLDENS = {
    "call": f"""\
Call 1 of 3: Rep. Ada Lovelace (D, CA-12)
Hi, my name is @{ZWSP}everyone Jane_Doe and I live in Oakland, CA 94607.
I'm calling to ask Rep. Lovelace to support the Clean Air Act (https://example.org/bill).

Thank you for your time.
Phone (Washington office): 202-225-0001
Line busy? District offices: Oakland: 510-555-0100
Offices answer 9:00-17:00 Eastern.
1) Talked to staff  2) Left voicemail  3) Couldn't get through  4) Skip""",
    "districts": """\
Which district do you live in?
ZIP 94607 is split between 2 districts. Pick yours.
Choose your district:
  1) CA-12: Rep. Ada Lovelace
  2) CA-13: Rep. Grace Hopper — East of the lake
3) Start over""",
    "problem": "There is no campaign called “*nope*”.",
    "leaderboard": """\
Leaderboard: all time
1. Ada: 3 calls
1. Grace: 3 calls
3. A caller: 1 call
You: You're #1 with 3 completed calls.
1) This week  2) This month""",
    "form": """\
Before your first call
Tell us who you are so we can fill in your script.
About you:""",
}

RICH_GOLDENS = {
    "call": f"""\
╭─ Call 1 of 3: Rep. Ada Lovelace (D, CA-12) ──────────────────────────────────╮
│ Hi, my name is @{ZWSP}everyone Jane_Doe and I live in Oakland, CA 94607.           │
│ I'm calling to ask Rep. Lovelace to support the Clean Air Act                │
│ (https://example.org/bill).                                                  │
│                                                                              │
│ Thank you for your time.                                                     │
│                                                                              │
│ Phone (Washington office)    202-225-0001                                    │
│ Line busy? District offices  Oakland: 510-555-0100                           │
│                                                                              │
│ Offices answer 9:00-17:00 Eastern.                                           │
│                                                                              │
│ 1) Talked to staff   2) Left voicemail   3) Couldn't get through   4) Skip   │
╰──────────────────────────────────────────────────────────────────────────────╯
""",
    "districts": """\
╭─ Which district do you live in? ─────────────────────────────────────────────╮
│ ZIP 94607 is split between 2 districts. Pick yours.                          │
│                                                                              │
│ Choose your district:                                                        │
│   1) CA-12: Rep. Ada Lovelace                                                │
│   2) CA-13: Rep. Grace Hopper — East of the lake                             │
│                                                                              │
│ 3) Start over                                                                │
╰──────────────────────────────────────────────────────────────────────────────╯
""",
    "problem": """\
╭──────────────────────────────────────────────────────────────────────────────╮
│ There is no campaign called “*nope*”.                                        │
╰──────────────────────────────────────────────────────────────────────────────╯
""",
    "leaderboard": """\
╭─ Leaderboard: all time ──────────────────────────────────────────────────────╮
│ 1. Ada: 3 calls                                                              │
│ 1. Grace: 3 calls                                                            │
│ 3. A caller: 1 call                                                          │
│                                                                              │
│ You  You're #1 with 3 completed calls.                                       │
│                                                                              │
│ 1) This week   2) This month                                                 │
╰──────────────────────────────────────────────────────────────────────────────╯
""",
    "form": """\
╭─ Before your first call ─────────────────────────────────────────────────────╮
│ Tell us who you are so we can fill in your script.                           │
│                                                                              │
│ About you:                                                                   │
╰──────────────────────────────────────────────────────────────────────────────╯
""",
}

REPLIES = {
    "call": CALL,
    "districts": DISTRICTS,
    "problem": PROBLEM,
    "leaderboard": LEADERBOARD,
    "form": FORM,
}


@pytest.mark.parametrize("name", sorted(REPLIES))
def test_render_text_golden(name: str) -> None:
    assert render_text(REPLIES[name]) == TEXT_GOLDENS[name]


@pytest.mark.parametrize("name", sorted(REPLIES))
def test_render_rich_golden(name: str) -> None:
    console = Console(record=True, width=80, color_system=None)
    console.print(render_rich(REPLIES[name]))
    assert console.export_text() == RICH_GOLDENS[name]


def test_rich_panel_is_never_wider_than_100_columns() -> None:
    console = Console(record=True, width=160, color_system=None)
    console.print(render_rich(CALL))
    widths = {cell_len(line) for line in console.export_text().splitlines()}
    assert max(widths) == 100


@pytest.mark.parametrize(
    ("tone", "colour"),
    [(Tone.INFO, "blue"), (Tone.SUCCESS, "green"), (Tone.WARNING, "yellow"), (Tone.ERROR, "red")],
)
def test_tone_colours_the_border(tone: Tone, colour: str) -> None:
    from rich.constrain import Constrain
    from rich.panel import Panel

    rendered = render_rich(Reply(text="hello", tone=tone))
    assert isinstance(rendered, Constrain)
    assert isinstance(rendered.renderable, Panel)
    assert rendered.renderable.border_style == colour


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("**bold** and _italic_ and *star*", "bold and italic and star"),
        ("snake_case and 5 * 3 stay", "snake_case and 5 * 3 stay"),
        (r"escaped \*stars\* and \_under\_ and a\\b", "escaped *stars* and _under_ and a\\b"),
        ("see [the bill](https://x.org/a_b) now", "see the bill (https://x.org/a_b) now"),
        ("[https://x.org](https://x.org)", "https://x.org"),
        ("run `callbot data update` first", "run callbot data update first"),
        ("- **Title**: first\n- second", "- Title: first\n- second"),
    ],
)
def test_markdown_to_text(markdown: str, text: str) -> None:
    assert markdown_to_text(markdown) == text


def test_picker_choices_are_numbered_before_buttons() -> None:
    options = options_of(DISTRICTS)
    assert [(o.number, o.label, o.component, o.choice) for o in options] == [
        (1, "CA-12: Rep. Ada Lovelace", "district:clean-air", "CA-12"),
        (2, "CA-13: Rep. Grace Hopper", "district:clean-air", "CA-13"),
        (3, "Start over", "call:clean-air", None),
    ]


@pytest.mark.parametrize(
    ("answer", "expected"),
    [("1", "CA-12"), (" 2 ", "CA-13"), ("ca-13", "CA-13"), ("start over", None)],
)
def test_pick_option_by_number_label_or_value(answer: str, expected: str | None) -> None:
    option = pick_option(options_of(DISTRICTS), answer)
    assert option is not None
    assert option.choice == expected


@pytest.mark.parametrize("answer", ["0", "4", "-1", "CA-14", "", "one"])
def test_pick_option_rejects_what_is_not_offered(answer: str) -> None:
    assert pick_option(options_of(DISTRICTS), answer) is None
