"""The scenario format: pydantic models for every field of a scenario file.

The models check each value on its own (types, ranges, unknown keys). Checks that need the
whole scenario (unknown ids, cycles, missing claims) live in :mod:`nato_sim.scenario.crossref`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

MemberId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    Field(description="ISO 3166-1 alpha-3 code, e.g. USA, NOR"),
]
CandidateId = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$"), Field(description="slug, e.g. rutte")
]
RuleId = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")]
Tag = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]*$")]
ClaimId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.-]*$")]


class Model(BaseModel):
    """Base of every scenario model: strict types, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("expected a finite number, got " + repr(value))
    return value


Finite = Annotated[float, AfterValidator(_finite)]


def _iso_date(value: Any) -> Any:
    """Read a quoted 'YYYY-MM-DD' as the date the JSON Schema for editors says it is."""
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as error:
            raise ValueError(f"expected a date (YYYY-MM-DD), got {value!r}: {error}") from None
    return value


Date = Annotated[dt.date, BeforeValidator(_iso_date)]


class Uniform(Model):
    """A value drawn once per trial, uniformly between two bounds."""

    uniform: Annotated[list[Finite], Field(min_length=2, max_length=2)]

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        lo, hi = self.uniform
        if lo > hi:
            raise ValueError(f"uniform bounds must be [lo, hi] with lo <= hi, got [{lo}, {hi}]")
        return self


class Beta(Model):
    """A value drawn once per trial from a Beta(a, b) distribution."""

    beta: Annotated[list[Annotated[Finite, Field(gt=0)]], Field(min_length=2, max_length=2)]


Distribution = Union[Uniform, Beta]
_UNCERTAIN_HELP = "a number, {uniform: [lo, hi]} or {beta: [a, b]}"


def _uncertain_shape(value: Any) -> Any:
    """Give one clear message instead of one per union member when the shape is wrong."""
    if isinstance(value, bool) or not isinstance(value, (int, float, dict)):
        raise ValueError(f"expected {_UNCERTAIN_HELP}, got {type(value).__name__} {value!r}")
    if isinstance(value, dict):
        if set(value) == {"uniform"}:
            return Uniform.model_validate(value)
        if set(value) == {"beta"}:
            return Beta.model_validate(value)
        raise ValueError(f"expected {_UNCERTAIN_HELP}, got a mapping with keys {sorted(value)}")
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"expected a number of ordinary size, got {value}") from None


def _range_check(lo: float, hi: float | None, what: str):
    def check(value: float | Uniform | Beta) -> float | Uniform | Beta:
        bounds = [value] if isinstance(value, float) else getattr(value, "uniform", [])
        for bound in bounds:
            _finite(bound)
            if bound < lo or (hi is not None and bound > hi):
                raise ValueError(f"expected {what}, got {bound}")
        return value

    return check


