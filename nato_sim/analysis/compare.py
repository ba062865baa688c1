"""A scenario against a variant, outcome by outcome, with common random numbers.

Both sides run with the same seed and the same block size, so block ``i`` of the baseline
and block ``i`` of the variant draw from the same stream: their difference is far less
noisy than that of two independent runs.

The 95% interval of a difference accounts for that correlation by *batch means*: each
block is an independent replicate of the pair, so the per-block differences
``d_i = (k_variant,i - k_baseline,i) / n_i`` are independent draws around the true
difference. Their weighted mean is the overall difference D, and its variance is estimated
from their spread, ``B / (B - 1) * sum((n_i / N)^2 * (d_i - D)^2)``, with a Student t
quantile on ``B - 1`` degrees of freedom. `compare` picks the block size so there are
`PAIRED_BLOCKS` blocks. With fewer than `MIN_PAIRED_BLOCKS` blocks the spread cannot be
trusted and the interval falls back to treating the sides as independent (Newcombe's
hybrid score interval for probabilities), which is conservative for positively correlated
runs. A scenario compared with itself gives differences of exactly 0 and intervals [0, 0].

A difference is *distinguishable from noise* when its interval excludes 0; a table marks it
only when it does not also round to zero at the precision shown (`DiffRow.marked`).

A figure that exists on one side only (a candidate, or a milestone that the other side does
not have or that falls before its first round) is not compared: it is listed as *unmatched*,
with its value on the side that has it. So is the expected decision round when the two sides
count rounds on different calendars (a round of one is not a round of the other).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nato_sim.engine.compiled import compile_scenario
from nato_sim.engine.rounds import Counts
from nato_sim.errors import UsageError
from nato_sim.output.tables import counted
from nato_sim.results.formats import rounds_to_zero
from nato_sim.results.stats import Z95, wilson
from nato_sim.results.summary import SCHEMA_VERSION, Results, build_results, unknown_name
from nato_sim.running.checks import check_count, check_trials, check_workers
from nato_sim.running.runner import (
    BIT_GENERATOR,
    BLOCK_SIZE,
    iter_blocks,
    seed_sequence,
)
from nato_sim.scenario.loader import as_scenario
from nato_sim.scenario.schema import Scenario

# Shared with `explain` and `sweep`, which check their arguments the same way.
__all__ = [
    "Arm",
    "Comparison",
    "DiffRow",
    "Unmatched",
    "as_scenario",
    "check_block_size",
    "check_trials",
    "check_workers",
    "compare",
    "paired_rows",
    "run_arm",
]

PAIRED_BLOCKS = 40
MIN_PAIRED_BLOCKS = 10
# The mean decision round over all trials, a trial without appointment counted at R + 1 (not
# `run`'s mean appointment round, which counts only the trials that end in one).
EXPECTED_ROUND = "expected decision round (R + 1 if none)"


@dataclass(frozen=True)
class Arm:
    """One side of a paired run: its results and the counts of each block."""

    results: Results
    blocks: tuple[Counts, ...] = field(repr=False)


@dataclass(frozen=True)
class DiffRow:
    """Baseline, variant and their difference for one outcome, milestone or timing figure.

    Probabilities for sections ``outcome`` and ``milestone``; rounds for ``timing``
    (``expected_round``: the mean decision round, undecided trials counted at R + 1).
    """

    section: str
    key: str
    name: str
    baseline: float
    variant: float
    difference: float
    low: float
    high: float

    @property
    def distinguishable(self) -> bool:
        """True when the interval of the difference excludes 0."""
        return self.low > 0 or self.high < 0

    @property
    def marked(self) -> bool:
        """Whether a table stars the difference: distinguishable from noise, and not written
        as zero at the precision tables show (0.1 pp; 0.01 round)."""
        if self.section == "timing":
            shown = rounds_to_zero(self.difference, scale=1.0, digits=2)
        else:
            shown = rounds_to_zero(self.difference, scale=100.0, digits=1)
        return self.distinguishable and not shown


@dataclass(frozen=True)
class Unmatched:
    """A figure that cannot be compared, with its value on each side (None where absent).

    `reason` says why: present on one side only, or rounds of different calendars.
    """

    section: str
    key: str
    name: str
    baseline: float | None
    variant: float | None
    reason: str


def paired_block_size(trials: int) -> int:
    """A block size giving about `PAIRED_BLOCKS` blocks (never more than the runner's)."""
    return max(1, min(BLOCK_SIZE, math.ceil(trials / PAIRED_BLOCKS)))


def check_block_size(block_size: int | None) -> int | None:
    """A block size of at least one trial, or None for the paired default."""
    return None if block_size is None else check_count("block_size", block_size)


def run_arm(
    scenario: Scenario,
    trials: int,
    root: np.random.SeedSequence,
    *,
    block_size: int,
    workers: int | None,
) -> Arm:
    """Run a scenario and keep each block's counts for paired intervals."""
    compiled = compile_scenario(scenario)
    blocks: list[Counts] = []
    stream = iter_blocks(compiled, trials, workers=workers, block_size=block_size, root=root)
    try:
        for block in stream:
            blocks.append(block.counts)
    finally:
        stream.close()
    total = blocks[0]
    for counts in blocks[1:]:
        total = total + counts
    results = build_results(
        scenario,
        compiled,
        total,
        root,
        block_size=block_size,
        stopped_by="trials",
        precision=None,
        bit_generator=BIT_GENERATOR,
    )
    return Arm(results, tuple(blocks))


def _block_sums(arm: Arm) -> dict[tuple[str, str], tuple[str, np.ndarray]]:
    """Per-block sums of every compared figure, keyed by (section, key)."""
    res = arm.results
    compiled = res.compiled
    rounds = compiled.rounds
    table: dict[tuple[str, str], tuple[str, np.ndarray]] = {}
    outcomes = np.array([b.outcomes for b in arm.blocks])
    for j, row in enumerate(res.outcomes):
        table[("outcome", row.outcome)] = (row.name, outcomes[:, j])
    decided = np.array([b.decided_round for b in arm.blocks])
    cumulative = np.cumsum(decided, axis=1)
    for name, last in compiled.milestones:
        if last < 1:
            continue  # before the first round: nothing can be decided by it on this side
        column = cumulative[:, min(last, rounds) - 1]
        table[("milestone", name)] = (f"decided by {name}", column)
    trials = np.array([b.trials for b in arm.blocks])
    round_sum = decided @ np.arange(1, rounds + 1) + (rounds + 1) * (trials - decided.sum(1))
    table[("timing", "expected_round")] = (EXPECTED_ROUND, round_sum)
    return table


def t_quantile(df: int) -> float:
    """The two-sided 95% Student t quantile (Cornish-Fisher; within 2e-5 for df >= 9)."""
    z, v = Z95, float(df)
    return (
        z
        + (z**3 + z) / (4 * v)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * v**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * v**3)
        + (79 * z**9 + 776 * z**7 + 1482 * z**5 - 1920 * z**3 - 945 * z) / (92160 * v**4)
    )


