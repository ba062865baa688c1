"""The inputs of a sensitivity analysis, each named by its ``--set`` path.

By default every uncertain value of the scenario (each ``{uniform: [lo, hi]}`` and
``{beta: [a, b]}``) is an input, over the distribution the scenario states; ``--vary
PATH=LO:HI`` adds a fixed value as an input uniform over [LO, HI], or replaces an uncertain
value's distribution by that range. A design point is a vector u in the unit cube; input j
takes the value of quantile u_j of its distribution (`Input.values`), so the analysis is of
the scenario's own uncertainty. A field of whole numbers (``after``, ``enters``, ``rounds``)
takes each whole value from LO to HI with equal chance.
"""

from __future__ import annotations

import math
import types
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import BaseModel

from nato_sim.errors import ScenarioError, UsageError
from nato_sim.scenario.loader import with_overrides
from nato_sim.scenario.overrides import Override, apply_overrides, field_annotation
from nato_sim.scenario.schema import Beta, Scenario, Uniform

# A beta input's values stay this far inside (0, 1) in quantile: Morris' design puts points
# at the ends of the unit cube, where the quantile of a beta is exactly 0 or 1, which a
# weight may not be.
BETA_MARGIN = 1e-6
EXAMPLE = "e.g. objections.tur-rutte.lift=0:0.5"


@dataclass(frozen=True)
class Input:
    """One input: its path, its distribution and where it comes from.

    `low` and `high` bound its values (0 and 1 for a beta); `beta` holds (a, b) for a beta
    input; `origin` is ``scenario`` (an uncertain value as written) or ``--vary``.
    """

    path: str
    low: float
    high: float
    beta: tuple[float, float] | None = None
    integer: bool = False
    origin: str = "scenario"

    @property
    def distribution(self) -> str:
        """How it is written: ``uniform [lo, hi]``, ``beta [a, b]``, ``whole lo..hi``."""
        if self.beta is not None:
            return f"beta [{self.beta[0]:g}, {self.beta[1]:g}]"
        if self.integer:
            return f"whole {int(self.low)}..{int(self.high)}"
        return f"uniform [{self.low:g}, {self.high:g}]"

    def values(self, unit: np.ndarray) -> np.ndarray:
        """The values at quantiles `unit` (numbers in [0, 1]) of the input's distribution."""
        unit = np.asarray(unit, dtype=float)
        if self.integer:
            span = self.high - self.low + 1
            return np.minimum(self.high, self.low + np.floor(unit * span))
        if self.beta is not None:
            from scipy.special import betaincinv

            inside = np.clip(unit, BETA_MARGIN, 1 - BETA_MARGIN)
            return betaincinv(self.beta[0], self.beta[1], inside)
        return self.low + unit * (self.high - self.low)

    def override(self, value: float) -> Override:
        """The ``--set`` that holds the input at `value`."""
        number: float | int = int(value) if self.integer else float(value)
        return Override(f"{self.path}={number!r}", tuple(self.path.split(".")), number)


def uncertain_values(scenario: Scenario) -> list[Input]:
    """Every uncertain value of a scenario, in the order of the file's fields."""
    found: list[Input] = []

    def walk(node: Any, keys: tuple[str, ...]) -> None:
        if isinstance(node, Uniform):
            low, high = node.uniform
            found.append(Input(".".join(keys), float(low), float(high)))
        elif isinstance(node, Beta):
            a, b = node.beta
            found.append(Input(".".join(keys), 0.0, 1.0, beta=(float(a), float(b))))
        elif isinstance(node, BaseModel):
            for name in type(node).model_fields:
                walk(getattr(node, name), (*keys, name))
        elif isinstance(node, (list, tuple)):
            for position, entry in enumerate(node):
                walk(entry, (*keys, _entry_name(entry, position)))
        elif isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*keys, str(key)))

    walk(scenario, ())
    return found


def _entry_name(entry: Any, position: int) -> str:
    """A list entry as a path names it: by id when it has one, else by position."""
    if isinstance(entry, dict):
        entry_id = entry.get("id")
    else:
        entry_id = getattr(entry, "id", None)
    return str(entry_id) if isinstance(entry_id, str) else str(position)