def _uncertain_json_schema(minimum: float, maximum: float | None, exclusive: bool) -> dict:
    number: dict[str, Any] = {"type": "number"}
    number["exclusiveMinimum" if exclusive else "minimum"] = minimum
    if maximum is not None:
        number["maximum"] = maximum
    pair = {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}
    return {
        "anyOf": [
            number,
            {
                "type": "object",
                "properties": {"uniform": pair},
                "required": ["uniform"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {"beta": pair},
                "required": ["beta"],
                "additionalProperties": False,
            },
        ]
    }


def _positive(value: float | Uniform | Beta) -> float | Uniform | Beta:
    bounds = [value] if isinstance(value, float) else getattr(value, "uniform", [])
    for bound in bounds:
        if not bound > 0:
            raise ValueError(f"expected a number > 0, got {bound}")
    return value


_Any = Union[float, Uniform, Beta]
Probability = Annotated[
    _Any,
    BeforeValidator(_uncertain_shape),
    AfterValidator(_range_check(0.0, 1.0, "a probability in [0, 1]")),
    WithJsonSchema(_uncertain_json_schema(0, 1, False)),
]
NonNegative = Annotated[
    _Any,
    BeforeValidator(_uncertain_shape),
    AfterValidator(_range_check(0.0, None, "a number >= 0")),
    WithJsonSchema(_uncertain_json_schema(0, None, False)),
]
Positive = Annotated[
    _Any,
    BeforeValidator(_uncertain_shape),
    AfterValidator(_range_check(0.0, None, "a number > 0")),
    AfterValidator(_positive),
    WithJsonSchema(_uncertain_json_schema(0, None, True)),
]


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Sources = Annotated[
    list[ClaimId],
    # The schema for editors must accept the single-id shorthand the validator accepts.
    BeforeValidator(_as_list, json_schema_input_type=Union[ClaimId, list[ClaimId]]),
    Field(description="claim ids from the seeds/ folder; a single id or a list"),
]


class TagSelector(Model):
    """Selects every member (or candidate) that carries a tag."""

    tag: Tag


MemberSelector = Annotated[
    Union[Literal["all"], list[MemberId], TagSelector],
    BeforeValidator(
        lambda v: [v] if isinstance(v, str) and v != "all" else v,
        json_schema_input_type=Union[Literal["all"], MemberId, list[MemberId], TagSelector],
    ),
    Field(description="a member id, a list of ids, {tag: name} or 'all'"),
]
CandidateSelector = Annotated[
    Union[Literal["all"], list[CandidateId], TagSelector],
    BeforeValidator(
        lambda v: [v] if isinstance(v, str) and v != "all" else v,
        json_schema_input_type=Union[Literal["all"], CandidateId, list[CandidateId], TagSelector],
    ),
    Field(description="a candidate id, a list of ids, {tag: name} or 'all'"),
]


class Member(Model):
    """A member state. Its weight is its influence in the backing share."""

    id: MemberId
    name: str
    weight: Positive = 1.0
    tags: list[Tag] = []
    source: Sources = []


class Candidate(Model):
    """A person in the race."""

    id: CandidateId
    name: str
    country: MemberId
    tags: list[Tag] = []
    enters: Annotated[int, Field(ge=1, description="round in which the candidate enters")] = 1
    withdraw: Probability = Field(
        0.0, description="per-round probability of withdrawing while not the front-runner"
    )
    source: Sources = []

    @model_validator(mode="after")
    def _not_reserved(self) -> Candidate:
        if self.id in ("all", "extension", "no-decision"):
            raise ValueError(f"candidate id {self.id!r} is reserved")
        return self


class CandidateSupport(Model):
    """Support for one candidate: a default, then tag entries, then member entries."""

    default: Probability | None = None
    tags: dict[Tag, Probability] = {}
    members: dict[MemberId, Probability] = {}
    source: Sources = []


class Support(Model):
    """Support s(m, c) in [0, 1]; 0.5 is no opinion."""

    default: Probability = 0.5
    candidates: dict[CandidateId, CandidateSupport] = {}
    source: Sources = []


class WithdrawnCondition(Model):
    """Holds once the named candidate has withdrawn."""

    withdrawn: CandidateId


class LiftedCondition(Model):
    """Holds once none of the named rule's objections stands."""

    lifted: RuleId


class RoundCondition(Model):
    """Holds from the named round on."""

    round: Annotated[int, Field(ge=2)]


def _condition_shape(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        kinds = {
            "withdrawn": WithdrawnCondition,
            "lifted": LiftedCondition,
            "round": RoundCondition,
        }
        if key in kinds:
            return kinds[key].model_validate(value)
    raise ValueError(
        "expected one of {withdrawn: candidate}, {lifted: rule-id} or {round: N}, "
        f"got {value!r}"
    )


UntilCondition = Annotated[
    Union[WithdrawnCondition, LiftedCondition, RoundCondition],
    BeforeValidator(_condition_shape),
]


class Objection(Model):
    """A veto rule: members who block candidates until the objection is lifted."""

    id: RuleId | None = None
    members: MemberSelector
    candidates: CandidateSelector
    chance: Probability = Field(1.0, description="probability that the objection is raised")
    lift: Probability = Field(
        0.0, description="per-round probability of lifting under neutral pressure; 0 = hard veto"
    )
    after: Annotated[int, Field(ge=1, description="earliest round in which it may lift")] = 2
    until: list[UntilCondition] = Field(
        [], description="conditions that lift it at once; any one suffices"
    )
    together: bool = Field(False, description="raise and lift all pairs as one bloc")
    source: Sources = []
    note: str | None = None


class Calendar(Model):
    """Dates of the consultation rounds."""

    start: Date
    round_days: Annotated[int, Field(ge=1)]


class Decision(Model):
    """How the appointment is made and what happens when time runs out."""

    rule: Literal["consensus"] = "consensus"
    min_support: Probability = 0.5
    rounds: Annotated[int, Field(ge=1, le=1000)] | None = None
    deadline: Date | None = None
    calendar: Calendar | None = None
    on_deadline: Literal["extend", "no_decision"] = "extend"
    extend_chance: Probability = 1.0
    source: Sources = []

    @model_validator(mode="after")
    def _horizon(self) -> Decision:
        if (self.rounds is None) == (self.deadline is None):
            raise ValueError("give exactly one of 'rounds' or 'deadline'")
        if self.deadline is not None:
            if self.calendar is None:
                raise ValueError("a 'deadline' needs a 'calendar' (start, round_days)")
            if self.deadline < self.calendar.start:
                raise ValueError(
                    f"deadline {self.deadline} is before the calendar start {self.calendar.start}"
                )
            if self.round_count > 1000:
                raise ValueError(f"the deadline gives {self.round_count} rounds; at most 1000")
        return self

    @property
    def round_count(self) -> int:
        """The number of rounds R, from `rounds` or from the deadline and calendar."""
        if self.rounds is not None:
            return self.rounds
        assert self.calendar is not None and self.deadline is not None  # checked above
        return (self.deadline - self.calendar.start).days // self.calendar.round_days + 1


class Dynamics(Model):
    """How pressure builds on holdouts."""

    bandwagon: NonNegative = Field(1.0, description="bandwagon strength beta >= 0")
    source: Sources = []


class Milestone(Model):
    """A named date (or round) reported as P(decided on or before it)."""

    name: str
    date: Date | None = None
    round: Annotated[int, Field(ge=1)] | None = None
    source: Sources = []

    @model_validator(mode="after")
    def _one_of(self) -> Milestone:
        if (self.date is None) == (self.round is None):
            raise ValueError("give exactly one of 'date' or 'round'")
        return self


class Incumbent(Model):
    """The office holder whose term is extended when nobody is agreed in time."""

    name: str
    country: MemberId
    term_ends: Date | None = None
    source: Sources = []


class Outcome(Model):
    """What actually happened; read by `backtest`, ignored by the engine."""

    winner: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")] = Field(
        description="a candidate id, 'extension' or 'no-decision'"
    )
    date: Date
    source: Sources = []
    note: str | None = None


class Scenario(Model):
    """A whole scenario file."""

    title: str
    description: str = Field(description="one line, shown by `nato-sim scenarios`")
    as_of: Date | None = None
    incumbent: Incumbent | None = None
    members: Annotated[list[Member], Field(min_length=1)]
    candidates: Annotated[list[Candidate], Field(min_length=1)]
    support: Support = Support()
    objections: list[Objection] = []
    decision: Decision
    dynamics: Dynamics = Dynamics()
    milestones: list[Milestone] = []
    outcome: Outcome | None = None
    notes: str | None = None

    # Provenance, set by the loader; not part of the file format.
    _origin: str = PrivateAttr("(in memory)")
    _overrides: tuple[str, ...] = PrivateAttr(())

    @property
    def origin(self) -> str:
        """The path or bundled name the scenario was loaded from."""
        return self._origin

    @property
    def overrides(self) -> tuple[str, ...]:
        """The `path=value` overrides applied when loading, in order."""
        return self._overrides