def method_text(n_blocks: int, block_size: int) -> str:
    """How the intervals of differences are computed for this many blocks."""
    if n_blocks >= MIN_PAIRED_BLOCKS:
        return (
            f"paired batch means over {n_blocks} blocks of {counted(block_size, 'trial')} "
            f"(t quantile, {n_blocks - 1} df)"
        )
    return (
        f"only {counted(n_blocks, 'block')}, too few to pair: intervals treat the sides as "
        "independent (Newcombe), which is conservative"
    )


def paired_rows(base: Arm, variant: Arm) -> tuple[list[DiffRow], str]:
    """Differences between two arms run with the same seed and block size.

    Returns:
        One row per outcome and milestone found on both sides, then the expected decision
        round; and a sentence naming the method. (`paired_comparison` also gives the
        figures that could not be compared.)
    """
    rows, _, method = paired_comparison(base, variant)
    return rows, method


def same_rounds(base: Results, variant: Results) -> bool:
    """Whether round r means the same on both sides: neither has a calendar, or both do and
    their rounds fall on the same dates as far as both go."""
    a, b = base.compiled.round_dates, variant.compiled.round_dates
    if not a and not b:
        return True
    if not a or not b:
        return False
    n = min(len(a), len(b))
    return tuple(a[:n]) == tuple(b[:n])


