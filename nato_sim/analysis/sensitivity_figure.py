"""The figure of a sensitivity analysis: bars with their intervals (needs the 'plot' extra).

One panel per output that varies. Inputs are in the same order in every panel, the largest
effect on any output first, so a row reads across the outputs. Sobol: the total index and,
below it, the first-order index, each a bar with its 95% interval. Morris:
mu* as a bar with its 95% interval, and sigma as a dot.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from nato_sim.output.figures import BLUE, GREY, ORANGE, figure_class, wrap
from nato_sim.output.tables import counted

if TYPE_CHECKING:
    from nato_sim.analysis.sensitivity import Sensitivity

COLUMNS = 3


def sensitivity_figure(result: Sensitivity, outputs: Sequence[str] | None = None):
    """A figure of the effects on `outputs` (default: every output that varies)."""
    shown = [o for o in result.outputs if not o.constant and o.key in _keys(result, outputs)]
    paths = _order(result, [o.key for o in shown])
    columns = max(1, min(COLUMNS, len(shown)))
    rows = max(1, math.ceil(len(shown) / columns))
    height = 0.9 + rows * (0.32 * max(1, len(paths)) + 0.9)
    figure = figure_class()(figsize=(4.2 + 3.3 * columns, height), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False)
    for n, ax in enumerate(axes.flat):
        if n >= len(shown):
            ax.set_visible(False)
            continue
        _panel(ax, result, shown[n].key, shown[n].name, paths, labels=n % columns == 0)
    if not shown:
        axes[0, 0].set_visible(True)
        axes[0, 0].text(0.5, 0.5, "no output varies (or too few evaluations)", ha="center")
        axes[0, 0].set_axis_off()
    prov = result.provenance
    method = "Sobol indices" if result.method == "sobol" else "Morris elementary effects"
    title = f"What drives the forecast: {method} (95% intervals)"
    if result.partial:
        title += f" · PARTIAL: {prov['evaluations_finished']:,} of {prov['evaluations']:,}"
    figure.suptitle(title, fontsize=12, fontweight="bold")
    figure.supxlabel(wrap(footer(prov), 150), fontsize=8, color="#555555")
    return figure


def footer(prov: dict) -> str:
    """The scenario, the design, the trials per evaluation, the seed and the version."""
    overrides = prov.get("overrides") or []
    where = prov["scenario"] + (f" with {' '.join(overrides)}" if overrides else "")
    what = "base samples" if prov["method"] == "sobol" else "trajectories"
    return (
        f"{where} · {prov['method'].capitalize()}, {prov['samples']:,} {what}, "
        f"{counted(prov['evaluations_finished'], 'evaluation')} of "
        f"{counted(prov['trials'], 'trial')}, all with "
        f"seed {prov['seed']} · nato-sim {prov['version']}"
    )


def _keys(result: Sensitivity, outputs: Sequence[str] | None) -> list[str]:
    if outputs is None:
        return [o.key for o in result.outputs]
    keys = [outputs] if isinstance(outputs, str) else list(outputs)
    for key in keys:
        result.output(key)  # a UsageError naming the outputs
    return keys


def _order(result: Sensitivity, keys: list[str]) -> list[str]:
    """Input paths, the largest effect on any shown output first; an effect counts as a
    share of the largest on its output (Morris' effects are in each output's units)."""
    top = {key: 0.0 for key in keys}
    for effect in result.effects:
        if effect.output in top:
            top[effect.output] = max(top[effect.output], effect.rank_key)
    largest = {i.path: 0.0 for i in result.inputs}
    for effect in result.effects:
        if top.get(effect.output):
            share = effect.rank_key / top[effect.output]
            largest[effect.input] = max(largest[effect.input], share)
    return sorted(largest, key=lambda p: -largest[p])


def _panel(ax, result: Sensitivity, key: str, name: str, paths: list[str], labels: bool) -> None:
    effects = {e.input: e for e in result.effects if e.output == key}
    y = list(range(len(paths)))[::-1]
    if result.method == "sobol":
        total = [getattr(effects.get(p), "total", 0.0) for p in paths]
        total_conf = [getattr(effects.get(p), "total_conf", 0.0) for p in paths]
        first = [getattr(effects.get(p), "first", 0.0) for p in paths]
        first_conf = [getattr(effects.get(p), "first_conf", 0.0) for p in paths]
        upper = [v + 0.18 for v in y]
        lower = [v - 0.18 for v in y]
        ax.barh(upper, total, height=0.36, color=BLUE, label="total (ST)")
        ax.errorbar(total, upper, xerr=total_conf, fmt="none", ecolor="black", capsize=2, lw=1)
        ax.barh(lower, first, height=0.36, color=ORANGE, label="first-order (S1)")
        ax.errorbar(first, lower, xerr=first_conf, fmt="none", ecolor="black", capsize=2, lw=1)
        low = min(0.0, *(f - c for f, c in zip(first, first_conf, strict=True)))
        ax.set_xlim(low - 0.03 if low < 0 else -0.02, 1.05)
        ax.set_xlabel("share of the output's variance")
    else:
        mu_star = [getattr(effects.get(p), "mu_star", 0.0) for p in paths]
        conf = [getattr(effects.get(p), "mu_star_conf", 0.0) for p in paths]
        sigma = [getattr(effects.get(p), "sigma", 0.0) for p in paths]
        ax.barh(y, mu_star, height=0.7, color=BLUE, alpha=0.8, label="mu* (mean |effect|)")
        ax.errorbar(mu_star, y, xerr=conf, fmt="none", ecolor="black", capsize=3, lw=1)
        ax.plot(sigma, y, "o", color=ORANGE, label="sigma (spread)")
        unit = {"round": "rounds", "date": "days"}.get(key, "probability")
        ax.set_xlabel(f"change in {unit} over the input's range")
    ax.axvline(0, color=GREY, linewidth=0.8)
    ax.set_yticks(y, paths if labels else [""] * len(paths), fontsize=8)
    ax.set_ylim(-0.7, len(paths) - 0.3)
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(wrap(name, 40), fontsize=10, loc="left")
    if labels:
        ax.legend(fontsize=7, loc="lower right")
