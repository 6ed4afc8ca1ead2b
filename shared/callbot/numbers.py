"""Reading numbers people type: one rule for every number callbot reads.

A digit is any Unicode decimal digit (what `int()` reads: 5, ５ from a full-width keyboard,
٥ or ५), taken as its ASCII digit; nothing else is one. So "５３７０３" is the ZIP 53703 and
"３" picks the third choice, while "²" (a superscript) and "①" (a circled number) are not
digits anywhere, and a number with an invisible character in it is not a number. Whoever reads
a number says so in words that quote what was typed (`safety.as_typed`).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import BeforeValidator

MAX_DIGITS = 20  # a Discord id (a 64-bit snowflake) at most: int() of a longer text is never asked
_WHOLE = re.compile(f"[0-9]{{1,{MAX_DIGITS}}}")


def ascii_digits(text: str) -> str:
    """`text` with every decimal digit of any script written as its ASCII digit."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(ch)) if ch.isdecimal() else ch for ch in text)


def whole_number(text: str) -> int | None:
    """The whole number `text` is (spaces around it allowed), or None when it is not one."""
    digits = ascii_digits(text.strip())
    return int(digits) if _WHOLE.fullmatch(digits) else None


def _setting_number(value: object) -> object:
    if isinstance(value, str):
        number = whole_number(value)
        if number is None:
            raise ValueError("must be a whole number such as 3000")
        return number
    return value


#: An integer setting read by the same rule (for pydantic models: `port: WholeNumber`).
WholeNumber = Annotated[int, BeforeValidator(_setting_number)]
