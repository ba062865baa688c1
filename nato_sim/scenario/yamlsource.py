"""Safe YAML reading that remembers where every value came from.

PyYAML only parses here: the Python data is built from its events by hand, so that duplicate
keys, anchors, aliases, tags, complex keys and base-60 numbers are refused with a position,
and an alias bomb is never expanded. Every problem becomes a :class:`Problem`.

The events come from libyaml when PyYAML is built with it (its wheels are): a file at the
size cap then reads in a fraction of a second, where PyYAML's own parser takes several.
Syntax errors are then worded by libyaml; without it, by PyYAML.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import gc
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from yaml.composer import ComposerError
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from nato_sim.errors import Problem, ScenarioError

MAX_BYTES = 1_000_000
MAX_DEPTH = 100  # deeper nesting would exhaust Python's stack in the reader
# Values (scalars, lists and mappings) in a file: a scenario at every size limit holds about
# 18,000; reading stops here, so that no file within MAX_BYTES takes a second to refuse.
MAX_VALUES = 100_000
MAX_PROBLEMS = 20  # an alias bomb has ~100 aliases; nobody reads past the first few
TRACKED_DEPTH = 12  # positions are kept this deep: the format nests 7 levels at most

KeyPath = tuple[str | int, ...]
Position = tuple[int, int]

_TAG = "tag:yaml.org,2002:"
_SCALARS = {_TAG + name for name in ("null", "bool", "int", "float", "str", "timestamp", "value")}
_STR, _NULL, _MAP, _SEQ = (_TAG + name for name in ("str", "null", "map", "seq"))
_INT, _FLOAT = _TAG + "int", _TAG + "float"
_NUMBERS = {_INT, _FLOAT}
_KINDS = {"int": "an integer", "float": "a number", "bool": "a boolean", "timestamp": "a date"}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_RESOLVER = Resolver()
_LIMITS = "see 'Limits' in docs/format.md"
# The lists whose length the format limits (the keys they sit under).
_LIMITED = {"members", "candidates", "objections", "milestones", "tags", "until"}
# Control characters and the controls that reorder text on screen: never in a key.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNREADABLE = (ValueError, ArithmeticError, LookupError, TypeError, AttributeError)
_MISSING = object()


@dataclass
class ParsedYaml:
    """A parsed YAML file.

    Mapping keys are always strings: the key's text as written (so `NO:` is the key 'NO').
    `positions` maps each key path to the 1-based (line, column) of its VALUE node, where a
    bad value is; `key_positions` maps it to the key node, where an unknown or duplicate key
    is. `booleans` keeps the source text of every scalar that YAML read as a bool. All three
    go down to TRACKED_DEPTH keys, deeper than the format nests.
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


class _TooMany(Exception):
    pass


if getattr(yaml, "__with_libyaml__", False):
    from yaml._yaml import CParser as _Parser
else:  # PyYAML built without libyaml: slower, and syntax errors in PyYAML's words

    class _Parser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):  # type: ignore[no-redef]
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)

        def dispose(self) -> None:
            pass


