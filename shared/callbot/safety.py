"""Make text that came from people safe to show on any platform.

Two layers protect every message: the core neutralises text here, and each adapter sends with
mentions disabled and applies its platform's own escaping. Member text is never trusted;
campaign text is written by organizers and is Markdown, so it only has mentions neutralised.
"""

from __future__ import annotations

import re
import unicodedata

from callbot.replies import Form, Reply

ZERO_WIDTH_SPACE = "\u200b"

# @everyone / @here (Discord), <!channel> <!here> <!everyone> <!subteam^..> (Slack),
# <@123> <@!123> <@&123> <#123> (user, role and channel mentions on both).
_MASS_MENTION = re.compile(r"@(everyone|here|channel)\b", re.IGNORECASE)
_ANGLE_MENTION = re.compile(r"<(?=[@#!])")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~|\[\]()<>#>])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


# The joiners are format characters that writing needs: ZWJ inside emoji (👩🏽‍🚀) and Indic
# scripts, ZWNJ in Persian. Every other format character (zero-width spaces, direction
# overrides) is removed, and so are lone surrogates (JSON can carry them; no database stores
# them).
_JOINERS = frozenset("\u200c\u200d")


def clean_text(text: str, max_length: int = 100) -> str:
    """One line of printable text: control and format characters removed (but the joiners
    writing needs), spaces folded; "" when nothing visible is left."""
    normalized = unicodedata.normalize("NFKC", text)
    visible = "".join(
        ch
        for ch in normalized
        if ch in _JOINERS or unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp")
    )
    cleaned = " ".join(_CONTROL.sub("", visible).split())[:max_length].strip()
    return cleaned if cleaned.strip("".join(_JOINERS) + " ") else ""


def neutralize_mentions(text: str) -> str:
    """Break every mass, user, role and channel mention so that it cannot ping anyone."""
    text = _MASS_MENTION.sub(lambda m: "@" + ZERO_WIDTH_SPACE + m.group(1), text)
    return _ANGLE_MENTION.sub("<" + ZERO_WIDTH_SPACE, text)


def escape_markdown(text: str) -> str:
    """Backslash-escape the characters that Markdown, Discord and Slack treat as markup."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


# What stays invisible or moves text around when shown: controls, formats (zero-width
# characters, direction marks), private use, unassigned, surrogates, and spaces but the plain one.
_UNSEEN_CATEGORIES = frozenset({"Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp", "Zs"})


def _visible(ch: str) -> str:
    if ch == " " or unicodedata.category(ch) not in _UNSEEN_CATEGORIES:
        return ch
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def as_typed(text: str, max_length: int = 40) -> str:
    """What a member typed, to quote back when refusing it: exactly as typed (no folding of
    "５" into "5"), every invisible character written as an escape (`\\u200b`), mentions and
    Markdown neutralised, cut to `max_length` with an ellipsis."""
    shown = "".join(_visible(ch) for ch in text.strip())
    if len(shown) > max_length:
        shown = shown[: max_length - 1] + "…"
    return escape_markdown(neutralize_mentions(shown))


def member_text(text: str, max_length: int = 100) -> str:
    """Member-supplied text made safe to place inside a Markdown body."""
    return escape_markdown(neutralize_mentions(clean_text(text, max_length)))


def safe_reply(reply: Reply) -> Reply:
    """`reply` with mentions broken in every text it shows: what each renderer starts from,
    so that no text reaching a platform (an organizer's words, a campaign's summary, a
    library's error message) can ping anyone, whichever service built the reply."""
    return reply.map_texts(neutralize_mentions)


def safe_form(form: Form) -> Form:
    """`form` with mentions broken in its title, labels and placeholders (see `safe_reply`)."""
    shown = safe_reply(Reply(text="", form=form)).form
    assert shown is not None
    return shown
