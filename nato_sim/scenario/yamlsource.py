"""Safe YAML reading that remembers where every value came from.

PyYAML only composes the node tree here; the Python data is built from it by hand so that
duplicate keys, anchors, aliases, tags and complex keys are refused with a position, and an
alias bomb is never expanded. Every problem becomes a :class:`Problem`.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from nato_sim.errors import Problem, ScenarioError

MAX_BYTES = 1_000_000
MAX_DEPTH = 100  # deeper nesting would exhaust Python's stack inside PyYAML's composer
MAX_PROBLEMS = 20  # an alias bomb has ~100 aliases; nobody reads past the first few

KeyPath = tuple[str | int, ...]
Position = tuple[int, int]

_TAG = "tag:yaml.org,2002:"
_SCALARS = {_TAG + name for name in ("null", "bool", "int", "float", "str", "timestamp", "value")}
_KINDS = {"int": "an integer", "float": "a number", "bool": "a boolean", "timestamp": "a date"}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_MISSING = object()


@dataclass
class ParsedYaml:
    """A parsed YAML file.

    Mapping keys are always strings: the key's text as written (so `NO:` is the key 'NO').
    `positions` maps each key path to the 1-based (line, column) of its VALUE node, where a
    bad value is; `key_positions` maps it to the key node, where an unknown or duplicate key
    is. `booleans` keeps the source text of every scalar that YAML read as a bool.
    """

    file: str
    data: Any
    positions: dict[KeyPath, Position] = field(default_factory=dict)
    booleans: dict[KeyPath, str] = field(default_factory=dict)
    key_positions: dict[KeyPath, Position] = field(default_factory=dict)

    def location(self, path: KeyPath) -> tuple[int | None, int | None]:
        """Return the position of the value at `path`, else of its longest known ancestor."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.positions:
                return self.positions[path[:end]]
        return None, None


class _TooDeep(Exception):
    pass


