"""The controller side: a model with applications, units and relations, and `juju run`.

`Model.run` follows what Juju does for `juju run <units> <action>`: check the units and
the action, check params against the action's schema and insert defaults (J7, J8), create
one operation with one task per unit (J9), dispatch each task with the action environment
(J11), record results, logs, failure and captured output (J1-J6), commit relation data
only after a clean exit and then run `relation-changed` on the units that see it (J10).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import json
import re
import shlex
import threading
import uuid as uuid_
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from .. import charmmeta, environment
from .. import trace as trace_
from . import actions as actions_
from . import agent, context, goformat, process, results, versions
from . import clock as clock_
from . import operation as operation_

# A unit as `juju run` names it: `app/N` (no leading zeros) or `app/leader`.
UNIT_NAME = re.compile(r'^([a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*)/(0|[1-9][0-9]*|leader)$')
_APP_NAME = re.compile(r'^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*$')

# What a task says when the charm has nothing to run for its action (uniter/runner/context
# context.go `finalizeAction`, the same in 2.9 and 3.6).
NOT_IMPLEMENTED = 'action not implemented on unit "{}"'

# A settle loop that keeps producing relation-changed hooks is a charm bug; stop it.
MAX_CONSEQUENT_HOOKS = 10_000

# `juju exec`'s task: Juju's predefined action, which runs a command instead of the
# charm's handler (core/actions: PredefinedActionsSpec "juju-exec").
EXEC_ACTION = 'juju-exec'
EXEC_SPEC = actions_.ActionSpec(
    EXEC_ACTION,
    'Run a command on the unit',
    {
        'type': 'object',
        'properties': {'command': {'type': 'string'}, 'timeout': {'type': 'number'}},
        'required': ['command'],
    },
    parallel=True,
)

# What a pending task says once cancelled (state/action.go `Cancel`).
CANCELLED_MESSAGE = 'action cancelled via the API'

# The logger of the unit agent's hook runs (worker/uniter/operation).
UNITER_LOG = 'juju.worker.uniter.operation'

# The unit agent's retries of a failed hook (apiserver/facades/agent/retrystrategy: 5 s,
# doubling, at most 5 min; the jitter of a few per cent is left out).
RETRY_FIRST_SECONDS = 5.0
RETRY_MAX_SECONDS = 300.0

# How far the model's clock moves between looks while `wait` waits for held tasks, and
# how often a model in real time looks at its running tasks.
POLL_SECONDS = 1.0
REAL_TIME_POLL_SECONDS = 0.002

# How often a waiting controller looks at a running dispatch.
_LOOK_SECONDS = 0.0005


class RunError(ValueError):
    """`juju run` refused; nothing ran and the model is unchanged. The text is Juju's.

    `exit_code` is what `juju run` exits with: 2 when the CLI refuses its arguments, 0
    when the controller refused every task ("failed to schedule any tasks").
    """

    def __init__(
        self,
        message: str,
        *,
        exit_code: int,
        stderr: str,
        operation: operation_.Operation | None = None,
    ) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.stderr = stderr
        # The operation the controller kept for the refusal, if it kept one.
        self.operation = operation


def _cli_refusal(message: str) -> RunError:
    return RunError(message, exit_code=2, stderr=f'ERROR {message}\n')


def _api_refusal(message: str) -> RunError:
    """An error from the controller's API, which the CLI prints with its kind (4.0)."""
    return RunError(message, exit_code=1, stderr=f'ERROR {message}. (not found)\n')


def _receiver(target: str) -> str:
    """A target as the CLI sends it: a unit tag, or `app/leader` as written (run.go)."""
    return target if target.endswith('/leader') else 'unit-' + target.replace('/', '-')


class LogRecord(NamedTuple):
    """One line of the model's log, as `juju debug-log` shows it."""

    entity: str  # `unit-demo-0`
    timestamp: datetime.datetime
    level: str  # INFO, WARNING, ERROR, DEBUG
    module: str  # `juju.worker.uniter.operation`, `unit.demo/0.juju-log`
    message: str


# Juju's log levels, least severe first (loggo).
LOG_LEVELS = ('TRACE', 'DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL')


def log_threshold(logging_config: str, module: str) -> str:
    """The level below which `module` logs nothing, by `logging-config`
    (`<root>=INFO;unit=DEBUG`: the longest module prefix that names it wins)."""
    best, level = -1, 'TRACE'
    for entry in logging_config.split(';'):
        name, _, value = entry.strip().partition('=')
        name = '' if name == '<root>' else name
        matches = not name or module == name or module.startswith(name + '.')
        if matches and len(name) > best and value.strip().upper() in LOG_LEVELS:
            best, level = len(name), value.strip().upper()
    return level


@dataclasses.dataclass(eq=False)
class Unit:
    """A unit of an application, with its workload status."""

    name: str
    application: Application = dataclasses.field(repr=False)
    status: tuple[str, str] = ('unknown', '')
    # The machine it runs on: units that share one share its machine locks (J14).
    machine: str = ''
    # What its agent is doing (`juju status`' juju-status): allocating, executing, idle,
    # error.
    agent_status: tuple[str, str] = ('idle', '')
    # What `application-version-set` said (status' Version, show-unit's workload-version).
    workload_version: str = ''
    # Whether its install hook has run: a unit runs no action before (the uniter's
    # actions resolver waits for it). Units a scenario deploys are ready at once.
    installed: bool = True
    # Whether the charm ever set its status (Juju shows `unknown` after start if not).
    status_set: bool = False
    # Whether its start hook has run (update-status runs only after), and whether it is
    # on its way out (`juju remove-unit`).
    started: bool = True
    life: str = 'alive'
    # The hook that failed, which the unit retries before it runs any other hook, and
    # when it may (worker/uniter/resolver.go `nextOpHookError`).
    failed_hook: Hook | None = dataclasses.field(default=None, repr=False)
    retry_at: datetime.datetime | None = dataclasses.field(default=None, repr=False)
    retry_delay: float = dataclasses.field(default=0.0, repr=False)

    @property
    def number(self) -> int:
        return int(self.name.split('/')[1])

    @property
    def deferred(self) -> tuple[str, ...]:
        """Events waiting in this unit's deferred-event store."""
        return self.application.charm.deferred(self.name)

    def __repr__(self) -> str:
        return f'Unit({self.name!r})'