@contextlib.contextmanager
def _collector_paused():
    """Pause the cycle collector: a large file is a few hundred thousand objects, none in a
    cycle, and collecting again and again while they pile up costs more than reading them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Reader:
    """Python data straight from the parser's events, each value's position recorded.

    A value that cannot be taken (under an unsupported tag or a refused key) is read through
    all the same, to refuse the anchors and aliases in it, but not built. Positions are kept
    down to TRACKED_DEPTH, below anything the format nests: deeper, a value is wrong as a
    whole, and the longest path with a position locates it.
    """

    def __init__(self, text: str, doc: ParsedYaml) -> None:
        # Any: the parser's events are of several classes, told apart by their type.
        self.parser: Any = _Parser(text)
        self.doc = doc
        # Problems found while building (void after a syntax error), and the anchors and
        # aliases refused. Each arrives in file order: the first MAX_PROBLEMS of each are all
        # that can be shown, the others are only counted.
        self.problems: list[Problem] = []
        self.refused: list[tuple[Position, str]] = []
        self.more_problems = self.more_refused = 0
        self.depth = 0
        self.values = 0
        self.tags: dict[str, str] = {}  # the tag of each plain scalar text seen

    def problem(self, message: str, where: Position, path: KeyPath | None = None) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.doc.file, message, *where, path or ()))
        else:
            self.more_problems += 1

    def refuse(self, where: Position, name: str) -> None:
        if len(self.refused) < MAX_PROBLEMS:
            self.refused.append((where, name))
        else:
            self.more_refused += 1

    def read(self) -> tuple[bool, Any]:
        """Whether the stream holds a value (not just comments or a lone `---`), and it.

        Raises:
            yaml.YAMLError: a syntax error, or more than one document.
            _TooDeep: nesting deeper than MAX_DEPTH.
            _TooMany: more than MAX_VALUES values.
        """
        parser = self.parser
        try:
            parser.get_event()  # the stream's start
            if parser.check_event(StreamEndEvent):
                return False, None
            start = parser.get_event()  # the document's start
            first = parser.get_event()
            value = self.value(first, (), True)
            parser.get_event()  # the document's end
            if not parser.check_event(StreamEndEvent):
                event = parser.get_event()
                raise ComposerError(
                    "expected a single document in the stream",
                    start.start_mark,
                    "but found another document",
                    event.start_mark,
                )
        finally:
            parser.dispose()
        # Nothing but comments, or an alias in place of everything: no value to speak of.
        kind = type(first)
        empty = kind is AliasEvent or (
            kind is ScalarEvent and first.value == "" and self.tag(first, _STR) == _NULL
        )
        return not empty, value

    # The methods below run once per event of the file: they are written for speed.

    def value(self, event: Any, path: KeyPath | None, build: bool) -> Any:
        """Read the value that `event` starts; build it when `build`. `path` is None below
        TRACKED_DEPTH."""
        mark = event.start_mark
        where = (mark.line + 1, mark.column + 1)
        if build and path is not None:
            self.doc.positions[path] = where
        self.values += 1
        if self.values > MAX_VALUES:
            raise _TooMany(where)
        kind = type(event)
        if kind is AliasEvent:
            # Never look the alias up: reading on keeps the work linear in the file size.
            self.refuse(where, f"*{event.anchor}")
            return None
        if event.anchor is not None:
            self.refuse(where, f"&{event.anchor}")
        if self.depth >= MAX_DEPTH:
            raise _TooDeep(where)
        if kind is ScalarEvent:
            if not build:
                return None
            if event.tag is None and event.implicit[0]:
                tag = self.tags.get(event.value) or self.tag(event, _STR)
            else:
                tag = self.tag(event, _STR)
            return event.value if tag == _STR else self.scalar(event, tag, path, where)
        # No `finally`: an exception ends the reading, and the depth with it.
        self.depth += 1
        if kind is SequenceStartEvent:
            value = self.sequence(event, path, where, build)
        else:
            value = self.mapping(event, path, where, build)
        self.depth -= 1
        return value

    def sequence(self, event: Any, path: KeyPath | None, where: Position, build: bool) -> Any:
        tag = self.tag(event, _SEQ)
        if build and tag != _SEQ:
            self.unsupported(tag, where)
            build = False
        tracked = path is not None and len(path) < TRACKED_DEPTH
        get = self.parser.get_event
        items: list[Any] = []
        while True:
            event = get()
            if type(event) is SequenceEndEvent:
                return items if build else None
            item_path = path + (len(items),) if tracked and path is not None else None
            items.append(self.value(event, item_path, build))

    def mapping(self, event: Any, path: KeyPath | None, where: Position, build: bool) -> Any:
        tag = self.tag(event, _MAP)
        if build and tag != _MAP:
            self.unsupported(tag, where)
            build = False
        tracked = path is not None and len(path) < TRACKED_DEPTH
        get = self.parser.get_event
        result: dict[str, Any] = {}
        lines: dict[str, int] = {}  # the line of each key taken
        key_positions = self.doc.key_positions
        while True:
            key = get()
            kind = type(key)
            if kind is MappingEndEvent:
                return result if build else None
            mark = key.start_mark
            where = (mark.line + 1, mark.column + 1)
            if self.depth >= MAX_DEPTH and kind is not AliasEvent:
                raise _TooDeep(where)
            name, message = self.key(key, where, build, lines)
            if name is None:
                if build and message is not None:
                    self.problem(message, where)
                self.value(get(), None, False)
                continue
            lines[name] = where[0]
            key_path = path + (name,) if tracked and path is not None else None
            if key_path is not None:
                key_positions[key_path] = where
            result[name] = self.value(get(), key_path, True)

    def key(
        self, key: Any, where: Position, build: bool, lines: dict[str, int]
    ) -> tuple[str | None, str | None]:
        """The name of the key that `key` starts, when its value is to be built; else None
        and what is wrong with it (None when nothing is: the value is just not built)."""
        kind = type(key)
        if kind is ScalarEvent and key.tag is None and key.anchor is None:  # the usual key
            name = key.value
            key_tag = self.tags.get(name) or self.tag(key, _STR)
        elif kind is MappingStartEvent or kind is SequenceStartEvent:
            self.value(key, None, False)
            shape = "a mapping" if kind is MappingStartEvent else "a list"
            return None, f"a key must be a plain value, got {shape}"
        elif kind is AliasEvent:  # read as an empty key, like a null one
            self.refuse(where, f"*{key.anchor}")
            name, key_tag = "", _NULL
        else:
            if key.anchor is not None:
                self.refuse(where, f"&{key.anchor}")
            name, key_tag = key.value, self.tag(key, _STR)
        if not name.isprintable() and _CONTROL.search(name):
            # A path holds its keys as written, and problems print paths.
            code = ord(_CONTROL.search(name).group())  # type: ignore[union-attr]
            return (
                None,
                f"a key must be plain text, got {name!r} (U+{code:04X} is a control character)",
            )
        if key_tag == _TAG + "merge":
            return None, "merge keys (<<) are not allowed"
        if key_tag not in _SCALARS:
            return None, f"unsupported YAML tag {key_tag.replace(_TAG, '!!')!r}"
        if not build:
            return None, None
        if name in lines:
            return None, f"duplicate key {name!r} (first at line {lines[name]})"
        return name, None

    def tag(self, event: Any, default: str) -> str:
        """The event's tag, resolved by YAML 1.1's rules when implicit."""
        if event.tag not in (None, "!"):
            return event.tag
        if type(event) is not ScalarEvent:
            return default
        if not event.implicit[0]:
            return _STR
        tag = self.tags.get(event.value)
        if tag is None:
            tag = self.tags[event.value] = _RESOLVER.resolve(ScalarNode, event.value, (True, False))
        return tag

    def unsupported(self, tag: str, where: Position) -> None:
        self.problem(f"unsupported YAML tag {tag.replace(_TAG, '!!')!r}", where)

    def scalar(self, event: ScalarEvent, tag: str, path: KeyPath | None, where: Position) -> Any:
        """A scalar that is not plain text, built."""
        text = event.value
        if tag == _TAG + "value":  # a bare '=', which SafeLoader cannot build: text
            return text
        if tag not in _SCALARS:
            self.unsupported(tag, where)
            return None
        if ":" in text and tag in _NUMBERS:
            # YAML 1.1 reads 1:30 as 90 (1 * 60 + 30): a time or a ratio silently becomes a
            # count, and a valid one at that.
            self.base_60(text, tag, path, where)
            return None
        # Plain decimals, most numbers of a file, read as the constructors would read them.
        if text.isascii() and text.isdigit() and tag == _INT and (text[0] != "0" or text == "0"):
            return int(text)
        if (
            tag == _FLOAT
            and text.count(".") == 1
            and text.isascii()
            and text.replace(".", "").isdigit()
        ):
            return float(text)
        node = ScalarNode(tag, text)
        try:
            value = _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, node)
        except _UNREADABLE as error:
            self.unreadable(text, tag, error, where)
            return None
        if isinstance(value, bool) and path is not None:
            self.doc.booleans[path] = text
        return value

    def base_60(self, text: str, tag: str, path: KeyPath | None, where: Position) -> None:
        if len(self.problems) >= MAX_PROBLEMS:
            self.more_problems += 1  # not shown: spare the constructor and the message
            return
        try:
            value = _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, ScalarNode(tag, text))
        except _UNREADABLE as error:
            self.unreadable(text, tag, error, where)
            return
        message = (
            f"YAML 1.1 reads {text} as the base-60 number {value:g}; quote it ('{text}') "
            "if it is text, or write the number itself"
        )
        self.problem(message, where, path)

    def unreadable(self, text: str, tag: str, error: Exception, where: Position) -> None:
        # Explicit tags (`!!bool maybe`) feed the constructors text their regexes never saw.
        detail = f": {error}" if type(error) is ValueError else ""
        kind = _KINDS.get(tag.removeprefix(_TAG), "that type")
        self.problem(f"cannot read {text!r} as {kind}{detail}", where)


def _pos(mark: yaml.Mark) -> Position:
    return mark.line + 1, mark.column + 1


def _describe(value: Any) -> str:
    if isinstance(value, (dict, list)) or value is None:
        return "a mapping" if isinstance(value, dict) else "a list" if value is not None else "null"
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
            anchors or aliases, tags, complex or merge keys, bad dates, base-60 numbers, a
            non-mapping top).
    """
    doc = ParsedYaml(file, None)
    problems, unshown = _read(_decode(text, file), doc, "file")
    if doc.data is _MISSING:
        doc.data = None
        if not problems:
            problems.append(Problem(file, "the file is empty"))
    elif not isinstance(doc.data, dict):
        message = f"expected a mapping at the top level, got {_describe(doc.data)}"
        problems.append(Problem(file, message, *doc.positions[()]))
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))
        more = len(problems) + unshown - MAX_PROBLEMS
        if more > 0:
            problems[MAX_PROBLEMS:] = [Problem(file, f"{more} more problems not shown")]
        raise ScenarioError(problems)
    return doc