class _Loader(yaml.SafeLoader):
    """The pure-Python loader (the C one words errors differently), refusing anchors."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.refused: list[tuple[Position, str]] = []
        self.depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            # Never look the alias up: a placeholder keeps the tree linear in the file size.
            self.get_event()
            self.refused.append((_pos(event.start_mark), f"*{event.anchor}"))
            return ScalarNode(_TAG + "null", "", event.start_mark, event.end_mark)
        if event.anchor is not None:
            self.refused.append((_pos(event.start_mark), f"&{event.anchor}"))
            event.anchor = None  # unregistered, so a repeated anchor is no extra error
        if self.depth >= MAX_DEPTH:
            raise _TooDeep(_pos(event.start_mark))
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def _pos(mark: yaml.Mark) -> Position:
    return mark.line + 1, mark.column + 1


def _describe(value: Any) -> str:
    if isinstance(value, (dict, list)) or value is None:
        return {dict: "a mapping", list: "a list"}.get(type(value), "null")
    try:
        text = value.isoformat() if isinstance(value, dt.date) else repr(value)
    except ValueError:  # an int too long for str(); hex digits are not limited on input
        text = f"of {value.bit_length()} bits"
    return f"{type(value).__name__} {text if len(text) <= 60 else text[:57] + '...'}"


def _decode(text: bytes | str, file: str) -> str:
    def fail(message: str, where: Position | tuple[None, None] = (None, None)) -> ScenarioError:
        return ScenarioError([Problem(file, message, *where)])

    size = len(text) if isinstance(text, bytes) else len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        raise fail(f"the file is {size} bytes; the limit is {MAX_BYTES} bytes (MAX_BYTES)")
    if isinstance(text, bytes):
        if b"\0" in text:
            raise fail("not a text file: it contains NUL bytes")
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            byte = text[error.start]
            raise fail(
                f"not a text file: byte 0x{byte:02x} at offset {error.start} is not UTF-8"
            ) from None
    text = text.removeprefix("\ufeff")
    bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if bad:  # PyYAML's own ReaderError here would carry no line or column
        line, start = text.count("\n", 0, bad.start()) + 1, text.rfind("\n", 0, bad.start())
        raise fail(
            f"not a text file: it contains the character U+{ord(bad.group()):04X}",
            (line, bad.start() - start),
        )
    return text


def parse_yaml(text: bytes | str, file: str) -> ParsedYaml:
    """Parse one YAML document whose top level must be a mapping.

    Args:
        text: the file's contents; bytes must be UTF-8 (a BOM is allowed).
        file: the name used in problems.

    Returns:
        The data with the position of every value.

    Raises:
        ScenarioError: with every problem found (size, encoding, syntax, duplicate keys,
            anchors or aliases, tags, complex or merge keys, bad dates, a non-mapping top).
    """
    loader = _Loader(_decode(text, file))
    problems: list[Problem] = []
    root = None
    try:
        root = loader.get_single_node()
    except yaml.MarkedYAMLError as error:
        message, hint = error.problem or str(error), None
        if error.context and message.startswith("but "):  # one sentence split in two
            message = f"{error.context}, {message}"
        elif error.context and error.context_mark:
            hint = f"{error.context} at line {error.context_mark.line + 1}"
        where = _pos(error.problem_mark) if error.problem_mark else (None, None)
        problems.append(Problem(file, f"YAML syntax error: {message}", *where, hint=hint))
    except _TooDeep as error:
        message = f"the file is nested more than {MAX_DEPTH} levels deep"
        problems.append(Problem(file, message, *error.args[0]))
    finally:
        loader.dispose()
    for where, name in loader.refused:
        problems.append(
            Problem(file, "anchors and aliases are not allowed", *where, hint=f"found {name}")
        )
    doc = ParsedYaml(file, None)
    if root is None or (root.tag == _TAG + "null" and root.value == ""):
        if not problems:  # no node at all, or a lone `---`: nothing but comments
            problems.append(Problem(file, "the file is empty"))
    else:  # alias placeholders make building safe, so later problems are reported too
        doc.data = _build(root, (), doc, problems)
        if not isinstance(doc.data, dict):
            message = f"expected a mapping at the top level, got {_describe(doc.data)}"
            problems.append(Problem(file, message, *_pos(root.start_mark)))
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))
        if len(problems) > MAX_PROBLEMS:
            more = len(problems) - MAX_PROBLEMS
            problems[MAX_PROBLEMS:] = [Problem(file, f"{more} more problems not shown")]
        raise ScenarioError(problems)
    return doc


def _build(node: Any, path: KeyPath, doc: ParsedYaml, problems: list[Problem]) -> Any:
    """Turn a node into Python data, recording positions and refusing what we do not allow."""
    doc.positions[path] = where = _pos(node.start_mark)
    allowed = {MappingNode: {_TAG + "map"}, SequenceNode: {_TAG + "seq"}}.get(type(node), _SCALARS)
    if node.tag not in allowed:
        short = node.tag.replace(_TAG, "!!")
        problems.append(Problem(doc.file, f"unsupported YAML tag {short!r}", *where))
        return None
    if isinstance(node, SequenceNode):
        return [_build(item, path + (i,), doc, problems) for i, item in enumerate(node.value)]
    if isinstance(node, MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            where = _pos(key_node.start_mark)
            key = path + (key_node.value,) if isinstance(key_node, ScalarNode) else None
            if key is None:
                kind = "a mapping" if isinstance(key_node, MappingNode) else "a list"
                message = f"a key must be a plain value, got {kind}"
            elif key_node.tag == _TAG + "merge":
                message = "merge keys (<<) are not allowed"
            elif key_node.tag not in _SCALARS:
                message = f"unsupported YAML tag {key_node.tag.replace(_TAG, '!!')!r}"
            elif key in doc.key_positions:
                message = f"duplicate key {key[-1]!r} (first at line {doc.key_positions[key][0]})"
            else:
                doc.key_positions[key] = where
                result[key_node.value] = _build(value_node, key, doc, problems)
                continue
            problems.append(Problem(doc.file, message, *where))
        return result
    if node.tag == _TAG + "value":  # a bare '=', which SafeLoader cannot construct at all
        return node.value
    try:
        value = _CONSTRUCTOR.yaml_constructors[node.tag](_CONSTRUCTOR, node)
    except (ValueError, ArithmeticError, LookupError, TypeError, AttributeError) as error:
        # Explicit tags (`!!bool maybe`) feed the constructors text their regexes never saw.
        detail = f": {error}" if type(error) is ValueError else ""
        kind = _KINDS.get(node.tag.removeprefix(_TAG), "that type")
        problems.append(Problem(doc.file, f"cannot read {node.value!r} as {kind}{detail}", *where))
        return None
    if isinstance(value, bool):
        doc.booleans[path] = node.value
    return value


_DATE = "a date (YYYY-MM-DD)"
_EXPECTED = {
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_from_float": "an integer",
    "float_type": "a number",
    "float_parsing": "a number",
    "string_type": "a string",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "none_required": "null",
}
_COMPARISONS = {
    "greater_than": ">",
    "greater_than_equal": ">=",
    "less_than": "<",
    "less_than_equal": "<=",
}
_PATTERNS = {  # keyed by the patterns in nato_sim.scenario.schema
    r"^[A-Z]{3}$": "an ISO 3166-1 alpha-3 code such as 'NOR'",
    r"^[a-z][a-z0-9-]*$": "a lowercase slug such as 'rutte'",
    r"^[a-z][a-z0-9_-]*$": "a lowercase tag such as 'nordic'",
    r"^[a-z0-9][a-z0-9.-]*$": "a claim id such as 'nato-2024.3'",
}


def _expected(error: dict[str, Any]) -> str | None:
    """What a type or constraint error wanted, phrased for `expected X, got Y`."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "literal_error":
        return ctx.get("expected")
    if kind in _COMPARISONS:
        return f"a number {_COMPARISONS[kind]} {next(iter(ctx.values()), '?')}"
    if kind == "string_pattern_mismatch":
        return _PATTERNS.get(ctx.get("pattern"), f"text matching {ctx.get('pattern')}")
    return _EXPECTED.get(kind)


