"""`--set path=value` overrides, applied to a scenario's raw data before validation.

A path is dotted: `decision.min_support`, `support.candidates.rutte.members.USA`. In the
lists of members, candidates and objections an entry is named by its id
(`objections.tur-rutte.lift`) or by its 0-based position (`objections.0.lift`). Values are
read as YAML, so `0.6`, `{uniform: [0.2, 0.4]}` and `[USA, DEU]` all work, under the rules of
scenario files: no anchors or aliases, no tags that name other types, no base-60 numbers.

Where the format offers alternatives (`decision.rounds` or `decision.deadline`; a calendar's
`meetings` or `start` and `round_days`; ...), setting one removes the others from the file's
data, so `--set decision.rounds=20` replaces a deadline. Two overrides that set both sides
are both kept, and validation reports the clash at them.
"""

from __future__ import annotations

import copy
import difflib
import types
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from nato_sim.errors import ScenarioError, UsageError
from nato_sim.scenario.schema import (
    Calendar,
    Decision,
    Milestone,
    Preference,
    Scenario,
    TagSelector,
)
from nato_sim.scenario.yamlsource import parse_value

# The keys of a model that exclude each other: setting a key of one group removes the keys of
# the other groups of its family (docs/format.md, Overrides).
ALTERNATIVES: dict[type[BaseModel], tuple[tuple[frozenset[str], ...], ...]] = {
    Decision: ((frozenset({"rounds"}), frozenset({"deadline"})),),
    Calendar: ((frozenset({"meetings"}), frozenset({"start", "round_days"})),),
    Milestone: ((frozenset({"date"}), frozenset({"round"})),),
    Preference: (
        (frozenset({"for"}), frozenset({"without"})),
        (frozenset({"set"}), frozenset({"add"})),
    ),
    TagSelector: ((frozenset({"tag"}), frozenset({"without"})),),
}


def replaced_alternatives(model: type[BaseModel], key: str) -> frozenset[str]:
    """The keys of `model` that setting `key` replaces: those of the other alternatives."""
    replaced: set[str] = set()
    for family in ALTERNATIVES.get(model, ()):
        if any(key in group for group in family):
            replaced.update(k for group in family if key not in group for k in group)
    return frozenset(replaced)


@dataclass(frozen=True)
class Override:
    """One parsed `--set`: the written text, its key path and its value."""

    text: str
    path: tuple[str, ...]
    value: Any


def parse_override(text: str) -> Override:
    """Parse `path=value`; raise UsageError when it is not of that form."""
    path_text, sep, value_text = text.partition("=")
    path = tuple(path_text.strip().split("."))
    if not sep or not all(path):
        raise UsageError(f"--set {text!r}: expected PATH=VALUE, e.g. decision.min_support=0.6")
    try:
        value = parse_value(value_text, "the value") if value_text.strip() else None
    except ScenarioError as error:
        raise UsageError(f"--set {text!r}: {_reason(error)}") from None
    if value is None:
        raise UsageError(f"--set {text!r}: no value given")
    return Override(text, path, value)


def _reason(error: ScenarioError) -> str:
    """Why a value cannot be read, in one line: its problems without their positions (a value
    is one line, and libyaml counts the end of the text as a line of its own)."""
    syntax = [p for p in error.problems if p.message.startswith("YAML syntax error: ")]
    if syntax:
        detail = syntax[0].message.removeprefix("YAML syntax error: ")
        return f"the value is not valid YAML ({detail})"
    reasons = [p.message + (f" ({p.hint})" if p.hint else "") for p in error.problems]
    return "the value: " + "; ".join(reasons)


def apply_overrides(data: dict, overrides: list[Override]) -> tuple[dict, dict]:
    """A copy of `data` with the overrides applied.

    Only the mappings and lists along the overrides' paths are copied: a copy of the whole
    would cost more than reading a large file did.

    Returns:
        The new data, and a map from each overridden key path (with list positions as
        ints) to the override text that set it, so errors can point at the override.
    Raises:
        UsageError: a path names no field of the scenario format.
    """
    data = copy.copy(data)
    where: dict[tuple[str | int, ...], str] = {}
    for override in overrides:
        resolved = _resolve(data, override, set(where))
        where[resolved] = override.text
    return data, where


