"""The dates a wave can have been fielded on: from 1900-01-01 to a year after today.

A date outside that range is a typing slip (9999-12-31, 0202-03-01) that would sort the wave
first or last in every trend. The command line's ``--fielded``, the Data page's date picker and
a restore apply the same range.
"""

from __future__ import annotations

from datetime import date, timedelta

FIRST_FIELDED = date(1900, 1, 1)
_AHEAD = timedelta(days=366)


def last_fielded(today: date | None = None) -> date:
    """The latest date a wave may be fielded on: a year after ``today`` (default: today)."""
    return (today or date.today()) + _AHEAD


def fielded_problem(day: date, today: date | None = None) -> str | None:
    """The sentence saying why ``day`` cannot be a fielded date, or None when it can.

    Examples
    --------
    >>> fielded_problem(date(2026, 9, 30), today=date(2026, 12, 2)) is None
    True
    >>> fielded_problem(date(9999, 12, 31), today=date(2026, 12, 2))
    'The fielded date must lie between 1900-01-01 and 2027-12-03 (a year after today); got 9999-12-31.'
    """
    if FIRST_FIELDED <= day <= last_fielded(today):
        return None
    return (
        f"The fielded date must lie between {FIRST_FIELDED} and {last_fielded(today)} (a year "
        f"after today); got {day}."
    )
