"""Targets over ops.testing: Scenario's `Context` and the older `Harness`.

Both run one unit's charm in this process with a mocked Juju, so each named unit gets its
own run, and what a unit-test harness cannot show (other units' hooks, `juju run`'s
output, a unit that cannot be named) is skipped with the reason. What they do show is
compared exactly: their divergences from Juju are failures, listed with reasons in
conformance/expected-failures/.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import io
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import yaml

from ..juju import model, versions
from ..suite import scenario as scenario_
from ..suite import target
from . import TargetUnavailableError

try:
    import ops
    from ops import testing
except ImportError as e:  # pragma: no cover - exercised without the [ops] extra
    raise TargetUnavailableError(
        f"ops.testing is not installed ({e}); pip install 'actionspec[ops]'"
    ) from None

from ..suite import ops_scripted

# Scenario fills a relation's local unit bag with these defaults.
_DEFAULT_UNIT_KEYS = frozenset({'egress-subnets', 'ingress-address', 'private-address'})
_OUTSIDE = "a unit-test harness runs only the named units: it shows no other unit's hooks"


@dataclasses.dataclass(frozen=True)
class _RelationEnd:
    id: int
    endpoint: str
    peer: bool
    remote_app: str
    remote_units: tuple[int, ...]


def _relations(case: scenario_.Scenario, app: str) -> list[_RelationEnd]:
    """The relations `app` takes part in, with the ids the reference would give them."""
    units = {a.name: a.units for a in case.apps}
    pairs: list[tuple[tuple[str, str], ...]] = []
    for spec in case.apps:
        pairs.extend(((spec.name, peer),) for peer in spec.peers)
    for first, second in case.relations:
        pairs.append((tuple(first.split(':')), tuple(second.split(':'))))  # type: ignore[arg-type]
    found = []
    for rid, ends in enumerate(pairs):
        mine = [endpoint for name, endpoint in ends if name == app]
        if not mine:
            continue
        others = [name for name, _ in ends if name != app]
        remote = others[0] if others else app
        found.append(
            _RelationEnd(rid, mine[0], len(ends) == 1, remote, tuple(range(units[remote])))
        )
    return found


def _units(case: scenario_.Scenario) -> tuple[scenario_.AppSpec, list[int]]:
    """The application and unit numbers `juju run` would reach; skip what it would refuse."""
    apps = {a.name: a for a in case.apps}
    numbers: list[int] = []
    names = set()
    for name in case.run.targets:
        match = model.UNIT_NAME.match(name)
        if not match or match[1] not in apps:
            raise target.CannotObserve(f"{name!r}: resolving units is `juju run`'s job")
        app = apps[match[1]]
        names.add(app.name)
        if match[2] == 'leader':
            if app.leader is None:
                raise target.CannotObserve(
                    "no leader: resolving app/leader is the controller's job"
                )
            numbers.append(app.leader)
        elif int(match[2]) < app.units:
            numbers.append(int(match[2]))
        else:
            raise target.CannotObserve(f'{name!r} does not exist: that is for `juju run` to say')
    if len(names) != 1:
        raise target.CannotObserve("choosing units is `juju run`'s job")
    return apps[names.pop()], numbers


def _check_observable(case: scenario_.Scenario, app: str, numbers: list[int]) -> None:
    if case.steps:
        raise target.CannotObserve(
            'a unit-test harness runs one event to its end: it has no queue of tasks, no '
            'background operations, and nothing to cancel or abort'
        )
    if case.expect.juju_run is not None:
        raise target.CannotObserve('a unit-test harness has no `juju run` output')
    ran = {f'{app}/{n}' for n in numbers}
    if case.expect.units() - ran:
        raise target.CannotObserve(_OUTSIDE)
    if any(unit not in ran for unit in case.deferred):
        raise target.CannotObserve(_OUTSIDE)
    for bags in (case.expect.relation_data or {}).values():
        if set(bags) - ran - {app}:
            raise target.CannotObserve(_OUTSIDE)


def _local_bags(relations: Any, app: str, unit: str) -> Iterator[tuple[str, str, dict[str, str]]]:
    for relation in relations:
        unit_bag = {
            k: v for k, v in relation.local_unit_data.items() if k not in _DEFAULT_UNIT_KEYS
        }
        yield relation.endpoint, unit, unit_bag
        yield relation.endpoint, app, dict(relation.local_app_data)


def _record_bags(seen: target.Observation, app: str, unit: str, relations: Any) -> None:
    assert seen.relation_data is not None
    for endpoint, owner, bag in _local_bags(relations, app, unit):
        data = seen.relation_data.setdefault(f'{app}:{endpoint}', {})
        if bag:
            data[owner] = bag


class _HarnessTarget:
    """What both ops.testing targets share: they cover both sides and every version,
    run quietly, and start from the named units, a scripted ops charm and an empty
    observation."""

    sides = frozenset({scenario_.Side.CONTROLLER, scenario_.Side.CHARM})
    juju_versions = frozenset(versions.PROFILES)

    def observe(self, case: scenario_.Scenario, juju_version: str) -> target.Observation:
        with _quiet():
            return self._observe(case, juju_version)

    def _observe(self, case: scenario_.Scenario, juju_version: str) -> target.Observation:
        raise NotImplementedError

    @staticmethod
    def _start(
        case: scenario_.Scenario, app: scenario_.AppSpec
    ) -> tuple[ops_scripted.Recorder, Any, target.Observation]:
        recorder = ops_scripted.Recorder()
        charm = ops_scripted.charm_type(case.behaviour.get(app.name, {}), recorder)
        seen = target.Observation(
            trace={},
            deferred={},
            refusals=recorder.refusals,
            recorded=recorder.recorded,
            relation_data={},
        )
        return recorder, charm, seen


class ScenarioTarget(_HarnessTarget):
    """ops.testing's Scenario: `Context.run(ctx.on.action(...), State(...))` per unit
    (Scenario 6: `Context.run_action(Action(...), State(...))`)."""

    name = 'ops-scenario'

    def _observe(self, case: scenario_.Scenario, juju_version: str) -> target.Observation:
        app, numbers = _units(case)
        _check_observable(case, app.name, numbers)
        recorder, charm, seen = self._start(case, app)
        api = _scenario_api()
        _first_action_id()
        statuses = []
        for number in numbers:
            unit = f'{app.name}/{number}'
            ctx = api.Context(
                charm,
                meta=app.meta().metadata(),
                actions=dict(app.actions),
                app_name=app.name,
                unit_id=number,
                juju_version=versions.profile(juju_version).agent_version,
            )
            state = api.State(
                leader=app.leader == number,
                relations=[self._relation(end, number) for end in _relations(case, app.name)],
                deferred=[
                    api.DeferredEvent(
                        f'{charm.__name__}/on/{event}[{n}]', charm.__name__, f'_on_{event}'
                    )
                    for n, event in enumerate(case.deferred.get(unit, ()), 1)
                ],
            )
            task = target.TaskObservation(status='completed')
            state_out: Any = None
            try:
                state_out = _run_action(ctx, case.run, state, task)
            except Exception as e:
                if type(e).__name__ == 'InconsistentScenarioError':
                    seen.error = str(e)
                    return seen
                task.status, task.message = 'failed', f'{type(e).__name__}: {e.__cause__ or e!r}'
            except SystemExit as e:
                task.status, task.message = 'failed', f'SystemExit({e.code}) escaped Context.run'
            seen.tasks[unit] = task
            statuses.append(task.status)
            seen.trace[unit] = recorder.trace.get(unit, [])
            if state_out is None:
                # After an uncaught error Scenario gives back no State: the event store
                # and relation data are not observable.
                seen.deferred = None
                seen.relation_data = None
            elif seen.deferred is not None and seen.relation_data is not None:
                seen.deferred[unit] = [
                    d.handle_path.rsplit('/', 1)[-1].split('[')[0] for d in state_out.deferred
                ]
                _record_bags(seen, app.name, unit, state_out.relations)
        seen.operation_units = [f'{app.name}/{n}' for n in numbers]
        seen.operation_status = 'failed' if 'failed' in statuses else 'completed'
        return seen

    @staticmethod
    def _relation(end: _RelationEnd, number: int) -> Any:
        api = _scenario_api()
        # Scenario 7 calls a relation's id `id`; 6.x called it `relation_id`.
        named = {'id' if api is testing else 'relation_id': end.id}
        if end.peer:
            peers: Mapping[int, Any] = {n: {} for n in end.remote_units if n != number}
            return api.PeerRelation(end.endpoint, peers_data=peers, **named)
        return api.Relation(
            end.endpoint,
            remote_app_name=end.remote_app,
            remote_units_data={n: {} for n in end.remote_units},
            **named,
        )


def _scenario_api() -> Any:
    """Where Scenario's classes are: `ops.testing` from Scenario 7 on (ops 2.17 added
    them there), the `scenario` package itself in Scenario 6."""
    if hasattr(testing, 'Context'):
        return testing
    return importlib.import_module('scenario')


def _first_action_id() -> None:
    """Number actions from 1 again, as in a fresh test process. Scenario numbers them
    with a counter of the process (`scenario.state._next_action_id_counter`, in 6.x to
    8.x), so an action's id would otherwise depend on which scenarios this process ran
    before it."""
    state: Any = importlib.import_module('scenario.state')
    if hasattr(state, '_next_action_id_counter'):
        state._next_action_id_counter = 1


def _run_action(
    ctx: Any, run: scenario_.Invocation, state: Any, task: target.TaskObservation
) -> Any:
    """Run the action in `ctx`, note how it ended in `task`, and give back the State
    after it. Scenario 7 on: `ctx.run(ctx.on.action(...))`, raising ActionFailed for a
    failed action, results and logs on the context; Scenario 6: `ctx.run_action(...)`,
    all of it in the ActionOutput it returns."""
    params = dict(run.params)
    api = _scenario_api()
    if api is testing:
        state_out: Any = None
        try:
            state_out = ctx.run(ctx.on.action(run.action, params=params), state)
        except testing.ActionFailed as e:
            task.status, task.message, state_out = 'failed', e.message, e.state
        finally:
            task.results = dict(ctx.action_results or {})
            task.logs = list(ctx.action_logs)
        return state_out
    output = ctx.run_action(api.Action(run.action, params=params), state)
    if output.failure is not None:
        task.status, task.message = 'failed', output.failure
    task.results, task.logs = dict(output.results or {}), list(output.logs)
    return output.state


class HarnessTarget(_HarnessTarget):
    """ops.testing's Harness: `harness.run_action(...)` on unit 0 (Harness has no other)."""

    name = 'ops-harness'

    def _observe(self, case: scenario_.Scenario, juju_version: str) -> target.Observation:
        app, numbers = _units(case)
        if numbers != [0]:
            raise target.CannotObserve('Harness runs unit 0 only')
        _check_observable(case, app.name, numbers)
        unit = f'{app.name}/0'
        recorder, charm, seen = self._start(case, app)
        harness = self._harness(case, app, charm)
        try:
            self._seed_deferred(harness, recorder, case.deferred.get(unit, ()))
            task = target.TaskObservation(status='completed')
            output: Any = None
            try:
                output = harness.run_action(case.run.action, dict(case.run.params))
            except testing.ActionFailed as e:
                task.status, task.message, output = 'failed', e.message, e.output
            except (RuntimeError, ops.ModelError) as e:
                if _harness_refused(e):
                    seen.error = str(e)
                    return seen
                task.status, task.message = 'failed', f'{type(e).__name__}: {e}'
            except Exception as e:
                task.status, task.message = 'failed', f'{type(e).__name__}: {e}'
            except SystemExit as e:
                task.status, task.message = 'failed', f'SystemExit({e.code}) escaped run_action'
            if output is not None:
                task.results, task.logs = dict(output.results), list(output.logs)
            seen.tasks[unit] = task
            seen.trace[unit] = recorder.trace.get(unit, [])
            assert seen.deferred is not None
            # Harness offers no public view of its event store; read it, do not change it.
            seen.deferred[unit] = [
                path.rsplit('/', 1)[-1].split('[')[0]
                for path, _, _ in harness.framework._storage.notices(None)
            ]
            for relations in harness.model.relations.values():
                for relation in relations:
                    _record_bags(seen, app.name, unit, [_HarnessBags(relation, harness)])
        finally:
            harness.cleanup()
        seen.operation_units = [unit]
        seen.operation_status = seen.tasks[unit].status
        return seen

    @staticmethod
    def _harness(case: scenario_.Scenario, app: scenario_.AppSpec, charm: Any) -> Any:
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            harness = testing.Harness(
                charm,
                meta=yaml.safe_dump(app.meta().metadata()),
                actions=yaml.safe_dump(dict(app.actions)),
            )
        harness.set_leader(app.leader == 0)
        for end in _relations(case, app.name):
            rid = harness.add_relation(end.endpoint, end.remote_app)
            for n in end.remote_units:
                if not (end.peer and n == 0):
                    harness.add_relation_unit(rid, f'{end.remote_app}/{n}')
        harness.begin()
        return harness

    @staticmethod
    def _seed_deferred(
        harness: Any, recorder: ops_scripted.Recorder, events: tuple[str, ...]
    ) -> None:
        """Queue events as an earlier dispatch would have: emitted, then deferred."""
        for event in events:
            bound = getattr(harness.charm.on, event, None)
            if bound is None or '_relation_' in event:
                raise target.CannotObserve(f'cannot queue {event!r} in Harness')
            recorder.seeding.add(event)
            try:
                bound.emit()
            finally:
                recorder.seeding.discard(event)


@dataclasses.dataclass(frozen=True)
class _HarnessBags:
    """A Harness relation seen as Scenario shows one: its local bags."""

    relation: Any
    harness: Any

    @property
    def endpoint(self) -> str:
        return str(self.relation.name)

    @property
    def local_unit_data(self) -> dict[str, str]:
        return dict(self.relation.data[self.harness.charm.unit])

    @property
    def local_app_data(self) -> dict[str, str]:
        return dict(self.relation.data[self.harness.charm.app])


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Keep what the charm and the harness print off the runner's own output: these
    harnesses capture nothing, and that is observed as such."""
    with (
        warnings.catch_warnings(),
        contextlib.redirect_stdout(io.StringIO()),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        warnings.simplefilter('ignore')
        yield


def _harness_refused(error: Exception) -> bool:
    """Errors with which Harness refuses the invocation itself (no handler ran)."""
    text = str(error)
    return (
        'does not have a' in text or 'is required, but missing' in text or 'is not allowed' in text
    )
