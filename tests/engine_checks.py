"""Checks of one engine block that hold for every scenario, seed and block size.

Shared by the tests (few examples, small blocks, run by CI) and the long fuzz run
(benchmarks/fuzz.py, many examples, before any engine change lands):

- `check_counts`: the counts of a block are consistent with each other (every trial has one
  outcome, a rule lifts only if raised, ...).
- `check_shortcuts`: every shortcut the engine takes that the reference implementation does
  not (looking again only at trials whose state changed, picking trials out or working on
  all, compacting the working set, hazards fixed once, no hazards for units that never lift)
  gives, bit for bit, what the plain path gives.
- `reference_mismatches`: where the engine and the per-trial reference disagree in
  distribution (a statistical check; the tolerance is the caller's).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import fields

import numpy as np
from reference import blocked_by_pair, engine_counts, reference_counts

from nato_sim.engine import rounds as engine
from nato_sim.engine.compiled import Compiled, compile_scenario
from nato_sim.engine.rounds import Counts
from nato_sim.scenario.schema import Scenario

# So small that it acts as 0 (a uniform is below it only when it is 0, one chance in 2^53;
# log(1 - TINY) is 0), but not the constant 0, so the engine treats the rule as liftable.
TINY = 1e-300


def block_counts(compiled: Compiled, n: int, seed: int) -> Counts:
    """One block of `n` trials, the process and the parameters on generators of `seed`."""
    root = np.random.SeedSequence(seed)
    rng = np.random.Generator(np.random.PCG64DXSM(root.spawn(1)[0]))
    return engine.run_block(
        compiled, n, rng, lambda j: np.random.Generator(np.random.PCG64DXSM(seed + 1 + j))
    )


@contextlib.contextmanager
def engine_settings(compiled: Compiled, **settings) -> Iterator[None]:
    """Run with some of the engine's shortcuts switched off or forced, then restore them.

    Keys: `refresh_all` (look at every open trial every round), `dense_above`,
    `compact_below` (the engine's thresholds), `fixed_hazards` (False: compute every hazard
    anew each time).
    """
    layout = compiled.engine_layout
    saved = (list(layout.refresh), layout.fixed_hazards, engine.DENSE_ABOVE, engine.COMPACT_BELOW)
    try:
        if settings.get("refresh_all"):
            layout.refresh = [True] * len(layout.refresh)
        if "fixed_hazards" in settings:
            layout.fixed_hazards = settings["fixed_hazards"]
        if "dense_above" in settings:
            engine.DENSE_ABOVE = settings["dense_above"]
        if "compact_below" in settings:
            engine.COMPACT_BELOW = settings["compact_below"]
        yield
    finally:
        layout.refresh, layout.fixed_hazards, engine.DENSE_ABOVE, engine.COMPACT_BELOW = saved


# The plain path and the shortcuts' extremes: each must give the usual counts.
VARIANTS = {
    "plain: every trial, every round, hazards anew": dict(
        refresh_all=True, dense_above=-1.0, fixed_hazards=False
    ),
    "changed trials always picked out": dict(dense_above=2.0),
    "compacted every round": dict(compact_below=1.0),
    "never compacted": dict(compact_below=0.0),
    "hazards anew, changed trials picked out, compacted every round": dict(
        fixed_hazards=False, dense_above=2.0, compact_below=1.0
    ),
}


def differences(a: Counts, b: Counts) -> list[str]:
    """The fields in which two counts differ."""
    return [f.name for f in fields(a) if not np.array_equal(getattr(a, f.name), getattr(b, f.name))]


def check_counts(compiled: Compiled, counts: Counts, n: int) -> None:
    """Assert that a block's counts are consistent with each other and with `n` trials."""
    n_cands = len(compiled.candidate_ids)
    assert counts.trials == n
    assert counts.outcomes.sum() == n, "every trial has exactly one outcome"
    assert (counts.outcomes >= 0).all()
    assert counts.decided_round.sum() == counts.outcomes[:n_cands].sum(), (
        "every appointment has a round"
    )
    if not compiled.extend:
        assert counts.outcomes[n_cands] == 0, "no extension without on_deadline: extend"
    assert (counts.lifted <= counts.raised).all(), "only a raised rule lifts"
    assert (counts.raised <= n).all()
    assert (counts.lift_round.sum(axis=1) == counts.lifted).all(), "every lift has a round"
    assert not counts.lift_round[:, :2].any(), "nothing lifts before round 2"
    assert (counts.pivotal <= counts.blocked).all() and (counts.blocked <= n).all()