def parse_range(text: str) -> tuple[str, float, float]:
    """Split ``PATH=LO:HI``; raise UsageError when it is not of that form."""
    path, sep, spec = text.partition("=")
    parts = spec.split(":")
    if not sep or not path.strip() or len(parts) != 2:
        hint = (
            " (a sensitivity analysis takes a range LO:HI, not a sweep's START:STOP:STEPS)"
            if len(parts) == 3
            else ""
        )
        raise UsageError(f"--vary {text!r}: expected PATH=LO:HI, {EXAMPLE}{hint}")
    try:
        low, high = float(parts[0]), float(parts[1])
    except ValueError:
        raise UsageError(f"--vary {text!r}: LO and HI must be numbers, {EXAMPLE}") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise UsageError(f"--vary {text!r}: LO and HI must be finite numbers")
    if not low < high:
        raise UsageError(
            f"--vary {text!r}: LO must be below HI (to hold a value fixed, use --set {path}=...)"
        )
    return path.strip(), low, high


def _numeric_kind(keys: tuple[str, ...]) -> type | None:
    """int or float for a numeric field (an uncertain value counts as its number), else None."""
    annotation = field_annotation(keys)
    options = (
        typing.get_args(annotation)
        if typing.get_origin(annotation) in (typing.Union, types.UnionType)
        else (annotation,)
    )
    for option in options:
        while typing.get_origin(option) is typing.Annotated:
            option = typing.get_args(option)[0]
        if option in (int, float) and option is not bool:
            return option
    return None


def _canonical(data: dict, resolved: tuple[str | int, ...]) -> str:
    """The path of a resolved key path with list entries named by id where they have one."""
    node: Any = data
    names = []
    for key in resolved:
        names.append(_entry_name(node[key], key) if isinstance(key, int) else key)
        node = node[key]
    return ".".join(names)


def vary_input(scenario: Scenario, text: str) -> Input:
    """One ``--vary PATH=LO:HI``, checked against the scenario: its path names a number
    field, and both ends of the range are allowed values of that field."""
    path, low, high = parse_range(text)
    keys = tuple(path.split("."))
    data = scenario.model_dump(mode="python", exclude_none=True)
    try:
        changed, where = apply_overrides(data, [Override(f"{path}={low!r}", keys, low)])
    except UsageError as error:
        reason = str(error).split(": ", 1)[-1]
        raise UsageError(f"--vary {text!r}: {reason}") from None
    kind = _numeric_kind(keys)
    if kind is None:
        raise UsageError(
            f"--vary {text!r}: {path!r} is not a number field; --vary takes probabilities, "
            "weights, supports and round numbers"
        )
    integer = kind is int
    if integer and (low != round(low) or high != round(high)):
        raise UsageError(f"--vary {text!r}: {path!r} takes whole numbers; give whole LO and HI")
    name = _canonical(changed, next(iter(where)))
    made = Input(name, low, high, integer=integer, origin="--vary")
    for end in (low, high):
        try:
            with_overrides(scenario, [made.override(end)])
        except ScenarioError as error:
            reasons = "; ".join(p.message for p in error.problems)
            raise UsageError(
                f"--vary {text!r}: {end:g} is outside the allowed values of {name} ({reasons})"
            ) from None
    return made


def find_inputs(scenario: Scenario, vary: Sequence[str]) -> list[Input]:
    """The inputs: the scenario's uncertain values, with the ``--vary`` ranges added or put
    in place of the distribution of the same value.

    Raises:
        UsageError: a malformed ``--vary``, a path that names no number field, a range
            outside the field's allowed values, a value varied twice, or no input at all.
    """
    inputs = {i.path: i for i in uncertain_values(scenario)}
    varied: dict[str, str] = {}
    for text in vary:
        made = vary_input(scenario, text)
        if made.path in varied:
            raise UsageError(
                f"--vary {text!r} names {made.path}, which --vary {varied[made.path]!r} "
                "already varies"
            )
        varied[made.path] = text
        inputs[made.path] = made
    if not inputs:
        raise UsageError(
            "the scenario has no uncertain value ({uniform: [lo, hi]} or {beta: [a, b]}) to "
            f"analyse; name the values to vary with --vary PATH=LO:HI, {EXAMPLE}"
        )
    found = list(inputs.values())
    _check_corners(scenario, found)
    return found


def _check_corners(scenario: Scenario, inputs: list[Input]) -> None:
    """Every input at its lowest value, then at its highest, must make a valid scenario."""
    for end, label in ((0.0, "lowest"), (1.0, "highest")):
        overrides = [i.override(i.values(np.array([end]))[0]) for i in inputs]
        try:
            with_overrides(scenario, overrides)
        except ScenarioError as error:
            reasons = "; ".join(p.message for p in error.problems)
            raise UsageError(
                f"the inputs at their {label} values together make an invalid scenario "
                f"({reasons}); narrow the --vary ranges"
            ) from None


def point_overrides(inputs: Sequence[Input], values: Sequence[float]) -> list[Override]:
    """The ``--set`` overrides of one design point (a value per input)."""
    return [i.override(v) for i, v in zip(inputs, values, strict=True)]
