"""Reading campaign files: every problem reported with its file, line and field.

Loading never raises for a bad file: each problem becomes a `Problem`, the file is skipped,
and the good files still load. Line numbers come from the YAML node tree (`yaml.compose`),
walked along the location pydantic gives for each error.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from callbot.campaigns.schema import (
    CampaignSpec,
    CustomTarget,
    Link,
    Script,
    Targets,
    UnknownPlaceholders,
    unknown_placeholder_message,
)

log = logging.getLogger(__name__)

SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = (
    256 * 1024
)  # a campaign is a few KB; this keeps a stray dump from stalling start-up


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in one campaign file. `field` is "file" or "yaml" for the file itself."""

    path: Path
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
        return f"{where}: {self.field}: {self.message}"


@dataclass(frozen=True, slots=True)
class LoadedCampaign:
    """A campaign file that passed validation."""

    spec: CampaignSpec
    path: Path
    content_hash: str  # sha256 of the file's bytes


@dataclass(frozen=True, slots=True)
class LoadResult:
    campaigns: list[LoadedCampaign]
    problems: list[Problem]


def campaign_files(folder: Path) -> list[Path]:
    """The campaign files directly in `folder`, sorted by name; hidden files are skipped."""
    return sorted(
        path
        for path in folder.iterdir()
        if path.suffix.lower() in SUFFIXES and not path.name.startswith(".") and path.is_file()
    )


def load_campaigns(folder: Path) -> LoadResult:
    """Every valid campaign in `folder`, and every problem in the others.

    A missing folder is not an error here (the bot can run without campaigns): it gives an
    empty result and a warning in the log.
    """
    if not folder.is_dir():
        log.warning("campaigns folder %s does not exist (or is not a folder); none loaded", folder)
        return LoadResult([], [])
    return _load_folder(folder)


def check_campaigns(path: Path) -> LoadResult:
    """Like `load_campaigns` for a folder, or one file; a missing path is a problem."""
    if path.is_dir():
        return _load_folder(path)
    if path.is_file():
        return _load_files([path])
    if path.exists():  # a device, a pipe, a socket
        return LoadResult([], [Problem(path, None, "file", "is not a regular file or folder")])
    return LoadResult([], [Problem(path, None, "file", "no such file or folder")])


def _load_folder(folder: Path) -> LoadResult:
    try:
        paths = campaign_files(folder)
    except OSError as exc:
        return LoadResult([], [Problem(folder, None, "file", f"cannot be read: {exc.strerror}")])
    return _load_files(paths)


def _load_files(paths: list[Path]) -> LoadResult:
    campaigns: list[LoadedCampaign] = []
    problems: list[Problem] = []
    owners: dict[str, Path] = {}
    for path in paths:
        loaded, found, slug_line = _load_file(path)
        problems.extend(found)
        if loaded is None:
            continue
        slug = loaded.spec.slug
        if slug in owners:
            problems.append(
                Problem(path, slug_line, "slug", f"{slug!r} is already used by {owners[slug]}")
            )
            continue
        owners[slug] = path
        campaigns.append(loaded)
    return LoadResult(campaigns, problems)


class _Rejected(Exception):
    """A file that cannot be read as a YAML mapping at all."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _read_mapping(path: Path) -> tuple[bytes, str, yaml.MappingNode]:
    """The file's bytes, its text and its YAML node tree; `_Rejected` if any step fails."""
    # The size is checked before anything is read, and no more than the limit is ever read
    # (a file may grow meanwhile): a stray 2 GB dump costs no memory.
    try:
        size = path.stat().st_size
        if size <= MAX_FILE_BYTES:
            with path.open("rb") as file:
                raw = file.read(MAX_FILE_BYTES + 1)
            size = len(raw)
    except OSError as exc:
        raise _Rejected(Problem(path, None, "file", f"cannot be read: {exc.strerror}")) from None
    if size > MAX_FILE_BYTES:
        message = (
            f"is {_kilobytes(size)} KB; a campaign file is at most {MAX_FILE_BYTES // 1024} KB"
        )
        raise _Rejected(Problem(path, None, "file", message))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = f"is not UTF-8 text (byte 0x{raw[exc.start]:02x}); save it as UTF-8"
        raise _Rejected(Problem(path, line, "file", message)) from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as exc:  # a control character: PyYAML gives its offset
        line = text[: exc.position].count("\n") + 1
        message = f"holds the control character U+{exc.character:04X}, which YAML does not allow; remove it"
        raise _Rejected(Problem(path, line, "file", message)) from None
    except yaml.YAMLError as exc:
        raise _Rejected(_yaml_problem(path, exc)) from None
    except RecursionError:
        raise _Rejected(Problem(path, None, "yaml", "is nested too deeply")) from None
    if root is None:
        raise _Rejected(Problem(path, None, "file", "is empty; a campaign needs slug, title, ..."))
    if not isinstance(root, yaml.MappingNode):
        kind = "a list" if isinstance(root, yaml.SequenceNode) else "a single value"
        message = f"must be a mapping of fields (slug: ..., title: ...), not {kind}"
        raise _Rejected(Problem(path, _line(root), "file", message))
    return raw, text, root