def paired_comparison(base: Arm, variant: Arm) -> tuple[list[DiffRow], list[Unmatched], str]:
    """Differences between two arms run with the same seed and block size.

    Returns:
        One DiffRow per outcome and milestone found on both sides, then the expected decision
        round (when both sides count rounds alike); the figures that could not be compared;
        and a sentence naming the method.
    """
    sizes = np.array([b.trials for b in base.blocks], dtype=float)
    if len(base.blocks) != len(variant.blocks) or np.any(
        sizes != [b.trials for b in variant.blocks]
    ):
        raise UsageError("paired runs need the same trials and block size on both sides")
    total = sizes.sum()
    n_blocks = len(sizes)
    identical = (
        base.results.provenance["scenario_hash"] == variant.results.provenance["scenario_hash"]
    )
    paired = n_blocks >= MIN_PAIRED_BLOCKS
    if identical:
        method = "identical scenarios and seed: the differences are exactly 0"
    else:
        method = method_text(n_blocks, int(sizes[0]))
    quantile = t_quantile(n_blocks - 1) if paired else Z95
    b_table, v_table = _block_sums(base), _block_sums(variant)
    rows = []
    unmatched = []
    comparable_rounds = same_rounds(base.results, variant.results)
    for key in [*b_table, *(k for k in v_table if k not in b_table)]:
        if key not in b_table or key not in v_table:
            name, column = b_table.get(key) or v_table[key]
            value = float(column.sum() / total)
            side, other = ("baseline", "variant") if key in b_table else ("variant", "baseline")
            reason = f"in the {side} only"
            if key[0] == "milestone":
                reason += f" (the {other} lacks it, or it falls before the {other}'s first round)"
            unmatched.append(
                Unmatched(
                    key[0],
                    key[1],
                    name,
                    value if side == "baseline" else None,
                    value if side == "variant" else None,
                    reason,
                )
            )
            continue
        name, b = b_table[key]
        v = v_table[key][1]
        b_mean, v_mean = b.sum() / total, v.sum() / total
        if key[0] == "timing" and not comparable_rounds:
            unmatched.append(
                Unmatched(
                    key[0],
                    key[1],
                    name,
                    float(b_mean),
                    float(v_mean),
                    "the two sides count rounds on different calendars",
                )
            )
            continue
        diff = (v.sum() - b.sum()) / total
        if identical:
            low = high = 0.0
        elif paired:
            d = (v - b) / sizes
            var = n_blocks / (n_blocks - 1) * np.sum((sizes / total) ** 2 * (d - diff) ** 2)
            half = quantile * math.sqrt(var)
            low, high = diff - half, diff + half
        elif key[0] == "timing":
            low, high = _unpaired_mean(base, variant, diff)
        else:
            low, high = _newcombe(int(b.sum()), int(v.sum()), int(total))
        if key[0] != "timing":
            low, high = max(-1.0, low), min(1.0, high)
        rows.append(
            DiffRow(
                key[0],
                key[1],
                name,
                float(b_mean),
                float(v_mean),
                float(diff),
                float(low),
                float(high),
            )
        )
    order = {"outcome": 0, "milestone": 1, "timing": 2}
    rows.sort(key=lambda row: order[row.section])
    unmatched.sort(key=lambda row: order[row.section])
    return rows, unmatched, method


def _newcombe(k_base: int, k_variant: int, n: int) -> tuple[float, float]:
    """Newcombe's hybrid score interval for p_variant - p_baseline (independent samples)."""
    p1, p2 = k_base / n, k_variant / n
    l1, u1 = wilson(k_base, n)
    l2, u2 = wilson(k_variant, n)
    d = p2 - p1
    return (
        d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2),
        d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2),
    )


def _unpaired_mean(base: Arm, variant: Arm, diff: float) -> tuple[float, float]:
    """A normal interval for a difference of mean rounds of independent samples."""
    var = 0.0
    for arm in (base, variant):
        res = arm.results
        rounds = res.compiled.rounds
        hist = np.append(res.counts.decided_round, res.trials - res.counts.decided_round.sum())
        values = np.arange(1, rounds + 2)
        n = hist.sum()
        mean = (hist * values).sum() / n
        var += ((hist * (values - mean) ** 2).sum() / max(n - 1, 1)) / n
    half = Z95 * math.sqrt(var)
    return diff - half, diff + half