def _resolve(
    data: dict, override: Override, set_before: set[tuple[str | int, ...]]
) -> tuple[str | int, ...]:
    node: Any = data
    annotation: Any = Scenario
    resolved: list[str | int] = []
    for depth, key in enumerate(override.path):
        last = depth == len(override.path) - 1
        annotation = _unwrap(annotation)
        if isinstance(node, dict):
            # In a union of models (an `until` condition, {tag: ...}) the key picks the model.
            annotation = _model_with_field(annotation, key) or annotation
        shown = ".".join(override.path[: depth + 1])
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields = annotation.model_fields
            if key not in fields:
                close = difflib.get_close_matches(key, list(fields), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
                raise UsageError(
                    f"--set {override.text!r}: {shown!r} names no field"
                    f" (expected one of: {', '.join(fields)}){hint}"
                )
            next_annotation = fields[key].annotation
            if not isinstance(node, dict):
                raise UsageError(f"--set {override.text!r}: {shown!r} is not a mapping here")
            # The alternatives this key replaces go, unless an earlier override set them:
            # then both stay, for validation to report the clash at the overrides.
            for other in replaced_alternatives(annotation, key):
                if other in node and (*resolved, other) not in set_before:
                    del node[other]
            if last:
                node[key] = override.value
            elif node.get(key) is None:
                node[key] = {} if not _is_list(next_annotation) else []
            node = _own(node, key)
            annotation = next_annotation
            resolved.append(key)
        elif typing.get_origin(annotation) is list:
            if not isinstance(node, list):
                raise UsageError(f"--set {override.text!r}: {shown!r} is not a list here")
            position = _find_entry(node, key, override.text, shown)
            if last:
                node[position] = override.value
            node = _own(node, position)
            annotation = typing.get_args(annotation)[0]
            resolved.append(position)
        elif typing.get_origin(annotation) is dict:
            if not isinstance(node, dict):
                raise UsageError(f"--set {override.text!r}: {shown!r} is not a mapping here")
            if last:
                node[key] = override.value
            elif node.get(key) is None:
                node[key] = {}
            node = _own(node, key)
            annotation = typing.get_args(annotation)[1]
            resolved.append(key)
        else:
            parent = ".".join(override.path[:depth])
            raise UsageError(
                f"--set {override.text!r}: {parent!r} is a value, it has no field {key!r}"
            )
    return tuple(resolved)


def _own(node: Any, key: str | int) -> Any:
    """`node[key]`, first replaced by a copy when it is a mapping or a list: what an override
    changes in it then changes neither the data given nor an earlier override's value."""
    child = node[key]
    if isinstance(child, (dict, list)):
        child = node[key] = copy.copy(child)
    return child


def _find_entry(entries: list, key: str, text: str, shown: str) -> int:
    """Position of the list entry named by id or by 0-based index."""
    ids = [e.get("id") for e in entries if isinstance(e, dict)]
    for position, entry in enumerate(entries):
        if isinstance(entry, dict) and str(entry.get("id")) == key:
            return position
    if key.isdigit() and int(key) < len(entries):
        return int(key)
    close = difflib.get_close_matches(key, [str(i) for i in ids if i is not None], n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise UsageError(
        f"--set {text!r}: no entry {shown!r} (entries are named by id or 0-based position){hint}"
    )


def _model_with_field(annotation: Any, key: str) -> type[BaseModel] | None:
    """The one model of a union that has the field `key`, if there is exactly one."""
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType):
        return None
    models = [
        a
        for a in typing.get_args(annotation)
        if isinstance(a, type) and issubclass(a, BaseModel) and key in a.model_fields
    ]
    return models[0] if len(models) == 1 else None


def field_annotation(path: tuple[str, ...]) -> Any:
    """The type a valid key path leads to in the scenario format (Annotated, Optional off).

    List entries may be named by id or position and mapping keys are free, so only the
    model fields along the path matter.
    """
    annotation: Any = Scenario
    for key in path:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            annotation = annotation.model_fields[key].annotation
        elif typing.get_origin(annotation) in (list, dict):
            annotation = typing.get_args(annotation)[-1]
        else:
            return None
    return _unwrap(annotation)


def _is_list(annotation: Any) -> bool:
    return typing.get_origin(_unwrap(annotation)) is list


def _unwrap(annotation: Any) -> Any:
    """Strip Annotated and Optional to reach the type a path walks into."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            options = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [a for a in options if isinstance(a, type) and issubclass(a, BaseModel)]
            structured = [a for a in options if typing.get_origin(a) in (list, dict)]
            if len(options) == 1:
                annotation = options[0]
            elif len(models) == 1 and not structured:
                annotation = models[0]
            else:
                return annotation
        else:
            return annotation