@dataclasses.dataclass(eq=False)
class Application:
    """A deployed charm: its actions, units, leader and relation endpoints."""

    name: str
    charm: process.CharmRuntime = dataclasses.field(repr=False)
    actions: Mapping[str, actions_.ActionSpec] = dataclasses.field(repr=False)
    endpoints: tuple[str, ...] = ()
    peers: tuple[str, ...] = ()
    units: dict[str, Unit] = dataclasses.field(default_factory=dict, repr=False)
    leader: str | None = None
    status: tuple[str, str] = ('unknown', '')
    # config.yaml's options, and the values the administrator set (`juju config`).
    config_options: Mapping[str, Any] = dataclasses.field(default_factory=dict, repr=False)
    config_values: dict[str, Any] = dataclasses.field(default_factory=dict, repr=False)
    # The number the next unit gets.
    next_unit: int = 0
    # Being removed (`juju remove-application`): it goes with its last unit.
    dying: bool = False
    # The charm's metadata: endpoints' roles and interfaces.
    meta: charmmeta.CharmMeta = dataclasses.field(default_factory=charmmeta.CharmMeta, repr=False)

    def unit(self, number: int) -> Unit:
        return self.units[f'{self.name}/{number}']

    @property
    def config(self) -> dict[str, Any]:
        """The charm's config as `config-get` shows it: each option's value, or its
        default when it has one."""
        shown = {
            name: option['default']
            for name, option in self.config_options.items()
            if isinstance(option, Mapping) and option.get('default') is not None
        }
        shown.update(self.config_values)
        return shown

    def __repr__(self) -> str:
        return f'Application({self.name!r}, units={len(self.units)}, leader={self.leader!r})'


@dataclasses.dataclass(eq=False)
class Relation:
    """A relation between two application endpoints, or a peer relation of one.

    `data` maps a unit name or an application name to its bag.
    """

    id: int
    ends: tuple[tuple[str, str], ...]  # (application, endpoint); one end for a peer relation
    model: Model = dataclasses.field(repr=False)
    data: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict, repr=False)
    # The remote units each unit has seen join, for a relation Juju sets up hook by hook
    # (`integrate`); None for one made whole at once, where every unit sees every other.
    joined: dict[str, list[str]] | None = dataclasses.field(default=None, repr=False)
    # Being removed: its units are leaving it.
    dying: bool = False

    @property
    def is_peer(self) -> bool:
        return len(self.ends) == 1

    @property
    def applications(self) -> tuple[str, ...]:
        return tuple(app for app, _ in self.ends)

    def endpoint_of(self, app: str) -> str | None:
        for name, endpoint in self.ends:
            if name == app:
                return endpoint
        return None

    def remote_app(self, app: str) -> str:
        """The application on the other side (itself, for a peer relation)."""
        others = [name for name, _ in self.ends if name != app]
        return others[0] if others else app

    def remote_units(self, unit: Unit) -> list[str]:
        """The units `unit` sees across this relation (relation-list): those that have
        joined, as far as its hooks have told it."""
        if self.joined is not None:
            return sorted(self.joined.get(unit.name, ()), key=_unit_sort_key)
        app = self.model.applications[self.remote_app(unit.application.name)]
        return sorted((n for n in app.units if n != unit.name), key=_unit_sort_key)

    def hook_name(self, app: str, kind: str) -> str:
        """The hook `app`'s units run for this relation: `db-relation-joined`."""
        return f'{self.endpoint_of(app)}-relation-{kind}'

    def sees(self, unit: str, owner: str) -> bool:
        """Whether `unit` is told of changes to `owner`'s bag: a unit's once it has joined,
        an application's once `unit` is in the relation."""
        if self.joined is None:
            return True
        if '/' in owner:
            return owner in self.joined.get(unit, ())
        return unit in self.joined

    def __repr__(self) -> str:
        ends = ' '.join(f'{app}:{endpoint}' for app, endpoint in self.ends)
        return f'Relation({self.id}, {ends})'


@dataclasses.dataclass(eq=False)
class Hook:
    """A hook Juju runs on a unit: one the controller decided on (`install`, a relation's
    `joined`, ...) or a relation-changed that another unit's committed change caused (J10)."""

    unit: Unit
    name: str  # `install`, `db-relation-joined`, ...
    relation: Relation | None = None
    remote_unit: str = ''
    remote_app: str = ''
    departing_unit: str = ''
    cause: trace_.Cause = trace_.Cause.INVOCATION
    # The operation whose task wrote the change, whose trace shows the hook.
    operation: _OperationRecord | None = None


@dataclasses.dataclass(eq=False)
class _HookRun:
    """A hook whose dispatch is under way."""

    hook: Hook
    dispatching: _Dispatching


@dataclasses.dataclass(eq=False)
class _OperationRecord:
    """An operation as the controller keeps it while its tasks change."""

    id: str
    action: str
    enqueued: datetime.datetime
    summary: str
    command: str
    tasks: list[_TaskRecord] = dataclasses.field(default_factory=list)
    enqueue_errors: list[str] = dataclasses.field(default_factory=list)
    fail: str = ''
    started: datetime.datetime | None = None
    completed: datetime.datetime | None = None
    last_finished: operation_.TaskStatus | None = None
    trace: list[trace_.TraceEntry] = dataclasses.field(default_factory=list)
    # How many of its tasks have ended (counted, not searched: 10,000 units end one by one).
    ended: int = 0

    @property
    def done(self) -> bool:
        return self.ended == len(self.tasks)


@dataclasses.dataclass(eq=False)
class _TaskRecord:
    """A task as the controller keeps it: its status moves, the rest fills in."""

    id: str
    operation: _OperationRecord
    unit: Unit
    action: str
    params: dict[str, Any]
    enqueued: datetime.datetime
    status: operation_.TaskStatus = operation_.TaskStatus.PENDING
    history: list[operation_.TaskStatus] = dataclasses.field(
        default_factory=lambda: [operation_.TaskStatus.PENDING]
    )
    started: datetime.datetime | None = None
    completed: datetime.datetime | None = None
    message: str = ''
    parallel: bool = False
    execution_group: str = ''
    state: context.ActionState | None = None
    dispatching: _Dispatching | None = None

    @property
    def lock(self) -> str | None:
        """The machine lock the task holds while it runs (J14)."""
        return agent.machine_lock(self.parallel, self.execution_group)

    def move(self, status: operation_.TaskStatus, at: datetime.datetime | None = None) -> None:
        self.status = status
        self.history.append(status)
        if status is operation_.TaskStatus.RUNNING:
            self.started = at

    def end(
        self,
        status: operation_.TaskStatus,
        message: str,
        at: datetime.datetime | None = None,
    ) -> None:
        """Finish with `status`; `at` is None for a task Juju refused to queue."""
        self.move(status)
        self.operation.ended += 1
        self.message = message
        self.completed = at

    def snapshot(self) -> operation_.Task:
        """The task as it stands. What an ended task holds no longer changes, so it is
        shared rather than copied; a live task's is copied."""
        state = self.state
        live = self.status.active
        results = state.results if state else {}
        return operation_.Task(
            id=self.id,
            unit=self.unit.name,
            action=self.action,
            params=actions_.copy_json(self.params) if live else self.params,
            status=self.status,
            timing=operation_.Timing(self.enqueued, self.started, self.completed),
            message=self.message,
            results=actions_.copy_json(results) if live else results,
            logs=tuple(state.logs) if state else (),
            history=tuple(self.history),
            parallel=self.parallel,
            execution_group=self.execution_group,
        )


