"""The representatives directory without a database: data load time and ZIP lookup."""

from __future__ import annotations

import os
import random
import timeit
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.measure import Stopwatch
from bench.report import Figure
from callbot.civic import CongressDirectory, InvalidZip, state_for_zip_prefix
from callbot.civic.manifest import DATA_FILES, ZCCD_FILE
from callbot.civic.parsing import parse_zccd
from callbot.civic.update import import_from_dir

REPO = Path(__file__).resolve().parent.parent
FIXTURE_CONGRESS = REPO / "tests" / "fixtures" / "congress"
FULL_DATA_ZIPS = 30_000  # the real zccd.csv has 33,774 ZCTAs; fewer means a sample
LOAD_REPEATS = 5
LOOKUP_REPEATS = 5
ZIP_LOOKUP_TARGET_US = 20.0
DATA_LOAD_TARGET_S = 1.0


@dataclass(frozen=True, slots=True)
class CongressData:
    """Where the congress files came from and where the benchmark imported them."""

    source: Path
    folder: Path  # the imported copy, in the benchmark's temporary directory
    note: str  # why the figures are not representative, or ""


def find_congress_data(data: Path | None) -> Path:
    """`--data`, else $CALLBOT_DATA_DIR/congress when it holds the files, else the fixture."""
    if data is not None:
        missing = [name for name in DATA_FILES if not (data / name).is_file()]
        if missing:
            raise SystemExit(
                f"--data {data}: the folder must hold {', '.join(DATA_FILES)}; "
                f"missing: {', '.join(missing)}"
            )
        return data
    env = os.environ.get("CALLBOT_DATA_DIR")
    if env:
        candidate = Path(env) / "congress"
        if all((candidate / name).is_file() for name in DATA_FILES):
            return candidate
    return FIXTURE_CONGRESS


def import_data(source: Path, target: Path) -> CongressData:
    """Copy the files into `target` the way `callbot data update --from` does, checking them."""
    import_from_dir(source, target)
    zips, _ = parse_zccd(target / ZCCD_FILE)
    note = ""
    if len(zips) < FULL_DATA_ZIPS:
        note = (
            f"the congress data in {source} has only {len(zips):,} ZIP codes (the full data has "
            "about 33,774), so the data load time and the ZIP lookup are not representative. "
            "Pass --data with the full files."
        )
    return CongressData(source=source, folder=target, note=note)


def lookup_mix(zcta_zips: Sequence[str], seed: int) -> dict[str, list[str]]:
    """ZIPs to look up, by kind: single-district and split ZCTAs, ZIP+4 forms, and fallbacks.

    Fallbacks are well-formed ZIPs that are not ZCTAs but have a state by prefix (PO boxes,
    offices such as 20500); they take the prefix path of the lookup. There are one tenth as
    many of them, and of ZIP+4 forms, as there are ZCTAs.
    """
    rng = random.Random(seed)
    known = set(zcta_zips)
    fallback = [
        code
        for code in (f"{number:05d}" for number in range(100_000))
        if code not in known and state_for_zip_prefix(code)
    ]
    extra = max(1, len(zcta_zips) // 10)
    return {
        "zcta": list(zcta_zips),
        "zip+4": [
            f"{code}-{rng.randrange(10_000):04d}" for code in rng.choices(zcta_zips, k=extra)
        ],
        "fallback": rng.sample(fallback, min(extra, len(fallback))),
    }


def _best_per_lookup_us(directory: CongressDirectory, codes: list[str]) -> float:
    lookup = directory.lookup_zip

    def run() -> None:
        for code in codes:
            lookup(code)

    best = min(timeit.repeat(run, number=1, repeat=LOOKUP_REPEATS))
    return best / len(codes) * 1_000_000


def bench_directory(data: CongressData, seed: int) -> tuple[dict[str, Figure], dict[str, Any]]:
    """Time `CongressDirectory.load` (best of 5), its allocations, and `lookup_zip`."""
    loads = []
    for _ in range(LOAD_REPEATS):
        with Stopwatch() as watch:
            directory = CongressDirectory.load(data.folder)
        loads.append(watch.seconds)
    tracemalloc.start()
    try:
        CongressDirectory.load(data.folder)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    zips, _ = parse_zccd(data.folder / ZCCD_FILE)
    mix = lookup_mix(sorted(zips), seed)
    for codes in mix.values():
        for code in codes:
            try:
                directory.lookup_zip(code)
            except InvalidZip as exc:  # the mix only holds ZIPs in use; anything else is a bug
                raise RuntimeError(f"lookup_zip({code!r}) refused a ZIP in use: {exc}") from None
    everything = [code for codes in mix.values() for code in codes]
    random.Random(seed).shuffle(everything)
    overall = _best_per_lookup_us(directory, everything)
    split = [code for code in mix["zcta"] if len(zips[code]) > 1]
    by_kind = {kind: _best_per_lookup_us(directory, codes) for kind, codes in mix.items() if codes}
    if split:
        by_kind["split"] = _best_per_lookup_us(directory, split)
    figures = {
        "zip_lookup_us": Figure(
            label=f"ZIP lookup ({len(everything):,} mixed ZIPs, best of {LOOKUP_REPEATS})",
            unit="µs",
            value=round(overall, 3),
            target=ZIP_LOOKUP_TARGET_US,
            op="<=",
            summary=f"{overall:.2f} µs per lookup ("
            + ", ".join(f"{kind} {us:.2f}" for kind, us in by_kind.items())
            + ")",
            detail={
                "lookups": len(everything),
                "by_kind_us": {kind: round(us, 3) for kind, us in by_kind.items()},
                "counts": {kind: len(codes) for kind, codes in mix.items()} | {"split": len(split)},
            },
        ),
        "data_load_s": Figure(
            label=f"Data load (CongressDirectory.load, best of {LOAD_REPEATS})",
            unit="s",
            value=round(min(loads), 4),
            target=DATA_LOAD_TARGET_S,
            op="<=",
            summary=f"{min(loads):.3f} s (worst {max(loads):.3f} s)",
            detail={"runs_s": [round(s, 4) for s in loads]},
        ),
        "directory_alloc_peak_mb": Figure(
            label="Data load peak allocations (tracemalloc)",
            unit="MiB",
            value=round(peak / 1024 / 1024, 1),
            summary=f"{peak / 1024 / 1024:.1f} MiB",
        ),
    }
    info = {
        "source": str(data.source),
        "summary": directory.summary,
        "note": data.note,
        "zip_count": directory.zip_count,
    }
    return figures, info
