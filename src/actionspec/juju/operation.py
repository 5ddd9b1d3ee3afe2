"""Operations and tasks: what `juju run` creates and what it reports back.

One `juju run` creates one operation with one task per unit (J9). A task moves
pending -> running -> completed | failed | aborted, or pending -> cancelled (J5).
Source: juju/juju 3.6 apiserver/facades/client/action/ and rpc/params/actions.go.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import trace as trace_
from . import context, render, results

if TYPE_CHECKING:
    from . import versions


class TaskStatus(str, enum.Enum):
    """Juju's action statuses (rpc/params: ActionPending, ActionRunning, ...)."""

    PENDING = 'pending'
    RUNNING = 'running'
    COMPLETED = 'completed'
    FAILED = 'failed'
    CANCELLED = 'cancelled'
    ABORTED = 'aborted'

    def __str__(self) -> str:
        return self.value


class Timing(NamedTuple):
    """When the task was queued, started and finished (UTC)."""

    enqueued: datetime.datetime
    started: datetime.datetime | None = None
    completed: datetime.datetime | None = None


@dataclasses.dataclass(frozen=True, slots=True)
class Task:
    """One unit's run of an action: its status, message, results, logs and timing."""

    id: str
    unit: str
    action: str
    params: Mapping[str, Any]
    status: TaskStatus
    timing: Timing
    message: str = ''
    results: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    logs: tuple[context.LogEntry, ...] = ()

    @property
    def history(self) -> tuple[TaskStatus, ...]:
        """The statuses the task went through: pending, running, then its final one."""
        return (TaskStatus.PENDING, TaskStatus.RUNNING, self.status)

    @property
    def return_code(self) -> int | None:
        """The process's exit status, as captured into the results (J6)."""
        return results.captured_return_code(self.results)

    def __repr__(self) -> str:
        message = f' message={self.message!r}' if self.message else ''
        return f'Task(id={self.id}, unit={self.unit!r}, status={self.status}{message})'


@dataclasses.dataclass(frozen=True)
class Operation:
    """The result of one `juju run`: its tasks, in the order the units were named."""

    id: str
    action: str
    params: Mapping[str, Any]
    tasks: tuple[Task, ...]
    profile: versions.JujuProfile
    trace: trace_.Trace = dataclasses.field(default_factory=trace_.Trace)
    # Targets the controller could not queue while others ran (J9).
    enqueue_errors: tuple[str, ...] = ()
    # The `juju run` command line that made it, as an administrator would type it.
    command: str = ''

    @property
    def status(self) -> TaskStatus:
        """The operation's status: failed if any task failed, otherwise its tasks' status."""
        statuses = {t.status for t in self.tasks}
        for status in (
            TaskStatus.RUNNING,
            TaskStatus.PENDING,
            TaskStatus.FAILED,
            TaskStatus.ABORTED,
            TaskStatus.CANCELLED,
        ):
            if status in statuses:
                return status
        return TaskStatus.COMPLETED

    def task(self, unit: str) -> Task:
        for task in self.tasks:
            if task.unit == unit:
                return task
        raise KeyError(f'no task for unit {unit!r} in operation {self.id}')

    def render(self, fmt: str = 'yaml') -> str:
        """The text `juju run --format <fmt>` prints: 'yaml', 'json' or 'plain'."""
        return render.render(self, fmt)

    @property
    def exit_code(self) -> int:
        """The exit status of the `juju run` that produced this operation."""
        return render.exit_code(self)

    def __repr__(self) -> str:
        units = ', '.join(t.unit for t in self.tasks)
        return (
            f'Operation(id={self.id}, action={self.action!r}, units=[{units}], '
            f'status={self.status})'
        )
