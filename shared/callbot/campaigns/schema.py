"""The campaign file format and its validation.

A campaign is one YAML file in the campaigns folder (`*.yaml` or `*.yml`; the file name is
free, the slug is what counts). Unknown fields are errors, so a typo never goes unnoticed.

```yaml
slug: defund-hate-budget      # required; lowercase letters, digits and dashes, at most 40
                              # characters, unique across all files; used in commands
title: Cut ICE and CBP funding          # required, at most 100 characters
summary: One or two sentences.          # required, at most 300 characters
why: |                        # optional Markdown: the background, shown on request
  Congress is writing ...
links:                        # optional, at most 10
  - label: Read the bill      # at most 80 characters
    url: https://example.org/bill       # http:// or https:// only
targets:                      # required; at least one of house, senate or custom
  house: true                 # the caller's own Representative (default false)
  senate: false               # the caller's two Senators (default false)
  custom:                     # offices every caller calls, whoever they are (default none)
    - key: governor           # lowercase letters, digits and dashes, at most 15
                              # characters, unique in the file (it goes into button ids)
      name: Jane Doe
      title: Governor
      phone: (518) 555-0100   # any US spelling; stored as 518-555-0100
      state: NY               # optional postal code
      note: Ask for the constituent services line.   # optional, shown to the caller
  order: [house, senate, custom]        # optional: who is called first (this is the default)
script: |                     # required: one text, or a mapping of variants (see below)
  Hello, my name is {caller_name} and I live in {caller_location}. ...
fallback_phone: 202-224-3121  # optional: called when a seat is vacant or an office has no
                              # number (a switchboard, or your organization's patch-through line)
goal: 500                     # optional: the number of calls you hope for
starts: 2025-06-01            # optional date (from 00:00 UTC) or date-time with offset
ends: 2025-06-30              # optional date (until 23:59:59 UTC) or date-time; not before starts
active: true                  # optional; false hides the campaign without deleting it
```

The script may differ per office: give a mapping with `default` and any of `house`,
`senate` and `custom` (a missing variant falls back to `default`; `default` may be left
out when every targeted kind of office has its own). A single text in the 5 Calls style is
split the same way: a line `WHEN CALLING HOUSE:` or `WHEN CALLING SENATE:` (any case,
optionally in bold) introduces a paragraph used only for that chamber. Placeholders are
listed in `callbot.campaigns.script`; an unknown one (say `[YOUR CITY]`) is an error.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from callbot.campaigns.script import (
    split_chamber_sections,
    suggest_placeholder,
    unbalanced_placeholders,
    unknown_placeholders,
)
from callbot.campaigns.states import STATE_NAMES
from callbot.numbers import ascii_digits

Chamber = Literal["house", "senate", "custom"]
DEFAULT_ORDER: tuple[Chamber, ...] = ("house", "senate", "custom")
MAX_SCRIPT_LENGTH = 3000  # Slack shows at most 3000 characters in one text block

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Digits are read as ASCII (`callbot.numbers.ascii_digits` comes first), so a number written
# in another script's digits reaches callers as 202-224-3121, and "² " is no digit.
_PHONE = re.compile(r"(?:\+?1[\s.-]*)?\(?([0-9]{3})\)?[\s.-]*([0-9]{3})[\s.-]*([0-9]{4})", re.ASCII)
_DATE_ONLY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# What the database holds: an INTEGER column, and no NUL or lone surrogate in any text.
DB_INT_MAX = 2**31 - 1
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class UnknownPlaceholders(ValueError):
    """A script uses placeholders we do not know; `tokens` lists them as written."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tuple(tokens)
        super().__init__("; ".join(unknown_placeholder_message(token) for token in tokens))


def unknown_placeholder_message(token: str) -> str:
    if token.startswith("{") and not token.endswith("}"):
        return f"the placeholder {token} is not closed: write {token}}} (or remove the {{)"
    if token.startswith("[") and not token.endswith("]"):
        return f"the placeholder {token} is not closed: write {token}] (or remove the [)"
    if token.endswith("}") and not token.startswith("{"):
        return f"{token} closes a placeholder that was never opened: write {{{token}"
    if token.endswith("]") and not token.startswith("["):
        return f"{token} closes a placeholder that was never opened: write [{token}"
    suggestion = suggest_placeholder(token)
    if suggestion:
        return f"unknown placeholder {token} (did you mean {suggestion}?)"
    return f"unknown placeholder {token}; `callbot campaigns check --help` lists the known ones"


