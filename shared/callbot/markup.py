"""The core's Markdown subset, read once for every adapter that must translate it.

Bodies of replies use **bold**, _italic_ (or *italic*), `code`, [links](url), "- " lists and
backslash escapes (member text arrives escaped, see `callbot.safety.member_text`). Discord shows
that as is; other platforms translate it token by token with `translate_inline`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

_INLINE = re.compile(
    r"\\(?P<escaped>[!-/:-@\[-`{-~])"
    r"|\[(?P<label>(?:\\.|[^\]\\\n])*)\]\((?P<url>[^)\s]+)\)"
    r"|`(?P<code>[^`\n]+)`"
    r"|(?P<bold>\*\*|__)"
    r"|(?P<italic>(?<![\w*\\])[*_](?=[^\s*_])|(?<=[^\s*_\\])[*_](?![\w*]))"
)


@dataclass(frozen=True, slots=True)
class InlineStyle:
    """How a platform writes each inline token.

    `text` gets plain runs (to escape them), `literal` a character the source escaped (shown as
    itself, never as markup), `link` a label already translated and its URL, `code` the raw code.
    `bold` and `italic` are the platform's markers, written where the source had one.
    """

    text: Callable[[str], str]
    literal: Callable[[str], str]
    link: Callable[[str, str], str]
    code: Callable[[str], str]
    bold: str
    italic: str


def translate_inline(markdown: str, style: InlineStyle) -> str:
    """`markdown` (the core's subset) written in another platform's inline markup."""
    parts: list[str] = []
    position = 0
    for match in _INLINE.finditer(markdown):
        parts.append(style.text(markdown[position : match.start()]))
        position = match.end()
        if match["escaped"] is not None:
            parts.append(style.literal(match["escaped"]))
        elif match["url"] is not None:
            parts.append(style.link(translate_inline(match["label"], style), match["url"]))
        elif match["code"] is not None:
            parts.append(style.code(match["code"]))
        elif match["bold"] is not None:
            parts.append(style.bold)
        else:
            parts.append(style.italic)
    parts.append(style.text(markdown[position:]))
    return "".join(parts)


def _plain_link(label: str, url: str) -> str:
    return url if label in ("", url) else f"{label} ({url})"


PLAIN = InlineStyle(
    text=lambda text: text,
    literal=lambda char: char,
    link=_plain_link,
    code=lambda code: code,
    bold="",
    italic="",
)


def markdown_to_text(markdown: str) -> str:
    """The core's Markdown subset as plain text: markers dropped, links as `label (url)`."""
    return translate_inline(markdown, PLAIN)