def _message(error: dict[str, Any], key: str | int | None) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return f"missing required key {key!r}"
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        limit = ctx.get("min_length", ctx.get("max_length"))
        unit = "character" if kind.startswith("string") else "item"
        return (
            f"expected {'at least' if 'short' in kind else 'at most'} {limit} {unit}"
            f"{'s' if limit != 1 else ''}, got {ctx.get('actual_length', '?')}"
        )
    if kind in ("value_error", "assertion_error"):
        return re.sub(r"^(Value error|Assertion failed), ", "", error["msg"])
    expected = _expected(error)
    got = repr(error["input"]) if kind == "string_pattern_mismatch" else _describe(error["input"])
    return f"expected {expected}, got {got}" if expected else error["msg"]


def _lookup(data: Any, path: KeyPath) -> Any:
    for part in path:
        in_dict = isinstance(data, dict) and isinstance(part, str) and part in data
        if not in_dict and not (
            isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        ):
            return _MISSING
        data = data[part]
    return data


def _real_path(error: dict[str, Any], data: Any) -> tuple[KeyPath, int | None, bool]:
    """Keep the loc parts that are keys or indexes of the data.

    Also return where a union member's tag (such as 'TagSelector' or 'list[...]') was dropped
    and whether that member got further into the value than the tag.
    """
    path: KeyPath = ()
    union_at, deeper, loc = None, False, error["loc"]
    for index, part in enumerate(loc):
        if (
            error["type"] == "missing"
            and index == len(loc) - 1
            or _lookup(data, path + (part,)) is not _MISSING
        ):
            path += (part,)
        elif part != "[key]" and union_at is None:
            union_at, deeper = len(path), index < len(loc) - 1
    return path, union_at, deeper


