"""ZIP code input and the USPS 3-digit prefix table (ZIP -> state, without district).

The prefix table is the fallback for the ZIP codes that have no Census ZCTA (PO boxes, single
organisations such as the White House's 20500, military mail) and for the territories GU, VI,
AS and MP, which the ZIP-to-district file does not cover.
"""

from __future__ import annotations

import re

from callbot.civic.errors import InvalidZip
from callbot.numbers import ascii_digits
from callbot.safety import as_typed

# DC and the territories: one non-voting member each (district 0) and no senators.
NON_STATES = frozenset({"DC", "PR", "GU", "VI", "AS", "MP"})

# Inclusive ranges of 3-digit prefixes per state, as USPS assigns them. Gaps inside one state's
# band are given to that state: a wrong guess there only costs a made-up ZIP the right state.
_PREFIX_RANGES: tuple[tuple[int, int, str], ...] = (
    (5, 5, "NY"),  # Holtsville IRS
    (6, 7, "PR"),
    (8, 8, "VI"),
    (9, 9, "PR"),
    (10, 27, "MA"),
    (28, 29, "RI"),
    (30, 38, "NH"),
    (39, 49, "ME"),
    (50, 54, "VT"),
    (55, 55, "MA"),  # Andover IRS
    (56, 59, "VT"),
    (60, 69, "CT"),
    (70, 89, "NJ"),
    (100, 149, "NY"),
    (150, 196, "PA"),
    (197, 199, "DE"),
    (200, 200, "DC"),
    (201, 201, "VA"),  # Dulles
    (202, 205, "DC"),  # federal government
    (206, 219, "MD"),
    (220, 246, "VA"),
    (247, 268, "WV"),
    (270, 289, "NC"),
    (290, 299, "SC"),
    (300, 319, "GA"),
    (320, 339, "FL"),
    (341, 349, "FL"),
    (350, 369, "AL"),
    (370, 385, "TN"),
    (386, 397, "MS"),
    (398, 399, "GA"),
    (400, 427, "KY"),
    (430, 459, "OH"),
    (460, 479, "IN"),
    (480, 499, "MI"),
    (500, 528, "IA"),
    (530, 549, "WI"),
    (550, 567, "MN"),
    (569, 569, "DC"),  # parcel return service
    (570, 577, "SD"),
    (580, 588, "ND"),
    (590, 599, "MT"),
    (600, 629, "IL"),
    (630, 658, "MO"),
    (660, 679, "KS"),
    (680, 693, "NE"),
    (700, 714, "LA"),
    (716, 729, "AR"),
    (730, 732, "OK"),
    (733, 733, "TX"),  # Austin IRS
    (734, 749, "OK"),
    (750, 799, "TX"),
    (800, 816, "CO"),
    (820, 831, "WY"),
    (832, 838, "ID"),
    (840, 847, "UT"),
    (850, 865, "AZ"),
    (870, 884, "NM"),
    (885, 885, "TX"),  # El Paso
    (889, 898, "NV"),
    (900, 961, "CA"),
    (967, 968, "HI"),
    (970, 979, "OR"),
    (980, 994, "WA"),
    (995, 999, "AK"),
)
# APO/FPO/DPO mail: Armed Forces Europe (090-098), Americas (340) and Pacific (962-966).
_MILITARY_RANGES: tuple[tuple[int, int], ...] = ((90, 98), (340, 340), (962, 966))

# 5-digit exceptions to the prefix table, checked first. None: no state or territory.
_ZIP_RANGES: tuple[tuple[int, int, str | None], ...] = (
    (96799, 96799, "AS"),  # inside Hawaii's 967
    (96900, 96909, None),
    (96910, 96932, "GU"),
    (96933, 96949, None),  # Palau and Micronesia (freely associated, no member of Congress)
    (96950, 96952, "MP"),
    (96953, 96999, None),  # the Marshall Islands among them
    (99951, 99999, None),  # Alaska's ZIPs stop at 99950
)
_FREELY_ASSOCIATED = ((96939, 96944), (96960, 96979))

# The 50 states: every one has a band of prefixes.
STATES = frozenset(state for _, _, state in _PREFIX_RANGES) - NON_STATES
_PREFIX_STATE: dict[str, str] = {
    f"{prefix:03d}": state
    for first, last, state in _PREFIX_RANGES
    for prefix in range(first, last + 1)
}
_ZIP_SHAPE = re.compile(r"([0-9]{5})(?:[-\s]?[0-9]{4})?", re.ASCII)


def _in(ranges: tuple[tuple[int, int], ...], number: int) -> bool:
    return any(low <= number <= high for low, high in ranges)


def state_for_zip_prefix(zip5: str) -> tuple[str, ...]:
    """The state, DC or territory that a 5-digit ZIP belongs to by its USPS prefix.

    Returns () when the ZIP is not assigned to any of them (unused prefixes, military mail,
    the freely associated states). Raises ValueError when `zip5` is not 5 digits.
    """
    if len(zip5) != 5 or not zip5.isascii() or not zip5.isdigit():
        raise ValueError(f"expected a 5-digit ZIP code, got {zip5!r}")
    number = int(zip5)
    for low, high, state in _ZIP_RANGES:
        if low <= number <= high:
            return (state,) if state else ()
    state = _PREFIX_STATE.get(zip5[:3])
    return (state,) if state else ()


def parse_zip(text: str) -> str:
    """The 5-digit ZIP in what a member typed ("12345", " 12345-6789 ", "123456789", in the
    digits of any script: see `callbot.numbers`).

    Raises InvalidZip with a sentence for the member when it is not a ZIP code.
    """
    cleaned = ascii_digits(text.strip())
    if not cleaned:
        raise InvalidZip("Please enter a ZIP code: 5 digits, like 20001.", text)
    shape = _ZIP_SHAPE.fullmatch(cleaned)
    if shape is None:
        raise InvalidZip(not_a_zip_message(text), text)
    return shape.group(1)


def not_a_zip_message(text: str) -> str:
    """Why what a member typed is not a ZIP code, quoting it as typed."""
    return f"“{as_typed(text, 20)}” is not a ZIP code: enter 5 digits, like 20001."


def unassigned_zip_message(zip5: str) -> str:
    """Why a well-formed ZIP with no state cannot be used, said to the member."""
    number = int(zip5)
    if _in(_MILITARY_RANGES, number // 100):
        return (
            f"{zip5} is a military (APO/FPO) ZIP code. Please enter the ZIP code of your home "
            "address in the United States."
        )
    if _in(_FREELY_ASSOCIATED, number):
        return (
            f"{zip5} is in Palau, Micronesia or the Marshall Islands, which have no member of "
            "Congress. Please enter a ZIP code in a US state or territory."
        )
    return f"{zip5} is not a ZIP code in use. Please check it and try again."


def zip_states(text: str) -> tuple[str, tuple[str, ...]]:
    """Parse a ZIP and find its state(s) by prefix; InvalidZip when it has none."""
    zip5 = parse_zip(text)
    states = state_for_zip_prefix(zip5)
    if not states:
        raise InvalidZip(unassigned_zip_message(zip5), text)
    return zip5, states
