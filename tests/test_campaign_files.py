"""Campaign files: the shipped examples load, and every kind of mistake is reported with its
file, line and field.

Each bad fixture marks the problems it must produce: a trailing `# expect: FIELD: TEXT`
means "on this line", and `# expect line N: FIELD: TEXT` is used where a comment would be
part of a block scalar.
"""

from __future__ import annotations

import re
import tempfile
from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from callbot.campaigns import (
    CampaignSpec,
    Problem,
    check_campaigns,
    load_campaigns,
)

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
CAMPAIGN_FIXTURES = TESTS / "fixtures" / "campaigns"
BAD = CAMPAIGN_FIXTURES / "bad"

# One fixture per kind of mistake; the test below fails if one goes missing.
ERROR_KINDS = {
    "yaml-syntax.yaml",
    "not-a-mapping.yaml",
    "missing-field.yaml",
    "wrong-type.yaml",
    "bad-slug.yaml",
    "bad-phone.yaml",
    "bad-url.yaml",
    "unknown-field.yaml",
    "unknown-placeholder.yaml",
    "no-targets.yaml",
    "ends-before-starts.yaml",
    "duplicate-key.yaml",
    "no-script-for-target.yaml",
    "empty.yaml",
    "not-utf8.yaml",
}

_HERE = re.compile(rb"#\s*expect:\s*(?P<field>[^:]+):\s*(?P<text>.+)$")
_AT = re.compile(rb"#\s*expect line (?P<line>\d+):\s*(?P<field>[^:]+):\s*(?P<text>.+)$")


def expectations(path: Path) -> list[tuple[int | None, str, str]]:
    """(line, field, text) for each problem the fixture announces."""
    found: list[tuple[int | None, str, str]] = []
    for number, raw in enumerate(path.read_bytes().splitlines(), start=1):
        at = _AT.search(raw)
        here = _HERE.search(raw)
        match, line = (at, int(at["line"])) if at else (here, number)
        if match:
            found.append((line, match["field"].decode().strip(), match["text"].decode().strip()))
    return found


def test_every_kind_of_mistake_has_a_fixture() -> None:
    assert {path.name for path in BAD.iterdir()} == ERROR_KINDS


@pytest.mark.parametrize("name", sorted(ERROR_KINDS))
def test_bad_file_reports_file_line_and_field(name: str) -> None:
    path = BAD / name
    result = check_campaigns(path)

    assert result.campaigns == []
    expected = expectations(path) or [(None, "file", "is empty")]
    assert len(result.problems) == len(expected), [str(p) for p in result.problems]
    for line, field, text in expected:
        matching = [
            problem
            for problem in result.problems
            if problem.line == line and problem.field == field and text in problem.message
        ]
        assert matching, f"no problem {line}: {field}: {text!r} in {result.problems}"
        assert matching[0].path == path


def test_problem_prints_as_path_line_field_message(tmp_path: Path) -> None:
    assert str(Problem(tmp_path / "a.yaml", 7, "goal", "must be a whole number")) == (
        f"{tmp_path / 'a.yaml'}:7: goal: must be a whole number"
    )
    assert str(Problem(tmp_path / "a.yaml", None, "file", "is empty")) == (
        f"{tmp_path / 'a.yaml'}: file: is empty"
    )


def test_duplicate_slug_blames_the_second_file() -> None:
    folder = CAMPAIGN_FIXTURES / "duplicate"
    result = load_campaigns(folder)

    assert [item.path.name for item in result.campaigns] == ["a-first.yaml"]
    assert result.problems == [
        Problem(
            folder / "b-second.yaml",
            2,
            "slug",
            f"'same-slug' is already used by {folder / 'a-first.yaml'}",
        )
    ]


def test_shipped_campaigns_load_without_problems() -> None:
    result = load_campaigns(REPO / "campaigns")

    assert result.problems == []
    slugs = {item.spec.slug for item in result.campaigns}
    assert {"defund-hate-budget", "block-the-bill-senate"} <= slugs
    assert len(result.campaigns) == len(list((REPO / "campaigns").glob("*.y*ml")))