def _kilobytes(size: int) -> str:
    return f"{size // 1024:,}"


def _unstorable_texts(
    path: Path, root: yaml.Node, value: Any, loc: tuple[int | str, ...], visited: set[int]
) -> Iterator[Problem]:
    """Texts holding a character no campaign means and the database cannot store (NUL,
    other control characters but tab and newline, a lone surrogate), as YAML escapes such as
    "\\0" or "\\e" make them."""
    if isinstance(value, dict | list):
        # Aliases share one object many times over ("billion laughs"): visit each once.
        if id(value) in visited:
            return
        visited.add(id(value))
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _unstorable_texts(path, root, item, (*loc, str(key)), visited)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unstorable_texts(path, root, item, (*loc, index), visited)
    elif isinstance(value, str):
        found = _UNWANTED.search(value)
        if found is not None:
            node, key_node = _find_node(root, loc)
            message = (
                f"holds the character U+{ord(found.group()):04X}, which a campaign cannot "
                "hold; remove it"
            )
            yield Problem(path, _line(key_node or node), _field_name(loc), message)


_KEY_TAGS = ("tag:yaml.org,2002:str", "tag:yaml.org,2002:merge")
# C0 controls but tab and newline, DEL, C1 controls and lone surrogates.
_UNWANTED = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _load_file(path: Path) -> tuple[LoadedCampaign | None, list[Problem], int | None]:
    """The campaign in one file (or None and its problems), and the line of its slug."""
    try:
        raw, text, root = _read_mapping(path)
    except _Rejected as rejected:
        return None, [rejected.problem], None
    problems = list(_duplicate_keys(path, root, "", set()))
    try:
        data = yaml.SafeLoader("").construct_document(root)
    except yaml.YAMLError as exc:
        return None, [*problems, _yaml_problem(path, exc)], None
    except (ValueError, OverflowError):
        # PyYAML raises a bare ValueError for values such as the date 2025-02-30.
        return None, [*problems, *_unreadable_values(path, root, "", set())], None
    problems += _unstorable_texts(path, root, data, (), set())
    if problems:
        return None, problems, None
    try:
        spec = CampaignSpec.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            problems.extend(_validation_problems(path, root, text, error))
        return None, problems, None
    if problems:
        return None, problems, None
    slug_node, slug_key = _find_node(root, ("slug",))
    loaded = LoadedCampaign(spec, path, hashlib.sha256(raw).hexdigest())
    return loaded, [], _line(slug_key or slug_node)


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _yaml_problem(path: Path, exc: yaml.YAMLError) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 if mark is not None else None
    problem = getattr(exc, "problem", None)
    context = getattr(exc, "context", None)
    message = " ".join(part for part in (context, problem) if part) or str(exc)
    return Problem(path, line, "yaml", f"not valid YAML: {message}")


def _duplicate_keys(
    path: Path, node: yaml.Node, prefix: str, visited: set[int]
) -> Iterator[Problem]:
    """PyYAML keeps the last of two equal keys silently; a campaign file must not."""
    # Aliases make the tree a graph: visit each node once, or "billion laughs" never ends.
    if id(node) in visited:
        return
    visited.add(id(node))
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
            field = f"{prefix}.{name}" if prefix else name
            if isinstance(key, yaml.ScalarNode) and key.tag not in _KEY_TAGS:
                yield Problem(path, _line(key), field, "is not a field name (write it as a word)")
            if isinstance(key, yaml.ScalarNode) and name in seen:
                yield Problem(path, _line(key), field, "appears twice; keep one")
            seen.add(name)
            yield from _duplicate_keys(path, value, field, visited)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(path, item, f"{prefix}[{index}]", visited)


