"""A run's answer in one plain sentence: who, how sure, when, and who stands in the way.

    Mark Rutte is the most likely next Secretary General (87.6%, 95% CI 87.2–88.1%); the
    median decision is 16 May 2024; Hungary stands in the way in 83% of the trials that
    Mark Rutte loses.

The sentence is built from the figures the run's tables show, formatted as they are there.
"""

from __future__ import annotations

from nato_sim.results.formats import interval, long_date, pct
from nato_sim.results.summary import OutcomeRow, Results


def headline(results: Results) -> str:
    """The most likely outcome with its probability and 95% interval, the median decision
    (a date when the scenario has a calendar, else a round) and the main blocker."""
    if results.trials == 0:
        return "No trial has finished, so there is nothing to report yet."
    top = max(results.outcomes, key=lambda row: row.probability)
    parts = [_lead(results, top), _timing(results)]
    blocker = _blocker(results, top)
    if blocker:
        parts.append(blocker)
    return "; ".join(parts) + "."


def _figures(row: OutcomeRow) -> str:
    return f"({pct(row.probability)}, 95% CI {interval(row.low, row.high)})"


def _is_candidate(results: Results, label: str) -> bool:
    return label in results.compiled.candidate_ids


def _unnamed(results: Results, label: str) -> bool:
    compiled = results.compiled
    if not compiled.unnamed or label not in compiled.candidate_ids:
        return False
    return compiled.unnamed[compiled.candidate_ids.index(label)]


def _lead(results: Results, top: OutcomeRow) -> str:
    figures = _figures(top)
    if _is_candidate(results, top.outcome):
        name = top.name
        if _unnamed(results, top.outcome):
            name = name[:1].upper() + name[1:]  # "someone not yet named" opens the sentence
        return f"{name} is the most likely next Secretary General {figures}"
    if top.outcome == "extension":
        return f"The incumbent's term is most likely extended {figures}"
    if top.outcome == "acting":
        return (
            "Most likely nobody is appointed in time and an acting Secretary General "
            f"stands in {figures}"
        )
    if results.compiled.fallback == "extend":
        return (
            "Most likely nobody is appointed in time and the incumbent's term is not "
            f"extended either {figures}"
        )
    return f"Most likely nobody is appointed in time {figures}"


def _timing(results: Results) -> str:
    if results.median_round is None:
        return "no trial ends in an appointment"
    median = int(results.median_round)
    dates = results.compiled.round_dates
    when = long_date(dates[median - 1]) if dates else f"in round {median}"
    appointed = results.appointed
    if appointed >= 0.5:
        return f"the median decision is {when}"
    return f"in the {pct(appointed)} of trials that end in an appointment, the median is {when}"


# Member names read in a sentence with "the": the United States, the Netherlands.
_WITH_ARTICLE = ("United ", "Netherlands", "Czech Republic", "Slovak Republic", "Federal ")


def country_in_sentence(name: str) -> str:
    """A member's name as it reads inside a sentence: `the United States`, `Hungary`."""
    return f"the {name}" if name.startswith(_WITH_ARTICLE) else name


def share_text(share: float) -> str:
    """A share in whole percent, with one decimal where whole percent would say 0 or 100."""
    whole = f"{100 * share:.0f}%"
    if (whole == "0%" and share > 0) or (whole == "100%" and share < 1):
        return pct(share)
    return whole


def _blocker(results: Results, top: OutcomeRow) -> str | None:
    """Who stands in the way of the most likely candidate (of the outcome, or the best
    placed candidate when nobody is most likely to be appointed)."""
    candidates = [row for row in results.outcomes if _is_candidate(results, row.outcome)]
    target = (
        top
        if _is_candidate(results, top.outcome)
        else max(candidates, key=lambda row: row.probability)
    )
    if target.count == results.trials:
        return None  # never loses: nobody stands in the way
    rows = [row for row in results.blockers if row.candidate == target.outcome and row.share > 0]
    if not rows:
        return f"no objection still stands in the trials that {target.name} loses"
    main = max(rows, key=lambda row: row.share)
    member = country_in_sentence(results.member_name(main.member))
    return (
        f"{member} stands in the way in {share_text(main.share)} of the trials that "
        f"{target.name} loses"
    )
