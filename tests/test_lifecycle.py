"""The operation lifecycle on the controller (J13-J17): queues, machine locks, background
operations, cancel and abort, wait expiry, and the operation's status, with the reference
charm in this process held at hold points on threads of its own."""

from __future__ import annotations

import pathlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import actionspec
from actionspec import charmmeta
from actionspec.charm import main
from actionspec.juju import actions as actions_
from actionspec.juju import agent, clock, model, operation, render
from actionspec.launch import gates as gates_

Status = actionspec.TaskStatus


@pytest.fixture
def gates(tmp_path: pathlib.Path) -> Iterator[gates_.Gates]:
    yield gates_.Gates(tmp_path)


def _holding_model(
    gates: gates_.Gates,
    handler: Callable[[Any, Any], None],
    *,
    juju_version: str = '3.6',
    units: int = 1,
    actions: str = 'slow: {}\nfast: {}\n',
) -> model.Model:
    class Slow(actionspec.Charm):
        def __init__(self, framework: Any) -> None:
            super().__init__(framework)
            framework.observe(self.on.slow_action, lambda event: handler(self, event))
            framework.observe(self.on.fast_action, lambda event: None)

    m = model.Model(juju_version=juju_version, clock=clock.TickingClock())
    meta = charmmeta.CharmMeta('db', actions_.actions_data(actions))
    runtime = gates_.HoldingRuntime(main.InProcessCharm(Slow, meta), gates)
    m.deploy('db', runtime, actions=actions, units=units)
    return m


def _hold(name: str) -> Callable[[Any, Any], None]:
    def handler(charm: Any, event: Any) -> None:
        gates_.hold(name, charm.framework.env)

    return handler


def test_nothing_starts_until_the_model_works(gates: gates_.Gates) -> None:
    m = _holding_model(gates, _hold('go'))
    op = m.enqueue('db/0', action='slow')
    assert (op.status, op.tasks[0].status) == (Status.PENDING, Status.PENDING)
    m.advance()
    assert m.operation(op.id).status is Status.RUNNING
    assert m.task(op.tasks[0].id).status is Status.RUNNING
    gates.release('go')
    m.advance()
    done = m.operation(op.id)
    assert done.status is Status.COMPLETED
    assert done.tasks[0].history == (Status.PENDING, Status.RUNNING, Status.COMPLETED)
    assert done.timing is not None and done.timing.completed is not None


def test_cancelling_a_pending_task_ends_it_without_running(gates: gates_.Gates) -> None:
    m = _holding_model(gates, _hold('go'))
    first = m.enqueue('db/0', action='slow')
    second = m.enqueue('db/0', action='fast')
    m.advance()
    (cancelled,) = m.cancel(second.tasks[0].id)
    assert (cancelled.status, cancelled.message) == (Status.CANCELLED, model.CANCELLED_MESSAGE)
    assert cancelled.history == (Status.PENDING, Status.CANCELLED)
    assert cancelled.timing.started is None and cancelled.timing.completed is not None
    gates.release('go')
    m.advance()
    assert [e.event for e in m.trace] == ['slow_action']
    assert m.operation(first.id).status is Status.COMPLETED


def test_aborting_a_running_task_kills_it_and_keeps_what_it_set(gates: gates_.Gates) -> None:
    def handler(charm: Any, event: Any) -> None:
        event.log('started')
        event.set_results({'progress': 'half'})
        print('some output')
        gates_.hold('never', charm.framework.env)
        event.log('not reached')

    m = _holding_model(gates, handler)
    op = m.enqueue('db/0', action='slow')
    m.advance()
    (aborting,) = m.cancel(op.tasks[0].id)
    assert aborting.status is Status.ABORTING  # what `juju cancel-task` shows
    m.advance()
    aborted = m.task(op.tasks[0].id)
    assert aborted.history == (Status.PENDING, Status.RUNNING, Status.ABORTING, Status.ABORTED)
    assert aborted.message == 'terminated'
    assert [log.message for log in aborted.logs] == ['started']
    assert aborted.results['progress'] == 'half'
    assert aborted.results['stdout'] == 'some output\n'
    assert aborted.return_code == -1  # Go's ExitCode() for a process a signal ended
    assert m.operation(op.id).status is Status.ABORTED  # only aborted tasks: the last's


def test_cancel_leaves_finished_tasks_as_they_are(gates: gates_.Gates) -> None:
    m = _holding_model(gates, lambda charm, event: None)
    op = m.run('db/0', action='slow')
    assert m.cancel(op.tasks[0].id)[0].status is Status.COMPLETED


def test_wait_returns_when_its_time_is_up_and_the_task_goes_on(gates: gates_.Gates) -> None:
    m = _holding_model(gates, _hold('go'))
    op = m.enqueue('db/0', action='slow')
    before = m.now()
    waited = m.wait(op.id, timeout=30)
    assert not waited.done and waited.tasks[0].status is Status.RUNNING
    assert (m.now() - before).total_seconds() >= 30  # on the model's clock, not the wall's
    out = render.cli_output(waited)
    assert (out.stdout, out.exit_code) == ('', 1)
    assert out.stderr.endswith('ERROR timed out waiting for results from: unit db/0\n')
    gates.release('go')
    assert m.wait(op.id).status is Status.COMPLETED