def _unreadable_values(
    path: Path, node: yaml.Node, field: str, visited: set[int]
) -> Iterator[Problem]:
    """Problems for the scalars PyYAML cannot turn into values, found one node at a time."""
    if id(node) in visited:
        return
    visited.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = str(key.value) if isinstance(key, yaml.ScalarNode) else "?"
            yield from _unreadable_values(
                path, value, f"{field}.{name}" if field else name, visited
            )
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _unreadable_values(path, item, f"{field}[{index}]", visited)
    else:
        try:
            yaml.SafeLoader("").construct_object(node, deep=True)
        except (ValueError, OverflowError) as exc:
            kind = "a real date" if node.tag.endswith(":timestamp") else "a value YAML can read"
            yield Problem(path, _line(node), field, f"{node.value!r} is not {kind} ({exc})")
        except yaml.YAMLError as exc:
            yield _yaml_problem(path, exc)


def _field_name(loc: tuple[int | str, ...]) -> str:
    name = ""
    for part in loc:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else part
    return name or "file"


def _find_node(root: yaml.Node, loc: tuple[int | str, ...]) -> tuple[yaml.Node, yaml.Node | None]:
    """The deepest node along `loc`, and the key node naming it when it is a mapping value."""
    node: yaml.Node = root
    key_node: yaml.Node | None = None
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == part:
                    node, key_node = value, key
                    break
            else:
                break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node, key_node = node.value[part], None
        else:
            break
    return node, key_node


def _token_line(text: str, node: yaml.Node, token: str) -> int:
    """The line of `token` inside a (possibly multi-line) scalar node, else the node's line."""
    lines = text.splitlines()
    for number in range(node.start_mark.line, min(node.end_mark.line + 1, len(lines))):
        if token in lines[number]:
            return number + 1
    return _line(node)


_FRIENDLY = {
    "missing": "is required",
    "extra_forbidden": "is not a campaign field",
    "string_type": "must be text (put it in quotes if YAML reads it as a number or yes/no)",
    "bool_type": "must be true or false",
    "int_type": "must be a whole number",
    "float_type": "must be a whole number",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
    "model_type": "must be a mapping (indented key: value lines)",
    "model_attributes_type": "must be a mapping (indented key: value lines)",
    "dict_type": "must be a mapping (indented key: value lines)",
    "datetime_type": "must be a date like 2025-06-30 or a date-time like 2025-06-30T17:00-04:00",
    "datetime_parsing": "must be a date like 2025-06-30 or a date-time like 2025-06-30T17:00-04:00",
    "datetime_from_date_parsing": "must be a date like 2025-06-30 or a date-time like 2025-06-30T17:00-04:00",
}


def _message(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == "value_error":
        return str(ctx.get("error") or error["msg"].removeprefix("Value error, "))
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"is too long: at most {ctx.get('max_length')} characters"
    if kind == "too_long":
        return f"has too many entries: at most {ctx.get('max_length')}"
    if kind == "greater_than":
        return f"must be more than {ctx.get('gt')}"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected')}"
    if kind == "extra_forbidden":
        return _unknown_field_message(error["loc"])
    return _FRIENDLY.get(kind, error["msg"])


def _unknown_field_message(loc: tuple[int | str, ...]) -> str:
    known = _fields_at(loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), known, 1)
    hint = f" (did you mean {close[0]}?)" if close else f"; known fields: {', '.join(known)}"
    return f"is not a known field{hint}"


def _fields_at(loc: tuple[int | str, ...]) -> list[str]:
    """The field names of the model found at `loc` inside a campaign."""
    names = [part for part in loc if isinstance(part, str)]
    models: dict[tuple[str, ...], Any] = {
        (): CampaignSpec,
        ("links",): Link,
        ("targets",): Targets,
        ("targets", "custom"): CustomTarget,
        ("script",): Script,
    }
    model = models.get(tuple(names))
    return list(model.model_fields) if model is not None else []


def _validation_problems(
    path: Path, root: yaml.Node, text: str, error: ErrorDetails
) -> Iterator[Problem]:
    loc = tuple(error["loc"])
    field = _field_name(loc)
    node, key_node = _find_node(root, loc)
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, UnknownPlaceholders):
        # One problem per placeholder, each on its own line.
        for token in cause.tokens:
            yield Problem(
                path, _token_line(text, node, token), field, unknown_placeholder_message(token)
            )
        return
    # The line that names the field ("targets:"), even when its value starts below it.
    yield Problem(path, _line(key_node or node), field, _message(error))
