"""Call scripts: placeholders are filled in safely, and missing details read naturally."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callbot.campaigns import PLACEHOLDERS, Caller, ScriptTarget, render_script
from callbot.campaigns.script import (
    placeholder_names,
    split_chamber_sections,
    unknown_placeholders,
)

REP = ScriptTarget(
    title="Representative",
    short_title="Rep.",
    name="Nancy Pelosi",
    last_name="Pelosi",
    party="Democrat",
    state="CA",
    district="CA-11",
    phone="202-225-4965",
)
SENATOR = ScriptTarget(
    title="Senator",
    short_title="Sen.",
    name="Sherrod Brown",
    last_name="Brown",
    party="Democrat",
    state="OH",
    district=None,
    phone="202-224-2315",
)
CALLER = Caller(name="Ana Díaz", city="Columbus", state="OH", zip_code="43004")
NOBODY = Caller(name="", city=None, state=None, zip_code=None)


def test_our_placeholders() -> None:
    template = (
        "{caller_name}|{caller_city}|{caller_state}|{caller_zip}|{caller_location}|"
        "{target_title}|{target_short_title}|{target_name}|{target_last_name}|"
        "{target_full_name}|{target_party}|{target_state}|{target_district}|{target_phone}"
    )

    assert render_script(template, CALLER, REP).split("|") == [
        "Ana Díaz",
        "Columbus",
        "Ohio",
        "43004",
        "Columbus, Ohio",
        "Representative",
        "Rep.",
        "Nancy Pelosi",
        "Pelosi",
        "Representative Nancy Pelosi",
        "Democrat",
        "California",
        "CA-11",
        "202-225-4965",
    ]


def test_five_calls_placeholders_any_case_and_in_bold() -> None:
    template = (
        "Hi, my name is **[NAME]** ([your name]) and I'm a constituent from [CITY, ZIP] "
        "([City,State]; [CITY]; [state]; [ZIP]). I'm calling [REP/SEN NAME] "
        "([ Rep Name ], [SEN NAME], [REPRESENTATIVE NAME], [senator/rep name])."
    )

    assert render_script(template, CALLER, REP) == (
        "Hi, my name is **Ana Díaz** (Ana Díaz) and I'm a constituent from Columbus, 43004 "
        "(Columbus, Ohio; Columbus; Ohio; 43004). I'm calling Rep. Nancy Pelosi "
        "(Rep. Nancy Pelosi, Rep. Nancy Pelosi, Representative Nancy Pelosi, "
        "Representative Nancy Pelosi)."
    )


def test_senators_have_their_state_for_a_district() -> None:
    assert render_script("[REP/SEN NAME] of {target_district}", CALLER, SENATOR) == (
        "Sen. Sherrod Brown of Ohio"
    )


@pytest.mark.parametrize(
    ("caller", "expected"),
    [
        (Caller("Ana", "Columbus", "OH", "43004"), "I'm Ana and I live in Columbus."),
        (Caller("Ana", None, "OH", "43004"), "I'm Ana and I live in Ohio."),
        (Caller("Ana", "  ", None, "43004"), "I'm Ana and I live in ZIP 43004."),
        (Caller("", None, None, None), "I'm a constituent and I live in the area you serve."),
        (
            Caller("\u200b\x00", None, None, None),
            "I'm a constituent and I live in the area you serve.",
        ),
    ],
)
def test_missing_details_read_naturally(caller: Caller, expected: str) -> None:
    assert render_script("I'm [NAME] and I live in {caller_city}.", caller, REP) == expected


def test_nothing_known_never_leaves_a_placeholder_or_none() -> None:
    template = " ".join(sorted(PLACEHOLDERS))
    for target in (REP, SENATOR):
        output = render_script(template, NOBODY, target)
        assert placeholder_names(output) == []
        assert "None" not in output
    assert render_script("{caller_state}", NOBODY, SENATOR) == "Ohio"  # a senator's constituent
    assert render_script("[CITY, STATE]", Caller("A", None, None, "43004"), REP) == "ZIP 43004"


def test_member_text_that_looks_like_a_placeholder_stays_literal() -> None:
    caller = Caller(name="{target_phone}", city="[NAME]", state="OH", zip_code="43004")

    output = render_script("I'm {caller_name} from [CITY].", caller, REP)

    # Shown as written (its underscore escaped for Markdown), never filled in.
    assert output == "I'm {target\\_phone} from \\[NAME\\]."


def test_mentions_are_broken_in_member_and_organizer_text() -> None:
    caller = Caller(name="@everyone <@123>", city="<!channel>", state="OH", zip_code=None)

    output = render_script("@here: {caller_name} from {caller_city}", caller, REP)

    assert "@everyone" not in output and "@here" not in output
    assert "<@" not in output and "<!" not in output
    assert output.startswith("@\u200bhere: ")


def test_a_mention_completed_by_an_insertion_is_broken() -> None:
    output = render_script("@{caller_name}", Caller("everyone", None, None, None), REP)

    assert output == "@\u200beveryone"


def test_member_markdown_is_escaped_but_the_script_keeps_its_own() -> None:
    caller = Caller(name="**Bo** [x](https://evil.example)", city=None, state=None, zip_code=None)

    output = render_script("**Hello**, I'm _{caller_name}_", caller, REP)

    assert output == "**Hello**, I'm _\\*\\*Bo\\*\\* \\[x\\]\\(https://evil.example\\)_"


def test_links_and_other_brackets_are_left_alone() -> None:
    template = "[NAME](https://example.org) [sic] {not a placeholder} [H.R. 1] [UNKNOWN THING]"

    assert render_script(template, CALLER, REP) == template


def test_placeholders_lists_both_styles() -> None:
    assert {"{caller_name}", "{target_full_name}", "[NAME]", "[CITY, STATE]"} <= PLACEHOLDERS
    assert {"[REP/SEN NAME]", "[REP NAME]", "[SEN NAME]", "[YOUR NAME]", "[CITY, ZIP]"} <= (
        PLACEHOLDERS
    )
    # Every listed spelling is recognised.
    assert placeholder_names(" ".join(sorted(PLACEHOLDERS))) == [
        name for name in sorted(PLACEHOLDERS)
    ]


def test_unknown_placeholders_are_found_once_each() -> None:
    template = "[YOUR CITY] {caller_nme} [YOUR CITY] [sic] [H.R. 1] [x](y) {a b} [NAME]"

    assert unknown_placeholders(template) == ["[YOUR CITY]", "{caller_nme}"]


class TestChamberSections:
    SCRIPT = (
        "Hello!\n\n"
        "**WHEN CALLING HOUSE:**\n"
        "I'm calling to urge [REP/SEN NAME] to support the House bill.\n\n"
        "**WHEN CALLING SENATE:**\n"
        "I'm calling to urge [REP/SEN NAME] to support the Senate bill.\n\n"
        "Thank you for your time and consideration."
    )

    def test_five_calls_script_splits_into_variants(self) -> None:
        assert split_chamber_sections(self.SCRIPT) == {
            "default": "Hello!\n\nThank you for your time and consideration.",
            "house": "Hello!\n\nI'm calling to urge [REP/SEN NAME] to support the House bill.\n\n"
            "Thank you for your time and consideration.",
            "senate": "Hello!\n\nI'm calling to urge [REP/SEN NAME] to support the Senate bill."
            "\n\nThank you for your time and consideration.",
        }

    def test_marker_with_text_on_its_line_and_multi_line_paragraphs(self) -> None:
        script = (
            "when calling the senate: Ask for a no vote\non the bill.\n\n"
            "WHEN CALLING HOUSE:\n\nAsk for a yes vote.\n\nThanks."
        )

        assert split_chamber_sections(script) == {
            "default": "Thanks.",
            "house": "Ask for a yes vote.\n\nThanks.",
            "senate": "Ask for a no vote\non the bill.\n\nThanks.",
        }

    def test_a_script_without_markers_is_only_a_default(self) -> None:
        script = "When calling the House, be polite.\n\nThanks."

        assert split_chamber_sections(script) == {"default": script}


# Property tests -------------------------------------------------------------------------

PLACEHOLDER_SPELLINGS = [
    *sorted(PLACEHOLDERS),
    "**[NAME]**",
    "[name]",
    "[ city , state ]",
    "[Rep/Sen Name]",
    "{CALLER_NAME}",
    "{ target_phone }",
]
NASTY = [
    "@everyone",
    "@here",
    "@channel",
    "<!channel>",
    "<!here>",
    "<@123>",
    "<@!123>",
    "<@&55>",
    "<#99>",
    "**",
    "__",
    "~~",
    "`code`",
    "[x](https://y)",
    "||spoiler||",
    "# heading",
    "> quote",
    "\\",
    "{target_phone}",
    "[NAME]",
    "None",
    "\u200b",
    "\n",
]
member_values = st.one_of(
    st.none(),
    st.text(max_size=60),
    st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=5)), max_size=6).map("".join),
)
# Organizer text between placeholders: anything but brackets and braces, so the only
# placeholders in a template are the ones we put there.
template_text = st.text(alphabet=st.characters(exclude_characters="[]{}"), max_size=20)
templates = st.lists(
    st.one_of(st.sampled_from(PLACEHOLDER_SPELLINGS), template_text, st.sampled_from(NASTY)),
    max_size=12,
).map("".join)
callers = st.builds(
    Caller,
    member_values.map(lambda value: value or ""),
    member_values,
    member_values,
    member_values,
)
targets = st.sampled_from([REP, SENATOR])

MENTION = re.compile(r"@(everyone|here|channel)\b|<[@#!]", re.IGNORECASE)
MARKUP = set("\\`*_~|[]()<>#")


def unescaped_markup(text: str) -> bool:
    """True when `text` has a Markdown character that is not backslash-escaped."""
    index = 0
    while index < len(text):
        if text[index] == "\\":
            if index + 1 == len(text):
                return True
            index += 2
        elif text[index] in MARKUP:
            return True
        else:
            index += 1
    return False


@settings(max_examples=300)
@given(templates, callers, targets)
def test_render_never_raises_and_is_deterministic(
    template: str, caller: Caller, target: ScriptTarget
) -> None:
    assert render_script(template, caller, target) == render_script(template, caller, target)


@settings(max_examples=300)
@given(templates, callers, targets)
def test_no_placeholder_remains(template: str, caller: Caller, target: ScriptTarget) -> None:
    output = render_script(template, caller, target)

    assert placeholder_names(output) == []


@settings(max_examples=300)
@given(st.text(max_size=40) | templates, callers, targets)
def test_no_mention_survives(template: str, caller: Caller, target: ScriptTarget) -> None:
    assert MENTION.search(render_script(template, caller, target)) is None


@settings(max_examples=300)
@given(member_values, member_values, targets)
def test_member_text_cannot_add_markup(
    name: str | None, city: str | None, target: ScriptTarget
) -> None:
    caller = Caller(name or "", city, "OH", None)

    for placeholder in ("{caller_name}", "[NAME]", "{caller_city}", "[CITY, STATE]"):
        output = render_script(f"A{placeholder}B", caller, target)
        assert output.startswith("A") and output.endswith("B")
        assert not unescaped_markup(output[1:-1]), output
