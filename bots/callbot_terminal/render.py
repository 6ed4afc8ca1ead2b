"""Render a `Reply` for a terminal: a rich panel on a TTY, plain numbered text otherwise.

Both renderings number the picker choices and buttons the same way (`options_of`), so what
the member reads is what they type.
"""

from __future__ import annotations

import re

from rich.console import Group, RenderableType
from rich.constrain import Constrain
from rich.markdown import Markdown
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from callbot.markup import markdown_to_text
from callbot.printable import printable
from callbot.replies import Reply, Style, Tone
from callbot.safety import safe_reply
from callbot_terminal.options import Option, options_of

MAX_WIDTH = 100  # long lines are hard to read; wide terminals get a panel this wide at most

TONE_COLOURS = {
    Tone.INFO: "blue",
    Tone.SUCCESS: "green",
    Tone.WARNING: "yellow",
    Tone.ERROR: "red",
}
STYLE_COLOURS = {
    Style.PRIMARY: "bold cyan",
    Style.SUCCESS: "bold green",
    Style.DANGER: "bold red",
    Style.SECONDARY: "bold",
}

_ORDERED_ITEM = re.compile(r"^(\s*\d+)\.(?=\s)", re.MULTILINE)
_SINGLE_NEWLINE = re.compile(r"(?<!\n)\n(?!\n)")


def _markdown_for_rich(markdown: str) -> str:
    # Chat platforms show every newline, and numbers as written: "1. 1. 3." are tied ranks,
    # which a Markdown list would renumber.
    return _SINGLE_NEWLINE.sub("  \n", _ORDERED_ITEM.sub(r"\1\\.", markdown))


def _option_line(option: Option) -> str:
    return f"{option.number}) {option.label}"


def terminal_reply(reply: Reply) -> Reply:
    """What a terminal may show of `reply`: mentions broken as on every platform, and no
    character that could control the terminal (see `callbot.printable`)."""
    return safe_reply(reply).map_texts(printable)


def render_text(reply: Reply) -> str:
    """Every part of the reply as plain lines, choices and buttons numbered."""
    reply = terminal_reply(reply)
    lines = [reply.title, markdown_to_text(reply.body or reply.text)]
    lines.extend(f"{fact.name}: {markdown_to_text(fact.value)}" for fact in reply.facts)
    lines.append(reply.footer)
    if reply.form is not None:
        lines.append(f"{reply.form.title}:")
    options = options_of(reply)
    choices = [option for option in options if option.choice is not None]
    buttons = [option for option in options if option.choice is None]
    if reply.picker is not None:
        lines.append(f"{reply.picker.placeholder}:")
        lines.extend(
            f"  {_option_line(option)}" + (f" — {option.description}" if option.description else "")
            for option in choices
        )
    if buttons:
        lines.append("  ".join(_option_line(option) for option in buttons))
    return "\n".join(line for line in lines if line)


def _facts_table(reply: Reply) -> Table:
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold", no_wrap=True, max_width=30)
    table.add_column()
    for fact in reply.facts:
        table.add_row(Text(fact.name), Text(markdown_to_text(fact.value)))
    return table


def _picker_lines(reply: Reply, options: tuple[Option, ...]) -> Group:
    lines: list[RenderableType] = []
    if reply.picker is not None:
        lines.append(Text(f"{reply.picker.placeholder}:", style="bold"))
    for option in options:
        if option.choice is not None:
            line = Text.assemble((f"{option.number:>3}) ", "bold cyan"), option.label)
            if option.description:
                line.append(f" — {option.description}", style="dim")
            lines.append(line)
    return Group(*lines)


def _button_row(options: tuple[Option, ...]) -> Text:
    row = Text()
    for option in options:
        if option.choice is None:
            if row:
                row.append("   ")
            row.append(f"{option.number}) ", style="bold cyan")
            row.append(option.label, style=STYLE_COLOURS[option.style])
    return row


def render_rich(reply: Reply) -> RenderableType:
    """The reply as a panel: title, Markdown body, facts table, dim footer, numbered choices."""
    reply = terminal_reply(reply)
    sections: list[RenderableType] = [
        Markdown(_markdown_for_rich(reply.body or reply.text), hyperlinks=False)
    ]
    if reply.facts:
        sections.append(_facts_table(reply))
    if reply.footer:
        sections.append(Text(reply.footer, style="dim"))
    if reply.form is not None:
        sections.append(Text(f"{reply.form.title}:", style="bold"))
    options = options_of(reply)
    if reply.picker is not None:
        sections.append(_picker_lines(reply, options))
    if reply.actions:
        sections.append(_button_row(options))
    spaced: list[RenderableType] = []
    for section in sections:
        if spaced:
            spaced.append(Text())
        spaced.append(section)
    panel = Panel(
        Group(*spaced),
        title=Text(reply.title, style="bold") if reply.title else None,
        title_align="left",
        border_style=TONE_COLOURS[reply.tone],
        padding=(0, 1),
    )
    return Constrain(panel, width=MAX_WIDTH)
