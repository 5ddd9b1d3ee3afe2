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
import uuid as uuid_
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .. import charmmeta, environment
from .. import trace as trace_
from . import actions as actions_
from . import clock as clock_
from . import context, operation, process, results, versions

# A unit as `juju run` names it: `app/N` (no leading zeros) or `app/leader`.
UNIT_NAME = re.compile(r'^([a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*)/(0|[1-9][0-9]*|leader)$')
_APP_NAME = re.compile(r'^[a-z][a-z0-9]*(?:-[a-z0-9]*[a-z][a-z0-9]*)*$')

# What a task says when the charm has nothing to run for its action (uniter/runner/context
# context.go `finalizeAction`, the same in 2.9 and 3.6).
NOT_IMPLEMENTED = 'action not implemented on unit "{}"'

# A settle loop that keeps producing relation-changed hooks is a charm bug; stop it.
MAX_CONSEQUENT_HOOKS = 10_000


class RunError(ValueError):
    """`juju run` refused; nothing ran and the model is unchanged. The text is Juju's.

    `exit_code` is what `juju run` exits with: 2 when the CLI refuses its arguments, 0
    when the controller refused every task ("failed to schedule any tasks").
    """

    def __init__(self, message: str, *, exit_code: int, stderr: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.stderr = stderr


def _cli_refusal(message: str) -> RunError:
    return RunError(message, exit_code=2, stderr=f'ERROR {message}\n')


@dataclasses.dataclass(eq=False)
class Unit:
    """A unit of an application, with its workload status."""

    name: str
    application: Application = dataclasses.field(repr=False)
    status: tuple[str, str] = ('unknown', '')

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

    def unit(self, number: int) -> Unit:
        return self.units[f'{self.name}/{number}']

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
        """The units `unit` sees across this relation (relation-list)."""
        app = self.model.applications[self.remote_app(unit.application.name)]
        return sorted((n for n in app.units if n != unit.name), key=_unit_sort_key)

    def __repr__(self) -> str:
        ends = ' '.join(f'{app}:{endpoint}' for app, endpoint in self.ends)
        return f'Relation({self.id}, {ends})'


@dataclasses.dataclass(frozen=True)
class _Hook:
    """A hook Juju will run on a unit because of something another unit committed."""

    unit: Unit
    relation: Relation
    remote_unit: str
    remote_app: str


class Model:
    """A Juju model in memory: deploy, relate, and run actions as Juju runs them."""

    def __init__(
        self,
        name: str = 'test-model',
        *,
        juju_version: str = versions.DEFAULT_VERSION,
        clock: clock_.Clock | None = None,
        model_uuid: str | None = None,
    ) -> None:
        self.name = name
        self.profile = versions.profile(juju_version)
        self.clock: clock_.Clock = clock or clock_.SystemClock()
        self.uuid = model_uuid or str(uuid_.uuid5(uuid_.NAMESPACE_DNS, f'{name}.actionspec'))
        self.applications: dict[str, Application] = {}
        self.relations: dict[int, Relation] = {}
        self.operations: list[operation.Operation] = []
        self.debug_log: list[str] = []
        self._ids = clock_.IdSequence(self.profile.first_id)
        self._relation_ids = 0
        self._trace: list[trace_.TraceEntry] = []
        self._context_ids = 0
        self._pending: collections.deque[_Hook] = collections.deque()
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
    ) -> Application:
        """Deploy `charm` as `name`: a CharmRuntime here; `actionspec.Model` also takes
        charm classes.

        `actions` is the charm's actions.yaml (text or mapping). `leader` is the number of
        the leader unit, or None for no leader yet. Each name in `peers` becomes a peer
        relation, created at once as Juju creates it.
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
        meta = charmmeta.CharmMeta(
            name, actions_.actions_data(actions), requires=tuple(endpoints), peers=tuple(peers)
        )
        app = Application(name, self._runtime(charm, meta), specs, meta.endpoints, meta.peers)
        app.units = {f'{name}/{n}': Unit(f'{name}/{n}', app) for n in range(units)}
        app.leader = None if leader is None else f'{name}/{leader}'
        self.applications[name] = app
        for peer in meta.peers:
            self._add_relation(((name, peer),))
        return app

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
    ) -> operation.Operation:
        """Run `action` on `targets` as `juju run` does, and return the finished operation.

        Raises RunError, with Juju's text, when Juju would refuse every task; the model is
        then unchanged. Targets Juju cannot find while others are fine are reported in
        `Operation.enqueue_errors`, and the rest run (cmd/juju/action/run.go).
        """
        app_name = self._check_targets(targets, action)
        units: list[Unit] = []
        errors: list[str] = []
        for target in targets:
            try:
                units.append(self._resolve(target))
            except LookupError as e:
                errors.append(str(e.args[0]))
        app = self.applications.get(app_name)
        checked: dict[str, Any] = {}
        if units and app is not None:
            try:
                checked = self._check_action(app, units[0], action, params or {})
            except ValueError as e:
                errors = [str(e)] * len(targets)
                units = []
        if not units:
            message = '\n'.join(errors)
            next_id = self._ids.next_id
            raise RunError(
                message,
                exit_code=0,
                stderr=f'\nOperation {next_id} failed to schedule any tasks:\n{message}\n',
            )

        op_id = self._ids.take()
        enqueued = self.now()
        task_ids = [self._ids.take() for _ in units]
        start = len(self._trace)
        tasks = [
            self._run_task(task_id, unit, action, checked, enqueued)
            for task_id, unit in zip(task_ids, units, strict=True)
        ]
        # A unit runs a queued action before hooks that arrive meanwhile (the uniter's
        # resolver looks at actions first), so consequent relation-changed hooks follow.
        self._settle()
        op = operation.Operation(
            op_id,
            action,
            checked,
            tuple(tasks),
            self.profile,
            trace_.Trace(self._trace[start:]),
            tuple(errors),
            command_line(targets, action, params or {}),
        )
        self.operations.append(op)
        return op

    def _check_targets(self, targets: Sequence[str], action: str) -> str:
        """The CLI's own checks (run.go `Init`): syntax, one application."""
        if not targets:
            raise _cli_refusal('no unit specified')
        for target in targets:
            if not UNIT_NAME.match(target):
                raise _cli_refusal(f'invalid unit or action name "{target}"')
        if not action:
            raise _cli_refusal('no action specified')
        if not results.NAME_RULE.match(action):
            raise _cli_refusal(f'invalid unit or action name "{action}"')
        apps = {target.split('/')[0] for target in targets}
        if len(apps) > 1:
            raise _cli_refusal('all units must be of the same application')
        return apps.pop()

    def _check_action(
        self, app: Application, unit: Unit, action: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """The controller's checks when queueing (state/unit.go `PrepareActionPayload`)."""
        if not app.actions:
            raise ValueError(f'no actions defined on charm "{app.name}"')
        spec = app.actions.get(action)
        if spec is None:
            raise ValueError(f'action "{action}" not defined on unit "{unit.name}"')
        return spec.check_params(params, self.profile)

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

    def now(self) -> datetime.datetime:
        """The controller's time, at the precision this Juju version stores."""
        moment = self.clock.now()
        if moment.microsecond and self.profile.timestamps_to_the_second:
            moment = moment.replace(microsecond=0)
        return moment

    def _run_task(
        self,
        task_id: str,
        unit: Unit,
        action: str,
        params: dict[str, Any],
        enqueued: datetime.datetime,
    ) -> operation.Task:
        started = self.now()
        state = context.ActionState(action, task_id, params)
        ctx = context.UnitContext(self, unit, state)
        env = self._env(unit, f'actions/{action}', action)
        environment.add_action(env, action, task_id)
        result = self._dispatch(unit, env, trace_.Cause.INVOCATION, ctx)
        if result.missing:
            # Nothing ran, so there is no output to capture (uniter/runner/context
            # context.go `finalizeAction`).
            status, message = operation.TaskStatus.FAILED, NOT_IMPLEMENTED.format(unit.name)
            return self._task(task_id, unit, action, params, status, enqueued, started, message)
        results.add_captured_output(
            state.results, result.stdout, result.stderr, result.exit_code, self.profile
        )
        if result.exit_code:
            status, message = operation.TaskStatus.FAILED, result.error
        elif state.failed:
            status, message = operation.TaskStatus.FAILED, state.message
        else:
            status, message = operation.TaskStatus.COMPLETED, state.message
        return self._task(task_id, unit, action, params, status, enqueued, started, message, state)

    def _task(
        self,
        task_id: str,
        unit: Unit,
        action: str,
        params: dict[str, Any],
        status: operation.TaskStatus,
        enqueued: datetime.datetime,
        started: datetime.datetime,
        message: str,
        state: context.ActionState | None = None,
    ) -> operation.Task:
        return operation.Task(
            id=task_id,
            unit=unit.name,
            action=action,
            params=params,
            status=status,
            timing=operation.Timing(enqueued, started, self.now()),
            message=message,
            results=state.results if state else {},
            logs=tuple(state.logs) if state else (),
        )

    # -- dispatching ---------------------------------------------------------------------

    def _env(self, unit: Unit, dispatch_path: str, name: str) -> dict[str, str]:
        """The environment Juju gives a dispatch (J11)."""
        base = self._unit_env.get(unit.name)
        if base is None:
            base = self._unit_env[unit.name] = environment.unit_base(
                unit.name, self.name, self.uuid, self.profile.agent_version
            )
        self._context_ids += 1
        context_id = environment.context_id(unit.name, name, self._context_ids)
        return environment.dispatch(base, context_id, dispatch_path)

    def _dispatch(
        self, unit: Unit, env: dict[str, str], cause: trace_.Cause, ctx: context.UnitContext
    ) -> process.ProcessResult:
        request = process.DispatchRequest(unit.name, env, cause)
        result = unit.application.charm.dispatch(request, ctx, self._trace.append)
        if self._commits(result):
            changed = ctx.commit()
            if changed:
                self._pending.extend(self._consequences(unit, changed))
        return result

    def _commits(self, result: process.ProcessResult) -> bool:
        """Whether the unit agent commits what the dispatch wrote: only after a clean exit;
        a task failed by action-fail alone still exits 0 (J10). A hook the charm does not
        implement is skipped, with nothing to commit (operation/runhook.go)."""
        return result.exit_code == 0 and not result.missing

    def _consequences(self, writer: Unit, changed: list[tuple[Relation, str]]) -> Iterable[_Hook]:
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
                    yield _Hook(
                        unit,
                        relation,
                        '' if app_bag else owner,
                        owner.split('/')[0],
                    )

    def _settle(self) -> None:
        """Run the relation-changed hooks that committed changes caused, until none are left."""
        ran = 0
        while self._pending:
            hook = self._pending.popleft()
            ran += 1
            if ran > MAX_CONSEQUENT_HOOKS:
                self._pending.clear()
                raise RuntimeError(
                    f'relation-changed hooks did not settle after {MAX_CONSEQUENT_HOOKS} runs'
                )
            self._run_relation_changed(hook)

    def _run_relation_changed(self, hook: _Hook) -> None:
        endpoint = hook.relation.endpoint_of(hook.unit.application.name)
        assert endpoint is not None
        name = f'{endpoint}-relation-changed'
        env = self._env(hook.unit, f'hooks/{name}', name)
        environment.add_relation(
            env, endpoint, hook.relation.id, hook.remote_unit, hook.remote_app
        )
        self._dispatch(
            hook.unit, env, trace_.Cause.RELATION_CHANGE, context.UnitContext(self, hook.unit)
        )

    def __repr__(self) -> str:
        apps = ', '.join(self.applications)
        return f'Model({self.name!r}, juju={self.profile.version}, applications=[{apps}])'


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