class ExecUnsupportedError(RuntimeError):
    """`juju exec` on a charm that runs in this process, where there is no shell to use."""


class _Dispatching:
    """One dispatch in progress. A runtime that can hold a dispatch (`held`) runs it on a
    thread of its own, so the controller can look at, cancel or abort the task while it
    is held; so does every task of a model in real time, which goes on while its
    dispatches run. Any other dispatch runs to its end at once, as nothing could see it
    run."""

    def __init__(
        self,
        charm: process.CharmRuntime,
        request: process.DispatchRequest,
        ctx: context.UnitContext,
        record: process.Recorder,
        *,
        in_real_time: bool = False,
        command: str | None = None,
        ended: threading.Event | None = None,
    ) -> None:
        """`ended` is set when a dispatch on a thread of its own ends."""
        self.ctx = ctx
        self._ended = ended
        self.request = request
        self._command = command
        self._held = getattr(charm, 'held', None)
        self._patient = not in_real_time
        self._result: process.ProcessResult | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        if self._held is None and not in_real_time:
            self._result = self._dispatch(charm, record)
            return
        self._thread = threading.Thread(
            target=self._run, args=(charm, record), name=f'dispatch {request.unit}', daemon=True
        )
        self._thread.start()
        self.settle()

    def _run(self, charm: process.CharmRuntime, record: process.Recorder) -> None:
        try:
            self._result = self._dispatch(charm, record)
        except BaseException as e:  # handed to the controller's thread by outcome()
            self._error = e
        finally:
            if self._ended is not None:
                self._ended.set()

    def _dispatch(
        self, charm: process.CharmRuntime, record: process.Recorder
    ) -> process.ProcessResult:
        if self._command is None:
            return charm.dispatch(self.request, self.ctx, record)
        run_command = getattr(charm, 'run_command', None)
        if run_command is None:  # the charm runs in this process: there is no shell
            raise ExecUnsupportedError(f'this charm runtime cannot run commands: {charm!r}')
        result: process.ProcessResult = run_command(self.request, self.ctx, self._command)
        return result

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def aborted(self) -> bool:
        return self.request.abort.is_set()

    def abort(self) -> None:
        """End the dispatch as the unit agent ends it on abort (J13), then wait for it."""
        self.request.abort.set()
        self.settle()

    def settle(self) -> None:
        """Wait until the dispatch has ended or is held (and not being aborted); in real
        time, only until it is being aborted has ended."""
        context_id = self.request.env[environment.CONTEXT_ID]
        while self._thread is not None and self._thread.is_alive():
            if not self._patient and not self.aborted:
                return
            if self._held is not None and not self.aborted and self._held(context_id):
                return
            self._thread.join(_LOOK_SECONDS)

    def join(self) -> None:
        """Wait for the dispatch's thread, however it ends."""
        if self._thread is not None:
            self._thread.join()

    def outcome(self) -> process.ProcessResult:
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result