def test_waiting_forever_on_a_held_task_is_an_error_not_a_hang(gates: gates_.Gates) -> None:
    m = _holding_model(gates, _hold('never'))
    op = m.enqueue('db/0', action='slow')
    with pytest.raises(RuntimeError, match='cannot finish'):
        m.wait(op.id)
    m.cancel(op.tasks[0].id)


def test_held_dispatches_keep_their_output_apart(
    gates: gates_.Gates, capsys: pytest.CaptureFixture[str]
) -> None:
    def handler(charm: Any, event: Any) -> None:
        print(f'start {charm.unit.name}')
        gates_.hold('go', charm.framework.env)
        print(f'end {charm.unit.name}')

    m = _holding_model(gates, handler, units=2)
    op = m.enqueue('db/0', 'db/1', action='slow')
    before = sys.stdout
    m.advance()
    print('the test process prints too')
    gates.release('go')
    done = m.wait(op.id)
    assert [t.results['stdout'] for t in done.tasks] == [
        'start db/0\nend db/0\n',
        'start db/1\nend db/1\n',
    ]
    assert sys.stdout is before  # the streams are the process's own again
    assert capsys.readouterr().out == 'the test process prints too\n'


def test_the_log_limit_follows_the_version(gates: gates_.Gates) -> None:
    def handler(charm: Any, event: Any) -> None:
        for n in range(1100):
            event.log(f'line {n}')

    kept = {
        version: len(
            _holding_model(gates, handler, juju_version=version)
            .run('db/0', action='slow')
            .tasks[0]
            .logs
        )
        for version in ('3.6', '4.0')
    }
    assert kept == {'3.6': 1001, '4.0': 1100}


def test_background_output_names_the_ids(gates: gates_.Gates) -> None:
    m = _holding_model(gates, _hold('go'), units=2)
    one = render.background_output(m.enqueue('db/0', action='slow'))
    assert one.stderr == (
        'Scheduled operation 1 with task 2\n'
        "Check operation status with 'juju show-operation 1'\n"
        "Check task status with 'juju show-task 2'\n"
    )
    several = render.background_output(m.enqueue('db/0', 'db/1', action='fast'))
    assert several.stdout == 'db/0:\n  id: "4"\ndb/1:\n  id: "5"\n'
    assert several.stderr.startswith('Scheduled operation 3 with 2 tasks\n')
    for op in m.operations:
        m.cancel(*(t.id for t in op.tasks))


# -- the rules as functions ------------------------------------------------------------------
@pytest.mark.parametrize(
    ('parallel', 'group', 'lock'),
    [
        (False, '', 'machine-lock'),
        (True, '', None),
        (False, 'g', 'machine-lock-g'),
        (True, 'g', 'machine-lock-g'),
    ],
)
def test_machine_lock(parallel: bool, group: str, lock: str | None) -> None:
    assert agent.machine_lock(parallel, group) == lock


def test_a_task_may_start_unless_its_lock_is_held() -> None:
    assert agent.may_start(None, ['machine-lock'])
    assert agent.may_start('machine-lock-g', ['machine-lock'])
    assert not agent.may_start('machine-lock', ['machine-lock', None])


def _task(status: Status) -> operation.Task:
    return operation.Task('1', 'db/0', 'do', {}, status, operation.Timing(m_now()))


def m_now() -> Any:
    return clock.TickingClock().now()


@pytest.mark.parametrize(
    ('statuses', 'started', 'fail', 'expected'),
    [
        ((Status.PENDING, Status.PENDING), False, False, Status.PENDING),
        ((Status.CANCELLED, Status.PENDING), False, False, Status.PENDING),
        ((Status.ERROR, Status.PENDING), False, False, Status.ERROR),
        ((Status.COMPLETED, Status.PENDING), True, False, Status.RUNNING),
        ((Status.ABORTING, Status.COMPLETED), True, False, Status.RUNNING),
        ((Status.ABORTED, Status.COMPLETED), True, False, Status.COMPLETED),
        ((Status.ABORTED, Status.FAILED), True, False, Status.FAILED),
        ((Status.CANCELLED, Status.COMPLETED), True, False, Status.CANCELLED),
        ((Status.COMPLETED,), True, True, Status.ERROR),
        ((), False, True, Status.ERROR),
    ],
)
def test_operation_status(
    statuses: tuple[Status, ...], started: bool, fail: bool, expected: Status
) -> None:
    tasks = [_task(s) for s in statuses]
    found = operation.operation_status(
        tasks,
        started=started,
        last_finished=statuses[-1] if statuses else None,
        failed_enqueue=fail,
    )
    assert found is expected
