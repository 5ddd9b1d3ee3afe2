"""Proof the suite can fail: deliberately broken variants of the reference.

Each mutant breaks one rule of the model, named by its id in conformance/rules.yaml, for
the length of a `with` block. Running the suite on the reference under a mutant must make
at least one scenario fail; `catches` says which do.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from typing import Any

from .. import charmmeta
from ..charm import charm as charm_
from ..charm import framework, main
from ..juju import actions, agent, context, model, operation, results
from ..suite import rules, runner
from ..suite.scenario import Scenario
from . import reference


@contextlib.contextmanager
def _replaced(owner: Any, name: str, value: Any) -> Iterator[None]:
    original = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, original)


def _no_reemission() -> contextlib.AbstractContextManager[None]:
    return _replaced(framework.Framework, 'reemit', lambda self: None)


def _shallow_merge() -> contextlib.AbstractContextManager[None]:
    def merge(stored: MutableMapping[str, Any], path: results.KeyPath, value: Any) -> None:
        nested: Any = value
        for segment in reversed(path[1:]):
            nested = {segment: nested}
        stored[path[0]] = nested

    return _replaced(results, 'merge', merge)


def _reserved_keys_not_enforced() -> contextlib.AbstractContextManager[None]:
    original = results.parse_action_set_args

    def parse(args: Any, profile: Any) -> Any:
        return original(args, dataclasses.replace(profile, reserved_result_keys=frozenset()))

    return _replaced(results, 'parse_action_set_args', parse)


def _first_fail_message_wins() -> contextlib.AbstractContextManager[None]:
    original = context.UnitContext.action_fail

    def action_fail(self: context.UnitContext, message: str | None = None) -> None:
        if self.action is not None and self.action.failed:
            return
        original(self, message)

    return _replaced(context.UnitContext, 'action_fail', action_fail)


def _units_not_isolated() -> contextlib.AbstractContextManager[None]:
    original = context.ActionState
    shared: dict[str, Any] = {}
    shared_logs: list[context.LogEntry] = []

    def state(name: str, task_id: str, params: dict[str, Any]) -> context.ActionState:
        return original(name, task_id, params, shared, shared_logs)

    return _replaced(context, 'ActionState', state)


def _hyphens_not_mangled() -> contextlib.AbstractContextManager[None]:
    def event_name(path: str) -> str:
        parent, _, name = path.rpartition('/')
        return f'{name}_action' if parent == 'actions' else name.replace('-', '_')

    return _replaced(charmmeta, 'event_name', event_name)


def _commit_after_failed_exit() -> contextlib.AbstractContextManager[None]:
    return _replaced(model.Model, '_commits', lambda self, result: True)


def _no_collect_status() -> contextlib.AbstractContextManager[None]:
    return _replaced(main, '_evaluate_status', lambda framework: None)


def _no_param_defaults() -> contextlib.AbstractContextManager[None]:
    return _replaced(actions, '_insert_defaults', lambda into, properties: None)


def _stderr_under_stdout() -> contextlib.AbstractContextManager[None]:
    original = results.add_captured_output

    def add(stored: Any, stdout: bytes, stderr: bytes, return_code: int, profile: Any) -> None:
        original(stored, stdout + stderr, b'', return_code, profile)

    return _replaced(results, 'add_captured_output', add)


def _actions_can_defer() -> contextlib.AbstractContextManager[None]:
    return _replaced(charm_.ActionEvent, 'defer', framework.EventBase.defer)


def _pending_tasks_not_cancelled() -> contextlib.AbstractContextManager[None]:
    original = model.Model.cancel

    def cancel(self: model.Model, *task_ids: str) -> list[Any]:
        running = [t for t in task_ids if self.task(t).status is operation.TaskStatus.RUNNING]
        return original(self, *running)

    return _replaced(model.Model, 'cancel', cancel)


def _every_action_takes_the_machine_lock() -> contextlib.AbstractContextManager[None]:
    return _replaced(agent, 'machine_lock', lambda parallel, group: agent.MACHINE_LOCK)


def _aborted_counts_as_failed() -> contextlib.AbstractContextManager[None]:
    status = operation.TaskStatus
    order = (status.ERROR, status.FAILED, status.ABORTED, status.CANCELLED, status.COMPLETED)
    return _replaced(operation, '_FINISHED_ORDER', order)


@dataclasses.dataclass(frozen=True)
class Mutant:
    """A broken variant of the reference: what it breaks, and how to apply it."""

    name: str
    rule: str
    """The id of the rule it breaks, as conformance/rules.yaml numbers it."""
    how: str
    """How it breaks the rule, in a few words; the rule's own statement comes from rules.yaml."""
    patch: Callable[[], contextlib.AbstractContextManager[None]]

    @property
    def statement(self) -> str:
        """The statement of the rule it breaks, from conformance/rules.yaml."""
        return rules.bundled()[self.rule].statement

    @property
    def breaks(self) -> str:
        """What the catch table prints: how the rule is broken, then the rule itself."""
        return f'{self.rule} broken: {self.how}. The rule: {self.statement}'


