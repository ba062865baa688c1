"""The scenario format: pydantic models for every field of a scenario file.

The models check each value on its own (types, ranges, lengths, unknown keys). Checks that
need the whole scenario (unknown ids, cycles, missing claims, size limits) live in
:mod:`nato_sim.scenario.crossref` and :mod:`nato_sim.scenario.limits`.

Every bound here keeps a valid file computable: a round number or a date that overflows, a
weight whose sum is infinite, a Beta shape the sampler cannot draw, text that would drive the
terminal it is printed on.
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

from nato_sim.output.tables import counted
from nato_sim.scenario.dates import DateOrPartial
from nato_sim.scenario.limits import MAX_CANDIDATES, MAX_MEMBERS, MAX_RULES

# Rounds: `decision.rounds` and every round number (`enters`, `after`, `until: {round}`,
# milestones). The engine keeps a few small tables per round.
MAX_ROUNDS = 1000
MAX_ROUND_DAYS = 366  # a round a year at the slowest
MAX_MEETING_WEIGHT = 100.0  # a meeting worth a hundred ordinary rounds of concessions
# Outcome labels that are not candidates: no candidate may take them as its id.
RESERVED_OUTCOMES = ("all", "extension", "acting", "no-decision")
# Weights are relative; this keeps the sum of MAX_MEMBERS of them far from overflowing.
MAX_WEIGHT = 1e15
# Beta(a, b): numpy's sampler slows and fails past about 1e300 and draws wrongly from the
# smallest subnormal numbers; the step sampler's tables lose their precision for a parameter
# in (1, 1 + 1e-9) once the other is in the millions. Within these bounds every shape draws
# 65,536 values in milliseconds.
MIN_BETA = 1e-300
MAX_BETA = 1e6
BETA_GAP = 1e-9
MAX_TAGS = 20  # per member or candidate
MAX_CONDITIONS = 10  # `until` conditions per objection rule
MAX_MILESTONES = 100
MAX_PREFERENCES = 100  # entries of `support.preferences`

SLUG = r"^[a-z][a-z0-9-]*$"  # candidate and rule ids
MemberId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Z]{3}$"),
    Field(description="ISO 3166-1 alpha-3 code, e.g. USA, NOR"),
]
CandidateId = Annotated[str, StringConstraints(pattern=SLUG), Field(description="slug, e.g. rutte")]
RuleId = Annotated[str, StringConstraints(pattern=SLUG)]
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

# Control characters (C0, DEL, C1) and the bidirectional controls that reorder text on screen:
# printed in a table, they would drive the terminal (`\x1b[2J` clears it) or disguise text.
_BIDI = ((0x202A, 0x202E), (0x2066, 0x2069))
_NOT_IN_LINE = ((0x00, 0x1F), (0x7F, 0x9F), *_BIDI)
_NOT_IN_TEXT = ((0x00, 0x08), (0x0B, 0x1F), (0x7F, 0x9F), *_BIDI)  # tabs and line breaks pass


def _ranges(ranges: tuple[tuple[int, int], ...]) -> str:
    """A character class's ranges as \\uXXXX escapes, which Python and JSON Schema (ECMA 262)
    regular expressions both read."""
    return "".join(f"\\u{lo:04x}-\\u{hi:04x}" for lo, hi in ranges)


def _plain(ranges: tuple[tuple[int, int], ...], what: str):
    found = re.compile(f"[{_ranges(ranges)}]")

    def check(value: str) -> str:
        bad = found.search(value)
        if bad:
            code = ord(bad.group())
            if code in (0x0A, 0x0D):
                why = "a line break"
            elif code >= _BIDI[0][0]:
                why = "a control that reorders text on screen"
            else:
                why = "a control character"
            shown = repr(value) if len(value) <= 40 else repr(value[:37]) + "..."
            raise ValueError(f"expected {what}, got {shown} (U+{code:04X} is {why})")
        return value

    return check


Line = Annotated[
    str,
    AfterValidator(_plain(_NOT_IN_LINE, "one line of plain text")),
    WithJsonSchema({"type": "string", "pattern": f"^[^{_ranges(_NOT_IN_LINE)}]*$"}),
]
Text = Annotated[
    str,
    AfterValidator(_plain(_NOT_IN_TEXT, "plain text (tabs and line breaks allowed)")),
    WithJsonSchema({"type": "string", "pattern": f"^[^{_ranges(_NOT_IN_TEXT)}]*$"}),
]


class Uniform(Model):
    """A value drawn once per trial, uniformly between two bounds."""

    uniform: Annotated[list[Finite], Field(min_length=2, max_length=2)]

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        lo, hi = self.uniform
        if lo > hi:
            raise ValueError(f"uniform bounds must be [lo, hi] with lo <= hi, got [{lo}, {hi}]")
        return self


def _drawable(value: float) -> float:
    if value < MIN_BETA:
        raise ValueError(f"expected a number >= {MIN_BETA:g}, got {value!r}")
    if 1 < value < 1 + BETA_GAP:
        raise ValueError(
            f"expected exactly 1 or at least {1 + BETA_GAP!r}, got {value!r} (write 1)"
        )
    return value


BetaParameter = Annotated[Finite, Field(gt=0, le=MAX_BETA), AfterValidator(_drawable)]


class Beta(Model):
    """A value drawn once per trial from a Beta(a, b) distribution."""

    beta: Annotated[list[BetaParameter], Field(min_length=2, max_length=2)]


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
    beta_parameter = {"type": "number", "minimum": MIN_BETA, "maximum": MAX_BETA}

    def pair(item: dict) -> dict:
        return {"type": "array", "items": item, "minItems": 2, "maxItems": 2}

    return {
        "anyOf": [
            number,
            {
                "type": "object",
                "properties": {"uniform": pair(number)},
                "required": ["uniform"],
                "additionalProperties": False,
            },
            {
                "type": "object",
                "properties": {"beta": pair(beta_parameter)},
                "required": ["beta"],
                "additionalProperties": False,
            },
        ]
    }


def _positive(value: float | Uniform | Beta) -> float | Uniform | Beta:
    if isinstance(value, Beta) and value.beta[0] < 1:
        # Its density is unbounded at 0: draws underflow to 0, and so, in a trial, may the
        # sum of the weights that the shares are divided by.
        raise ValueError(
            f"expected {{beta: [a, b]}} with a >= 1 for a weight, got a = {value.beta[0]!r} "
            "(a smaller a draws weights of exactly 0)"
        )
    bounds = [value] if isinstance(value, float) else getattr(value, "uniform", [])
    for bound in bounds:
        if not bound > 0:
            raise ValueError(f"expected a number > 0, got {bound}")
        if bound > MAX_WEIGHT:
            raise ValueError(f"expected a number <= {MAX_WEIGHT:g}, got {bound}")
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
    WithJsonSchema(_uncertain_json_schema(0, MAX_WEIGHT, True)),
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
    """Selects every member (or candidate) that carries a tag (`tag`), or every one that lacks
    it (`without`)."""

    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["tag"]}, {"required": ["without"]}]}
    )

    tag: Tag | None = None
    without: Tag | None = None

    @model_validator(mode="after")
    def _one_of(self) -> TagSelector:
        if (self.tag is None) == (self.without is None):
            raise ValueError("give exactly one of 'tag' or 'without'")
        return self


def _selector_shape(value: Any) -> Any:
    """One id as a list of one; a mapping read as a TagSelector, so that its problems are
    reported alone rather than beside 'expected all or a list'."""
    if isinstance(value, str) and value != "all":
        return [value]
    if isinstance(value, dict):
        return TagSelector.model_validate(value)
    return value


MemberSelector = Annotated[
    Union[Literal["all"], list[MemberId], TagSelector],
    BeforeValidator(
        _selector_shape,
        json_schema_input_type=Union[Literal["all"], MemberId, list[MemberId], TagSelector],
    ),
    Field(description="a member id, a list of ids, {tag: name}, {without: name} or 'all'"),
]
CandidateSelector = Annotated[
    Union[Literal["all"], list[CandidateId], TagSelector],
    BeforeValidator(
        _selector_shape,
        json_schema_input_type=Union[Literal["all"], CandidateId, list[CandidateId], TagSelector],
    ),
    Field(description="a candidate id, a list of ids, {tag: name}, {without: name} or 'all'"),
]


Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS)]
Round = Annotated[int, Field(ge=1, le=MAX_ROUNDS)]


class Member(Model):
    """A member state. Its weight is its influence in the backing share."""

    id: MemberId
    name: Line
    weight: Positive = Field(1.0, description=f"influence, > 0 and at most {MAX_WEIGHT:g}")
    tags: Tags = []
    joins: Round | Date | None = Field(
        None, description="round (or date, with a calendar) from which it counts and can object"
    )
    source: Sources = []


class Declare(Model):
    """How a floated name declares: a chance per round, from the round it could first win."""

    chance: Probability = Field(description="per-round chance of declaring (under no backing)")
    after: Annotated[Round, Field(description="earliest round in which it may be appointed")] = 2


# A compromise nobody has named yet surfaces after a deadlock of a few rounds (judgement; the
# default of `unnamed` candidates without a `declare` of their own, docs/model.md).
UNNAMED_DECLARE = Declare(chance=0.25, after=3)


class Candidate(Model):
    """A person in the race, a name only floated, or a compromise not yet named."""

    id: CandidateId
    name: Line
    country: MemberId | None = Field(None, description="required unless the candidate is unnamed")
    tags: Tags = []
    enters: Annotated[Round, Field(description="round in which the candidate enters")] = 1
    withdraw: Probability = Field(
        0.0, description="per-round probability of withdrawing while not the front-runner"
    )
    decline: Probability = Field(
        0.0, description="per-round probability of leaving the race, front-runner or not"
    )
    declare: Declare | None = Field(
        None, description="a floated name: it must declare before it can be appointed"
    )
    unnamed: bool = Field(False, description="stands for someone not yet named")
    source: Sources = []

    @model_validator(mode="after")
    def _not_reserved(self) -> Candidate:
        if self.id in RESERVED_OUTCOMES:
            raise ValueError(f"candidate id {self.id!r} is reserved")
        if self.country is None and not self.unnamed:
            raise ValueError("a named candidate needs a 'country'")
        return self

    @property
    def declaration(self) -> Declare | None:
        """The candidate's `declare`, with the default of an unnamed candidate."""
        if self.declare is None and self.unnamed:
            return UNNAMED_DECLARE
        return self.declare


