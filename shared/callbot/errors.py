"""Turning failures into replies: a user's mistake gets a clear message and changes nothing;
our own failure is logged with context and the user gets an apology with a reference id."""

from __future__ import annotations

import logging
import secrets

from callbot.replies import Reply, Tone


class UserError(Exception):
    """Something the member can fix; `str(exc)` is the message to show them."""


def problem(message: str, title: str = "") -> Reply:
    """A private reply explaining what the member needs to do differently."""
    return Reply(text=message, title=title, tone=Tone.WARNING, private=True)


def apology(logger: logging.Logger, exc: BaseException, **context: object) -> Reply:
    """Log an unexpected failure with a reference id, and say sorry with the same id."""
    reference = secrets.token_hex(4)
    details = " ".join(f"{key}={value!r}" for key, value in sorted(context.items()))
    logger.error("unexpected error ref=%s %s", reference, details, exc_info=exc)
    return Reply(
        text=f"Sorry, something went wrong on our side (reference {reference}). "
        "Please try again in a moment; if it keeps happening, tell an organizer this reference.",
        tone=Tone.ERROR,
        private=True,
    )