def _read(text: str, doc: ParsedYaml, what: str) -> tuple[list[Problem], int]:
    """Read `text` into `doc.data` (`_MISSING` when it holds no value).

    Returns:
        The first problems in file order (at least MAX_PROBLEMS of them, when there are as
        many), and how many more there are.
    `what` names the text in a problem: "file" or "value".
    """
    reader = _Reader(text, doc)
    doc.data = _MISSING
    with _collector_paused():
        try:
            found, value = reader.read()
        except yaml.YAMLError as error:
            problems, more = [_syntax_problem(error, doc.file)], 0
        except _TooDeep as error:
            message = f"the {what} is nested more than {MAX_DEPTH} levels deep"
            problems, more = [Problem(doc.file, message, *error.args[0])], 0
        except _TooMany as error:
            message = (
                f"the {what} holds more than {MAX_VALUES:,} values; a scenario within the "
                "format's limits holds far fewer"
            )
            line, column = error.args[0]
            problems, more = [Problem(doc.file, message, line, column, hint=_LIMITS)], 0
        else:
            problems, more = reader.problems, reader.more_problems
            if found:
                doc.data = value
    refused = [
        Problem(doc.file, "anchors and aliases are not allowed", line, column, hint=f"found {name}")
        for (line, column), name in reader.refused
    ]
    return refused + problems, more + reader.more_refused


