"""How figures are written in text: percentages, intervals, differences and dates.

Every table, sentence and HTML cell formats its figures here, so a 95% interval reads the
same wherever it appears: `87.2–88.1%` for probabilities, `+1.2 to +3.4 pp` for differences.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from nato_sim.scenario.dates import PartialDate


def _number(value: float, digits: int, signed: bool) -> str:
    text = f"{value:{'+' if signed else ''}.{digits}f}"
    # A value that rounds to zero is written without a sign of its own: `+0.0`, not `-0.0`.
    if float(text) == 0:
        text = f"{0.0:{'+' if signed else ''}.{digits}f}"
    return text


def pct(value: float | None, digits: int = 1) -> str:
    """A probability as a percentage, `87.6%`; a dash for none."""
    return "–" if value is None else _number(100 * value, digits, False) + "%"


def pp(value: float | None, digits: int = 1) -> str:
    """A difference of probabilities in signed percentage points, `+2.3 pp`."""
    return "–" if value is None else _number(100 * value, digits, True) + " pp"


def signed(value: float | None, digits: int = 2) -> str:
    """A signed number, `-1.67`; a dash for none."""
    return "–" if value is None else _number(value, digits, True)


def interval(
    low: float | None,
    high: float | None,
    *,
    unit: str = "%",
    scale: float = 100.0,
    digits: int = 1,
    signed: bool = False,
) -> str:
    """A 95% interval: `87.2–88.1%` for probabilities, `+1.2 to +3.4 pp` for differences.

    Args:
        low, high: the bounds (probabilities unless `scale` says otherwise).
        unit: written once, after the upper bound (`%`, ` pp`, or nothing).
        scale: what the bounds are multiplied by before they are written.
        digits: decimals.
        signed: write signs (a difference); the bounds are then joined by ` to `, as they
            are whenever a bound is negative, so that a dash is never read as a minus.
    """
    if low is None or high is None:
        return "–"
    a = _number(scale * low, digits, signed)
    b = _number(scale * high, digits, signed)
    joint = " to " if signed or a.startswith("-") or b.startswith("-") else "–"
    return f"{a}{joint}{b}{unit}"


def pp_interval(low: float | None, high: float | None, digits: int = 1) -> str:
    """The interval of a difference of probabilities: `+1.2 to +3.4 pp`."""
    return interval(low, high, unit=" pp", digits=digits, signed=True)


def rounds_interval(low: float | None, high: float | None, digits: int = 2) -> str:
    """The interval of a difference of rounds: `-1.83 to -1.51`."""
    return interval(low, high, unit="", scale=1.0, digits=digits, signed=True)


def rounds_to_zero(value: float, *, scale: float = 100.0, digits: int = 1) -> bool:
    """Whether a value is written as zero at this precision (`+0.0 pp`)."""
    return float(f"{scale * value:.{digits}f}") == 0


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def long_date(value: dt.date | PartialDate) -> str:
    """`16 May 2024`; a month `May 2024`; a year `2024` (English whatever the locale)."""
    if isinstance(value, PartialDate):
        if value.month is None:
            return str(value.year)
        return f"{MONTHS[value.month - 1]} {value.year}"
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def param_text(value: Any) -> str:
    """A parameter as the scenario gives it: `0.5`, `uniform 0.6–0.95`, `beta(2, 5)`."""
    uniform = getattr(value, "uniform", None)
    if uniform is not None:
        return f"uniform {uniform[0]:g}–{uniform[1]:g}"
    beta = getattr(value, "beta", None)
    if beta is not None:
        return f"beta({beta[0]:g}, {beta[1]:g})"
    return f"{value:g}" if isinstance(value, (int, float)) else str(value)