MUTANTS: tuple[Mutant, ...] = (
    Mutant('no-deferred-reemission', 'C2', 'deferred events are not re-emitted', _no_reemission),
    Mutant(
        'shallow-results-merge', 'J2', 'set_results calls replace top-level keys', _shallow_merge
    ),
    Mutant(
        'reserved-keys-not-enforced',
        'J1',
        'stdout and friends are accepted',
        _reserved_keys_not_enforced,
    ),
    Mutant(
        'first-fail-message-wins',
        'J4',
        'a second fail keeps the first message',
        _first_fail_message_wins,
    ),
    Mutant('units-not-isolated', 'J9', 'tasks share results and logs', _units_not_isolated),
    Mutant('hyphens-not-mangled', 'C1', 'actions/a-b emits a-b_action', _hyphens_not_mangled),
    Mutant(
        'commit-after-failed-exit',
        'J10',
        'relation data is committed whatever the exit',
        _commit_after_failed_exit,
    ),
    Mutant('no-collect-status', 'C3', 'collect-status never runs', _no_collect_status),
    Mutant('no-param-defaults', 'J7', 'defaults are not inserted', _no_param_defaults),
    Mutant('stderr-under-stdout', 'J6', 'stderr is captured into stdout', _stderr_under_stdout),
    Mutant('actions-can-defer', 'C4', 'defer() on an action does not raise', _actions_can_defer),
    Mutant(
        'pending-tasks-not-cancelled',
        'J13',
        'cancel-task leaves a pending task to run',
        _pending_tasks_not_cancelled,
    ),
    Mutant(
        'every-action-takes-the-machine-lock',
        'J14',
        'parallel and execution-group are ignored',
        _every_action_takes_the_machine_lock,
    ),
    Mutant(
        'aborted-counts-as-failed',
        'J15',
        'an aborted task makes the operation fail',
        _aborted_counts_as_failed,
    ),
)


def catches(mutant: Mutant, cases: Sequence[Scenario], juju_version: str) -> list[str]:
    """Ids of the scenarios that fail (or error) on the reference with `mutant` applied."""
    with mutant.patch():
        results_ = runner.run(cases, [reference.ReferenceTarget()], juju_version, {})
    return [r.id for r in results_ if r.outcome.is_bad]


def catch_table(
    cases: Sequence[Scenario], juju_versions: Sequence[str]
) -> list[tuple[Mutant, list[str]]]:
    """For each mutant, the scenarios that catch it under any of `juju_versions`."""
    table = []
    for mutant in MUTANTS:
        caught: list[str] = []
        for version in juju_versions:
            caught.extend(i for i in catches(mutant, cases, version) if i not in caught)
        table.append((mutant, caught))
    return table
