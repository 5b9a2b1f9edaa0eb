"""Resolve Chinese date expressions to ISO date ranges, against the document date when known.

>>> resolve_date("2月16日", "2024-03-01")
('2024-02-16', '2024-02-16')
>>> resolve_date("2021年初")
('2021-01-01', '2021-02-28')
>>> resolve_date("去年底", "2024-05-01")
('2023-12-01', '2023-12-31')
"""

from __future__ import annotations

import calendar
import re

__all__ = ["resolve_date"]

_FULL = re.compile(r"^(\d{4})[-年](\d{1,2})[-月](\d{1,2})[日号]?$")
_MONTH_DAY = re.compile(r"^(\d{1,2})月(\d{1,2})[日号]$")
_YEAR_MONTH = re.compile(r"^(\d{4})年(\d{1,2})月(初|底|末|中|上旬|中旬|下旬)?$")
_YEAR = re.compile(r"^(\d{4}|今|去|明|前)年(初|底|末|中|上半年|下半年|第([一二三四])季度|([一二三四])季度)?$")
_MONTH_PART = re.compile(r"^(\d{1,2})月(初|底|末|中|份)$")
_QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4}
_RELATIVE = {"今": 0, "去": -1, "明": 1, "前": -2}


def _last(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _month_range(year: int, month: int, part: str | None) -> tuple[str, str]:
    first, last = 1, _last(year, month)
    if part in ("初", "上旬"):
        first, last = 1, 10
    elif part in ("中", "中旬"):
        first, last = 11, 20
    elif part in ("底", "末", "下旬"):
        first = 21
    return f"{year:04d}-{month:02d}-{first:02d}", f"{year:04d}-{month:02d}-{last:02d}"


def _year_range(year: int, part: str | None, quarter: str | None) -> tuple[str, str]:
    spans = {
        None: (1, 12), "初": (1, 2), "中": (6, 7), "底": (12, 12), "末": (12, 12),
        "上半年": (1, 6), "下半年": (7, 12),
    }
    if quarter:
        q = _QUARTERS[quarter]
        first, last = 3 * q - 2, 3 * q
    else:
        first, last = spans[part]
    return f"{year:04d}-{first:02d}-01", f"{year:04d}-{last:02d}-{_last(year, last):02d}"


def resolve_date(text: str, base: str | None = None) -> tuple[str, str] | None:
    """(first day, last day) of a date expression in Simplified text, or None.

    ``base`` is the document date (ISO); expressions without a year (2月16日) and
    relative years (去年) need it."""
    base_year = int(base[:4]) if base and base[:4].isdigit() else None
    try:
        if m := _FULL.match(text):
            day = f"{int(m[1]):04d}-{int(m[2]):02d}-{int(m[3]):02d}"
            return (day, day) if int(m[3]) <= _last(int(m[1]), int(m[2])) else None
        if m := _MONTH_DAY.match(text):
            if base_year is None or int(m[2]) > _last(base_year, int(m[1])):
                return None
            day = f"{base_year:04d}-{int(m[1]):02d}-{int(m[2]):02d}"
            return day, day
        if m := _YEAR_MONTH.match(text):
            return _month_range(int(m[1]), int(m[2]), m[3])
        if m := _MONTH_PART.match(text):
            if base_year is None:
                return None
            return _month_range(base_year, int(m[1]), None if m[2] == "份" else m[2])
        if m := _YEAR.match(text):
            if m[1] in _RELATIVE:
                if base_year is None:
                    return None
                year = base_year + _RELATIVE[m[1]]
            else:
                year = int(m[1])
            part = m[2] if m[2] and not m[2].endswith("季度") else None
            return _year_range(year, part, m[3] or m[4])
    except (ValueError, calendar.IllegalMonthError):
        return None
    return None
