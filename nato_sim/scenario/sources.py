"""Which claim each parameter of a scenario rests on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nato_sim.scenario.claims import Claim
from nato_sim.scenario.schema import Scenario


@dataclass(frozen=True)
class SourcedParameter:
    """A parameter, its value and a claim it cites."""

    parameter: str
    value: str
    claim: str
    says: str
    document: str


def _value_text(value: Any) -> str:
    if isinstance(value, dict) and set(value) in ({"uniform"}, {"beta"}):
        kind = next(iter(value))
        return f"{kind}{tuple(value[kind])}"
    if isinstance(value, dict) and set(value) == {"tag"}:
        return f"tag {value['tag']}"
    if isinstance(value, list):
        return ", ".join(_value_text(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_value_text(v)}" for k, v in value.items())
    return str(value)


def sourced_parameters(scenario: Scenario, claims: dict[str, Claim]) -> list[SourcedParameter]:
    """Every parameter that sits beside a `source`, once per claim it cites, in file order."""
    found: list[SourcedParameter] = []

    def leaf(value: Any) -> bool:
        if isinstance(value, dict):
            return set(value) in ({"uniform"}, {"beta"}, {"tag"})
        if isinstance(value, list):
            return not any(isinstance(item, dict) for item in value)
        return True

    def cite(path: str, value: Any, cited: list[str]) -> None:
        for claim_id in cited:
            claim = claims.get(claim_id)
            document = f"{claim.document.title} ({claim.document.date})" if claim else "(missing)"
            found.append(
                SourcedParameter(
                    path, _value_text(value), claim_id, claim.says if claim else "", document
                )
            )

    def visit(node: Any, path: str, cited: list[str]) -> None:
        # A parameter rests on the nearest `source` around it.
        if leaf(node):
            cite(path, node, cited)
        elif isinstance(node, dict):
            own = node.get("source") or cited
            before = len(found)
            for key, value in node.items():
                if key not in ("source", "id", "name", "note"):
                    visit(value, f"{path}.{key}", own)
            if node.get("source") and len(found) == before:
                # An entry left at its defaults still rests on its claims: show the entry.
                cite(path, node.get("name", node.get("id", "")), node["source"])
        else:
            for index, item in enumerate(node):
                name = item.get("id") if isinstance(item, dict) else None
                visit(item, f"{path}[{name if name is not None else index}]", cited)

    data = scenario.model_dump(mode="json", exclude_defaults=True)
    for key in (
        "incumbent",
        "members",
        "candidates",
        "support",
        "objections",
        "decision",
        "dynamics",
        "milestones",
        "outcome",
    ):
        if key in data:
            visit(data[key], key, [])
    return found
