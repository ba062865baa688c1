"""Checks of the arguments of a run, for callers who pass them from Python.

The command line's options are typed by Typer; a notebook may pass anything, so each check
raises a UsageError that says what was expected instead of letting a TypeError surface deep
inside numpy or the process pool.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

from nato_sim.errors import UsageError

MAX_TRIALS = 10**9


def _is_whole(value: Any) -> bool:
    """True for int and numpy integers, not for bool (True is no count of trials)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _float_hint(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return f" (write it as an int: {int(value):_}, not {value!r})"
    return ""


def check_count(name: str, value: Any, low: int = 1, high: int | None = None) -> int:
    """`value` as an int in [low, high]; a UsageError naming `name` otherwise."""
    if _is_whole(value) and value >= low and (high is None or value <= high):
        return int(value)
    bounds = f"from {low:,} to {high:,}" if high is not None else f"at least {low:,}"
    raise UsageError(f"{name} must be a whole number {bounds}, got {value!r}{_float_hint(value)}")


def check_trials(trials: Any) -> int:
    """The number of trials as an int from 1 to `MAX_TRIALS`."""
    return check_count("trials", trials, 1, MAX_TRIALS)


def check_workers(workers: Any) -> int | None:
    """A number of worker processes (at least 1), or None for all cores."""
    if workers is None or (_is_whole(workers) and workers >= 1):
        return None if workers is None else int(workers)
    raise UsageError(
        "workers must be a whole number of processes, at least 1, or None for all cores; "
        f"got {workers!r}{_float_hint(workers)}"
    )


def check_precision(precision: Any) -> float | None:
    """An interval half-width strictly between 0 and 0.5, or None."""
    if precision is None:
        return None
    if (
        isinstance(precision, numbers.Real)
        and not isinstance(precision, bool)
        and 0 < float(precision) < 0.5
    ):
        return float(precision)
    raise UsageError(f"precision must be a number between 0 and 0.5, got {precision!r}")


def check_callback(name: str, function: Any) -> Callable | None:
    """A callable or None."""
    if function is None or callable(function):
        return function
    raise UsageError(f"{name} must be a function or None, got {function!r}")
