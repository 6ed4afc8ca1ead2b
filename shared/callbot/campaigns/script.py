"""Call scripts: placeholders, per-chamber variants, and safe rendering.

A script is organizer Markdown with placeholders that are filled in for one caller and one
office. Rendering is one regular-expression pass over a fixed table of names: no
`str.format`, no attribute access, no evaluation, and inserted text is never scanned again,
so a member who calls themselves "{target_phone}" or "[NAME]" is shown literally.

Two spellings are accepted (case-insensitive, spaces inside brackets ignored):

- ours, in braces: `{caller_name}`, `{caller_city}`, `{caller_state}`, `{caller_zip}`,
  `{caller_location}`, `{target_title}`, `{target_short_title}`, `{target_name}`,
  `{target_last_name}`, `{target_full_name}`, `{target_party}`, `{target_state}`,
  `{target_district}`, `{target_phone}`;
- 5 Calls style, in brackets and often in bold (`**[NAME]**` stays bold): `[NAME]`,
  `[YOUR NAME]`, `[CITY, STATE]`, `[CITY, ZIP]`, `[CITY]`, `[STATE]`, `[ZIP]`,
  `[REP/SEN NAME]`, `[REP NAME]`, `[SEN NAME]` (all three give "Rep. Jane Doe" or
  "Sen. John Roe"), and `[REPRESENTATIVE NAME]`, `[SENATOR NAME]`, `[SENATOR/REP NAME]`
  (the full title: "Representative Jane Doe").
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from callbot.campaigns.states import state_name
from callbot.safety import clean_text, escape_markdown, member_text, neutralize_mentions

CHAMBERS = ("house", "senate", "custom")


@dataclass(frozen=True, slots=True)
class Caller:
    """What the member chose to tell us; any of it may be missing."""

    name: str
    city: str | None
    state: str | None  # postal code, e.g. "OH"
    zip_code: str | None


@dataclass(frozen=True, slots=True)
class ScriptTarget:
    """The office being called, as the script names it."""

    title: str  # "Representative"
    short_title: str  # "Rep."
    name: str  # "Nancy Pelosi"
    last_name: str
    party: str
    state: str  # postal code, e.g. "CA"
    district: str | None  # "CA-12"; None for senators and custom targets
    phone: str


# Each placeholder names one entry of the value table built by `_values`.
_BRACES: dict[str, str] = {
    "caller_name": "caller_name",
    "caller_city": "caller_city",
    "caller_state": "caller_state",
    "caller_zip": "caller_zip",
    "caller_location": "caller_location",
    "target_title": "target_title",
    "target_short_title": "target_short_title",
    "target_name": "target_name",
    "target_last_name": "target_last_name",
    "target_full_name": "target_full_name",
    "target_party": "target_party",
    "target_state": "target_state",
    "target_district": "target_district",
    "target_phone": "target_phone",
}
_BRACKETS: dict[str, str] = {
    "NAME": "caller_name",
    "YOUR NAME": "caller_name",
    "CITY, STATE": "caller_location",
    "CITY/STATE": "caller_location",
    "CITY, ZIP": "caller_city_zip",
    "CITY/ZIP": "caller_city_zip",
    "CITY": "caller_city",
    "STATE": "caller_state",
    "ZIP": "caller_zip",
    "REP/SEN NAME": "target_short_name",
    "REP NAME": "target_short_name",
    "SEN NAME": "target_short_name",
    "REPRESENTATIVE NAME": "target_full_name",
    "SENATOR NAME": "target_full_name",
    "SENATOR/REP NAME": "target_full_name",
}


def _bracket_key(inner: str) -> str:
    return re.sub(r"\s+", "", inner).upper()


def _brace_key(inner: str) -> str:
    return inner.strip().lower()


_BRACKET_LOOKUP = {_bracket_key(name): value for name, value in _BRACKETS.items()}

PLACEHOLDERS: frozenset[str] = frozenset(
    [f"{{{name}}}" for name in _BRACES] + [f"[{name}]" for name in _BRACKETS]
)

# A bracket followed by "(" is a Markdown link, never a placeholder.
_TOKEN = re.compile(r"\[(?P<bracket>[^\[\]\n]{1,40})\](?!\()|\{(?P<brace>[^{}\n]{1,40})\}")
# Text that looks like a placeholder but is none of ours: an identifier in braces, or capital
# letters in brackets ("[YOUR CITY]"). Lowercase bracketed prose and "[H.R. 1]" are left alone.
# ("{caller_name.__class__}" and "{0}" are format-string tricks: unknown placeholders too.)
_BRACE_LIKE = re.compile(r"\s*[A-Za-z_]\w*\s*|[A-Za-z_]\w*[.!:\[(][^{}]*|\s*[0-9]+\s*")
_BRACKET_LIKE = re.compile(r"\s*[A-Z][A-Z ,/'’-]+\s*")


def _lookup(match: re.Match[str]) -> str | None:
    bracket = match.group("bracket")
    if bracket is not None:
        return _BRACKET_LOOKUP.get(_bracket_key(bracket))
    return _BRACES.get(_brace_key(match.group("brace")))


def placeholder_names(template: str) -> list[str]:
    """The known placeholders in `template`, as written, in order of appearance."""
    return [match.group(0) for match in _TOKEN.finditer(template) if _lookup(match) is not None]


def unknown_placeholders(template: str) -> list[str]:
    """Placeholder-like text in `template` that is not one of ours, as written, once each."""
    found: list[str] = []
    for match in _TOKEN.finditer(template):
        if _lookup(match) is not None:
            continue
        bracket = match.group("bracket")
        looks_like = (
            _BRACKET_LIKE.fullmatch(bracket)
            if bracket is not None
            else _BRACE_LIKE.fullmatch(match.group("brace"))
        )
        if looks_like and match.group(0) not in found:
            found.append(match.group(0))
    return found


# A placeholder begun and never finished on its line ("{caller_name and ...", "[NAME and ..."),
# or finished and never begun ("caller_name}"): shown to callers as it is, so it is an error.
_OPEN_BRACE = re.compile(r"\{\s*[A-Za-z_][A-Za-z0-9_]*")
_OPEN_BRACKET = re.compile(r"\[\s*[A-Z]{2,}(?:[ /][A-Z]{2,})*\b")
_CLOSE_BRACE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\s*\}")
_CLOSE_BRACKET = re.compile(r"\b[A-Z]{2,}\s*\]")


def unbalanced_placeholders(template: str) -> list[str]:
    """Placeholders in `template` missing their closing (or opening) brace or bracket, as
    written ("{caller_name", "NAME]"), once each."""
    found: list[str] = []
    for line in template.splitlines():
        # Blank out the complete tokens (and Markdown links): what is left is unbalanced.
        rest = _TOKEN.sub(lambda m: " " * len(m.group(0)), _LINK.sub(_blank, line))
        for pattern, closer in ((_OPEN_BRACE, "}"), (_OPEN_BRACKET, "]")):
            for match in pattern.finditer(rest):
                if closer not in rest[match.end() :]:
                    found.append(match.group(0).strip())
        for pattern, opener in ((_CLOSE_BRACE, "{"), (_CLOSE_BRACKET, "[")):
            for match in pattern.finditer(rest):
                if opener not in rest[: match.start()]:
                    found.append(match.group(0).strip())
    return list(dict.fromkeys(found))


_LINK = re.compile(r"\[[^\[\]\n]*\]\([^)\s]*\)")


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group(0))


def suggest_placeholder(token: str) -> str | None:
    """The known placeholder closest to a misspelt one, if any is close."""
    close = difflib.get_close_matches(
        token.upper(), [name.upper() for name in PLACEHOLDERS], 1, cutoff=0.8
    )
    if not close:
        return None
    return next(name for name in sorted(PLACEHOLDERS) if name.upper() == close[0])


_MARKER = re.compile(
    r"^\s*(?:\*\*)?\s*WHEN\s+CALLING\s+(?:THE\s+)?(?P<chamber>HOUSE|SENATE)\s*:\s*(?:\*\*)?(?P<rest>.*)$",
    re.IGNORECASE,
)


def split_chamber_sections(text: str) -> dict[str, str]:
    """Split a 5 Calls style script into variants.

    A line "WHEN CALLING HOUSE:" or "WHEN CALLING SENATE:" (any case, optionally in bold)
    starts a section that runs to the end of the next paragraph; everything else is shared.
    Returns "default" (the shared text) plus "house" and/or "senate" when they have a section.
    """
    tagged: list[tuple[str | None, str]] = []  # (chamber or None for shared, line)
    current: str | None = None
    has_content = False
    sections: set[str] = set()
    for line in text.splitlines():
        marker = _MARKER.match(line)
        if marker:
            current = marker.group("chamber").lower()
            rest = marker.group("rest").strip()
            has_content = bool(rest)
            if rest:
                tagged.append((current, rest))
                sections.add(current)
        elif not line.strip():
            if current is not None and has_content:
                current = None
            tagged.append((None, ""))
        else:
            tagged.append((current, line))
            if current is not None:
                has_content = True
                sections.add(current)

    def join(chamber: str | None) -> str:
        lines = [line for tag, line in tagged if tag is None or tag == chamber]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()

    variants = {"default": join(None)}
    for chamber in sorted(sections):
        variants[chamber] = join(chamber)
    return variants


# Rendering ------------------------------------------------------------------------------


def _member(value: str | None) -> str:
    """Member text made safe, or "" when nothing printable is left."""
    return member_text(value) if value and clean_text(value) else ""


def _organizer(value: str | None) -> str:
    """Office data (from the congress files or a campaign file) as plain text in Markdown."""
    return escape_markdown(neutralize_mentions(clean_text(value or "", 200)))


def _spoken_state(code: str | None) -> str:
    if not code or not clean_text(code):
        return ""
    return escape_markdown(state_name(code) or "") or _member(code)


def _values(caller: Caller, target: ScriptTarget) -> dict[str, str]:
    name = _member(caller.name)
    city = _member(caller.city)
    state = _spoken_state(caller.state)
    zip_code = _member(caller.zip_code)
    target_state = _spoken_state(target.state) or _organizer(target.state)
    # Whatever we know of where the caller lives, most precise first, always some words.
    if city and state:
        location = f"{city}, {state}"
    else:
        location = city or state or (f"ZIP {zip_code}" if zip_code else "the area you serve")
    title = _organizer(target.title)
    short_title = _organizer(target.short_title) or title
    target_name = _organizer(target.name)
    return {
        "caller_name": name or "a constituent",
        "caller_city": city or location,
        "caller_state": state or target_state or "your state",
        "caller_zip": zip_code or location,
        "caller_location": location,
        "caller_city_zip": f"{city}, {zip_code}" if city and zip_code else location,
        "target_title": title,
        "target_short_title": short_title,
        "target_name": target_name,
        "target_last_name": _organizer(target.last_name) or target_name,
        "target_full_name": " ".join(part for part in (title, target_name) if part),
        "target_short_name": " ".join(part for part in (short_title, target_name) if part),
        "target_party": _organizer(target.party),
        "target_state": target_state,
        "target_district": _organizer(target.district) or target_state,
        "target_phone": _organizer(target.phone),
    }


def render_script(template: str, caller: Caller, target: ScriptTarget) -> str:
    """Fill in a script for one caller and one office.

    Member values are neutralised and Markdown-escaped, office values escaped, and the
    organizer's Markdown kept with its mentions broken. Never raises for any input.
    """
    values = _values(caller, target)

    def substitute(match: re.Match[str]) -> str:
        key = _lookup(match)
        return values[key] if key is not None else match.group(0)

    # The final pass breaks mentions in the organizer's text and any an insertion completes
    # (a template ending in "@" followed by a member named "everyone").
    return neutralize_mentions(_TOKEN.sub(substitute, template))