def _models_at(annotation: Any, path: KeyPath) -> list[type[BaseModel]]:
    """The pydantic models that may describe the mapping at `path` below `annotation`."""
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    is_model = isinstance(annotation, type) and issubclass(annotation, BaseModel)
    if origin is typing.Annotated:
        return _models_at(args[0], path)
    if origin in (typing.Union, types.UnionType):
        return [model for arg in args for model in _models_at(arg, path)]
    if not path:
        return [annotation] if is_model else []
    if origin is list and isinstance(path[0], int):
        return _models_at(args[0], path[1:])
    if origin is dict and isinstance(path[0], str):
        return _models_at(args[1], path[1:])
    info = annotation.model_fields.get(str(path[0])) if is_model else None
    return _models_at(info.annotation, path[1:]) if info else []


def _unknown_key_hint(path: KeyPath, model: type[BaseModel], known: set[str]) -> str | None:
    allowed: list[str] = []
    for found in _models_at(model, path[:-1]):
        # A model lacking one of the keys it accepted is not the one that was used here.
        if known <= set(found.model_fields):
            allowed += [name for name in found.model_fields if name not in allowed]
    if not allowed:
        return None
    close = difflib.get_close_matches(str(path[-1]), allowed, n=1)
    return f"did you mean {close[0]!r}?" if close else "expected one of: " + ", ".join(allowed)


def _bool_hint(doc: ParsedYaml, path: KeyPath) -> str | None:
    text = doc.booleans.get(path)
    # PyYAML's other bool words (yes/no/on/off, any case) are rarely meant as booleans.
    if not isinstance(_lookup(doc.data, path), bool) or text in (None, "true", "false"):
        return None
    hint = f"YAML read {text} as a boolean; quote it ('{text}')"
    # NO (Norway) is the one ISO 3166 alpha-2 code that YAML 1.1 reads as a bool.
    return hint + " or use the three-letter code, e.g. NOR" if text.lower() == "no" else hint


def problems_from_validation(
    error: ValidationError, doc: ParsedYaml, model: type[BaseModel] | None = None
) -> list[Problem]:
    """Turn a pydantic ValidationError into one located, readable Problem per error.

    Args:
        error: raised by validating `doc.data`.
        doc: the parsed file, for positions and the source text of booleans.
        model: the model validated, to suggest allowed keys; default Scenario.

    Returns:
        The problems, sorted by position, without repeats.
    """
    if model is None:
        from nato_sim.scenario.schema import Scenario

        model = Scenario
    errors = [(err, *_real_path(err, doc.data)) for err in error.errors()]
    # When one member of a union got further into the value, that is the one the user meant:
    # drop the other members' complaints about the value as a whole.
    deep = {path[:at] for _, path, at, deeper in errors if deeper}
    extras = {path for err, path, _, _ in errors if err["type"] == "extra_forbidden"}
    merged: dict[KeyPath, list[str]] = {}  # the union members' "expected X" at one path
    problems: list[Problem] = []
    for err, path, at, deeper in errors:
        expected, shallow = _expected(err), at is not None and not deeper
        if shallow and path in deep:
            continue
        if shallow and expected:
            if path in merged:
                merged[path].append(expected)
                continue
            merged[path] = [expected]
        hint = _bool_hint(doc, path)
        line, col = doc.location(path)
        if err["type"] == "extra_forbidden" or "[key]" in err["loc"]:
            line, col = doc.key_positions.get(path, (line, col))
        if err["type"] == "extra_forbidden":
            parent = _lookup(doc.data, path[:-1]) if path else None
            parent = parent if isinstance(parent, dict) else None
            known = {k for k in parent or () if path[:-1] + (k,) not in extras}
            hint, message = _unknown_key_hint(path, model, known), f"unknown key {path[-1]!r}"
        else:
            message = _message(err, path[-1] if path else None)
        problems.append(Problem(doc.file, message, line, col, path, hint))
    result: list[Problem] = []
    for problem in problems:
        if len(merged.get(problem.path, ())) > 1:
            *most, last = merged.pop(problem.path)
            got = _describe(_lookup(doc.data, problem.path))
            message = f"expected {', '.join(most)} or {last}, got {got}"
            problem = Problem(
                problem.file, message, problem.line, problem.column, problem.path, problem.hint
            )
        if all((p.path, p.message) != (problem.path, problem.message) for p in result):
            result.append(problem)
    return sorted(result, key=lambda p: (p.line or 0, p.column or 0))