def test_shipped_examples_match_the_seed_pages() -> None:
    loaded = {item.spec.slug: item.spec for item in load_campaigns(REPO / "campaigns").campaigns}
    house = loaded["defund-hate-budget"]
    assert (house.targets.house, house.targets.senate, house.targets.custom) == (True, False, ())
    assert house.goal is not None and house.goal > 0
    assert "{caller_name}" in house.script_for("house")
    assert "own story" in house.script_for("house")
    assert "full street address" in house.script_for("house")

    senate = loaded["block-the-bill-senate"]
    assert (senate.targets.house, senate.targets.senate) == (False, True)
    assert senate.fallback_phone == "202-224-3121"
    assert senate.script.senate is not None
    assert senate.script_for("senate") != senate.script_for("house")


def test_good_fixtures_load_and_skip_hidden_and_other_files() -> None:
    result = load_campaigns(CAMPAIGN_FIXTURES / "good")

    assert result.problems == []
    assert sorted(item.path.name for item in result.campaigns) == ["everything.yml", "minimal.yaml"]


def test_every_field_is_read_and_normalised() -> None:
    (item,) = check_campaigns(CAMPAIGN_FIXTURES / "good" / "everything.yml").campaigns
    spec = item.spec

    assert [link.url for link in spec.links] == [
        "https://example.org/bill",
        "http://example.org/research?page=2",
    ]
    governor, speaker = spec.targets.custom
    assert (governor.phone, governor.state, governor.note) == (
        "518-555-0100",
        "NY",
        "Ask for the constituent services line.",
    )
    assert speaker.phone == "202-555-0123"
    assert spec.targets.order == ("custom", "senate", "house")
    assert spec.fallback_phone == "202-224-3121"
    assert spec.goal == 250
    assert spec.starts == datetime(2025, 6, 1, 13, 0, tzinfo=UTC)
    assert spec.ends == datetime.combine(date(2025, 6, 30), time.max, tzinfo=UTC)
    # The 5 Calls paragraphs became per-chamber variants around the shared text.
    assert spec.script_for("house") == (
        "Hi, my name is **[NAME]** and I'm a constituent from [CITY, ZIP].\n\n"
        "I'm calling to urge [REP/SEN NAME] to vote no on H.R. 1.\n\n"
        "Thank you for your time and consideration."
    )
    assert "Senate version" in spec.script_for("senate")
    assert "H.R. 1" not in spec.script_for("senate")
    assert spec.script_for("custom") == (
        "Hi, my name is **[NAME]** and I'm a constituent from [CITY, ZIP].\n\n"
        "Thank you for your time and consideration."
    )


def test_content_hash_is_sha256_of_the_bytes() -> None:
    import hashlib

    path = CAMPAIGN_FIXTURES / "good" / "minimal.yaml"
    (item,) = check_campaigns(path).campaigns
    assert item.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_folder_reports_every_problem_and_keeps_the_good_files(tmp_path: Path) -> None:
    good = (CAMPAIGN_FIXTURES / "good" / "minimal.yaml").read_bytes()
    (tmp_path / "good.yaml").write_bytes(good)
    (tmp_path / "bad.yaml").write_bytes((BAD / "wrong-type.yaml").read_bytes())
    (tmp_path / "worse.yml").write_bytes((BAD / "bad-phone.yaml").read_bytes())

    result = load_campaigns(tmp_path)

    assert [item.spec.slug for item in result.campaigns] == ["minimal"]
    assert [(problem.path.name, problem.line) for problem in result.problems] == [
        ("bad.yaml", 5),
        ("bad.yaml", 7),
        ("worse.yml", 9),
        ("worse.yml", 11),
    ]


def test_missing_folder_loads_nothing_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    result = load_campaigns(tmp_path / "nowhere")

    assert (result.campaigns, result.problems) == ([], [])
    assert "does not exist" in caplog.text