class Model:
    """A Juju model in memory: deploy, relate, and run actions as Juju runs them."""

    def __init__(
        self,
        name: str = 'test-model',
        *,
        juju_version: str = versions.DEFAULT_VERSION,
        clock: clock_.Clock | None = None,
        model_uuid: str | None = None,
        real_time: bool = False,
        retry_hooks: bool = False,
    ) -> None:
        """`real_time`: the controller goes on while tasks and hooks run, as a real one
        does (a `--wait` can run out while a slow action runs); by default each dispatch
        runs to its end (or to a hold point) before the model does anything else.
        `retry_hooks`: a failed hook is retried after a while, as with Juju's
        `automatically-retry-hooks` (otherwise it waits, as after `juju resolve` was not
        run)."""
        self.name = name
        self.real_time = real_time
        self.retry_hooks = retry_hooks
        # Set whenever something happens in the background: a dispatch ends, or a hook
        # tool stores something at once (action-log, status-set, juju-log); whoever keeps
        # a model in real time going (the box's controller) waits on it.
        self.changed = threading.Event()
        # Shut down (`shutdown`): the unit agents do nothing more.
        self.stopped = False
        self.profile = versions.profile(juju_version)
        self.clock: clock_.Clock = clock or clock_.SystemClock()
        self.uuid = model_uuid or str(uuid_.uuid5(uuid_.NAMESPACE_DNS, f'{name}.actionspec'))
        self.applications: dict[str, Application] = {}
        self.relations: dict[int, Relation] = {}
        self._operations: dict[str, _OperationRecord] = {}
        self._tasks: dict[str, _TaskRecord] = {}
        self._queues: dict[str, collections.deque[_TaskRecord]] = {}
        self._running: list[_TaskRecord] = []
        self._machines = 0
        self.debug_log: list[LogRecord] = []
        self._latest = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        # Which modules log at which level (model config `logging-config`); everything, by
        # default, so a test sees all a charm logged.
        self.logging_config = '<root>=TRACE'
        self._ids = clock_.IdSequence(self.profile.first_id)
        self._relation_ids = 0
        self._trace: list[trace_.TraceEntry] = []
        self._context_ids = 0
        self._pending: collections.deque[Hook] = collections.deque()
        self._hook_runs: dict[str, _HookRun] = {}
        # Who hears of each hook that ran cleanly (`lifecycle.follow`: what comes next).
        self.hook_listeners: list[Callable[[Model, Hook], None]] = []
        # When each unit's update-status timer runs out (`lifecycle.queue_update_status`).
        self.update_status_due: dict[str, datetime.datetime] = {}
        self._unit_env: dict[str, dict[str, str]] = {}

    # -- building the model --------------------------------------------------------------

    def deploy(
        self,
        name: str,
        charm: Any,
        *,
        actions: str | Mapping[str, Any] | None = None,
        units: int = 1,
        leader: int | None = 0,
        endpoints: Iterable[str] = (),
        peers: Iterable[str] = (),
        to: Sequence[str] = (),
        config: Mapping[str, Any] | None = None,
        meta: charmmeta.CharmMeta | None = None,
    ) -> Application:
        """Deploy `charm` as `name`: a CharmRuntime here; `actionspec.Model` also takes
        charm classes.

        `actions` is the charm's actions.yaml (text or mapping). `leader` is the number of
        the leader unit, or None for no leader yet. Each name in `peers` becomes a peer
        relation, created at once as Juju creates it. `to` places units on machines by
        id, in order (`juju deploy --to`); the others each get a new machine. `config` is
        config.yaml's `options`. `meta`, the charm's whole metadata, gives the endpoints'
        roles and interfaces (`juju integrate` matches them); without it, every endpoint that
        is not a peer is required, with the interface of its name.
        """
        if not _APP_NAME.match(name):
            raise ValueError(f'invalid application name "{name}"')
        if name in self.applications:
            raise ValueError(f'application "{name}" already exists')
        if units < 0:
            raise ValueError(f'cannot deploy {units} units')
        if leader is not None and not 0 <= leader < units:
            raise ValueError(f'leader {name}/{leader} is not one of the {units} units')
        specs = actions_.parse_actions_yaml(actions)
        meta = meta or charmmeta.CharmMeta(
            name, actions_.actions_data(actions), requires=tuple(endpoints), peers=tuple(peers)
        )
        app = Application(name, self._runtime(charm, meta), specs, meta.endpoints, meta.peers)
        app.meta = meta
        app.config_options = dict(config or {})
        app.units = {
            f'{name}/{n}': Unit(f'{name}/{n}', app, machine=self._machine(to, n))
            for n in range(units)
        }
        app.next_unit = units
        for unit_name in app.units:
            self._queues[unit_name] = collections.deque()
        app.leader = None if leader is None else f'{name}/{leader}'
        self.applications[name] = app
        for peer in meta.peers:
            self._add_relation(((name, peer),))
        return app

    def add_unit(self, app_name: str, *, installed: bool = True) -> Unit:
        """A new unit of `app_name`, numbered after every unit the application ever had
        (Juju never reuses a number), on a machine of its own. It runs no hook of itself:
        `lifecycle` queues what Juju runs."""
        app = self.applications[app_name]
        number = app.next_unit
        app.next_unit += 1
        unit = Unit(f'{app_name}/{number}', app, machine=self._machine((), number))
        unit.installed = installed
        app.units[unit.name] = unit
        self._queues[unit.name] = collections.deque()
        return unit

    def remove_unit(self, unit: Unit) -> None:
        """Take a dead unit out of the model: its application, its relations' scopes and
        its queue (its pending tasks are left as they are, as Juju leaves them)."""
        app = unit.application
        del app.units[unit.name]
        running = self._hook_runs.pop(unit.name, None)
        if running is not None:  # removed by force mid-hook: its process goes too
            running.dispatching.abort()
        forget = getattr(app.charm, 'forget', None)
        if forget is not None:  # its charm directory and state go with it
            forget(unit.name)
        self._queues.pop(unit.name, None)
        self._pending = collections.deque(h for h in self._pending if h.unit is not unit)
        for relation in self.relations.values():
            if relation.joined is not None:
                relation.joined.pop(unit.name, None)
        if app.leader == unit.name:
            app.leader = None

    def remove_application(self, app: Application) -> None:
        """Forget an application whose units are all gone, with its peer relations (its
        other relations go as the units on their other side leave them)."""
        del self.applications[app.name]
        for relation in [r for r in self.relations.values() if r.applications == (app.name,)]:
            del self.relations[relation.id]

    def remove_relation(self, relation: Relation) -> None:
        """Forget a relation every unit has left."""
        self.relations.pop(relation.id, None)

    def _machine(self, placement: Sequence[str], number: int) -> str:
        if number < len(placement):
            return placement[number]
        while str(self._machines) in self._placed():
            self._machines += 1
        self._machines += 1
        return str(self._machines - 1)

    def _placed(self) -> set[str]:
        return {u.machine for app in self.applications.values() for u in app.units.values()}

    def _runtime(self, charm: Any, meta: charmmeta.CharmMeta) -> process.CharmRuntime:
        """What runs `charm`'s dispatches. The controller runs any CharmRuntime; a subclass
        may accept more (`actionspec.Model` takes charm classes), as Scenario's runtime
        subclasses ops' `_Manager`."""
        if callable(getattr(charm, 'dispatch', None)):
            runtime: process.CharmRuntime = charm
            return runtime
        raise TypeError(f'expected a CharmRuntime, got {charm!r}')

    def relate(self, first: str, second: str) -> Relation:
        """Relate two endpoints, each written `application:endpoint`."""
        ends = tuple(self._endpoint(spec) for spec in (first, second))
        if ends[0][0] == ends[1][0]:
            raise ValueError(f'cannot relate {first} to {second}: same application')
        return self._add_relation(ends)

    def _endpoint(self, spec: str) -> tuple[str, str]:
        app_name, sep, endpoint = spec.partition(':')
        app = self.applications.get(app_name)
        if not sep or app is None:
            raise ValueError(
                f'expected "application:endpoint" of a deployed application, got {spec!r}'
            )
        if endpoint not in app.endpoints:
            raise ValueError(f'application "{app_name}" has no endpoint "{endpoint}"')
        return app_name, endpoint

    def _add_relation(self, ends: tuple[tuple[str, str], ...]) -> Relation:
        relation = Relation(self._relation_ids, ends, self)
        self._relation_ids += 1
        self.relations[relation.id] = relation
        return relation

    def unit(self, name: str) -> Unit:
        """The unit called `name` (`app/N`, or `app/leader`)."""
        try:
            return self._resolve(name)
        except LookupError as e:
            raise KeyError(e.args[0]) from None

    def defer(self, unit: str, event: str, snapshot: Mapping[str, str] | None = None) -> None:
        """Put `event` in `unit`'s deferred-event store, as an earlier dispatch would have."""
        target = self.unit(unit)
        target.application.charm.seed_deferred(target.name, event, snapshot)

    @property
    def trace(self) -> trace_.Trace:
        """Every event every unit's charm has seen, in order."""
        return trace_.Trace(self._trace)

    # -- juju run ------------------------------------------------------------------------

    def run(
        self, *targets: str, action: str, params: Mapping[str, Any] | None = None
    ) -> operation_.Operation:
        """Run `action` on `targets` as `juju run` does, and return the finished operation.

        Raises RunError, with Juju's text, when Juju would refuse every task. A refusal of
        the CLI leaves the model unchanged; one of the controller is kept as an operation
        in error, as Juju keeps it (juju/juju#12937). Targets Juju cannot find while others
        are fine are reported in `Operation.enqueue_errors`, and the rest run.
        """
        record = self._enqueue(targets, action, params)
        self._wait_until(lambda: record.done, None, f'operation {record.id}')
        return self._snapshot(record)

    def enqueue(
        self, *targets: str, action: str, params: Mapping[str, Any] | None = None
    ) -> operation_.Operation:
        """Queue `action` on `targets` as `juju run --background` does, and return the
        operation with its tasks pending. They start when the model works (`advance`,
        `wait`), each unit taking its queue in order (J13, J14)."""
        return self._snapshot(self._enqueue(targets, action, params))

    def _enqueue(
        self, targets: Sequence[str], action: str, params: Mapping[str, Any] | None
    ) -> _OperationRecord:
        app_name = self._check_targets(targets, action)
        given = dict(params or {})
        app = self.applications.get(app_name)
        if app is not None and self.profile.unknown_action_refused_by_api:
            first = next((u for u in map(self._try_resolve, targets) if u is not None), None)
            if first is not None and action not in app.actions:
                raise _api_refusal(f'action "{action}" not defined for unit "{first.name}"')
        record = _OperationRecord(
            self._ids.take(),
            action,
            self.now(),
            summary=f'{action} run on {",".join(map(_receiver, targets))}',
            command=command_line(targets, action, given),
        )
        for target in targets:
            try:
                unit = self._resolve(target)
            except LookupError as e:
                record.enqueue_errors.append(str(e.args[0]))
                continue
            task = _TaskRecord(self._ids.take(), record, unit, action, given, record.enqueued)
            record.tasks.append(task)
            try:
                spec = self._action_spec(unit, action)
                task.parallel, task.execution_group = spec.parallel, spec.execution_group
                if not self.profile.params_checked_by_agent:
                    task.params = spec.check_params(given, self.profile)
            except ValueError as e:
                task.end(operation_.TaskStatus.ERROR, str(e), at=None)
                record.enqueue_errors.append(str(e))
                continue
            self._queues[unit.name].append(task)
        self._operations[record.id] = record
        for task in record.tasks:
            self._tasks[task.id] = task
        if record.enqueue_errors:
            record.fail = 'error(s) enqueueing action(s): ' + ', '.join(record.enqueue_errors)
        if not self._queued(record):
            message = '\n'.join(record.enqueue_errors)
            raise RunError(
                message,
                exit_code=0,
                stderr=f'\nOperation {record.id} failed to schedule any tasks:\n{message}\n',
                operation=self._snapshot(record),
            )
        return record

    def _queued(self, record: _OperationRecord) -> list[_TaskRecord]:
        return [t for t in record.tasks if t.status is not operation_.TaskStatus.ERROR]

    def _check_targets(self, targets: Sequence[str], action: str) -> str:
        """The CLI's own checks (run.go `Init`): syntax, one application (`juju run`'s
        rule: `juju exec` takes units of any applications, exec.go)."""
        if not targets:
            raise _cli_refusal('no unit specified')
        for target in targets:
            if not UNIT_NAME.match(target):
                raise _cli_refusal(f'invalid unit or action name "{target}"')
        if not action:
            raise _cli_refusal('no action specified')
        if not results.NAME_RULE.match(action):
            raise _cli_refusal(f'invalid unit or action name "{action}"')
        apps = sorted({target.split('/')[0] for target in targets})
        if len(apps) > 1 and action != EXEC_ACTION:
            raise _cli_refusal('all units must be of the same application')
        return apps[0]

    def _action_spec(self, unit: Unit, action: str) -> actions_.ActionSpec:
        """The controller's checks when queueing (state/unit.go `PrepareActionPayload`)."""
        if action == EXEC_ACTION:
            return EXEC_SPEC
        app = unit.application
        if not app.actions:
            raise ValueError(f'no actions defined on charm "{app.name}"')
        spec = app.actions.get(action)
        if spec is None:
            raise ValueError(f'action "{action}" not defined on unit "{unit.name}"')
        return spec

    def _resolve(self, name: str) -> Unit:
        """A unit by name; LookupError with Juju's text when there is none."""
        match = UNIT_NAME.match(name)
        if not match:
            raise LookupError(f'invalid unit or action name "{name}"')
        app = self.applications.get(match[1])
        if match[2] == 'leader':
            if app is None or app.leader is None:
                raise LookupError(f'could not determine leader for "{match[1]}"')
            return app.unit(int(app.leader.split('/')[1]))
        unit = app.units.get(name) if app else None
        if unit is not None:
            return unit
        raise LookupError(f'"unit-{match[1]}-{match[2]}" not found')

    def _try_resolve(self, name: str) -> Unit | None:
        try:
            return self._resolve(name)
        except LookupError:
            return None

    def now(self) -> datetime.datetime:
        """The controller's time, at the precision this Juju version stores."""
        moment = self.clock.now()
        if moment.microsecond and self.profile.timestamps_to_the_second:
            moment = moment.replace(microsecond=0)
        self._latest = moment
        return moment

    # -- the lifecycle -------------------------------------------------------------------

    def operation(self, operation_id: str) -> operation_.Operation:
        """The operation with this id as it stands now (KeyError if there is none)."""
        return self._snapshot(self._operations[operation_id])

    def task(self, task_id: str) -> operation_.Task:
        """The task with this id as it stands now (KeyError if there is none)."""
        return self._tasks[task_id].snapshot()

    @property
    def operations(self) -> list[operation_.Operation]:
        """Every operation the controller keeps, oldest first."""
        return [self._snapshot(record) for record in self._operations.values()]

    def cancel(self, *task_ids: str) -> list[operation_.Task]:
        """Cancel tasks as `juju cancel-task` does: a pending one is cancelled at once, a
        running one is aborting until its process has been killed; others are unchanged
        (state/action.go `Cancel`)."""
        for task_id in task_ids:
            task = self._tasks[task_id]
            if task.status is operation_.TaskStatus.PENDING:
                self._queues[task.unit.name].remove(task)
                task.end(operation_.TaskStatus.CANCELLED, CANCELLED_MESSAGE, at=self.now())
                self._finished(task)
            elif task.status is operation_.TaskStatus.RUNNING:
                task.move(operation_.TaskStatus.ABORTING)
                assert task.dispatching is not None
                task.dispatching.abort()
        return [self.task(task_id) for task_id in task_ids]

    def shutdown(self) -> None:
        """Kill every dispatch still running, as a machine that goes down ends them all,
        and start nothing more; what they were doing stays as it stood (a restarted
        controller settles it)."""
        self.stopped = True
        running = [t.dispatching for t in self._running if t.dispatching is not None]
        running += [run.dispatching for run in self._hook_runs.values()]
        for dispatching in running:
            dispatching.request.abort.set()
        for dispatching in running:
            dispatching.join()

    def advance(self) -> None:
        """Let every unit agent work until none can: finished dispatches are recorded, and
        each unit starts its next task when its queue and machine lock allow. A dispatch
        waiting to be released stays running."""
        while not self.stopped:
            for task in self._running:
                if task.dispatching is not None:
                    task.dispatching.settle()
            progressed = self._finish_ended() | self._finish_hooks()
            if not progressed | self._start_ready() | self._run_hooks():
                return

    def wait(self, operation_id: str, timeout: float | None = None) -> operation_.Operation:
        """Advance until the operation is done or `timeout` seconds of the model's clock
        pass, and return it as it stands (`juju run --wait`, `show-operation --wait`).

        With no timeout, an operation that cannot finish (a task held by a step that is
        never released) is a RuntimeError rather than a hang.
        """
        record = self._operations[operation_id]
        self._wait_until(lambda: record.done, timeout, f'operation {operation_id}')
        return self._snapshot(record)

    def wait_task(self, task_id: str, timeout: float | None = None) -> operation_.Task:
        """`wait` for one task (`juju show-task --wait`)."""
        record = self._tasks[task_id]
        self._wait_until(lambda: not record.status.active, timeout, f'task {task_id}')
        return record.snapshot()

    def _wait_until(self, done: Callable[[], bool], timeout: float | None, what: str) -> None:
        deadline = (
            None if timeout is None else self.clock.now() + datetime.timedelta(seconds=timeout)
        )
        poll = REAL_TIME_POLL_SECONDS if self.real_time else POLL_SECONDS
        while True:
            self.advance()
            if done():
                return
            running = self._hook_runs or any(
                t.dispatching and t.dispatching.alive for t in self._running
            )
            if deadline is None:
                if self.real_time and running:
                    self.clock.sleep(poll)
                    continue
                raise RuntimeError(
                    f'{what} cannot finish: it waits for dispatches that wait to be released'
                )
            remaining = (deadline - self.clock.now()).total_seconds()
            if remaining <= 0:
                return
            self.clock.sleep(min(remaining, poll))

    def _start_ready(self) -> bool:
        """Start what each unit may start now; True if anything started or ended."""
        progressed = False
        for queue_unit, queue in self._queues.items():
            if not queue or self._busy(queue_unit):
                continue
            task = queue[0]
            if not task.unit.installed:
                continue
            held = [t.lock for t in self._running_on(task.unit.machine)]
            if not agent.may_start(task.lock, held):
                continue
            queue.popleft()
            self._start(task)
            self._finish_ended()  # a dispatch that ended at once is recorded at once
            progressed = True
        return progressed

    def _busy(self, unit_name: str) -> bool:
        return unit_name in self._hook_runs or any(t.unit.name == unit_name for t in self._running)

    def _running_on(self, machine: str) -> list[_TaskRecord]:
        return [t for t in self._running if t.unit.machine == machine]

    def _start(self, task: _TaskRecord) -> None:
        """The unit agent takes the task: checks it (4.0), begins it, starts the dispatch,
        and waits until the dispatch ends or is held."""
        if self.profile.params_checked_by_agent:
            try:
                task.params = self._action_spec(task.unit, task.action).check_params(
                    task.params, self.profile
                )
            except ValueError as e:
                message = f'cannot run "{task.action}" action: {e}'
                task.end(operation_.TaskStatus.ERROR, message, at=self.now())
                self._finished(task)
                return
        task.move(operation_.TaskStatus.RUNNING, at=self.now())
        task.unit.agent_status = ('executing', f'running action {task.action}')
        record = task.operation
        record.started = record.started or task.started
        task.state = context.ActionState(task.action, task.id, task.params)
        self._running.append(task)
        if task.action == EXEC_ACTION:
            # A command in the unit's hook context: no action is running for its tools.
            env = self._env(task.unit, EXEC_ACTION, EXEC_ACTION)
            ctx = context.UnitContext(self, task.unit)
            command = str(task.params['command'])
        else:
            env = self._env(task.unit, f'actions/{task.action}', task.action)
            environment.add_action(env, task.action, task.id)
            ctx = context.UnitContext(self, task.unit, task.state)
            command = None
        task.dispatching = self._launch(
            task.unit,
            env,
            trace_.Cause.INVOCATION,
            ctx,
            record,
            background=self.real_time,
            command=command,
        )

    def _finish_ended(self) -> bool:
        """Record every task whose dispatch has ended; True if any had."""
        ended = [t for t in self._running if t.dispatching and not t.dispatching.alive]
        for task in ended:
            self._running.remove(task)
            self._record_end(task)
        return bool(ended)

    def _record_end(self, task: _TaskRecord) -> None:
        """What the unit agent reports when the dispatch has ended (runner/context
        context.go `finalizeAction`): an aborted task keeps what it set and logged."""
        dispatching = task.dispatching
        assert dispatching is not None and task.state is not None
        result = dispatching.outcome()
        aborted = dispatching.aborted
        state = task.state
        self._commit(task.unit, result, dispatching.ctx, task.operation)
        if result.missing:
            # Nothing ran, so there is no output to capture.
            task.end(operation_.TaskStatus.FAILED, NOT_IMPLEMENTED.format(task.unit.name))
        else:
            results.add_captured_output(
                state.results, result.stdout, result.stderr, result.exit_code, self.profile
            )
            status, message = operation_.TaskStatus.COMPLETED, state.message
            failed = operation_.TaskStatus.ABORTED if aborted else operation_.TaskStatus.FAILED
            if state.failed:
                status = failed
            # A command's exit status is its result, not a failure of the task (the
            # uniter's juju-exec: runner.RunCommands returns the code in the response).
            if result.exit_code and (task.action != EXEC_ACTION or aborted):
                status, message = failed, result.error
            task.end(status, message, at=self.now())
        task.dispatching = None
        self._settle_agent(task.unit)
        self._finished(task)

    def _finished(self, task: _TaskRecord) -> None:
        """Close the operation when its last task has finished (state/operation.go)."""
        record = task.operation
        record.last_finished = task.status
        if record.done and record.completed is None:
            record.completed = task.completed

    def _snapshot(self, record: _OperationRecord) -> operation_.Operation:
        tasks = tuple(t.snapshot() for t in record.tasks)
        status = operation_.operation_status(
            tasks,
            started=record.started is not None,
            last_finished=record.last_finished,
            failed_enqueue=bool(record.fail),
        )
        return operation_.Operation(
            record.id,
            record.action,
            record.tasks[0].params if record.tasks else {},
            tasks,
            self.profile,
            trace_.Trace(record.trace),
            tuple(record.enqueue_errors),
            record.command,
            status=status,
            summary=record.summary,
            fail=record.fail,
            timing=operation_.Timing(record.enqueued, record.started, record.completed),
        )

    # -- config --------------------------------------------------------------------------

    def set_config(self, app: str, values: Mapping[str, str], reset: Sequence[str] = ()) -> None:
        """Set and reset config as `juju config app k=v --reset k2` does, then run
        config-changed on every unit. Values arrive as the CLI's text and are read by the
        option's type (apiserver/facades/client/application: `ParseSettingsStrings`)."""
        target = self.applications[app]
        parsed = config_values(target.config_options, values)
        before = target.config
        unknown = [name for name in reset if name not in target.config_options]
        if unknown:
            raise ValueError(f'unknown option "{unknown[0]}"')
        for name in reset:
            target.config_values.pop(name, None)
        target.config_values.update(parsed)
        if target.config == before:  # the uniter runs it when the config's hash changes
            return
        for unit in target.units.values():
            if unit.started:  # one still starting runs config-changed anyway
                self.queue_hook(unit, 'config-changed')
        self.advance()

    # -- hooks the controller decides on -------------------------------------------------

    def queue_hook(
        self,
        unit: Unit,
        name: str,
        *,
        relation: Relation | None = None,
        remote_unit: str = '',
        remote_app: str = '',
        departing_unit: str = '',
    ) -> Hook:
        """Queue `name` on `unit`, as the controller tells a unit agent to run a hook
        (`install`, `start`, `config-changed`, a relation's hooks...). Each unit runs its
        hooks in order, one at a time, after its queued actions; once one has run cleanly,
        `hook_listeners` hear of it."""
        hook = Hook(
            unit,
            name,
            relation,
            remote_unit=remote_unit,
            remote_app=remote_app,
            departing_unit=departing_unit,
        )
        self._pending.append(hook)
        return hook

    def log(self, unit: Unit, level: str, module: str, message: str) -> None:
        """Add a line to the model's log for `unit` (its agent, or its charm), unless the
        model's `logging-config` puts the module above that level."""
        level = level if level in LOG_LEVELS else 'INFO'
        if LOG_LEVELS.index(level) < LOG_LEVELS.index(log_threshold(self.logging_config, module)):
            return
        entity = 'unit-' + unit.name.replace('/', '-')
        # A log line is not an event of the model: it takes the time of the last one, so
        # a clock that ticks on each reading (TickingClock) shows the same timings.
        moment = self.now() if self.real_time else self._latest
        self.debug_log.append(LogRecord(entity, moment, level, module, message))
        self.changed.set()

    # -- dispatching ---------------------------------------------------------------------

    def _env(self, unit: Unit, dispatch_path: str, name: str) -> dict[str, str]:
        """The environment Juju gives a dispatch (J11)."""
        base = self._unit_env.get(unit.name)
        if base is None:
            base = self._unit_env[unit.name] = environment.unit_base(
                unit.name, self.name, self.uuid, self.profile.agent_version
            )
        self._context_ids += 1
        # Juju's number is random, so ids are unique across models; here, so that two
        # models sharing one hook-tool server (the box's) never take the same id, each
        # model counts from a base of its own, derived from its uuid.
        number = int(self.uuid.replace('-', '')[:8], 16) * 1_000_000 + self._context_ids
        context_id = environment.context_id(unit.name, name, number)
        return environment.dispatch(base, context_id, dispatch_path)

    def _launch(
        self,
        unit: Unit,
        env: dict[str, str],
        cause: trace_.Cause,
        ctx: context.UnitContext,
        record: _OperationRecord | None,
        *,
        background: bool = False,
        command: str | None = None,
    ) -> _Dispatching:
        """Start a dispatch (or, for `juju exec`, the command); it has ended, or is held
        by the charm, or goes on in the `background` (a model in real time), when this
        returns."""

        def recorder(entry: trace_.TraceEntry) -> None:
            self._trace.append(entry)
            if record is not None:
                record.trace.append(entry)

        # Only a dispatch that can be held can be seen running, and so aborted.
        seen = background or hasattr(unit.application.charm, 'held')
        abort = threading.Event() if seen else process.NEVER
        request = process.DispatchRequest(unit.name, env, cause, abort)
        return _Dispatching(
            unit.application.charm,
            request,
            ctx,
            recorder,
            in_real_time=background,
            command=command,
            ended=self.changed,
        )

    def _commit(
        self,
        unit: Unit,
        result: process.ProcessResult,
        ctx: context.UnitContext,
        record: _OperationRecord | None,
    ) -> None:
        if self._commits(result):
            changed = ctx.commit()
            if changed:
                self._pending.extend(self._consequences(unit, changed, record))

    def _commits(self, result: process.ProcessResult) -> bool:
        """Whether the unit agent commits what the dispatch wrote: only after a clean exit;
        a task failed by action-fail alone still exits 0 (J10). A hook the charm does not
        implement is skipped, with nothing to commit (operation/runhook.go)."""
        return result.exit_code == 0 and not result.missing

    def _consequences(
        self,
        writer: Unit,
        changed: list[tuple[Relation, str]],
        record: _OperationRecord | None,
    ) -> Iterable[Hook]:
        """Who gets relation-changed after `writer` committed these bags (J10).

        A unit bag change reaches every unit on the other side (the other peers, for a
        peer relation), never the writer. An application bag change reaches the other
        application's units; for a peer relation every unit of the application, the
        writer included (worker/uniter/relation/resolver.go, state/relationunit.go).
        """
        for relation, owner in changed:
            app_bag = '/' not in owner
            for app_name in relation.applications:
                if app_name == writer.application.name and not relation.is_peer:
                    continue
                for unit in self.applications[app_name].units.values():
                    if unit is writer and not app_bag:
                        continue
                    if not relation.sees(unit.name, owner):
                        continue
                    yield Hook(
                        unit,
                        relation.hook_name(app_name, 'changed'),
                        relation,
                        remote_unit='' if app_bag else owner,
                        remote_app=owner.split('/')[0],
                        cause=trace_.Cause.RELATION_CHANGE,
                        operation=record,
                    )

    def _run_hooks(self) -> bool:
        """Start the queued hooks that may run, in order: a unit runs one thing at a time,
        its queued actions first (the uniter's resolver looks at actions before hooks),
        and no other hook while one it ran has failed. Each runs to its end at once,
        except in real time. True if any started."""
        if not self._pending:  # the common case: nothing to look through
            return False
        started = 0
        while True:
            hook = next((h for h in self._pending if self._may_run(h)), None)
            if hook is None:
                return started > 0
            self._pending.remove(hook)
            started += 1
            if started > MAX_CONSEQUENT_HOOKS:
                self._pending.clear()
                raise RuntimeError(f'hooks did not settle after {MAX_CONSEQUENT_HOOKS} runs')
            self._start_hook(hook)
            self._finish_hooks()

    def pending(self, unit: Unit) -> list[Hook]:
        """The hooks queued on `unit`, in the order it will run them."""
        return [h for h in self._pending if h.unit is unit]

    def idle(self, unit: Unit) -> bool:
        """Whether the unit's agent has nothing to do: nothing running, queued or pending."""
        return not self._busy(unit.name) and not self._queues[unit.name] and not self.pending(unit)

    def _may_run(self, hook: Hook) -> bool:
        unit = hook.unit
        if (self._queues[unit.name] and unit.installed) or self._busy(unit.name):
            return False
        if unit.failed_hook is None:
            return True
        return (
            unit.failed_hook is hook
            and unit.retry_at is not None
            and self.clock.now() >= unit.retry_at
        )

    def _start_hook(self, hook: Hook) -> None:
        unit = hook.unit
        env = self._env(unit, f'hooks/{hook.name}', hook.name)
        if hook.relation is not None:
            endpoint = hook.relation.endpoint_of(unit.application.name)
            assert endpoint is not None
            environment.add_relation(
                env, endpoint, hook.relation.id, hook.remote_unit, hook.remote_app
            )
            if hook.departing_unit:
                environment.add_departing(env, hook.departing_unit)
        relation = hook.relation
        if relation is not None and relation.joined is not None:
            # What relation-list shows from now on (worker/uniter/relation/state.go).
            seen = relation.joined.setdefault(unit.name, [])
            if hook.name.endswith('-relation-joined') and hook.remote_unit not in seen:
                seen.append(hook.remote_unit)
            elif hook.name.endswith('-relation-departed') and hook.remote_unit in seen:
                seen.remove(hook.remote_unit)
        _before_hook(hook)
        if hook.name != 'update-status':  # runhook.go: update-status leaves the agent idle
            about = f' for {hook.remote_unit}' if hook.remote_unit else ''
            unit.agent_status = ('executing', f'running {hook.name} hook{about}')
        ctx = context.UnitContext(self, unit)
        if relation is not None:  # juju-log says which relation (jujuc/juju-log.go)
            ctx.log_prefix = f'{env[environment.RELATION_ID]}: '
        dispatching = self._launch(
            unit, env, hook.cause, ctx, hook.operation, background=self.real_time
        )
        self._hook_runs[unit.name] = _HookRun(hook, dispatching)

    def _finish_hooks(self) -> bool:
        """Record every hook whose dispatch has ended; True if any had."""
        if not self._hook_runs:
            return False
        ended = [run for run in self._hook_runs.values() if not run.dispatching.alive]
        for run in ended:
            hook, unit = run.hook, run.hook.unit
            del self._hook_runs[unit.name]
            result = run.dispatching.outcome()
            self._commit(unit, result, run.dispatching.ctx, hook.operation)
            self._log_hook(hook, result)
            if result.exit_code and not result.missing:
                self._hook_failed(hook)
                continue
            unit.failed_hook = unit.retry_at = None
            unit.retry_delay = 0.0
            _after_hook(hook)
            for listener in self.hook_listeners:
                listener(self, hook)
            self._settle_agent(unit)  # once the hooks this one leads to are queued
        return bool(ended)

    def _log_hook(self, hook: Hook, result: process.ProcessResult) -> None:
        """What the unit agent logs of a hook (worker/uniter/operation/runhook.go), and the
        charm's stderr, line by line, as warnings (its stdout is logged at DEBUG)."""
        unit = hook.unit
        for line in result.stderr.decode('utf-8', 'replace').splitlines():
            self.log(unit, 'WARNING', f'unit.{unit.name}.{hook.name}', line)
        via = 'hook dispatching script: dispatch'
        if result.missing:
            self.log(unit, 'INFO', UNITER_LOG, f'skipped "{hook.name}" hook (missing)')
        elif result.exit_code:
            self.log(
                unit, 'ERROR', UNITER_LOG, f'hook "{hook.name}" (via {via}) failed: {result.error}'
            )
        else:
            self.log(unit, 'INFO', UNITER_LOG, f'ran "{hook.name}" hook (via {via})')

    def _hook_failed(self, hook: Hook) -> None:
        """The unit is in error and runs no other hook until this one runs cleanly: retried
        after a while (5 s, doubling up to 5 min) when the model retries hooks."""
        unit = hook.unit
        unit.failed_hook = hook
        self._settle_agent(unit)
        self._pending.appendleft(hook)
        if self.retry_hooks:
            unit.retry_delay = min(unit.retry_delay * 2 or RETRY_FIRST_SECONDS, RETRY_MAX_SECONDS)
            unit.retry_at = self.clock.now() + datetime.timedelta(seconds=unit.retry_delay)

    def _settle_agent(self, unit: Unit) -> None:
        """The agent's status once a dispatch ended: back in error while a failed hook
        waits (an action may run meanwhile: worker/uniter/actions/resolver.go); idle when
        it has nothing else to do; else unchanged, as it goes on to its next operation (the
        uniter's resolver loop reports idle only when it finds no operation to run:
        worker/uniter/resolver/loop.go, uniter.go `onIdle`)."""
        if unit.failed_hook is not None:
            unit.agent_status = ('error', f'hook failed: "{unit.failed_hook.name}"')
        elif not self._queues[unit.name] and not self.pending(unit):
            unit.agent_status = ('idle', '')

    def __repr__(self) -> str:
        apps = ', '.join(self.applications)
        return f'Model({self.name!r}, juju={self.profile.version}, applications=[{apps}])'


