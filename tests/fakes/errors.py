"""The protocol violations a fake recorded, taken by a test that provoked them on purpose."""

from __future__ import annotations

from typing import Protocol


class RecordsErrors(Protocol):
    errors: list[str]


def take_errors(fake: RecordsErrors) -> list[str]:
    """The recorded violations, in order; clears them (the test that provoked them checks
    them: a fixture that asserts none were left then still sees any later ones)."""
    errors = list(fake.errors)
    fake.errors.clear()
    return errors
