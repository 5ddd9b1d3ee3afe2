"""The reference implementation as a conformance target."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable, Iterator

from ..charm import main
from ..juju import clock, model, operation, process, versions
from ..jujucli import commands
from ..launch import gates as gates_
from ..launch import scratch
from ..suite import scenario as scenario_
from ..suite import scripted, target


@contextlib.contextmanager
def hold_points() -> Iterator[gates_.Gates]:
    """A scenario's hold points, removed afterwards."""
    directory = scratch.scratch_dir('actionspec-gates-')
    try:
        yield gates_.Gates(directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def build_model(
    case: scenario_.Scenario,
    juju_version: str,
    charm_for: Callable[[scenario_.AppSpec], process.CharmRuntime],
    gates: gates_.Gates,
) -> model.Model:
    """The scenario's model, with the charm `charm_for` gives each application, able to
    wait at the scenario's hold points."""
    m = model.Model(juju_version=juju_version, clock=clock.TickingClock())
    for app in case.apps:
        m.deploy(
            app.name,
            gates_.HoldingRuntime(charm_for(app), gates),
            actions=app.actions,
            units=app.units,
            leader=app.leader,
            endpoints=app.endpoints,
            peers=app.peers,
            to=app.machines,
        )
    for first, second in case.relations:
        m.relate(first, second)
    for unit, events in case.deferred.items():
        for event in events:
            m.defer(unit, event)
    return m


def observe_model(
    m: model.Model, op: operation.Operation | None, notes: scripted.Notes
) -> target.Observation:
    """Everything a scenario can expect, read off a model after its run."""
    units = [u for app in m.applications.values() for u in app.units.values()]
    observed = target.Observation(
        trace={u.name: [] for u in units},
        deferred={u.name: list(u.deferred) for u in units},
        refusals=notes.refusals,
        recorded=notes.recorded,
        relation_data={},
    )
    for entry in m.trace:
        observed.trace[entry.unit].append(entry.event)
    for relation in m.relations.values():
        bags = {owner: dict(bag) for owner, bag in relation.data.items() if bag}
        for app, endpoint in relation.ends:
            assert observed.relation_data is not None
            observed.relation_data[f'{app}:{endpoint}'] = bags
    if op is not None:
        _observe_operation(observed, op)
    return observed


def _observe_operation(observed: target.Observation, op: operation.Operation) -> None:
    profile = op.profile
    observed.operation_status = str(op.status)
    observed.operation_units = [t.unit for t in op.tasks]
    for task in op.tasks:
        observed.tasks[task.unit] = target.TaskObservation(
            status=str(task.status),
            message=task.message,
            results={k: v for k, v in task.results.items() if k not in profile.captured_keys},
            logs=[log.message for log in task.logs],
            stdout=str(task.results.get(profile.stdout_key, '')),
            stderr=str(task.results.get(profile.stderr_key, '')),
            return_code=task.return_code,
        )


class ReferenceTarget:
    """actionspec's own model: both sides, every Juju version."""

    name = 'reference'
    sides = frozenset({scenario_.Side.CONTROLLER, scenario_.Side.CHARM})
    juju_versions = frozenset(versions.PROFILES)

    def observe(self, case: scenario_.Scenario, juju_version: str) -> target.Observation:
        notes = scripted.Notes()

        def charm_for(app: scenario_.AppSpec) -> process.CharmRuntime:
            charm = scripted.charm_type(case.behaviour.get(app.name, {}), notes)
            return main.InProcessCharm(charm, app.meta())

        with hold_points() as gates:
            m = build_model(case, juju_version, charm_for, gates)
            return run_and_observe(case, m, notes, gates)

    def __repr__(self) -> str:
        return 'ReferenceTarget()'


def run_and_observe(
    case: scenario_.Scenario, m: model.Model, notes: scripted.Notes, gates: gates_.Gates
) -> target.Observation:
    """Run the scenario's `juju run` (or its steps) on a built model, and observe it all."""
    if case.steps:
        return _run_steps(case, m, notes, gates)
    run = case.run
    fmt = case.expect.juju_run.format if case.expect.juju_run is not None else 'plain'
    shown = _juju_run(m, run, fmt)
    observed = observe_model(m, shown.operation, notes)
    observed.error, observed.juju_run = shown.error, shown.output
    return observed


class _Shown:
    """One `juju run` as the administrator saw it: its output, and what it refers to."""

    def __init__(
        self,
        output: target.CommandOutput,
        operation: operation.Operation | None = None,
        error: str | None = None,
    ) -> None:
        self.output = output
        self.operation = operation
        self.error = error


def _juju_run(m: model.Model, run: scenario_.Invocation, fmt: str) -> _Shown:
    """`juju run` as the CLI does it: queue, then wait (or not), then print."""
    out, op, refused = commands.juju_run(
        m,
        run.targets,
        run.action,
        run.params,
        background=run.background,
        wait=run.wait,
        fmt=fmt,
    )
    shown = target.CommandOutput(out.stdout, out.stderr, out.exit_code)
    return _Shown(shown, op, None if refused is None else str(refused))


def _run_steps(
    case: scenario_.Scenario, m: model.Model, notes: scripted.Notes, gates: gates_.Gates
) -> target.Observation:
    """Carry out a scenario's steps; what each run printed, and what each look saw."""
    wanted = case.expect.runs or ()
    shown: list[_Shown] = []
    said: list[target.CommandOutput] = []
    looks: dict[str, list[dict[str, str]]] = {}
    try:
        for step in case.steps:
            if step.kind == 'run':
                expected = wanted[len(shown)].juju_run if len(shown) < len(wanted) else None
                shown.append(_juju_run(m, step.arg, expected.format if expected else 'plain'))
            elif step.kind == 'release':
                gates.release(step.arg)
            elif step.kind == 'cancel':
                number, unit = step.arg
                op = shown[number - 1].operation
                if op is not None:
                    m.cancel(op.task(unit).id)
            elif step.kind == 'pass':
                m.clock.sleep(step.arg)
            elif step.kind == 'look':
                looks[step.arg] = [_statuses(m, s.operation) for s in shown]
            elif step.kind == 'juju':
                out = commands.call(m, step.arg)
                said.append(target.CommandOutput(out.stdout, out.stderr, out.exit_code))
            m.advance()
        observed = observe_model(m, None, notes)
        observed.looks = looks
        observed.commands = said
        observed.runs = []
        for run in shown:
            seen = target.Observation(error=run.error, juju_run=run.output)
            if run.operation is not None:
                _observe_operation(seen, m.operation(run.operation.id))
            observed.runs.append(seen)
        return observed
    finally:
        _end_held(m, shown)


def _statuses(m: model.Model, op: operation.Operation | None) -> dict[str, str]:
    if op is None:
        return {}
    return {t.unit: str(t.status) for t in m.operation(op.id).tasks}


def _end_held(m: model.Model, shown: list[_Shown]) -> None:
    """Abort whatever still runs, so no dispatch outlives its scenario."""
    for run in shown:
        if run.operation is not None:
            m.cancel(*(t.id for t in m.operation(run.operation.id).tasks))
    m.advance()
