# %% [markdown]
# # What if? Comparing, explaining and sweeping the 2024 succession
#
# A notebook in percent format: each `# %%` starts a cell (Jupyter with jupytext, VS Code
# and Spyder open it as a notebook); run as a plain script it prints the tables.
#
# Every analysis below uses the same seed, so it can be replayed exactly, and the
# comparisons run both sides with the same random numbers, so small differences show.

# %%
from pathlib import Path

import nato_sim

SCENARIO = "nato-2024"
TRIALS = 10_000
SEED = 2024
FIGURES = Path("figures")  # where the cells below save their figures

# %% [markdown]
# ## The baseline
#
# `to_pandas()` gives one row per outcome, with the seed and scenario hash in every row.

# %%
scenario = nato_sim.load(SCENARIO)
results = nato_sim.simulate(scenario, trials=TRIALS, rng=SEED)
baseline = results.to_pandas()[["outcome", "probability", "low", "high"]]
print(baseline.to_string(index=False))

# %% [markdown]
# ## What if Türkiye lifted its objection more readily?
#
# The rule is named by its id. A row is *distinguishable from noise* when the 95%
# interval of its difference excludes 0.

# %%
comparison = nato_sim.compare(SCENARIO, ["objections.tur-rutte.lift=0.6"], trials=TRIALS, rng=SEED)
table = comparison.to_pandas()[
    ["name", "baseline", "variant", "difference", "low", "high", "distinguishable"]
]
print(table.to_string(index=False))
print(comparison.method)

# %%
FIGURES.mkdir(exist_ok=True)
comparison.plot().savefig(FIGURES / "compare.png", bbox_inches="tight")

# %% [markdown]
# ## Whose veto matters most?
#
# Each objection rule is taken away in turn; the rows are sorted by impact (the share of
# trials whose outcome changes).

# %%
explanation = nato_sim.explain(SCENARIO, trials=TRIALS, rng=SEED)
impact = explanation.to_pandas()[
    [
        "rule",
        "members",
        "candidate",
        "candidate_change",
        "winner_change",
        "round_change",
        "sole_blocker",
        "impact",
    ]
]
print(impact.to_string(index=False))

# %% [markdown]
# ## A sweep: how fast must Türkiye concede?
#
# Eleven values of the lift probability, every one run with the same seed, so the curve
# is smooth. The tidy frame has one row per value and outcome.

# %%
sweep = nato_sim.sweep(SCENARIO, ["objections.tur-rutte.lift=0:0.5:11"], trials=TRIALS, rng=SEED)
frame = sweep.to_pandas()
rutte = frame[frame["outcome"] == "rutte"][
    ["objections.tur-rutte.lift", "probability", "low", "high"]
]
print(rutte.to_string(index=False))
sweep.plot().savefig(FIGURES / "sweep.png", bbox_inches="tight")

# %% [markdown]
# Two parameters give a grid of one outcome: here Rutte's chance against Türkiye's lift
# and the chance that Hungary objects at all.

# %%
grid = nato_sim.sweep(
    SCENARIO,
    ["objections.tur-rutte.lift=0:0.5:6", "objections.hun-rutte.chance=0:1:5"],
    trials=TRIALS // 5,
    rng=SEED,
)
probability, low, high = grid.grid("rutte")
print((100 * probability).round(1))
grid.plot("rutte").savefig(FIGURES / "grid.png", bbox_inches="tight")
