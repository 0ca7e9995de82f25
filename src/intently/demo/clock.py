"""Time for the demo: epoch-second helpers and the business-hours calendar of every policy region."""

from __future__ import annotations

import bisect
import math
import time as _time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from intently.policy import Policy
from intently.policy.schema import WEEKDAYS

HOUR = 3600
MINUTE = 60
DAY = 86400
FAR = 1 << 40
"""A time after everything (used when the business calendar runs out)."""


def epoch(day: date, hour: int = 0, minute: int = 0, zone: ZoneInfo | None = None) -> int:
    return int(datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone or UTC).timestamp())


def iso(ts: int) -> str:
    return _time.strftime("%Y-%m-%dT%H:%M:%SZ", _time.gmtime(ts))


class Calendar:
    """Business hours of every policy region as sorted [open, close) intervals of epoch seconds."""

    def __init__(self, policy: Policy, first: date, last: date) -> None:
        org = policy.organisation
        self.opens: dict[str, list[int]] = {}
        self.closes: dict[str, list[int]] = {}
        for code, region in org.regions.items():
            days = region.days or org.business_days
            start, end = region.span
            opens: list[int] = []
            closes: list[int] = []
            day = first
            while day <= last:
                if WEEKDAYS[day.weekday()] in days:
                    opens.append(math.ceil(datetime.combine(day, start, tzinfo=region.zone).timestamp()))
                    closes.append(math.ceil(datetime.combine(day, end, tzinfo=region.zone).timestamp()))
                day += timedelta(days=1)
            self.opens[code] = opens
            self.closes[code] = closes

    def is_open(self, region: str, t: int) -> bool:
        index = bisect.bisect_right(self.opens[region], t) - 1
        return index >= 0 and t < self.closes[region][index]

    def next_open(self, region: str, t: int) -> int:
        """``t`` if the region is open then, else when it next opens."""
        opens = self.opens[region]
        index = bisect.bisect_right(opens, t) - 1
        if index >= 0 and t < self.closes[region][index]:
            return t
        return opens[index + 1] if index + 1 < len(opens) else FAR

    def close_after(self, region: str, t: int) -> int:
        """The close of the business day open at ``t``, else of the next one."""
        opens = self.opens[region]
        index = bisect.bisect_right(opens, t) - 1
        if index >= 0 and t < self.closes[region][index]:
            return self.closes[region][index]
        return self.closes[region][index + 1] if index + 1 < len(opens) else FAR
