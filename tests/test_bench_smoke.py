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


BURST_FIGURES = {
    "acknowledged",
    "ack_p99_ms",
    "ack_p50_ms",
    "ack_max_ms",
    "answer_p99_ms",
    "throughput_per_s",
    "cpu_per_click_ms",
}
DISCORD_FIGURES = {
    "acknowledged",
    "ack_p99_ms",
    "ack_p50_ms",
    "ack_max_ms",
    "deferred",
    "answer_p99_ms",
    "throughput_per_s",
    "cpu_per_click_ms",
    "rss_connected_mb",
    "rss_peak_mb",
}
DISCORD_WITH_TARGET = {
    "acknowledged",
    "ack_p99_ms",
    "ack_max_ms",
    "rss_connected_mb",
    "rss_peak_mb",
}


def run_burst_bench(module: str, out: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", module, "--clicks", "10", "--burst", "0.2", *args]
    command += ["--databases", "sqlite", "--data", str(FIXTURES / "congress"), "--out", str(out)]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)


def test_discord_burst_runs_the_bot_against_the_fake_and_reports_every_figure(
    tmp_path: Path,
) -> None:
    done = run_burst_bench("bench.discord_bench", tmp_path, "--servers", "3")
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "discord.json").read_text(encoding="utf-8"))
    sqlite = report["databases"]["sqlite"]
    assert sqlite["status"] == "ok", sqlite
    figures = sqlite["figures"]
    assert set(figures) == DISCORD_FIGURES
    for key, figure in figures.items():
        assert isinstance(figure["value"], int | float) and figure["value"] >= 0, key
        assert (figure["target"] is not None) == (key in DISCORD_WITH_TARGET), key
    # Every click was acknowledged and answered, and each pledge stored once.
    assert figures["acknowledged"]["value"] == 10 and figures["acknowledged"]["met"] is True
    assert sqlite["facts"]["pledges_stored"] == 15  # 10 warm-up + 5 burst pledge clicks
    assert sqlite["facts"]["protocol_errors"] == 0
    assert report["config"]["servers"] == 3
    assert "# Discord adapter benchmarks" in (tmp_path / "discord.md").read_text(encoding="utf-8")


def test_slack_burst_runs_a_replica_against_the_fake_and_reports_every_figure(
    tmp_path: Path,
) -> None:
    done = run_burst_bench("bench.slack_bench", tmp_path)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "slack.json").read_text(encoding="utf-8"))
    sqlite = report["databases"]["sqlite"]
    assert sqlite["status"] == "ok", sqlite
    figures = sqlite["figures"]
    assert set(figures) == BURST_FIGURES | {"rss_peak_mb"}
    assert figures["acknowledged"]["value"] == 10 and figures["acknowledged"]["met"] is True
    assert figures["ack_p99_ms"]["target"] == 500 and isinstance(figures["ack_p99_ms"]["met"], bool)
    assert sqlite["facts"]["pledges_stored"] == 15 and sqlite["facts"]["protocol_errors"] == 0
    assert "# Slack adapter benchmarks" in (tmp_path / "slack.md").read_text(encoding="utf-8")


def test_fanout_posts_every_alert_once_through_the_scheduler_and_reports_every_figure(
    tmp_path: Path,
) -> None:
    command = [sys.executable, "-m", "bench.fanout_bench", "--channels", "20"]
    command += ["--databases", "sqlite", "--data", str(FIXTURES / "congress")]
    done = subprocess.run(
        [*command, "--out", str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "fanout.json").read_text(encoding="utf-8"))
    sqlite = report["databases"]["sqlite"]
    assert sqlite["status"] == "ok", sqlite
    figures = sqlite["figures"]
    assert set(figures) == {"fanout_s", "first_post_s", "posted_once", "refused_429"}
    assert figures["posted_once"]["value"] == 20 and figures["posted_once"]["met"] is True
    assert figures["fanout_s"]["target"] == 0.44  # 1.1 x (20 posts at 50 a second)
    assert sqlite["facts"]["deliveries"] == {"posted": 20}
    assert sqlite["facts"]["duplicates"] == 0
    assert sum(sqlite["facts"]["per_second"]) == 20
    assert report["config"]["channels"] == 20
