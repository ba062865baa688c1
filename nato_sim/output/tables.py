"""Tables for notebooks: tidy records, pandas DataFrames and HTML, of any result.

Every record carries its provenance (seed, trials, scenario hash, version) so a row copied
out of a notebook still says where it came from. pandas is an optional extra; the HTML
tables need nothing beyond the standard library.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from nato_sim.errors import UsageError


def require_pandas():
    """The pandas module, or a UsageError saying how to install it."""
    try:
        import pandas
    except ImportError:
        raise UsageError(
            "tables as DataFrames need pandas: pip install 'nato-sim[pandas]'"
        ) from None
    return pandas


def to_frame(records: list[dict[str, Any]]):
    """A DataFrame of tidy records, columns in record order."""
    return require_pandas().DataFrame.from_records(records)


def stamp(provenance: dict[str, Any]) -> dict[str, Any]:
    """The provenance columns of one run."""
    return {
        "seed": provenance["seed"],
        "trials": provenance["trials"],
        "scenario": provenance["scenario"],
        "scenario_hash": provenance["scenario_hash"],
        "overrides": " ".join(provenance["overrides"]),
        "version": provenance["version"],
    }


def pair_stamp(provenance: dict[str, Any]) -> dict[str, Any]:
    """The provenance columns of a paired run (baseline and variant share the seed)."""
    base, variant = provenance["baseline"], provenance["variant"]
    return {
        "seed": provenance["seed"],
        "trials": provenance["trials"],
        "block_size": provenance["block_size"],
        "baseline_scenario": base["scenario"],
        "baseline_hash": base["scenario_hash"],
        "variant_scenario": variant["scenario"],
        "variant_hash": variant["scenario_hash"],
        "variant_overrides": " ".join(variant["overrides"]),
        "version": provenance["version"],
    }


# A float within this many units in the last place of a decimal with at most this many
# significant digits is written as that decimal: the error of a few operations, such as
# 0.1 + 0.2 = 0.30000000000000004, is not shown as if it were a figure.
NOISE_ULPS = 4
NOISE_DIGITS = 10


def plain_number(value: Any) -> Any:
    """A float without the noise of arithmetic: `0.0224` for 0.022400000000000003.

    The fewest significant digits (at most NOISE_DIGITS) whose decimal lies within
    NOISE_ULPS units in the last place of `value` give the float returned, whose shortest
    form (what `repr` and the csv module write) is that decimal, and reads back as the same
    float. A value no such decimal is that close to is returned as it is, every digit kept.
    Anything but a finite float is returned as it is.
    """
    if not isinstance(value, float) or not math.isfinite(value) or len(repr(value)) < 16:
        return value
    tolerance = NOISE_ULPS * math.ulp(value)
    for digits in range(1, NOISE_DIGITS + 1):
        rounded = float(f"{value:.{digits}g}")
        if abs(rounded - value) <= tolerance:
            return rounded
    return value


def plain_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with every float made plain (`plain_number`), for CSV."""
    return [{key: plain_number(value) for key, value in row.items()} for row in rows]


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`1 objection rule`, `2 objection rules`, `1,000 trials`: a count with its noun, the
    noun in the plural (`noun + "s"` unless given) for any count but 1."""
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def pct(value: float | None) -> str:
    """A probability as a percentage with one decimal; a dash for none."""
    return "–" if value is None else f"{100 * value:.1f}%"


def pp(value: float) -> str:
    """A difference of probabilities in signed percentage points."""
    return f"{100 * value:+.1f} pp"


def html_table(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], caption: str, note: str = ""
) -> str:
    """A plain HTML table; every cell is escaped."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(cell))}</td>" for cell in row) + "</tr>"
        for row in rows
    )
    foot = f"<p><small>{html.escape(note)}</small></p>" if note else ""
    return (
        f"<table><caption>{html.escape(caption)}</caption><thead><tr>{head}</tr></thead>"
        f"<tbody>{body}</tbody></table>{foot}"
    )


def provenance_note(provenance: dict[str, Any]) -> str:
    """Trials, seed and version, for a table's foot."""
    return (
        f"{counted(provenance['trials'], 'trial')} · seed {provenance['seed']} · "
        f"nato-sim {provenance['version']}"
    )