def check_shortcuts(compiled: Compiled, n: int, seed: int) -> Counts:
    """Assert that every shortcut gives the plain path's counts, bit for bit; return them."""
    usual = block_counts(compiled, n, seed)
    for name, settings in VARIANTS.items():
        with engine_settings(compiled, **settings):
            other = block_counts(compiled, n, seed)
        assert not differences(usual, other), f"{name}: {differences(usual, other)} differ"
    return usual


def check_skipped_units(scenario: Scenario, made_zero: list[str], n: int, seed: int) -> None:
    """Assert that rules never raised (chance 0) or never lifted (lift 0), for which the
    engine computes no hazard, give what the same rules with the zero made tiny give."""

    def with_value(value: float) -> Compiled:
        data = scenario.model_dump(exclude_none=True)
        for rule, field in zip(data["objections"], made_zero, strict=True):
            if field != "none":
                rule[field] = value
        return compile_scenario(Scenario.model_validate(data))

    skipped, computed = with_value(0.0), with_value(TINY)
    assert skipped.engine_layout.n_liftable <= computed.engine_layout.n_liftable
    usual, every = block_counts(skipped, n, seed), block_counts(computed, n, seed)
    assert not differences(usual, every), differences(usual, every)


def _close(k1: int, n1: int, k2: int, n2: int, sigmas: float, slack: float) -> bool:
    """Whether two proportions are within `sigmas` standard errors of their difference (the
    pooled proportion's) plus `slack`."""
    p = (k1 + k2) / (n1 + n2)
    return abs(k1 / n1 - k2 / n2) <= sigmas * np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2)) + slack


def reference_mismatches(
    scenario: Scenario, n_engine: int, n_reference: int, seed: int, sigmas: float, slack: float
) -> list[str]:
    """The probabilities on which the engine and the reference disagree: every outcome,
    P(decided by round r), P(rule raised), P(rule lifted by round r), P(pair blocked)."""
    eng = engine_counts(scenario, n_engine, seed)
    ref = reference_counts(scenario, n_reference, np.random.default_rng(seed + 1))
    blocked, _ = blocked_by_pair(scenario, eng)
    keys = sorted(blocked)
    compared = [
        ("outcome", eng.outcomes, ref.outcomes),
        ("decided by round", np.cumsum(eng.decided_round), np.cumsum(ref.decided_round)),
        ("extended early by round", np.cumsum(eng.early_round), np.cumsum(ref.early_round)),
        ("raised", eng.raised, ref.raised),
        ("lifted", eng.lifted, ref.lifted),
        *(
            (
                f"rule {k} lifted by round",
                np.cumsum(eng.lift_round[k]),
                np.cumsum(ref.lift_round[k]),
            )
            for k in range(len(eng.lifted))
        ),
        ("blocked", [blocked[k] for k in keys], [ref.blocked.get(k, 0) for k in keys]),
    ]
    return [
        f"{what}[{i}]: engine {a / n_engine:.4f}, reference {b / n_reference:.4f}"
        for what, k_eng, k_ref in compared
        for i, (a, b) in enumerate(zip(k_eng, k_ref, strict=True))
        if not _close(int(a), n_engine, int(b), n_reference, sigmas, slack)
    ]
