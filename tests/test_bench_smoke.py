"""The benchmarks in bench/ run end to end at a tiny scale and report every figure.

No timing is asserted here (design §8.5: benchmarks are not timed tests); `make bench` measures.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from conftest import FIXTURES, REPO

DIRECTORY_FIGURES = {"zip_lookup_us", "data_load_s", "directory_alloc_peak_mb"}
DATABASE_FIGURES = {
    "call_start_ms",
    "record_outcome_ratio",
    "record_outcome_per_s",
    "raw_insert_per_s",
    "tally_one_ms",
    "tally_typical_ms",
    "tally_all_ms",
    "leaderboard_ms",
    "leaderboard_typical_ms",
    "peak_rss_mb",
}
WITH_TARGET = {
    "zip_lookup_us",
    "data_load_s",
    "call_start_ms",
    "record_outcome_ratio",
    "tally_one_ms",
    "leaderboard_ms",
}


def run_bench(out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--scale",
            "0.001",
            "--samples",
            "20",
            "--data",
            str(FIXTURES / "congress"),
            "--out",
            str(out),
            *args,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )


def check_figures(figures: dict[str, Any], expected: set[str]) -> None:
    assert set(figures) == expected
    for key, figure in figures.items():
        assert isinstance(figure["value"], int | float) and figure["value"] >= 0, key
        assert figure["label"] and figure["summary"], key
        if key in WITH_TARGET:
            assert isinstance(figure["target"], int | float), key
            assert figure["op"] in ("<=", ">=") and isinstance(figure["met"], bool), key
        else:
            assert figure["target"] is None and figure["met"] is None, key


def test_sqlite_run_reports_every_figure(tmp_path: Path) -> None:
    done = run_bench(tmp_path, "--databases", "sqlite")
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    check_figures(report["directory"]["figures"], DIRECTORY_FIGURES)
    # The fixture is not the real data, and the report says so.
    assert "not representative" in report["directory"]["note"]
    assert list(report["databases"]) == ["sqlite"]
    sqlite = report["databases"]["sqlite"]
    assert sqlite["status"] == "ok"
    check_figures(sqlite["figures"], DATABASE_FIGURES)
    assert sqlite["figures"]["record_outcome_per_s"]["samples"] == 100  # 5 rows per sample
    dataset = report["dataset"]
    assert (dataset["communities"], dataset["members"], dataset["outcomes"]) == (2, 100, 1000)
    assert sqlite["load"]["tables"]["call_outcomes"]["rows"] == 1000
    assert report["machine"]["cores"] >= 1 and report["machine"]["sqlite"]
    markdown = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "## SQLite" in markdown and "| Target | Measured | Met |" in markdown
    assert markdown in done.stdout  # printed at the end too


def test_unreachable_postgres_is_reported_as_skipped(tmp_path: Path) -> None:
    # Port 1 is never a PostgreSQL server: the run must go on and say why it skipped.
    url = "postgresql://postgres@127.0.0.1:1/callbot_bench"
    done = run_bench(tmp_path, "--databases", "postgresql", "--postgres-url", url)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    postgres = report["databases"]["postgresql"]
    assert postgres["status"] == "skipped" and "cannot connect" in postgres["reason"]
    assert "skipped" in (tmp_path / "report.md").read_text(encoding="utf-8")


def test_refuses_a_database_that_is_not_a_bench_database(tmp_path: Path) -> None:
    # The benchmark rebuilds the schema, so the shared `test` database is off limits.
    url = "postgresql://postgres@127.0.0.1:5432/test"
    done = run_bench(tmp_path, "--databases", "postgresql", "--postgres-url", url)
    assert done.returncode == 2
    assert "bench" in done.stderr and not (tmp_path / "report.json").exists()