def pair_provenance(base: Results, variant: Results, method: str) -> dict[str, Any]:
    """Provenance of a paired run: shared seed and versions, then each side's scenario."""
    prov = base.provenance
    shared = base.provenance_of("block_size")
    shared["blocks"] = -(-prov["trials"] // prov["block_size"])
    shared["method"] = method
    for side, res in (("baseline", base), ("variant", variant)):
        shared[side] = {k: res.provenance[k] for k in ("scenario", "scenario_hash", "overrides")}
    return shared


@dataclass(frozen=True)
class Comparison:
    """A baseline and a variant side by side; `rows` hold the differences."""

    rows: list[DiffRow]
    baseline: Results = field(repr=False)
    variant: Results = field(repr=False)
    provenance: dict[str, Any]
    unmatched: list[Unmatched] = field(default_factory=list)

    @property
    def warnings(self) -> list[str]:
        """One sentence per figure that could not be compared, saying why."""
        return [
            f"{u.name!r} is not compared: {u.reason}"
            + ("" if u.section == "timing" else "; shown as n/a on the other side")
            for u in self.unmatched
        ]

    @property
    def method(self) -> str:
        """How the intervals of the differences were computed."""
        return self.provenance["method"]

    def row(self, key: str, section: str = "outcome") -> DiffRow:
        """The row of an outcome (candidate id, `extension`, `no-decision`) or milestone.

        Args:
            key: the outcome or milestone.
            section: ``"outcome"``, ``"milestone"`` or ``"timing"``.

        Raises:
            UsageError: no such row (with the closest key, if any is close).
        """
        for row in self.rows:
            if row.key == key and row.section == section:
                return row
        for u in self.unmatched:
            if u.key == key and u.section == section:
                raise UsageError(f"{section} {key!r} is not compared: {u.reason}")
        sections = list(dict.fromkeys(r.section for r in self.rows))
        if section not in sections:
            raise UsageError(unknown_name("section", section, sections))
        raise UsageError(
            unknown_name(section, key, [r.key for r in self.rows if r.section == section])
        )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dictionary with `schema_version` and provenance."""
        return {
            "schema_version": SCHEMA_VERSION,
            "provenance": self.provenance,
            "rows": [{**asdict(r), "distinguishable": r.distinguishable} for r in self.rows],
            "unmatched": [asdict(u) for u in self.unmatched],
        }

    def records(self) -> list[dict[str, Any]]:
        """Tidy rows: one per outcome, milestone and timing figure, with provenance."""
        from nato_sim.output.tables import pair_stamp

        stamp = pair_stamp(self.provenance)
        rows = [{**asdict(r), "distinguishable": r.distinguishable, **stamp} for r in self.rows]
        # Figures not compared: their values, with no difference and no interval.
        for u in self.unmatched:
            rows.append(
                {
                    "section": u.section,
                    "key": u.key,
                    "name": u.name,
                    "baseline": u.baseline,
                    "variant": u.variant,
                    "difference": None,
                    "low": None,
                    "high": None,
                    "distinguishable": False,
                    **stamp,
                }
            )
        return rows

    def to_pandas(self):
        """The records as a pandas DataFrame (needs the 'pandas' extra)."""
        from nato_sim.output.tables import to_frame

        return to_frame(self.records())

    def _repr_html_(self) -> str:
        from nato_sim.analysis.tables import comparison_html

        return comparison_html(self)

    def plot(self):
        """A matplotlib figure of the differences with their intervals."""
        from nato_sim.analysis.figures import comparison_figure

        return comparison_figure(self)


def compare(
    scenario: Scenario | str | Path,
    overrides: Sequence[str] = (),
    *,
    against: Scenario | str | Path | None = None,
    trials: int = 100_000,
    rng=None,
    workers: int | None = 1,
    block_size: int | None = None,
) -> Comparison:
    """Run a scenario and a variant with the same seed and compare them.

    Args:
        scenario: the baseline: a path, a bundled name or a loaded Scenario.
        overrides: ``path=value`` strings that make the variant (as for ``--set``).
        against: another scenario as the variant; `overrides` then apply to it.
        trials: trials per side.
        rng: an int seed, a SeedSequence, a Generator or None (fresh entropy, reported).
        workers: processes per side; None uses all cores. Results do not depend on it.
        block_size: trials per block; by default about `PAIRED_BLOCKS` blocks.

    Returns:
        A Comparison: one DiffRow per outcome, milestone and the expected decision round
        found on both sides, and the figures that could not be compared (`unmatched`).

    Raises:
        UsageError: bad trials, seed or override path.
        ScenarioError: a scenario is missing or invalid (also after the overrides).
    """
    trials = check_trials(trials)
    workers = check_workers(workers)
    block_size = check_block_size(block_size)
    root = seed_sequence(rng)
    base = as_scenario(scenario)
    variant = as_scenario(against if against is not None else base, overrides)
    size = paired_block_size(trials) if block_size is None else block_size
    base_arm = run_arm(base, trials, root, block_size=size, workers=workers)
    variant_arm = run_arm(variant, trials, root, block_size=size, workers=workers)
    rows, unmatched, method = paired_comparison(base_arm, variant_arm)
    provenance = pair_provenance(base_arm.results, variant_arm.results, method)
    return Comparison(rows, base_arm.results, variant_arm.results, provenance, unmatched)
