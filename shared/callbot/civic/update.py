"""`callbot data update`: fetch the congress files (or copy them from a folder), check them,
and only then swap them in, so a bad download never replaces good data."""

from __future__ import annotations

import hashlib
import http.client
import os
import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from rich.progress import Progress

from callbot.civic.directory import CongressDirectory
from callbot.civic.errors import DataInvalid
from callbot.civic.manifest import DATA_FILES, MANIFEST_FILE, FileInfo, Manifest

SOURCES: dict[str, str] = {
    "legislators-current.json": "https://unitedstates.github.io/congress-legislators/legislators-current.json",
    "legislators-district-offices.json": "https://unitedstates.github.io/congress-legislators/legislators-district-offices.json",
    "zccd.csv": "https://raw.githubusercontent.com/OpenSourceActivismTech/us-zipcodes-congress/master/zccd.csv",
}
DOWNLOAD_TIMEOUT = 30.0  # seconds without progress before we give up on a server
MAX_FILE_BYTES = 64 * 1024 * 1024  # the real files are under 2 MB; stop a runaway response
_CHUNK = 64 * 1024


class DownloadError(Exception):
    """A file could not be downloaded; the message names the URL and why."""


class Opener(Protocol):
    """What `urllib.request.urlopen` looks like to us (tests inject their own)."""

    def __call__(self, url: urllib.request.Request, /, *, timeout: float) -> Any: ...


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _install(
    folder: Path, fill: Callable[[Path], None], source: str, where: Callable[[str], str]
) -> Manifest:
    """Fill a staging folder beside `folder`, validate it, then move the files in.

    `where(name)` says where a file came from, for error messages.
    """
    folder.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-update-", dir=folder.parent))
    try:
        fill(staging)
        try:
            directory = CongressDirectory.load(staging)
        except DataInvalid as exc:
            name = Path(exc.location).name
            raise DataInvalid(
                where(name), f"{exc.problem}. The data in {folder} was left as it was."
            ) from None
        manifest = Manifest(
            updated_at=datetime.now(UTC),
            source=source,
            files={
                name: FileInfo(
                    sha256=_sha256(staging / name),
                    bytes=(staging / name).stat().st_size,
                    rows=directory.file_rows[name],
                )
                for name in DATA_FILES
            },
        )
        manifest.write(staging)
        folder.mkdir(parents=True, exist_ok=True)
        # Same file system, so each replace is atomic; the manifest goes last and so only
        # ever describes files that are all in place.
        for name in (*DATA_FILES, MANIFEST_FILE):
            os.replace(staging / name, folder / name)
        return manifest
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def import_from_dir(source: Path, folder: Path) -> Manifest:
    """Copy the three congress files from `source` into `folder` after checking them.

    Raises DataInvalid (naming the file) when a file is missing or unusable; the data
    already in `folder` is then left untouched.
    """
    source = source.expanduser().resolve()

    def fill(staging: Path) -> None:
        for name in DATA_FILES:
            origin = source / name
            if not origin.is_file():
                raise DataInvalid(
                    origin,
                    f"is missing: the folder must hold {', '.join(DATA_FILES)}. "
                    f"The data in {folder} was left as it was.",
                )
            shutil.copyfile(origin, staging / name)

    return _install(folder, fill, str(source), lambda name: str(source / name))


def _download(
    url: str,
    target: Path,
    *,
    opener: Opener,
    timeout: float,
    progress: Progress | None,
) -> None:
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in ("http", "https"):
        raise DownloadError(f"Could not download {url}: only http and https URLs are allowed.")
    # The scheme is checked just above, so no file: or custom-scheme URL gets opened.
    request = urllib.request.Request(url, headers={"User-Agent": "callbot-data-update"})  # noqa: S310
    name = target.name
    try:
        with opener(request, timeout=timeout) as response, target.open("wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            task = progress.add_task(name, total=total) if progress is not None else None
            received = 0
            while chunk := response.read(_CHUNK):
                received += len(chunk)
                if received > MAX_FILE_BYTES:
                    raise DownloadError(
                        f"Could not download {url}: it is larger than "
                        f"{MAX_FILE_BYTES // (1024 * 1024)} MB, which is not a congress data file."
                    )
                out.write(chunk)
                if progress is not None and task is not None:
                    progress.update(task, advance=len(chunk))
    except urllib.error.HTTPError as exc:
        raise DownloadError(
            f"Could not download {url}: the server answered {exc.code} {exc.reason}."
        ) from None
    except urllib.error.URLError as exc:
        raise DownloadError(f"Could not download {url}: {exc.reason}.") from None
    except TimeoutError:
        raise DownloadError(
            f"Could not download {url}: no answer within {timeout:g} seconds."
        ) from None
    except (OSError, http.client.HTTPException) as exc:
        raise DownloadError(f"Could not download {url}: {exc or type(exc).__name__}.") from None


def update_from_urls(
    folder: Path,
    *,
    progress: Progress | None = None,
    opener: Opener = urllib.request.urlopen,
    sources: Mapping[str, str] = SOURCES,
    timeout: float = DOWNLOAD_TIMEOUT,
) -> Manifest:
    """Download the congress files into `folder` after checking them.

    Raises DownloadError (naming the URL) when a download fails and DataInvalid when a file
    is unusable; the data already in `folder` is then left untouched.
    """
    unknown = set(sources) ^ set(DATA_FILES)
    if unknown:
        raise ValueError(f"sources must name exactly {', '.join(DATA_FILES)}")

    def fill(staging: Path) -> None:
        for name in DATA_FILES:
            _download(
                sources[name], staging / name, opener=opener, timeout=timeout, progress=progress
            )

    origin = " ".join(sources[name] for name in DATA_FILES)
    return _install(folder, fill, origin, lambda name: sources[name])