class CandidateSupport(Model):
    """Support for one candidate: a default, then tag entries, then member entries."""

    default: Probability | None = None
    tags: dict[Tag, Probability] = {}
    members: dict[MemberId, Probability] = {}
    source: Sources = []


def _fixed_shift(value: Any) -> Any:
    if isinstance(value, dict):
        raise ValueError(
            "expected a number in [-1, 1], got a mapping ('add' is a fixed number; "
            "give an uncertain value with 'set')"
        )
    return value


Shift = Annotated[float, Field(ge=-1.0, le=1.0, allow_inf_nan=False), BeforeValidator(_fixed_shift)]


class Preference(Model):
    """Support of the selected members for every candidate who carries a tag (`for`) or
    lacks it (`without`): `set` to a support value, or `add` a number to the value that
    applies otherwise (nato_sim.scenario.preferences resolves them)."""

    members: MemberSelector
    # `for` is a Python keyword: the field is declared through the class namespace and read
    # through `tag` and `wanted` below.
    __annotations__["for"] = "Tag | None"
    vars()["for"] = Field(None, description="candidates who carry this tag")
    without: Tag | None = Field(None, description="candidates who lack this tag")
    set: Probability | None = Field(None, description="their support, as any support value")
    add: Shift | None = Field(
        None, description="added to the support that applies otherwise, clipped to [0, 1]"
    )
    source: Sources = []
    note: Text | None = None

    @model_validator(mode="after")
    def _one_each(self) -> Preference:
        if (getattr(self, "for") is None) == (self.without is None):
            raise ValueError(
                "give exactly one of 'for' (a tag the candidates carry) "
                "or 'without' (a tag they lack)"
            )
        if (self.set is None) == (self.add is None):
            raise ValueError(
                "give exactly one of 'set' (a support value) or 'add' (a number in [-1, 1])"
            )
        return self

    @property
    def tag(self) -> str:
        """The candidate tag the entry is about."""
        tag = getattr(self, "for")
        return tag if tag is not None else str(self.without)

    @property
    def wanted(self) -> bool:
        """True for `for` (candidates who carry the tag), False for `without`."""
        return getattr(self, "for") is not None


