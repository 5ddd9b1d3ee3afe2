"""The reference implementation as a conformance target."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import runtimes
from ..juju import clock, model, operation, render, versions
from ..suite import scenario as scenario_
from ..suite import scripted, target


def build_model(
    case: scenario_.Scenario, juju_version: str, charm_for: Callable[[scenario_.AppSpec], Any]
) -> model.Model:
    """The scenario's model, with the charm `charm_for` gives each application."""
    m = runtimes.Model(juju_version=juju_version, clock=clock.TickingClock())
    for app in case.apps:
        m.deploy(
            app.name,
            charm_for(app),
            actions=app.actions,
            units=app.units,
            leader=app.leader,
            endpoints=app.endpoints,
            peers=app.peers,
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
    profile = m.profile
    captured = profile.captured_keys
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
        observed.operation_status = str(op.status)
        observed.operation_units = [t.unit for t in op.tasks]
        for task in op.tasks:
            observed.tasks[task.unit] = target.TaskObservation(
                status=str(task.status),
                message=task.message,
                results={k: v for k, v in task.results.items() if k not in captured},
                logs=[log.message for log in task.logs],
                stdout=str(task.results.get(profile.stdout_key, '')),
                stderr=str(task.results.get(profile.stderr_key, '')),
                return_code=task.return_code,
            )
    return observed


class ReferenceTarget:
    """actionspec's own model: both sides, every Juju version."""

    name = 'reference'
    sides = frozenset({scenario_.Side.CONTROLLER, scenario_.Side.CHARM})
    juju_versions = frozenset(versions.PROFILES)

    def observe(self, case: scenario_.Scenario, juju_version: str) -> target.Observation:
        notes = scripted.Notes()
        m = build_model(
            case,
            juju_version,
            lambda app: scripted.charm_type(case.behaviour.get(app.name, {}), notes),
        )
        return run_and_observe(case, m, notes)

    def __repr__(self) -> str:
        return 'ReferenceTarget()'


def run_and_observe(
    case: scenario_.Scenario, m: model.Model, notes: scripted.Notes
) -> target.Observation:
    """Run the scenario's `juju run` on a built model and observe everything."""
    run = case.run
    fmt = case.expect.juju_run.format if case.expect.juju_run is not None else 'plain'
    try:
        op = m.run(*run.targets, action=run.action, params=run.params)
    except model.RunError as e:
        observed = observe_model(m, None, notes)
        observed.error = str(e)
        observed.juju_run = ('', e.exit_code)
        return observed
    observed = observe_model(m, op, notes)
    out = render.cli_output(op, fmt)
    observed.juju_run = (out.stdout, out.exit_code)
    return observed