# What the unit agent sets around a hook, by its name (worker/uniter/operation/runhook.go
# `beforeHook`, `afterHook`, `Commit`): the workload status Juju shows while a charm that
# set none installs, stops or is removed, and the unit's own record of being installed,
# started or gone.
_STATUS_BEFORE = {
    'install': ('maintenance', 'installing charm software'),
    'stop': ('maintenance', 'stopping charm software'),
    'remove': ('maintenance', 'cleaning up prior to charm deletion'),
}


def _before_hook(hook: Hook) -> None:
    unit = hook.unit
    status = _STATUS_BEFORE.get(hook.name)
    if status is not None and (hook.name != 'install' or not unit.status_set):
        unit.status = status


def _after_hook(hook: Hook) -> None:
    unit = hook.unit
    if hook.name == 'install':
        unit.installed = True
    elif hook.name == 'start':
        unit.started = True
        if not unit.status_set:
            unit.status = ('unknown', '')
    elif hook.name == 'stop':
        unit.status = ('maintenance', '')
    elif hook.name == 'remove':
        unit.status = ('terminated', '')
        unit.life = 'dead'


def config_values(options: Mapping[str, Any], values: Mapping[str, str]) -> dict[str, Any]:
    """Config values from the CLI's text, each read by its option's type (config.yaml's
    `options`); ValueError for an option the charm lacks or a value of the wrong type."""
    parsed: dict[str, Any] = {}
    for name, text in values.items():
        option = options.get(name)
        if not isinstance(option, Mapping):
            raise ValueError(f'unknown option "{name}"')
        parsed[name] = _config_value(name, text, str(option.get('type', 'string')))
    return parsed


def _config_value(name: str, text: str, kind: str) -> Any:
    """A config value from the CLI's text, by the option's type (charm `ParseSettingsStrings`)."""
    try:
        if kind == 'int':
            return int(text)
        if kind == 'float':
            return float(text)
    except ValueError:
        raise ValueError(f'option "{name}" expected {kind}, got "{text}"') from None
    if kind == 'boolean':
        try:
            return goformat.parse_bool(text)
        except ValueError:
            raise ValueError(f'option "{name}" expected boolean, got "{text}"') from None
    return text


def command_line(targets: Sequence[str], action: str, params: Mapping[str, Any]) -> str:
    """The `juju run` command for these arguments: params as dotted `key=value` words."""
    words = ['juju', 'run', *targets, action]
    for key, value in results.flatten(params).items():
        text = _param_text(value)
        words.append(shlex.quote(f'{key}={text}'))
    return ' '.join(words)


def _param_text(value: Any) -> str:
    """A param value as `juju run` reads it back (YAML scalars: true, 3, text)."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if value is None:
        return 'null'
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(',', ':'))
    return str(value)


def _unit_sort_key(name: str) -> tuple[str, int]:
    app, _, number = name.partition('/')
    return app, int(number)
