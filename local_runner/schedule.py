"""The template's schedules (``Schedule``/``ScheduleV2`` events), run on demand or by the clock.

``run(moment)`` invokes each scheduled function with the event its schedule would deliver at that
moment (``POST /_local/schedule``). ``start()`` also fires them by the wall clock as the template's
expression says; it understands ``rate(N unit)`` and ``cron(M H * * ? *)`` (daily), which is what the
template uses, and says so for anything else. ``LOCAL_SCHEDULE=manual`` keeps the clock off (the
tests drive time themselves).
"""

from __future__ import annotations

import re
import threading
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from local_runner.events import iso_utc, scheduled_event
from local_runner.template import function_events, parameter_values, resolve

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_DAILY_CRON = re.compile(r"^cron\((\d{1,2}) (\d{1,2}) \* \* \? \*\)$")


@dataclass(frozen=True)
class LocalSchedule:
    function: str
    name: str
    expression: str

    def next_after(self, moment: datetime) -> datetime | None:
        """The first firing strictly after ``moment``; None for an expression local mode cannot read."""
        if rate := _RATE.match(self.expression):
            count, unit = int(rate.group(1)), rate.group(2).rstrip("s")
            period = timedelta(**{f"{unit}s": count})
            return moment + period
        if cron := _DAILY_CRON.match(self.expression):
            minute, hour = int(cron.group(1)), int(cron.group(2))
            today = moment.replace(hour=hour, minute=minute, second=0, microsecond=0)
            return today if today > moment else today + timedelta(days=1)
        return None

    def invoke(self, invokers: Mapping[str, Callable[[dict[str, Any]], Any]], moment: datetime) -> Any:
        """Invokes the function with the event its schedule delivers at ``moment``; its result."""
        arn = f"arn:aws:scheduler:us-east-1:123456789012:schedule/default/{self.name}"
        return invokers[self.function](scheduled_event(iso_utc(moment), arn))


class Schedules:
    def __init__(
        self,
        references: dict[str, str],
        parameters: Mapping[str, str],
        invokers: Mapping[str, Callable[[dict[str, Any]], Any]],
        log: Callable[[str], None],
    ):
        self._invokers = invokers
        self._log = log
        values = parameter_values(parameters)
        self.schedules = [
            LocalSchedule(
                event.function, event.name, str(resolve(event.properties["ScheduleExpression"], references, values))
            )
            for event_type in ("Schedule", "ScheduleV2")
            for event in function_events(event_type)
            if event.function in invokers
        ]
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def functions(self) -> list[str]:
        return sorted({schedule.function for schedule in self.schedules})

    def run(self, moment: datetime, function: str | None = None) -> list[dict[str, Any]]:
        """Invokes every scheduled function (or only ``function``) as its schedule would at ``moment``;
        their results."""
        return [
            {
                "function": schedule.function,
                "schedule": schedule.name,
                "result": schedule.invoke(self._invokers, moment),
            }
            for schedule in self.schedules
            if function in (None, schedule.function)
        ]

    def start(self) -> None:
        for schedule in self.schedules:
            if schedule.next_after(datetime.now(UTC)) is None:
                self._log(f"schedule {schedule.name} ({schedule.expression}): local mode runs it only on request")
        self._thread = threading.Thread(target=self._tick, name="schedules", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(10)

    def _tick(self) -> None:
        due = {schedule: schedule.next_after(datetime.now(UTC)) for schedule in self.schedules}
        while not self._stopping.wait(1.0):
            now = datetime.now(UTC)
            for schedule, at in due.items():
                if at is None or at > now:
                    continue
                due[schedule] = schedule.next_after(now)
                try:
                    result = schedule.invoke(self._invokers, at)
                    self._log(f"schedule {schedule.name} fired at {iso_utc(at)}: {result}")
                except Exception:  # the function's failure: report it, keep the clock going
                    self._log(f"schedule {schedule.name} failed:\n{traceback.format_exc().rstrip()}")
