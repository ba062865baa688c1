"""Baselines: simple forecasts of each case that the model has to beat (docs/backtest.md).

- uniform: 1/C to each of the C candidates, nothing to the other outcomes.
- best_backed: everything to the favourite, the named candidate with the highest expected
  backing (vetoes ignored).
- favourite: the favourite gets (n_fav + 1/2) / (n + 1), n_fav of the n other races having
  been won by their as-of favourite; the rest is spread evenly over the case's other possible
  outcomes.
- base_rates: each kind of outcome (the favourite, another named candidate, someone not yet
  named, extension, acting, no decision) the case can have gets (n_k + 1/2) / (n + K/2), n_k
  of the n other races (those that ended in one of the case's K kinds) having ended in kind
  k; spread evenly over the case's outcomes of that kind.

The half counts are Jeffreys' prior: no outcome the case can have gets 0. The last two learn
from the other races only (leave one out): several snapshots of one race are left out
together, and each race counts once, whatever its number of snapshots.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from nato_sim.engine.compiled import Compiled

# Kinds of outcome, in the order reports list them.
FAVOURITE, OTHER_NAMED, UNNAMED = "favourite", "other_named", "unnamed"
KINDS = (FAVOURITE, OTHER_NAMED, UNNAMED, "extension", "acting", "no-decision")
NO_APPOINTMENT = ("extension", "acting", "no-decision")
KIND_NAMES = {
    FAVOURITE: "the favourite",
    OTHER_NAMED: "another named candidate",
    UNNAMED: "someone not yet named",
    "extension": "extension",
    "acting": "acting Secretary General",
    "no-decision": "no decision",
}


def uniform_forecast(compiled: Compiled) -> dict[str, float]:
    """1/C to each candidate, 0 to the other outcomes (`extension`, `no-decision`, ...)."""
    share = 1.0 / len(compiled.candidate_ids)
    return {
        label: (share if label in compiled.candidate_ids else 0.0)
        for label in compiled.outcome_labels
    }


def expected_backing(compiled: Compiled) -> np.ndarray:
    """B_c = sum_m w_m s(m, c) / W for every candidate, uncertain values at their means."""
    weights = np.array([w.mean() for w in compiled.weights])
    support = np.array([s.mean() for s in compiled.support_params])[compiled.support_index]
    return weights @ support / weights.sum()


def unnamed_ids(compiled: Compiled) -> tuple[str, ...]:
    """The candidates that stand for someone not yet named."""
    flags = getattr(compiled, "unnamed", ()) or (False,) * len(compiled.candidate_ids)
    return tuple(c for c, flag in zip(compiled.candidate_ids, flags, strict=True) if flag)


def favourites(compiled: Compiled) -> tuple[str, ...]:
    """The named candidates with the highest expected backing (several on a tie to 1e-12)."""
    unnamed = set(unnamed_ids(compiled))
    named = [i for i, c in enumerate(compiled.candidate_ids) if c not in unnamed]
    if not named:
        return ()
    backing = expected_backing(compiled)[named]
    best = np.isclose(backing, backing.max(), rtol=1e-12, atol=1e-12)
    return tuple(compiled.candidate_ids[named[i]] for i in np.flatnonzero(best))


def best_backed_forecast(compiled: Compiled) -> dict[str, float]:
    """1 to the favourite (split on ties), 0 elsewhere.

    Objections, `min_support`, entry rounds and withdrawals are all ignored.
    """
    forecast = {label: 0.0 for label in compiled.outcome_labels}
    best = favourites(compiled)
    for candidate in best:
        forecast[candidate] = 1.0 / len(best)
    return forecast


def fallback_of(compiled: Compiled) -> str:
    """What happens at the deadline: `extend`, `acting` or `no_decision`."""
    fallback = getattr(compiled, "fallback", None)
    if fallback is None:
        return "extend" if compiled.extend else "no_decision"
    return str(fallback)


def outcome_groups(compiled: Compiled) -> dict[str, tuple[str, ...]]:
    """The case's possible outcomes by kind; kinds it cannot have are left out.

    An extension needs the fallback `extend`, an acting Secretary General the fallback
    `acting`; no decision is always possible.
    """
    best = favourites(compiled)
    unnamed = unnamed_ids(compiled)
    groups = {
        FAVOURITE: best,
        OTHER_NAMED: tuple(c for c in compiled.candidate_ids if c not in best and c not in unnamed),
        UNNAMED: unnamed,
    }
    fallback = fallback_of(compiled)
    if fallback == "extend":
        groups["extension"] = ("extension",)
    elif fallback == "acting":
        groups["acting"] = ("acting",)
    groups["no-decision"] = ("no-decision",)
    return {kind: labels for kind, labels in groups.items() if labels}


def kind_of(groups: Mapping[str, Sequence[str]], actual: str) -> str | None:
    """The kind of the actual outcome; None when the case cannot have it."""
    for kind, labels in groups.items():
        if actual in labels:
            return kind
    return None


@dataclass(frozen=True)
class Facts:
    """What the leave-one-out baselines need of one case."""

    race: str  # cases of one race share it
    labels: tuple[str, ...]  # every outcome of the forecast, in engine order
    groups: dict[str, tuple[str, ...]]  # possible outcomes by kind
    kind: str  # the kind of what happened


def leave_one_out_rates(facts: Sequence[Facts]) -> list[dict[str, float] | None]:
    """For each case, how many of the other races ended in each kind of outcome.

    Each other race counts once: a race of k snapshots gives each of them weight 1/k, so the
    counts sum to the number of other races. None when there is no other race.
    """
    sizes: dict[str, int] = defaultdict(int)
    for fact in facts:
        sizes[fact.race] += 1
    rates: list[dict[str, float] | None] = []
    for fact in facts:
        counts: dict[str, float] = defaultdict(float)
        for other in facts:
            if other.race != fact.race:
                counts[other.kind] += 1.0 / sizes[other.race]
        rates.append(dict(counts) if counts else None)
    return rates


def favourite_forecast(fact: Facts, counts: Mapping[str, float] | None) -> dict[str, float]:
    """The favourite at its smoothed base rate, (n_fav + 1/2) / (n + 1); the rest spread
    evenly over the other possible outcomes.

    Without another race to learn from (or without a favourite), every possible outcome gets
    an even share.
    """
    forecast = {label: 0.0 for label in fact.labels}
    best = fact.groups.get(FAVOURITE, ())
    others = [label for kind, ls in fact.groups.items() if kind != FAVOURITE for label in ls]
    if counts is None or not best:
        possible = [*best, *others]
        for label in possible:
            forecast[label] = 1.0 / len(possible)
        return forecast
    n = sum(counts.values())
    share = (counts.get(FAVOURITE, 0.0) + 0.5) / (n + 1.0) if others else 1.0
    for label in best:
        forecast[label] = share / len(best)
    for label in others:
        forecast[label] = (1.0 - share) / len(others)
    return forecast


def base_rate_forecast(fact: Facts, counts: Mapping[str, float] | None) -> dict[str, float]:
    """Each of the K kinds of outcome this case can have at (n_k + 1/2) / (n + K/2), spread
    evenly over the outcomes of that kind.

    n_k is the count of the other races that ended in kind k, n their sum over the K kinds
    (a race that ended in a kind this case cannot have is left out). Without another race to
    learn from, every kind gets 1/K.
    """
    mine = {kind: (counts or {}).get(kind, 0.0) for kind in fact.groups}
    n, half = sum(mine.values()), 0.5 * len(mine)
    forecast = {label: 0.0 for label in fact.labels}
    for kind, labels in fact.groups.items():
        for label in labels:
            forecast[label] = (mine[kind] + 0.5) / (n + half) / len(labels)
    return forecast


def no_appointment_rate(counts: Mapping[str, float] | None) -> float | None:
    """The chance that a race ends without an appointment, from the other races with the
    Jeffreys prior: (n_none + 1/2) / (n + 1), so that it is never 0 nor 1; None without any."""
    if counts is None:
        return None
    none = sum(counts.get(kind, 0.0) for kind in NO_APPOINTMENT)
    return (none + 0.5) / (sum(counts.values()) + 1.0)
