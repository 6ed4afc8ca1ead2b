"""The hostile-input corpus, campaign files (tests/fixtures/hostile/campaign_files.yaml): each
case is checked as `callbot campaigns check` does, and loaded as start-up does.

What check accepts always loads: it is synced into the test database (the start-up code) and
the database holds it as checked. What check refuses is skipped at start-up with the very same
problem, which names the field (and line) and says what is wrong. Nothing raises.

The CLI cases at the end run real `callbot` processes: file names and titles with terminal
control sequences are printed escaped, and a 2 GB (sparse) file is refused by its size, with
the process's memory bounded well below that."""

from __future__ import annotations

import copy
import os
import resource
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
import yaml
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from callbot.campaigns import check_campaigns, load_campaigns, sync_campaigns
from callbot.db.engine import create_sessionmaker
from callbot.db.models import Campaign
from hostile import assert_no_traceback_in, cases, data, expand, own_database, unescape

CALLBOT = Path(sys.executable).with_name("callbot")
SPEC = data("campaign_files.yaml")
DELETE = "__delete__"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def database(
    migrated_database: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[AsyncEngine]:
    engine = await own_database(migrated_database, tmp_path_factory.mktemp("hostile-campaigns"))
    yield engine
    await engine.dispose()


def _expanded(value: Any) -> Any:
    if isinstance(value, str):
        return expand(value)
    if isinstance(value, list):
        return [_expanded(item) for item in value]
    if isinstance(value, dict):
        return {key: _expanded(item) for key, item in value.items()}
    return value


def _set(document: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node: Any = document
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    key: Any = int(last) if isinstance(node, list) else last
    if value == DELETE:
        del node[key]
    else:
        node[key] = _expanded(value)


def _file_bytes(case: dict[str, Any], slug: str) -> bytes:
    if "text" in case:
        return unescape(case["text"])
    document = copy.deepcopy(SPEC["base"])
    document["slug"] = slug
    for path, value in case.get("set", {}).items():
        _set(document, path, value)
    dumped = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=10**7)
    return dumped.encode("utf-8")


def _stored(definition: dict[str, Any], path: str) -> Any:
    node: Any = definition
    for part in path.split("."):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("case", cases("campaign_files.yaml"))
async def test_a_campaign_file(database: AsyncEngine, tmp_path: Path, case: dict[str, Any]) -> None:
    slug = "c-" + "".join(ch if ch.isalnum() else "-" for ch in case["id"]).strip("-")[:36]
    folder = tmp_path / "campaigns"
    folder.mkdir()
    path = folder / "campaign.yaml"
    path.write_bytes(_file_bytes(case, slug))

    checked = check_campaigns(path)
    at_start = load_campaigns(folder)  # what start-up reads
    assert at_start.problems == checked.problems  # skipped with the very same messages
    if case.get("ok"):
        assert checked.problems == [], [str(p) for p in checked.problems]
        [loaded] = checked.campaigns
        sessions = create_sessionmaker(database)
        async with sessions.begin() as session:
            catalog = await sync_campaigns(session, at_start.campaigns)
        assert catalog.get(loaded.spec.slug) is not None  # what check accepts, loads
        async with sessions() as session:
            row = await session.scalar(select(Campaign).where(Campaign.slug == loaded.spec.slug))
        assert row is not None and row.title == loaded.spec.title
        for field, value in case.get("stored", {}).items():
            assert _stored(row.definition, field) == value
        return
    field, *words = case["problem"]
    assert checked.campaigns == []
    problems = [p for p in checked.problems if p.field == field]
    assert problems, [str(p) for p in checked.problems]
    assert any(all(w in p.message for w in words) for p in problems), [str(p) for p in problems]
    if "line" in case:
        assert any(p.line == case["line"] for p in problems), [str(p) for p in problems]


# -- through the command line -------------------------------------------------------------------


def _callbot(
    args: list[str], cwd: Path, *, campaigns: Path, memory: int | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "SLACK_"))}
    env.update(CAMPAIGNS_DIR=str(campaigns), CALLBOT_DATA_DIR=str(cwd / "data"))
    env.pop("DATABASE_URL", None)

    def bounded() -> None:
        if memory is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    done = subprocess.run(
        [str(CALLBOT), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=bounded,
    )
    assert_no_traceback_in(done.stderr)
    return done


ESC_TITLE = (
    'slug: x\ntitle: "\\e]0;owned\\a\\e[2JCall"\nsummary: S\ntargets: {house: true}\nscript: Hi\n'
)


def test_list_and_check_print_control_characters_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "campaigns"
    folder.mkdir()
    good = "slug: fine\ntitle: Fine\nsummary: S\ntargets: {house: true}\nscript: Hi\n"
    (folder / "\x1b[31mred.yaml").write_text(good, encoding="utf-8")
    (folder / "bad.yaml").write_text(ESC_TITLE, encoding="utf-8")
    listed = _callbot(["campaigns", "list"], tmp_path, campaigns=folder)
    checked = _callbot(["campaigns", "check"], tmp_path, campaigns=folder)
    for done in (listed, checked):
        assert "\x1b" not in done.stdout + done.stderr and "\x07" not in done.stdout + done.stderr
    assert "\\x1b[31mred.yaml" in listed.stdout  # the file name, shown as written
    assert "bad.yaml:2: title: holds the character U+001B" in checked.stdout


def test_a_huge_campaign_file_is_refused_by_its_size_before_it_is_read(tmp_path: Path) -> None:
    folder = tmp_path / "campaigns"
    folder.mkdir()
    huge = folder / "dump.yaml"
    with huge.open("wb") as file:  # 2 GB that take no disk: a sparse file
        file.truncate(2 * 1024**3)
    limit = 768 * 1024**2  # the process may not even map 2 GB
    checked = _callbot(["campaigns", "check"], tmp_path, campaigns=folder, memory=limit)
    assert checked.returncode == 1
    assert "dump.yaml: file: is 2,097,152 KB; a campaign file is at most 256 KB" in checked.stdout
    listed = _callbot(["campaigns", "list"], tmp_path, campaigns=folder, memory=limit)
    assert "is 2,097,152 KB" in listed.stderr
