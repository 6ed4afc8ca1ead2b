"""manifest.json: what `callbot data update` fetched, from where, and when."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from callbot.civic.errors import DataInvalid

LEGISLATORS_FILE = "legislators-current.json"
OFFICES_FILE = "legislators-district-offices.json"
ZCCD_FILE = "zccd.csv"
DATA_FILES = (LEGISLATORS_FILE, OFFICES_FILE, ZCCD_FILE)
MANIFEST_FILE = "manifest.json"


@dataclass(frozen=True, slots=True)
class FileInfo:
    sha256: str
    bytes: int
    rows: int  # people in the JSON files, data rows in the CSV


@dataclass(frozen=True, slots=True)
class Manifest:
    updated_at: datetime  # timezone-aware UTC
    source: str  # the URLs' common origin or the folder imported from
    files: dict[str, FileInfo] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "updated_at": self.updated_at.astimezone(UTC).isoformat(),
                "source": self.source,
                "files": {
                    name: {"sha256": info.sha256, "bytes": info.bytes, "rows": info.rows}
                    for name, info in self.files.items()
                },
            },
            indent=2,
        )

    def write(self, folder: Path) -> Path:
        path = folder / MANIFEST_FILE
        path.write_text(self.to_json() + "\n", encoding="utf-8")
        return path


def _parse_time(value: Any, path: Path) -> datetime:
    if not isinstance(value, str):
        raise DataInvalid(path, "`updated_at` should be an ISO 8601 date and time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise DataInvalid(
            path, f"`updated_at` {value!r} is not an ISO 8601 date and time"
        ) from None
    # A manifest written by hand may omit the zone; the update step always writes UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _parse_file_info(name: str, value: Any, path: Path) -> FileInfo:
    if not isinstance(value, dict):
        raise DataInvalid(path, f"`files.{name}` should be an object")
    sha256, size, rows = value.get("sha256"), value.get("bytes"), value.get("rows")
    if not isinstance(sha256, str) or not isinstance(size, int) or not isinstance(rows, int):
        raise DataInvalid(
            path, f"`files.{name}` needs `sha256` (text), `bytes` and `rows` (whole numbers)"
        )
    return FileInfo(sha256=sha256, bytes=size, rows=rows)


def read_manifest(folder: Path) -> Manifest | None:
    """The folder's manifest, or None when there is none (data copied in by hand)."""
    path = folder / MANIFEST_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataInvalid(path, f"cannot be read ({exc})") from None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataInvalid(path, f"is not valid JSON ({exc})") from None
    if not isinstance(raw, dict):
        raise DataInvalid(path, "should be a JSON object")
    files = raw.get("files", {})
    source = raw.get("source", "")
    if not isinstance(files, dict) or not isinstance(source, str):
        raise DataInvalid(path, "`files` should be an object and `source` text")
    return Manifest(
        updated_at=_parse_time(raw.get("updated_at"), path),
        source=source,
        files={str(name): _parse_file_info(str(name), info, path) for name, info in files.items()},
    )
