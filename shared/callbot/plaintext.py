"""Render a `Reply` as plain text: the universal fallback, and what tests read."""

from __future__ import annotations

from callbot.replies import Reply
from callbot.safety import safe_reply


def render_plain(reply: Reply) -> str:
    """Every part of the reply, as lines of plain text."""
    reply = safe_reply(reply)
    lines: list[str] = []
    if reply.title:
        lines.append(reply.title)
    lines.append(reply.body or reply.text)
    lines.extend(f"{fact.name}: {fact.value}" for fact in reply.facts)
    if reply.footer:
        lines.append(reply.footer)
    if reply.picker:
        lines.append(reply.picker.placeholder)
        lines.extend(f"  - {choice.label}" for choice in reply.picker.choices)
    if reply.actions:
        lines.append(" | ".join(f"[{action.label}]" for action in reply.actions))
    return "\n".join(line for line in lines if line)
