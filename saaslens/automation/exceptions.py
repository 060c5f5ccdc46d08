"""What can go wrong in automation that the person asking should hear about."""

from __future__ import annotations

from saaslens.errors import InvalidInput, NotFound


class ScriptNotFound(NotFound):
    """No script has that id, or it was deleted."""


class TemplateNotFound(NotFound):
    """No template ships with that name."""


class ExecutionNotFound(NotFound):
    """No execution has that id."""


class InvalidScript(InvalidInput):
    """The source does not compile, or a setting is out of range."""


class InvalidParameters(InvalidInput):
    """Parameters that do not satisfy the script's JSON Schema."""

    def __init__(self, message: str, problems: list[str]) -> None:
        super().__init__(message, problems=problems)
        self.problems = problems


class ScriptDisabled(InvalidInput):
    """A disabled script does not run until it is enabled again."""


class ScheduleNotFound(NotFound):
    """No schedule has that id."""


class InvalidSchedule(InvalidInput):
    """A cron expression, time zone, interval or date range that cannot be scheduled."""


class AlertRuleNotFound(NotFound):
    """No alert rule has that id."""


class InvalidAlertRule(InvalidInput):
    """A condition without its numbers, or a metric, schedule or cool-down that cannot be used."""
