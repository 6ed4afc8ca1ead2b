"""`python -m bench`: parse the options, run every benchmark, write and print the report."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import platform
import sqlite3
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.civic_bench import bench_directory, find_congress_data, import_data
from bench.core_bench import (
    BenchOptions,
    Unavailable,
    check_postgres_url,
    copy_campaigns,
    prepare_postgres,
    run_database,
    sqlite_url,
)
from bench.generate import SEED, DatasetSize, describe
from bench.measure import WARMUP, peak_rss_mb
from bench.report import Figure, figures_json, missed_targets, render_markdown, write_report
from callbot.campaigns import load_campaigns

DATABASES = ("sqlite", "postgresql")
TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/callbot_bench"
DEFAULT_OUT = Path(__file__).resolve().parent / "results"
MIN_SAMPLES = 10
DEFAULT_SAMPLES = 200  # the issue asks for at least 200 samples per latency


def _databases(text: str) -> list[str]:
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in DATABASES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of {', '.join(DATABASES)}; got {text!r}"
        )
    return list(dict.fromkeys(names))


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value <= 10:
        raise argparse.ArgumentTypeError(f"the scale must be above 0 and at most 10, not {value}")
    return value


def _samples(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < MIN_SAMPLES:
        raise argparse.ArgumentTypeError(f"take at least {MIN_SAMPLES} samples, not {value}")
    return value


def _postgres_url(text: str) -> str:
    try:
        return check_postgres_url(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_database_arguments(parser: argparse.ArgumentParser, report: str) -> None:
    """--databases, --postgres-url, --data and --out (where `report`.json/.md go): every
    benchmark takes them."""
    parser.add_argument(
        "--databases",
        type=_databases,
        default=list(DATABASES),
        help="comma-separated: sqlite, postgresql (default: both)",
    )
    parser.add_argument(
        "--postgres-url",
        type=_postgres_url,
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES_URL),
        help="a database just for the benchmark: its schema is dropped and rebuilt "
        f"(default {DEFAULT_POSTGRES_URL}, or $BENCH_POSTGRES_URL)",
    )
    parser.add_argument(
        "--data",
        type=Path,
        help="folder with the congress files (default: $CALLBOT_DATA_DIR/congress, else the "
        "small test fixture); here: --data ../shared/data/congress",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help=f"where {report}.json and {report}.md go"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark the callbot core on SQLite and PostgreSQL and report the figures.",
    )
    parser.add_argument(
        "--scale",
        type=_scale,
        default=1.0,
        help="multiply the dataset sizes (1.0: 1,000 communities, 100,000 members, "
        "1,000,000 outcomes, 100,000 pledges)",
    )
    add_database_arguments(parser, "report")
    parser.add_argument(
        "--samples",
        type=_samples,
        default=DEFAULT_SAMPLES,
        help=f"timed calls per latency figure, after {WARMUP} warm-up calls (default "
        f"{DEFAULT_SAMPLES}; fewer make rough percentiles, for quick checks only)",
    )
    parser.add_argument("--seed", type=int, default=SEED, help="seed of the generated dataset")
    return parser


class Progress:
    """One line per step on stderr, with the time since the start."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def __call__(self, message: str) -> None:
        print(
            f"[{time.perf_counter() - self.started:6.1f}s] {message}", file=sys.stderr, flush=True
        )


async def _database(
    kind: str, args: argparse.Namespace, workdir: Path, **context: Any
) -> tuple[dict[str, Any], dict[str, Figure], str | None]:
    """One database's section of the report, its figures, and the server version."""
    title = TITLES[kind]
    if kind == "postgresql":
        try:
            version = await prepare_postgres(args.postgres_url)
        except Unavailable as exc:
            return {"title": title, "status": "skipped", "reason": str(exc)}, {}, None
        url, server = args.postgres_url, f"PostgreSQL {version}"
    else:
        version = None
        url, server = sqlite_url(workdir), f"SQLite {sqlite3.sqlite_version}, a fresh file"
    figures, load, memory = await run_database(url, **context)
    section = {
        "title": title,
        "status": "ok",
        "server": server,
        "setup": f"Bulk load then {load['settle']}.",
        "figures": figures_json(figures),
        "load": load,
        "memory": memory,
    }
    return section, figures, version


def run(args: argparse.Namespace, progress: Progress) -> tuple[dict[str, Any], str, bool]:
    """Every benchmark; returns the JSON report, its Markdown, and whether all went well."""
    started_at = datetime.now(UTC)
    options = BenchOptions(scale=args.scale, samples=args.samples, seed=args.seed)
    all_ok = True
    with tempfile.TemporaryDirectory(prefix="callbot-bench-") as tmp:
        workdir = Path(tmp)
        source = find_congress_data(args.data)
        progress(f"congress data from {source}")
        data = import_data(source, workdir / "data" / "congress")
        campaigns_dir = copy_campaigns(workdir / "campaigns")
        loaded = load_campaigns(campaigns_dir)
        if loaded.problems:
            raise SystemExit("campaign files do not load: " + "; ".join(map(str, loaded.problems)))
        slugs = [item.spec.slug for item in loaded.campaigns]
        size = DatasetSize.at_scale(args.scale, len(slugs))
        directory_figures, directory_info = bench_directory(data, args.seed)
        progress("congress data: load and ZIP lookup measured")
        figures: dict[str, dict[str, Figure]] = {"directory": directory_figures}
        sections: dict[str, Any] = {}
        postgres_version = None
        for kind in args.databases:
            progress(
                f"{kind}: loading {size.outcomes:,} outcomes, {size.members:,} members, then "
                "measuring"
            )
            (workdir / kind).mkdir()
            try:
                section, found, version = asyncio.run(
                    _database(
                        kind,
                        args,
                        workdir / kind,
                        data=data,
                        campaigns_dir=campaigns_dir,
                        options=options,
                    )
                )
            except Exception as exc:  # one database failing must not lose the others' figures
                traceback.print_exc()
                all_ok = False
                section, found, version = (
                    {
                        "title": TITLES[kind],
                        "status": "failed",
                        "reason": f"{type(exc).__name__}: {exc}",
                    },
                    {},
                    None,
                )
            sections[kind] = section
            figures[kind] = found
            postgres_version = postgres_version or version
            progress(f"{kind}: {section['status']}")
    report: dict[str, Any] = {
        "started_at": started_at.isoformat(timespec="seconds"),
        "duration_s": round((datetime.now(UTC) - started_at).total_seconds(), 1),
        "machine": {
            "cores": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "sqlite": sqlite3.sqlite_version,
            "postgresql": postgres_version,
        },
        "config": {
            "scale": args.scale,
            "samples": args.samples,
            "warmup": WARMUP,
            "databases": args.databases,
            "seed": args.seed,
        },
        "dataset": describe(size, slugs, args.seed),
        "directory": {**directory_info, "figures": figures_json(directory_figures)},
        "databases": sections,
        "peak_rss_mb": peak_rss_mb(),
    }
    report["missed"] = missed_targets(report)
    return report, render_markdown(report, figures), all_ok


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; 0 when every requested database ran or was skipped, else 1."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    progress = Progress()
    report, markdown, all_ok = run(args, progress)
    json_path, md_path = write_report(args.out, report, markdown)
    progress(f"wrote {json_path} and {md_path}")
    print(markdown)
    return 0 if all_ok else 1
