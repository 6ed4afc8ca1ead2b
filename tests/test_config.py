"""Settings: defaults, and one clear message naming the variable for a bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from callbot.config import SettingsError, load_settings

VARIABLES = ("DATABASE_URL", "CALLBOT_DATA_DIR", "CAMPAIGNS_DIR", "LOG_LEVEL", "DEFAULT_TIMEZONE")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_use_sqlite_in_the_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CALLBOT_DATA_DIR", str(tmp_path / "data"))
    settings = load_settings()
    assert settings.resolved_database_url == f"sqlite:///{tmp_path / 'data' / 'callbot.sqlite3'}"
    assert settings.congress_dir == tmp_path / "data" / "congress"
    assert settings.log_level == "INFO"


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LOG_LEVEL=debug\nDEFAULT_TIMEZONE=America/Chicago\n")
    settings = load_settings()
    assert (settings.log_level, settings.default_timezone) == ("DEBUG", "America/Chicago")


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("LOG_LEVEL", "chatty"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus"),
        ("DATABASE_URL", "mysql://localhost/db"),
        ("DATABASE_URL", "not a url"),
    ],
)
def test_bad_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert variable in message
    assert "\n" not in message


def test_cli_stops_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from callbot.cli import main

    monkeypatch.setenv("DEFAULT_TIMEZONE", "Nowhere/Special")
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("callbot: Bad configuration: DEFAULT_TIMEZONE")
    assert len(err.splitlines()) == 1