class Support(Model):
    """Support s(m, c) in [0, 1]; 0.5 is no opinion."""

    default: Probability = 0.5
    candidates: dict[CandidateId, CandidateSupport] = {}
    preferences: Annotated[list[Preference], Field(max_length=MAX_PREFERENCES)] = Field(
        default=[], description="support by the candidates' tags (docs/format.md, 'Preferences')"
    )
    source: Sources = []


class WithdrawnCondition(Model):
    """Holds once the named candidate has withdrawn."""

    withdrawn: CandidateId


class LiftedCondition(Model):
    """Holds once none of the named rule's objections stands."""

    lifted: RuleId


class RoundCondition(Model):
    """Holds from the named round on."""

    round: Annotated[int, Field(ge=2, le=MAX_ROUNDS)]


def _condition_shape(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        key = next(iter(value))
        kinds: dict[str, type[Model]] = {
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
    after: Annotated[Round, Field(description="earliest round in which it may lift")] = 2
    until: Annotated[list[UntilCondition], Field(max_length=MAX_CONDITIONS)] = Field(
        [], description="conditions that lift it at once; any one suffices"
    )
    together: bool = Field(False, description="raise and lift all pairs as one bloc")
    source: Sources = []
    note: Text | None = None


class Meeting(Model):
    """A session at which an appointment can be made: the NAC, a ministerial, a summit."""

    date: Date
    name: Line | None = None
    weight: Annotated[float, Field(ge=0.0, le=MAX_MEETING_WEIGHT, allow_inf_nan=False)] = Field(
        1.0, description="how much can be conceded going into the meeting; 1 = one round"
    )


class Calendar(Model):
    """Dates of the rounds: evenly spaced from `start`, or a list of meetings."""

    start: Date | None = None
    round_days: Annotated[int, Field(ge=1, le=MAX_ROUND_DAYS)] | None = None
    meetings: Annotated[list[Meeting], Field(min_length=1, max_length=MAX_ROUNDS)] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Calendar:
        spaced = self.start is not None and self.round_days is not None
        if self.meetings is None and not spaced:
            raise ValueError("give 'start' and 'round_days', or 'meetings'")
        if self.meetings is not None and (self.start is not None or self.round_days is not None):
            raise ValueError("give 'meetings' or 'start' and 'round_days', not both")
        if self.meetings is not None:
            for before, after in zip(self.meetings, self.meetings[1:], strict=False):
                if after.date <= before.date:
                    raise ValueError(
                        f"meeting dates must increase: {after.date} comes after {before.date}"
                    )
        return self

    @property
    def first(self) -> dt.date:
        """The date of round 1."""
        if self.meetings is not None:
            return self.meetings[0].date
        assert self.start is not None
        return self.start

    def rounds_by(self, deadline: dt.date) -> int:
        """The number of rounds dated on or before `deadline`."""
        if self.meetings is not None:
            return sum(1 for m in self.meetings if m.date <= deadline)
        assert self.round_days is not None
        return (deadline - self.first).days // self.round_days + 1

    def dates(self, rounds: int) -> tuple[dt.date, ...]:
        """The dates of rounds 1 to `rounds`."""
        if self.meetings is not None:
            return tuple(m.date for m in self.meetings[:rounds])
        assert self.round_days is not None
        return tuple(self.first + dt.timedelta(days=self.round_days * r) for r in range(rounds))

    def weights(self, rounds: int) -> tuple[float, ...]:
        """The weight of rounds 1 to `rounds` (1 for evenly spaced rounds)."""
        if self.meetings is None:
            return (1.0,) * rounds
        return tuple(m.weight for m in self.meetings[:rounds])


class EarlyExtension(Model):
    """The allies agree to extend the incumbent before the deadline."""

    chance: Probability = Field(description="per-round chance, in a round without appointment")
    after: Annotated[Round, Field(description="first round in which it may happen")] = 2


class Decision(Model):
    """How the appointment is made and what happens when time runs out."""

    rule: Literal["consensus"] = "consensus"
    min_support: Probability = 0.5
    rounds: Round | None = None
    deadline: Date | None = None
    calendar: Calendar | None = None
    on_deadline: Literal["extend", "acting", "no_decision"] | None = Field(
        None, description="default: 'extend' with an incumbent, else 'no_decision'"
    )
    extend_chance: Probability = 1.0
    early_extension: EarlyExtension | None = None
    source: Sources = []

    @model_validator(mode="after")
    def _horizon(self) -> Decision:
        if (self.rounds is None) == (self.deadline is None):
            raise ValueError("give exactly one of 'rounds' or 'deadline'")
        if self.deadline is not None:
            if self.calendar is None:
                raise ValueError(
                    "a 'deadline' needs a 'calendar' (start and round_days, or meetings)"
                )
            if self.deadline < self.calendar.first:
                raise ValueError(
                    f"deadline {self.deadline} is before the calendar's first round "
                    f"{self.calendar.first}"
                )
            if self.round_count > MAX_ROUNDS:
                raise ValueError(
                    f"the deadline gives {self.round_count} rounds; at most {MAX_ROUNDS}"
                )
        if self.calendar is not None and self.calendar.meetings is not None:
            if self.rounds is not None and self.rounds > len(self.calendar.meetings):
                raise ValueError(
                    f"{self.rounds} rounds, but the calendar lists only "
                    f"{counted(len(self.calendar.meetings), 'meeting')}"
                )
        elif self.calendar is not None:
            start, step = self.calendar.first, self.calendar.round_days
            assert step is not None
            last = (self.round_count - 1) * step  # days from the start to the last round
            if last > (dt.date.max - start).days:
                raise ValueError(
                    f"the calendar runs past {dt.date.max}, the last date there is: round "
                    f"{self.round_count} would start {last:,} days after {start}"
                )
        return self

    @property
    def round_count(self) -> int:
        """The number of rounds R, from `rounds` or from the deadline and calendar."""
        if self.rounds is not None:
            return self.rounds
        assert self.calendar is not None and self.deadline is not None  # checked above
        return self.calendar.rounds_by(self.deadline)


class Dynamics(Model):
    """How pressure builds on holdouts."""

    bandwagon: NonNegative = Field(default=1.0, description="bandwagon strength beta >= 0")
    source: Sources = []


class Milestone(Model):
    """A named date (or round) reported as P(decided on or before it)."""

    name: Line
    date: Date | None = None
    round: Round | None = None
    source: Sources = []

    @model_validator(mode="after")
    def _one_of(self) -> Milestone:
        if (self.date is None) == (self.round is None):
            raise ValueError("give exactly one of 'date' or 'round'")
        return self


class Incumbent(Model):
    """The office holder whose term is extended when nobody is agreed in time."""

    name: Line
    country: MemberId
    term_ends: Date | None = None
    source: Sources = []


class Outcome(Model):
    """What actually happened; read by `backtest`, ignored by the engine."""

    winner: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")] = Field(
        description=(
            "a candidate id (an unnamed one's when the person appointed was not named), "
            "'extension', 'acting' or 'no-decision'"
        )
    )
    date: DateOrPartial
    source: Sources = []
    note: Text | None = None


class Scenario(Model):
    """A whole scenario file."""

    title: Line
    description: Line = Field(description="one line, shown by `nato-sim scenarios`")
    as_of: DateOrPartial | None = None
    incumbent: Incumbent | None = None
    members: Annotated[list[Member], Field(min_length=1, max_length=MAX_MEMBERS)]
    candidates: Annotated[list[Candidate], Field(min_length=1, max_length=MAX_CANDIDATES)]
    support: Support = Support()
    objections: Annotated[list[Objection], Field(max_length=MAX_RULES)] = []
    decision: Decision
    dynamics: Dynamics = Dynamics()
    milestones: Annotated[list[Milestone], Field(max_length=MAX_MILESTONES)] = []
    outcome: Outcome | None = None
    notes: Text | None = None

    # Provenance, set by the loader; not part of the file format.
    _origin: str = PrivateAttr("(in memory)")
    _overrides: tuple[str, ...] = PrivateAttr(())

    @property
    def fallback(self) -> str:
        """What happens when nobody is appointed in time: `extend`, `acting` or `no_decision`.

        Without `on_deadline`: an incumbent's term is extended; with no incumbent, no decision.
        """
        if self.decision.on_deadline is not None:
            return self.decision.on_deadline
        return "extend" if self.incumbent is not None else "no_decision"

    @property
    def origin(self) -> str:
        """The path or bundled name the scenario was loaded from."""
        return self._origin

    @property
    def overrides(self) -> tuple[str, ...]:
        """The `path=value` overrides applied when loading, in order."""
        return self._overrides
