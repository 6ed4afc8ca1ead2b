"""`callbot data update`: import from a folder, download over loopback HTTP, never break the
data already there."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import shutil
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from rich.progress import Progress

from callbot.civic import CongressDirectory, DataInvalid, District
from callbot.civic import update as update_module
from callbot.civic.update import SOURCES, DownloadError, import_from_dir, update_from_urls
from conftest import FIXTURES

FIXTURE = FIXTURES / "congress"
DATA_FILES = ("legislators-current.json", "legislators-district-offices.json", "zccd.csv")


def snapshot(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


def leftovers(folder: Path) -> list[str]:
    """Staging folders left beside the target."""
    return [path.name for path in folder.parent.iterdir() if path.name.startswith(".")]


@pytest.fixture
def broken_source(tmp_path: Path) -> Path:
    source = tmp_path / "broken"
    shutil.copytree(FIXTURE, source)
    (source / "zccd.csv").write_text("zip,cd\r\n94110,11\r\n", encoding="utf-8")
    return source


@pytest.fixture
def installed(tmp_path: Path) -> Path:
    target = tmp_path / "data" / "congress"
    import_from_dir(FIXTURE, target)
    return target


# Import from a folder


def test_import_copies_the_files_and_writes_a_manifest(tmp_path: Path) -> None:
    target = tmp_path / "data" / "congress"
    before = datetime.now(UTC)
    manifest = import_from_dir(FIXTURE, target)
    after = datetime.now(UTC)

    assert sorted(p.name for p in target.iterdir()) == sorted([*DATA_FILES, "manifest.json"])
    for name in DATA_FILES:
        assert (target / name).read_bytes() == (FIXTURE / name).read_bytes()
    assert before <= manifest.updated_at <= after
    assert manifest.source == str(FIXTURE.resolve())
    written = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    assert written["updated_at"] == manifest.updated_at.isoformat()
    assert written["source"] == str(FIXTURE.resolve())
    data = (FIXTURE / "zccd.csv").read_bytes()
    assert written["files"]["zccd.csv"] == {
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "rows": 21,
    }
    assert written["files"]["legislators-current.json"]["rows"] == 17
    assert leftovers(target) == []

    directory = CongressDirectory.load(target)
    assert directory.updated_at == manifest.updated_at
    assert directory.lookup_zip("94110").single == District("CA", 11)


def test_the_conftest_fixture_imports_the_same_way(congress_dir: Path) -> None:
    assert CongressDirectory.load(congress_dir).house_count == 11


def test_a_failed_import_keeps_the_old_data(installed: Path, broken_source: Path) -> None:
    before = snapshot(installed)
    with pytest.raises(DataInvalid) as caught:
        import_from_dir(broken_source, installed)
    message = str(caught.value)
    assert message.startswith(str(broken_source / "zccd.csv"))
    assert "header should be exactly" in message
    assert f"The data in {installed} was left as it was." in message
    assert snapshot(installed) == before
    assert leftovers(installed) == []


def test_a_failed_first_import_creates_nothing(tmp_path: Path, broken_source: Path) -> None:
    target = tmp_path / "data" / "congress"
    with pytest.raises(DataInvalid):
        import_from_dir(broken_source, target)
    assert not target.exists()
    assert leftovers(target) == []


def test_importing_from_a_folder_missing_a_file(tmp_path: Path, installed: Path) -> None:
    source = tmp_path / "partial"
    shutil.copytree(FIXTURE, source)
    (source / "legislators-district-offices.json").unlink()
    before = snapshot(installed)
    with pytest.raises(DataInvalid, match=r"legislators-district-offices\.json: is missing"):
        import_from_dir(source, installed)
    assert snapshot(installed) == before


def test_a_second_import_replaces_the_data(installed: Path, tmp_path: Path) -> None:
    source = tmp_path / "newer"
    shutil.copytree(FIXTURE, source)
    zccd = source / "zccd.csv"
    zccd.write_bytes(zccd.read_bytes() + b"06,CA,94199,12\r\n")
    import_from_dir(source, installed)
    directory = CongressDirectory.load(installed)
    assert directory.lookup_zip("94199").single == District("CA", 12)
    manifest = json.loads((installed / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["files"]["zccd.csv"]["rows"] == 22


# Download over loopback HTTP


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[partial[dict[str, str]]]:
    """Serve a folder on 127.0.0.1; returns the SOURCES mapping pointing at it."""
    servers: list[http.server.ThreadingHTTPServer] = []

    def start(folder: Path) -> dict[str, str]:
        handler = partial(QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        port = server.server_address[1]
        return {name: f"http://127.0.0.1:{port}/files/{name}" for name in DATA_FILES}

    def sources_for(folder: Path) -> dict[str, str]:
        root = tmp_path / f"www{len(servers)}"
        shutil.copytree(folder, root / "files")
        return start(root)

    yield partial(sources_for)
    for server in servers:
        server.shutdown()
        server.server_close()


def test_download_over_http_with_progress(tmp_path: Path, serve: Any) -> None:
    sources = serve(FIXTURE)
    target = tmp_path / "data" / "congress"
    progress = Progress(console=Console(file=io.StringIO()))
    with progress:
        manifest = update_from_urls(target, progress=progress, sources=sources)
    assert [task.description for task in progress.tasks] == list(DATA_FILES)
    for task, name in zip(progress.tasks, DATA_FILES, strict=True):
        size = (FIXTURE / name).stat().st_size
        assert (task.total, task.completed) == (size, size)
    assert manifest.source == " ".join(sources[name] for name in DATA_FILES)
    for name in DATA_FILES:
        assert (target / name).read_bytes() == (FIXTURE / name).read_bytes()
    assert CongressDirectory.load(target).lookup_zip("20001").single == District("DC", 0)


def test_download_without_progress(tmp_path: Path, serve: Any) -> None:
    target = tmp_path / "congress"
    update_from_urls(target, sources=serve(FIXTURE))
    assert CongressDirectory.load(target).zip_count == 16


def test_a_missing_url_names_it_and_keeps_the_old_data(
    installed: Path, serve: Any, tmp_path: Path
) -> None:
    partial_copy = tmp_path / "partial"
    shutil.copytree(FIXTURE, partial_copy)
    (partial_copy / "zccd.csv").unlink()
    sources = serve(partial_copy)
    before = snapshot(installed)
    with pytest.raises(DownloadError) as caught:
        update_from_urls(installed, sources=sources)
    assert str(caught.value) == (
        f"Could not download {sources['zccd.csv']}: the server answered 404 File not found."
    )
    assert snapshot(installed) == before
    assert leftovers(installed) == []


def test_a_bad_download_names_the_url_and_keeps_the_old_data(
    installed: Path, serve: Any, broken_source: Path
) -> None:
    sources = serve(broken_source)
    before = snapshot(installed)
    with pytest.raises(DataInvalid) as caught:
        update_from_urls(installed, sources=sources)
    assert str(caught.value).startswith(f"{sources['zccd.csv']}: the header should be exactly")
    assert snapshot(installed) == before
    assert leftovers(installed) == []


def test_a_refused_connection_is_a_clear_error(installed: Path) -> None:
    def refuse(request: urllib.request.Request, *, timeout: float) -> Any:
        raise urllib.error.URLError(ConnectionRefusedError(111, "Connection refused"))

    before = snapshot(installed)
    with pytest.raises(DownloadError) as caught:
        update_from_urls(installed, opener=refuse)
    assert str(caught.value).startswith(
        f"Could not download {SOURCES['legislators-current.json']}: "
    )
    assert "Connection refused" in str(caught.value)
    assert snapshot(installed) == before


def test_a_timeout_says_how_long_we_waited(tmp_path: Path) -> None:
    seen: list[float] = []

    def slow(request: urllib.request.Request, *, timeout: float) -> Any:
        seen.append(timeout)
        raise TimeoutError("timed out")

    with pytest.raises(DownloadError, match="no answer within 5 seconds"):
        update_from_urls(tmp_path / "congress", opener=slow, timeout=5)
    assert seen == [5]


class FakeResponse(io.BytesIO):
    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.headers: dict[str, str] = {}


def test_the_opener_gets_the_real_urls_with_a_user_agent(tmp_path: Path) -> None:
    asked: list[tuple[str, str | None]] = []

    def opener(request: urllib.request.Request, *, timeout: float) -> Any:
        asked.append((request.full_url, request.get_header("User-agent")))
        name = request.full_url.rsplit("/", 1)[1]
        return FakeResponse((FIXTURE / name).read_bytes())

    update_from_urls(tmp_path / "congress", opener=opener)
    assert asked == [(SOURCES[name], "callbot-data-update") for name in DATA_FILES]
    assert (tmp_path / "congress" / "manifest.json").exists()


def test_a_runaway_response_is_cut_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(update_module, "MAX_FILE_BYTES", 1000)
    monkeypatch.setattr(update_module, "_CHUNK", 100)

    def endless(request: urllib.request.Request, *, timeout: float) -> Any:
        return FakeResponse(b"x" * 5000)

    with pytest.raises(DownloadError, match="larger than"):
        update_from_urls(tmp_path / "congress", opener=endless)
    assert not (tmp_path / "congress").exists()


def test_only_http_urls_are_opened(tmp_path: Path) -> None:
    sources = {name: (FIXTURE / name).resolve().as_uri() for name in DATA_FILES}
    with pytest.raises(DownloadError, match="only http and https URLs are allowed"):
        update_from_urls(tmp_path / "congress", sources=sources)


def test_sources_must_name_the_three_files(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sources must name exactly"):
        update_from_urls(tmp_path / "congress", sources={"zccd.csv": "http://127.0.0.1/z"})


def test_the_published_sources() -> None:
    assert SOURCES == {
        "legislators-current.json": "https://unitedstates.github.io/congress-legislators/legislators-current.json",
        "legislators-district-offices.json": "https://unitedstates.github.io/congress-legislators/legislators-district-offices.json",
        "zccd.csv": "https://raw.githubusercontent.com/OpenSourceActivismTech/us-zipcodes-congress/master/zccd.csv",
    }
