"""The dashboard's date-range filter: ``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (UTC days, both included)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from services.analytics.metrics import DEFAULT_RANGE_DAYS, DateRange


class BadRange(ValueError):
    """The query's dates cannot be used; the message says how to fix them."""


def _date(value: str | None, name: str) -> dt.date | None:
    if value in (None, ""):
        return None
    try:
        return dt.date.fromisoformat(value[:10]) if len(value) == 10 else dt.date.fromisoformat(value)
    except ValueError as exc:
        raise BadRange(f"'{name}' must be a date like 2026-11-21") from exc


def range_from_query(args: Mapping[str, str], today: dt.date | None = None) -> DateRange:
    """The range a query asks for; defaults to the last 30 days up to ``to`` (or today)."""
    end = _date(args.get("to"), "to") or today or dt.datetime.utcnow().date()
    start = _date(args.get("from"), "from") or end - dt.timedelta(days=DEFAULT_RANGE_DAYS - 1)
    try:
        return DateRange(start, end)
    except ValueError as exc:
        raise BadRange(str(exc)) from exc


def query_string(r: DateRange) -> str:
    return f"from={r.start.isoformat()}&to={r.end.isoformat()}"
