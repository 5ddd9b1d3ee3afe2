"""Operations and tasks: what `juju run` creates and what it reports back.

One `juju run` creates one operation with one task per unit (J9). A task moves
pending -> running -> completed | failed | error, pending -> cancelled, or
running -> aborting -> aborted (J13). A task Juju could not queue is kept with status
error. These are snapshots: the model holds the live records and hands out copies.
Source: juju/juju 3.6 state/action.go, state/operation.go and rpc/params/actions.go.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
from collections.abc import Mapping, Sequence
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
    ABORTING = 'aborting'
    ABORTED = 'aborted'
    ERROR = 'error'

    @property
    def active(self) -> bool:
        """Whether the task may still change (state/action.go `activeStatus`)."""
        return self in _ACTIVE

    def __str__(self) -> str:
        return self.value


_ACTIVE = frozenset({TaskStatus.PENDING, TaskStatus.RUNNING, TaskStatus.ABORTING})

# The operation's status while its stored status is still pending, and the one it takes
# when its last task finishes: the first of these any task has (state/operation.go
# `statusOrder` and `statusCompletedOrder`). Aborted is in neither.
_PENDING_ORDER = (
    TaskStatus.ERROR,
    TaskStatus.RUNNING,
    TaskStatus.PENDING,
    TaskStatus.FAILED,
    TaskStatus.CANCELLED,
    TaskStatus.COMPLETED,
)
_FINISHED_ORDER = (TaskStatus.ERROR, TaskStatus.FAILED, TaskStatus.CANCELLED, TaskStatus.COMPLETED)


def operation_status(
    tasks: Sequence[Task], *, started: bool, last_finished: TaskStatus | None, failed_enqueue: bool
) -> TaskStatus:
    """An operation's status as Juju reads it from its tasks (state/operation.go `Status`).

    Before any task starts it is derived from the tasks; once one has started it reads
    running until the last one finishes; then the first of error, failed, cancelled,
    completed among them, or the last task's own status (all aborted reads aborted); a
    completed operation that could not queue every task reads error.
    """
    if not tasks:  # none could be queued: the operation is kept in error
        return TaskStatus.ERROR if failed_enqueue else TaskStatus.PENDING
    statuses = {t.status for t in tasks}
    if any(status.active for status in statuses):
        if started:
            return TaskStatus.RUNNING
        order: Sequence[TaskStatus] = _PENDING_ORDER
    else:
        order = _FINISHED_ORDER
    found = next((status for status in order if status in statuses), last_finished)
    if found is TaskStatus.COMPLETED and failed_enqueue:
        return TaskStatus.ERROR
    return found or TaskStatus.PENDING


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
    # The statuses the task has been through, the current one last.
    history: tuple[TaskStatus, ...] = (TaskStatus.PENDING,)
    parallel: bool = False
    execution_group: str = ''

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
    status: TaskStatus = TaskStatus.PENDING
    # `<action> run on <receivers>`, as the controller summarises it.
    summary: str = ''
    # `error(s) enqueueing action(s): ...` when some receivers could not be queued.
    fail: str = ''
    timing: Timing | None = None

    @property
    def done(self) -> bool:
        """Whether every task has finished."""
        return not any(t.status.active for t in self.tasks)

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