def _slug_check(limit: int) -> AfterValidator:
    def check(value: str) -> str:
        if len(value) > limit or not _SLUG.fullmatch(value):
            raise ValueError(
                f"{value!r} must be lowercase letters, digits and single dashes, at most "
                f"{limit} characters (like 'cut-ice-funding')"
            )
        return value

    return AfterValidator(check)


def normalize_phone(value: str) -> str:
    """A US phone number in any usual spelling as NNN-NNN-NNNN; ValueError otherwise."""
    match = _PHONE.fullmatch(ascii_digits(value.strip()))
    if match is None or match.group(1)[0] in "01" or match.group(2)[0] in "01":
        raise ValueError(f"{value!r} is not a US phone number like 202-224-3121")
    return "-".join(match.groups())


def _phone(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # YAML reads 2022243121 as a number
    if not isinstance(value, str):
        raise ValueError("must be a US phone number like 202-224-3121")
    return normalize_phone(value)


def _url(value: str) -> str:
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or re.search(r"\s", value):
        raise ValueError(f"{value!r} is not a web address starting with http:// or https://")
    return value


def _state(value: str) -> str:
    code = value.strip().upper()
    if code not in STATE_NAMES:
        raise ValueError(f"{value!r} is not a US state or territory postal code like NY")
    return code


def _script_text(value: str) -> str:
    unknown = unknown_placeholders(value) + unbalanced_placeholders(value)
    if unknown:
        raise UnknownPlaceholders(unknown)
    return value


Slug = Annotated[StrictStr, _slug_check(40)]
TargetKey = Annotated[StrictStr, _slug_check(15)]
Phone = Annotated[str, BeforeValidator(_phone)]
Text60 = Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
Text80 = Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Text100 = Annotated[
    StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]
Text300 = Annotated[
    StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)
]
Markdown = Annotated[
    StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=4000)
]
ScriptText = Annotated[
    StrictStr,
    StringConstraints(strip_whitespace=True, max_length=MAX_SCRIPT_LENGTH),
    AfterValidator(_script_text),
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Link(_Model):
    """A page to read or share: a button or link next to the campaign."""

    label: Text80
    url: Annotated[StrictStr, StringConstraints(max_length=500), AfterValidator(_url)]


class CustomTarget(_Model):
    """An office every caller calls, such as a governor or a committee chair."""

    key: TargetKey
    name: Text100
    title: Text60
    phone: Phone
    state: Annotated[StrictStr, AfterValidator(_state)] | None = None
    note: Text300 | None = None


class Targets(_Model):
    """Who is called: the caller's own members of Congress and/or fixed offices."""

    house: StrictBool = False
    senate: StrictBool = False
    custom: tuple[CustomTarget, ...] = ()
    order: tuple[Chamber, ...] = DEFAULT_ORDER

    @field_validator("custom")
    @classmethod
    def _unique_keys(cls, value: tuple[CustomTarget, ...]) -> tuple[CustomTarget, ...]:
        keys = [target.key for target in value]
        repeated = sorted({key for key in keys if keys.count(key) > 1})
        if repeated:
            raise ValueError(f"the key {repeated[0]!r} is used twice; keys must be unique")
        return value

    @field_validator("order")
    @classmethod
    def _complete_order(
        cls, value: tuple[Chamber, ...], info: ValidationInfo
    ) -> tuple[Chamber, ...]:
        if len(set(value)) != len(value):
            raise ValueError("lists the same kind of office twice")
        targeted = {
            "house": info.data.get("house", False),
            "senate": info.data.get("senate", False),
            "custom": bool(info.data.get("custom")),
        }
        missing = [
            chamber for chamber in DEFAULT_ORDER if targeted[chamber] and chamber not in value
        ]
        if missing:
            raise ValueError(f"leaves out {' and '.join(missing)}, which the campaign targets")
        return value

    @model_validator(mode="after")
    def _something_to_call(self) -> Targets:
        if not (self.house or self.senate or self.custom):
            raise ValueError(
                "no one to call: set house: true, senate: true, or list custom targets"
            )
        return self


class Script(_Model):
    """The call script: a default text and optional per-office variants."""

    default: ScriptText = ""
    house: ScriptText | None = None
    senate: ScriptText | None = None
    custom: ScriptText | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, data: Any) -> Any:
        if isinstance(data, str):
            unknown = unknown_placeholders(data) + unbalanced_placeholders(data)
            if unknown:
                raise UnknownPlaceholders(unknown)
            return split_chamber_sections(data)
        if not isinstance(data, dict | Script):
            raise ValueError(
                "must be the script text, or a mapping with default, house, senate and custom texts"
            )
        return data

    @field_validator("house", "senate", "custom")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value:
            raise ValueError("is empty; leave it out to use the default script")
        return value

    def for_chamber(self, chamber: str) -> str:
        """The variant for "house", "senate" or "custom", else the default."""
        variant: str | None = None
        if chamber == "house":
            variant = self.house
        elif chamber == "senate":
            variant = self.senate
        elif chamber == "custom":
            variant = self.custom
        return variant or self.default