def test_checking_a_missing_path_is_a_problem(tmp_path: Path) -> None:
    result = check_campaigns(tmp_path / "nowhere.yaml")

    assert result.problems == [
        Problem(tmp_path / "nowhere.yaml", None, "file", "no such file or folder")
    ]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "campaign.yaml"
    path.write_text(text, encoding="utf-8")
    return path


BASE = "slug: sample\ntitle: Sample\nsummary: A sample.\ntargets:\n  house: true\n"


@pytest.mark.parametrize(
    ("extra", "line", "field", "text"),
    [
        ("script: Hi.\ngoal: 0\n", 7, "goal", "must be more than 0"),
        ("script: Hi.\ngoal: true\n", 7, "goal", "must be a whole number"),
        ("script: Hi.\nends: 2025\n", 7, "ends", "must be a date"),
        ("script: Hi.\nends: 2025-02-30\n", 7, "ends", "not a real date"),
        ("script: Hi.\nactive: 'yes'\n", 7, "active", "must be true or false"),
        ("script: [Hi]\n", 6, "script", "must be the script text"),
        ("script:\n  default: Hi.\n  house: ''\n", 8, "script.house", "is empty"),
        ("script: Hi.\nwhy: ''\n", 7, "why", "must not be empty"),
        ("script: Hi.\nlinks: {label: x}\n", 7, "links", "must be a list"),
        ("script: Hi.\ntitle2: x\n", 7, "title2", "not a known field"),
        ("script: Hi.\nstarts: !!python/name:os.system\n", 7, "yaml", "not valid YAML"),
        ("script: Hi.\nwhy: " + "x" * 4001 + "\n", 7, "why", "at most 4000"),
    ],
)
def test_more_field_errors(tmp_path: Path, extra: str, line: int, field: str, text: str) -> None:
    problems = check_campaigns(write(tmp_path, BASE + extra)).problems

    assert len(problems) == 1, problems
    assert (problems[0].line, problems[0].field) == (line, field)
    assert text in problems[0].message


def test_order_must_include_every_targeted_kind(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "  senate: true\n  order: [house]\nscript: Hi.\n")

    (problem,) = check_campaigns(path).problems
    assert (problem.line, problem.field) == (7, "targets.order")
    assert "leaves out senate" in problem.message


TARGET = "    - {key: %s, name: A B, title: Mayor, phone: 212-555-0100}\n"


def test_custom_target_keys_must_be_unique(tmp_path: Path) -> None:
    path = write(
        tmp_path, BASE + "  custom:\n" + TARGET % "mayor" + TARGET % "mayor" + "script: Hi.\n"
    )

    (problem,) = check_campaigns(path).problems
    assert (problem.line, problem.field) == (6, "targets.custom")
    assert "'mayor' is used twice" in problem.message


def test_custom_target_keys_must_fit_in_button_ids(tmp_path: Path) -> None:
    path = write(tmp_path, BASE + "  custom:\n" + TARGET % "a-key-far-too-long" + "script: Hi.\n")

    (problem,) = check_campaigns(path).problems
    assert (problem.line, problem.field) == (7, "targets.custom[0].key")
    assert "at most 15 characters" in problem.message


def test_spec_round_trips_through_its_json_definition() -> None:
    (item,) = check_campaigns(CAMPAIGN_FIXTURES / "good" / "everything.yml").campaigns

    assert CampaignSpec.model_validate(item.spec.model_dump(mode="json")) == item.spec


def test_spec_is_frozen() -> None:
    (item,) = check_campaigns(CAMPAIGN_FIXTURES / "good" / "minimal.yaml").campaigns

    with pytest.raises(ValidationError):
        item.spec.title = "Changed"  # type: ignore[misc]


