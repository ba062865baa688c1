"""Dates known only to the month (`1961-03`) or the year (`1961`).

`as_of` and `outcome.date` may be such a date. A :class:`PartialDate` stands for every day
of its month or year; it compares with dates and with other partial dates only when the
answer is certain: `a < b` holds when every day of `a` comes before every day of `b`. So
`1961-03 < 1961-04-01` is true, while `1961-03 < 1961-03-15` and `1961-03 > 1961-03-15` are
both false. Code that needs one day picks it explicitly with :func:`first_day` or
:func:`last_day`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Annotated, Any, Union

from pydantic import BeforeValidator, GetCoreSchemaHandler, WithJsonSchema
from pydantic_core import core_schema

_MONTH = re.compile(r"(\d{4})-(\d{2})")
_YEAR = re.compile(r"\d{4}")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_EXPECTED = "a date (YYYY-MM-DD), a month (YYYY-MM) or a year (YYYY)"


class PartialDate:
    """A month (`month` set) or a whole year (`month` None); immutable and hashable.

    Not a dataclass: pydantic would dump a dataclass as a mapping, and the dump of a
    scenario must validate again as it was.
    """

    __slots__ = ("_year", "_month")

    def __init__(self, year: int, month: int | None = None) -> None:
        if not dt.MINYEAR <= year <= dt.MAXYEAR:
            raise ValueError(f"year {year} is outside {dt.MINYEAR}-{dt.MAXYEAR}")
        if month is not None and not 1 <= month <= 12:
            raise ValueError(f"month {month} is not between 1 and 12")
        self._year = year
        self._month = month

    @property
    def year(self) -> int:
        """The year."""
        return self._year

    @property
    def month(self) -> int | None:
        """The month (1-12), None for a whole year."""
        return self._month

    def __repr__(self) -> str:
        return f"PartialDate({self.isoformat()!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PartialDate):
            return (self._year, self._month) == (other._year, other._month)
        return NotImplemented

    def __hash__(self) -> int:
        return hash((PartialDate, self._year, self._month))

    @property
    def precision(self) -> str:
        """`month` or `year`."""
        return "year" if self.month is None else "month"

    @property
    def first(self) -> dt.date:
        """The first day it covers."""
        return dt.date(self.year, self.month or 1, 1)

    @property
    def last(self) -> dt.date:
        """The last day it covers."""
        month = self.month or 12
        return dt.date(self.year, month, calendar.monthrange(self.year, month)[1])

    def isoformat(self) -> str:
        """`YYYY-MM` or `YYYY`, as written in a scenario."""
        return f"{self.year:04d}" if self.month is None else f"{self.year:04d}-{self.month:02d}"

    def __str__(self) -> str:
        return self.isoformat()

    # Comparisons hold only when certain: every day of one side against every day of the other.
    def __lt__(self, other: object) -> bool:
        if not isinstance(other, (dt.date, PartialDate)):
            return NotImplemented
        return self.last < first_day(other)

    def __le__(self, other: object) -> bool:
        if not isinstance(other, (dt.date, PartialDate)):
            return NotImplemented
        return self.last <= first_day(other)

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, (dt.date, PartialDate)):
            return NotImplemented
        return self.first > last_day(other)

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, (dt.date, PartialDate)):
            return NotImplemented
        return self.first >= last_day(other)

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.is_instance_schema(
            cls,
            # Python mode keeps the object (so a dump validates again as it was); JSON gets
            # the text written in the file.
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value, info: value if info.mode == "python" else value.isoformat(),
                info_arg=True,
                return_schema=core_schema.any_schema(),
            ),
        )


def first_day(value: dt.date | PartialDate) -> dt.date:
    """The day itself, or the first day of a month or year."""
    return value.first if isinstance(value, PartialDate) else value


def last_day(value: dt.date | PartialDate) -> dt.date:
    """The day itself, or the last day of a month or year."""
    return value.last if isinstance(value, PartialDate) else value


def date_text(value: dt.date | PartialDate) -> str:
    """`YYYY-MM-DD`, `YYYY-MM` or `YYYY`."""
    return value.isoformat()


def parse_date(value: Any) -> Any:
    """A day, a month or a year from what YAML gives: a date, `"1961-03"`, 1961 or `"1961"`.

    Raises:
        ValueError: anything else, with what was expected.
    """
    if isinstance(value, PartialDate):
        return value
    if isinstance(value, dt.datetime):
        raise ValueError(f"expected {_EXPECTED}, got a date with a time {value.isoformat()!r}")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 9999:
        return PartialDate(value)
    if isinstance(value, str):
        try:
            if _DAY.fullmatch(value):
                return dt.date.fromisoformat(value)
            if _YEAR.fullmatch(value):
                return PartialDate(int(value))
            month = _MONTH.fullmatch(value)
            if month:
                return PartialDate(int(month.group(1)), int(month.group(2)))
        except ValueError as error:
            raise ValueError(f"expected {_EXPECTED}, got {value!r}: {error}") from None
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:37] + "..."
    raise ValueError(f"expected {_EXPECTED}, got {type(value).__name__} {shown}")


DateOrPartial = Annotated[
    Union[dt.date, PartialDate],
    BeforeValidator(parse_date),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "format": "date"},
                {"type": "string", "pattern": r"^\d{4}(-(0[1-9]|1[0-2]))?$"},
                {"type": "integer", "minimum": 1, "maximum": 9999},
            ],
            "description": "a date (YYYY-MM-DD), or a month (YYYY-MM) or a year (YYYY) "
            "when the day is not known",
        }
    ),
]