def _as_utc(value: datetime) -> datetime:
    # Times written without an offset are UTC; PyYAML gives them to us naive.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Campaign dates: wide enough for any campaign, narrow enough for every database and for the
# scheduler's date arithmetic (a year 9999 "ends" would overflow it).
FIRST_YEAR, LAST_YEAR = 2000, 2999


class CampaignSpec(_Model):
    """One validated campaign file. See the module docstring for the format."""

    slug: Slug
    title: Text100
    summary: Text300
    why: Markdown | None = None
    links: Annotated[tuple[Link, ...], Field(max_length=10)] = ()
    targets: Targets
    script: Script
    fallback_phone: Phone | None = None
    goal: Annotated[StrictInt, Field(gt=0, le=DB_INT_MAX)] | None = None
    starts: datetime | None = None
    ends: datetime | None = None
    active: StrictBool = True

    @field_validator("script")
    @classmethod
    def _covers_targets(cls, value: Script, info: ValidationInfo) -> Script:
        targets = info.data.get("targets")
        if isinstance(targets, Targets):
            wanted = [
                chamber
                for chamber, targeted in (
                    ("house", targets.house),
                    ("senate", targets.senate),
                    ("custom", bool(targets.custom)),
                )
                if targeted
            ]
            uncovered = [chamber for chamber in wanted if not value.for_chamber(chamber)]
            if uncovered:
                raise ValueError(
                    f"there is no script for {' or '.join(uncovered)} calls: "
                    "write a default script or one for each"
                )
        return value

    @field_validator("starts", "ends", mode="before")
    @classmethod
    def _date_or_datetime(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None or isinstance(value, datetime):
            return value
        if isinstance(value, str):
            value = ascii_digits(value.strip())
        if isinstance(value, str) and _DATE_ONLY.fullmatch(value):
            try:
                value = date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"{value!r} is not a real date") from None
        if isinstance(value, date):
            # A bare date means the whole day: from its first moment to its last.
            moment = time.min if info.field_name == "starts" else time.max
            return datetime.combine(value, moment, tzinfo=UTC)
        if isinstance(value, str):
            return value  # a date-time in text; pydantic parses it
        raise ValueError(
            "must be a date like 2025-06-30 or a date-time like 2025-06-30T17:00-04:00"
        )

    @field_validator("starts", "ends")
    @classmethod
    def _utc(cls, value: datetime | None, info: ValidationInfo) -> datetime | None:
        if value is None:
            return None
        try:
            value = _as_utc(value)
        except OverflowError:  # an offset that moves year 1 or 9999 out of the calendar
            value = datetime.min.replace(tzinfo=UTC)
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ValueError(f"must be a date in the years {FIRST_YEAR} to {LAST_YEAR}")
        starts = info.data.get("starts")
        if info.field_name == "ends" and isinstance(starts, datetime) and value < starts:
            raise ValueError(f"is before starts ({starts:%Y-%m-%d %H:%M} UTC)")
        return value

    def script_for(self, chamber: str) -> str:
        """The script for "house", "senate" or "custom" calls, else the default."""
        return self.script.for_chamber(chamber)

    def is_open(self, now: datetime) -> bool:
        """Active, and `now` lies within the campaign's start and end (inclusive)."""
        now = _as_utc(now)
        if not self.active:
            return False
        if self.starts is not None and now < self.starts:
            return False
        return self.ends is None or now <= self.ends
