"""Figures with their targets, and the report: JSON with every number, Markdown tables."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_OPS = {"<=": "≤", ">=": "≥"}
RECOMMENDED_SAMPLES = 200


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured number; with a target it is met or not."""

    label: str
    unit: str
    value: float
    target: float | None = None
    op: str | None = None  # "<=" or ">=" when there is a target
    summary: str = ""  # how it reads in the Markdown table
    detail: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if (self.target is None) != (self.op is None):
            raise ValueError(f"{self.label}: give both a target and its comparison, or neither")
        if self.op is not None and self.op not in _OPS:
            raise ValueError(f"{self.label}: comparison must be <= or >=, not {self.op!r}")

    @property
    def met(self) -> bool | None:
        if self.target is None:
            return None
        return self.value <= self.target if self.op == "<=" else self.value >= self.target

    def to_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "unit": self.unit,
            "value": self.value,
            "target": self.target,
            "op": self.op,
            "met": self.met,
            "summary": self.summary,
            **self.detail,
        }

    def target_text(self) -> str:
        if self.target is None or self.op is None:
            return "—"
        return f"{_OPS[self.op]} {_number(self.target)} {self.unit}".strip()

    def measured_text(self) -> str:
        return self.summary or f"{_number(self.value)} {self.unit}".strip()

    def met_text(self) -> str:
        return {True: "yes", False: "**no**", None: "—"}[self.met]


def _number(value: float) -> str:
    if value == int(value) and abs(value) >= 1:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def figures_json(figures: dict[str, Figure]) -> dict[str, Any]:
    return {key: figure.to_json() for key, figure in figures.items()}


def figure_table(figures: dict[str, Figure]) -> list[str]:
    """The figures as Markdown table lines: label, target, measured, met."""
    lines = ["| Figure | Target | Measured | Met |", "| --- | --- | --- | --- |"]
    lines += [
        f"| {f.label} | {f.target_text()} | {f.measured_text()} | {f.met_text()} |"
        for f in figures.values()
    ]
    return lines


def missed_targets(report: dict[str, Any]) -> list[str]:
    """'where: label' for every figure whose target was not met."""
    missed = [
        f"congress data: {figure['label']}"
        for figure in report["directory"]["figures"].values()
        if figure["met"] is False
    ]
    for name, result in report["databases"].items():
        for figure in result.get("figures", {}).values():
            if figure["met"] is False:
                missed.append(f"{name}: {figure['label']}")
    return missed


def render_markdown(report: dict[str, Any], figures: dict[str, dict[str, Figure]]) -> str:
    """The report as Markdown: machine, dataset, then one table per database.

    `figures` holds the Figure objects by section ("directory", "sqlite", ...), `report` the
    JSON document with everything else.
    """
    machine = report["machine"]
    config = report["config"]
    lines = [
        "# callbot core benchmarks",
        "",
        f"Run {report['started_at']} in {report['duration_s']:.0f} s; scale {config['scale']}, "
        f"{config['samples']} samples per latency after {config['warmup']} warm-up calls "
        "(the tally of all communities: at most 20). Latency targets are checked against p99.",
        "",
        f"Machine: {machine['cores']} cores, {machine['platform']}, Python {machine['python']}, "
        f"SQLite {machine['sqlite']}, PostgreSQL {machine['postgresql'] or 'not reached'}.",
        "",
        "## Dataset",
        "",
        "| Rows | Count |",
        "| --- | ---: |",
    ]
    if config["samples"] < RECOMMENDED_SAMPLES:
        lines[3:3] = [
            "",
            f"**Note:** fewer than {RECOMMENDED_SAMPLES} samples per latency: the percentiles "
            "are rough. This run is a quick check, not a measurement.",
        ]
    dataset = report["dataset"]
    for name in ("communities", "members", "outcomes", "pledges", "campaigns"):
        lines.append(f"| {name} | {dataset[name]:,} |")
    lines += [
        "",
        f"Community sizes: largest {dataset['largest_community_members']:,} members, median "
        f"{dataset['median_community_members']:,}, smallest {dataset['smallest_community_members']:,}. "
        f"Outcomes over the last {dataset['history_days']} days; campaigns: "
        f"{', '.join(dataset['campaign_slugs'])}.",
        "",
        "## Congress data (no database)",
        "",
        f"Data: {report['directory']['source']} ({report['directory']['summary']}).",
    ]
    if report["directory"]["note"]:
        lines += ["", f"**Note:** {report['directory']['note']}"]
    lines += ["", *figure_table(figures["directory"])]
    for name, result in report["databases"].items():
        lines += ["", f"## {result['title']}", ""]
        if result["status"] != "ok":
            lines.append(f"**{result['status']}**: {result['reason']}")
            continue
        lines += [f"{result['server']}. {result['setup']}", "", *figure_table(figures[name]), ""]
        lines += [
            "Dataset generation and bulk load (each table's rows are generated while they load):",
            "",
            "| Table | Rows | Seconds | Rows/s |",
            "| --- | ---: | ---: | ---: |",
        ]
        lines.append(
            f"| communities and members generated in memory | | "
            f"{result['load']['members_in_memory_s']:.1f} | |"
        )
        for table, load in result["load"]["tables"].items():
            lines.append(
                f"| {table} | {load['rows']:,} | {load['seconds']:.1f} | {load['rows_per_s']:,.0f} |"
            )
        lines += [
            f"| **total** (generation, load, then {result['load']['settle']}) | | "
            f"{result['load']['total_seconds']:.1f} | |",
            "",
            "Peak RSS of the benchmark process after each phase (MiB; it never goes down): "
            + ", ".join(f"{phase} {mb:,.0f}" for phase, mb in result["memory"].items())
            + ".",
        ]
    missed = missed_targets(report)
    lines += ["", "## Targets missed", ""]
    lines += [f"- {item}" for item in missed] if missed else ["None."]
    return "\n".join(lines) + "\n"


def write_report(
    out: Path, report: dict[str, Any], markdown: str, name: str = "report"
) -> tuple[Path, Path]:
    """Write `name`.json and `name`.md into `out` (created when missing)."""
    out.mkdir(parents=True, exist_ok=True)
    json_path = out / f"{name}.json"
    md_path = out / f"{name}.md"
    json_path.write_text(json.dumps(report, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    md_path.write_text(markdown, encoding="utf-8")
    return json_path, md_path