def _syntax_problem(error: yaml.YAMLError, file: str) -> Problem:
    problem, context = getattr(error, "problem", None), getattr(error, "context", None)
    context_mark, mark = getattr(error, "context_mark", None), getattr(error, "problem_mark", None)
    message, hint = problem or str(error), None
    if context and message.startswith("but "):  # one sentence split in two
        message = f"{context}, {message}"
    elif context and context_mark:
        hint = f"{context} at line {context_mark.line + 1}"
    line, column = _pos(mark) if mark else (None, None)
    return Problem(file, f"YAML syntax error: {message}", line, column, hint=hint)


def parse_value(text: str, file: str) -> Any:
    """Read one YAML value, such as that of a `--set`, under the rules of a file.

    Args:
        text: the value as written.
        file: the name used in problems.

    Returns:
        The value; None when the text holds none.

    Raises:
        ScenarioError: with the problems found, as for a file (syntax, anchors or aliases,
            tags, base-60 numbers, ...).
    """
    bad = yaml.reader.Reader.NON_PRINTABLE.search(text)
    if bad:  # `_decode` would speak of a file
        message = f"the character U+{ord(bad.group()):04X} is not allowed in YAML"
        raise ScenarioError([Problem(file, message)])
    doc = ParsedYaml(file, None)
    problems, _ = _read(_decode(text, file), doc, "value")
    if problems:
        problems.sort(key=lambda p: (p.line or 0, p.column or 0))
        raise ScenarioError(problems[:MAX_PROBLEMS])
    return None if doc.data is _MISSING else doc.data


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


def _expected(error: Mapping[str, Any]) -> str | None:
    """What a type or constraint error wanted, phrased for `expected X, got Y`."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "literal_error":
        return ctx.get("expected")
    if kind in _COMPARISONS:
        return f"a number {_COMPARISONS[kind]} {next(iter(ctx.values()), '?')}"
    if kind == "string_pattern_mismatch":
        pattern = str(ctx.get("pattern"))
        return _PATTERNS.get(pattern, f"text matching {pattern}")
    return _EXPECTED.get(kind)


def _message(error: Mapping[str, Any], key: str | int | None) -> str:
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


def _real_path(error: Mapping[str, Any], data: Any) -> tuple[KeyPath, int | None, bool]:
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
        if err["type"] == "too_long" and path and path[-1] in _LIMITED:
            hint = _LIMITS
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
