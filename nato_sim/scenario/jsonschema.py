"""The scenario format as a JSON Schema that editors understand (draft-07)."""

from __future__ import annotations

import json
from typing import Any

from nato_sim.scenario.schema import Scenario

DRAFT_07 = "http://json-schema.org/draft-07/schema#"


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of a scenario file, in draft-07 form.

    pydantic writes draft 2020-12, whose `$defs` older editors and the YAML language
    server's draft-07 mode do not follow; they are renamed to `definitions`.
    """
    schema = Scenario.model_json_schema(mode="validation", ref_template="#/definitions/{model}")
    schema["definitions"] = schema.pop("$defs", {})
    return {"$schema": DRAFT_07, "$id": "nato-sim-scenario", **schema}


def schema_text() -> str:
    """The schema as the committed file holds it."""
    return json.dumps(scenario_json_schema(), indent=2, sort_keys=True) + "\n"
