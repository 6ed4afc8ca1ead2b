"""The ways the congress data can fail: a bad ZIP from a member, or missing or bad files."""

from __future__ import annotations

from pathlib import Path

HOW_TO_LOAD = (
    "No congress data yet: run `callbot data update` (or `callbot data update --from DIR`)."
)


class InvalidZip(ValueError):
    """The member typed something that is not a ZIP code we can use.

    `str(exc)` is a friendly sentence that can be shown to the member as it is.
    """

    def __init__(self, message: str, text: str = "") -> None:
        super().__init__(message)
        self.text = text  # what the member typed, unchanged


class DataMissing(Exception):
    """The congress data folder or one of its files is not there yet.

    `str(exc)` says how to load the data; `missing` lists what was not found.
    """

    def __init__(self, folder: Path, missing: tuple[str, ...] = ()) -> None:
        super().__init__(HOW_TO_LOAD)
        self.folder = folder
        self.missing = missing


class DataInvalid(Exception):
    """A congress data file cannot be used; the message names the file and what is wrong."""

    def __init__(self, location: str | Path, problem: str) -> None:
        super().__init__(f"{location}: {problem}")
        self.location = str(location)
        self.problem = problem