def test_is_open_respects_active_and_dates() -> None:
    spec = CampaignSpec.model_validate(
        {
            "slug": "dated",
            "title": "Dated",
            "summary": "Open in June.",
            "targets": {"senate": True},
            "script": "Hi.",
            "starts": date(2025, 6, 1),
            "ends": "2025-06-30",
        }
    )

    assert not spec.is_open(datetime(2025, 5, 31, 23, 59, 59, tzinfo=UTC))
    assert spec.is_open(datetime(2025, 6, 1, 0, 0, tzinfo=UTC))
    assert spec.is_open(datetime(2025, 6, 30, 23, 59, 59, tzinfo=UTC))
    assert not spec.is_open(datetime(2025, 7, 1, 0, 0, tzinfo=UTC))
    assert spec.is_open(datetime(2025, 6, 15, 12, 0))  # naive means UTC
    assert not spec.model_copy(update={"active": False}).is_open(datetime(2025, 6, 15, tzinfo=UTC))


def test_script_for_falls_back_to_default() -> None:
    spec = CampaignSpec.model_validate(
        {
            "slug": "variants",
            "title": "Variants",
            "summary": "Per chamber.",
            "targets": {"house": True, "senate": True},
            "script": {"default": "Default.", "senate": "Senate."},
        }
    )

    assert spec.script_for("house") == "Default."
    assert spec.script_for("senate") == "Senate."
    assert spec.script_for("custom") == "Default."
    assert spec.script_for("something else") == "Default."


def test_an_alias_bomb_is_reported_quickly(tmp_path: Path) -> None:
    lines = ["l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 12):
        refs = ", ".join([f"*l{level - 1}"] * 9)
        lines.append(f"l{level}: &l{level} [{refs}]")
    path = write(tmp_path, "\n".join(lines) + "\n")

    problems = check_campaigns(path).problems  # 9**12 paths; finishes only if nodes are shared

    assert {problem.field for problem in problems} >= {"l0", "l11", "slug"}


def test_nesting_and_size_have_limits(tmp_path: Path) -> None:
    deep = write(tmp_path, "slug: " + "[" * 5000 + "]" * 5000 + "\n")
    assert check_campaigns(deep).problems == [Problem(deep, None, "yaml", "is nested too deeply")]

    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * 300_000 + "\n", encoding="utf-8")
    (problem,) = check_campaigns(big).problems
    assert (problem.line, problem.field) == (None, "file")
    assert "at most 256 KB" in problem.message


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(lambda text: text.encode("utf-8")),
        st.lists(
            st.sampled_from(
                [
                    "slug: a\n",
                    "title: T\n",
                    "summary: S\n",
                    "targets:\n",
                    "  house: true\n",
                    "  custom:\n",
                    "    - key: k\n",
                    "      phone: x\n",
                    "script: |\n",
                    "  [NAME]\n",
                    "starts: 2025-13-01\n",
                    "ends: 2025-01-01\n",
                    "- x\n",
                    "  - y\n",
                    "&a ",
                    "*a\n",
                    "!!binary x\n",
                    "{",
                    "]",
                    ": ",
                    "\t",
                    "\xff",
                ]
            ),
            max_size=20,
        ).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass")),
    )
)
def test_loading_never_raises(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "any.yaml"
        path.write_bytes(content)

        result = check_campaigns(path)

    assert len(result.campaigns) + len(result.problems) >= 1
    assert all(problem.path == path and problem.field for problem in result.problems)


SEEDS = REPO.parent / "shared" / "seeds"


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed pages are in ../shared/seeds")
def test_the_seed_pages_paste_as_they_are() -> None:
    """The advocacy pages callbot is built for: every paragraph, pasted as a script, passes
    the placeholder checks (the first page's call script whole, too)."""
    base = {"slug": "seed", "title": "Seed", "summary": "S", "targets": {"house": True}}
    pages = sorted(SEEDS.glob("*.txt"))
    assert pages
    for page in pages:
        text = page.read_text(encoding="utf-8")
        pieces = [p.strip() for p in text.split("\n\n") if p.strip()]
        if len(text) <= 3000:
            pieces.append(text)
        for piece in pieces:
            CampaignSpec.model_validate({**base, "script": piece[:3000]})
