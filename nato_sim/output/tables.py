"""Tables for notebooks: tidy records, pandas DataFrames and HTML, of any result.

Every record carries its provenance (seed, trials, scenario hash, version) so a row copied
out of a notebook still says where it came from. pandas is an optional extra; the HTML
tables need nothing beyond the standard library.
"""

from __future__ import annotations

import html
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
        f"{provenance['trials']:,} trials · seed {provenance['seed']} · "
        f"nato-sim {provenance['version']}"
    )
