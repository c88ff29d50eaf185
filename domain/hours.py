"""When clerks answer chats: daily hours on Kazakhstan's working days, in Asia/Almaty."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from domain.deadlines import ALMATY, WorkingCalendar, local_date


@dataclass(frozen=True)
class DeskHours:
    opens: time
    closes: time

    def is_open(self, calendar: WorkingCalendar, now: datetime) -> bool:
        local = now.astimezone(ALMATY)
        return calendar.is_working_day(local.date()) and self.opens <= local.time() < self.closes

    def next_opening(self, calendar: WorkingCalendar, now: datetime) -> datetime:
        """The next moment clerks start answering (``now`` itself if they are at work)."""
        if self.is_open(calendar, now):
            return now
        day = local_date(now)
        if now.astimezone(ALMATY).time() >= self.opens:
            day += timedelta(days=1)
        return datetime.combine(calendar.next_working_day(day), self.opens, tzinfo=ALMATY)
