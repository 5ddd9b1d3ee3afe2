"""Load scenario files: safe YAML, checked against conformance/schema.json, then checked
for sense (units that exist, events the charm has). Every refusal names file, line, field.
"""

from __future__ import annotations

import pathlib
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .. import charmmeta, yamldata
from . import rules, scenario, schemas

Path = pathlib.Path


# Every load error, of a scenario or of any data file the suite reads.
ScenarioError = yamldata.DataError


bundled_suite = schemas.bundled_suite
schema = schemas.schema


def _check_sense(data: Mapping[str, Any], lines: yamldata.Lines, path: str) -> None:
    def fail(field: str, message: str) -> None:
        raise ScenarioError(
            path, lines.get(field, lines.get(field.rpartition('.')[0], 1)), field, message
        )

    if 'run' in data and 'steps' in data:
        fail('steps', "a scenario has 'run' (one juju run) or 'steps', not both")
    if 'run' not in data and 'steps' not in data:
        fail('', "missing required field 'run' (or 'steps')")
    apps = data['model']['applications']
    units = {f'{name}/{n}' for name, spec in apps.items() for n in range(spec.get('units', 1))}
    endpoints = {
        name: set(spec.get('endpoints', ())) | set(spec.get('peers', ()))
        for name, spec in apps.items()
    }
    for name, spec in apps.items():
        leader = spec.get('leader', 0)
        if leader is not None and leader >= spec.get('units', 1):
            fail(f'model.applications.{name}.leader', f'{name}/{leader} is not one of its units')
        if len(spec.get('machines', ())) > spec.get('units', 1):
            fail(f'model.applications.{name}.machines', 'more machines than units')
        for action in spec.get('actions', {}):
            if not isinstance(action, str):
                fail(
                    f'model.applications.{name}.actions', f'action name {action!r} is not a string'
                )
    for n, pair in enumerate(data['model'].get('relations', ())):
        for m, end in enumerate(pair):
            app, _, endpoint = end.partition(':')
            if app not in apps:
                fail(f'model.relations[{n}][{m}]', f'no application {app!r} in the model')
            if endpoint not in endpoints[app]:
                fail(
                    f'model.relations[{n}][{m}]',
                    f'application {app!r} has no endpoint {endpoint!r}',
                )
    for unit, events in data['model'].get('deferred', {}).items():
        if unit not in units:
            fail(f'model.deferred.{unit}', f'no unit {unit!r} in the model')
        for n, event in enumerate(events):
            _check_event(
                apps, endpoints, unit.split('/')[0], event, f'model.deferred.{unit}[{n}]', fail
            )
            if charmmeta.is_action_event(event):
                fail(f'model.deferred.{unit}[{n}]', 'action events cannot be deferred')
    for app, events in data.get('charm', {}).items():
        if app not in apps:
            fail(f'charm.{app}', f'no application {app!r} in the model')
        for event, steps in events.items():
            _check_event(apps, endpoints, app, event, f'charm.{app}.{event}', fail)
            for n, step in enumerate(steps):
                _check_step(step, event, endpoints[app], f'charm.{app}.{event}[{n}]', fail)
    for key in scenario.PER_UNIT_EXPECTATIONS:
        for unit in data['expect'].get(key, {}):
            if unit not in units:
                fail(f'expect.{key}.{unit}', f'no unit {unit!r} in the model')
    for unit in data['expect'].get('operation', {}).get('units', ()):
        if unit not in units:
            fail('expect.operation.units', f'no unit {unit!r} in the model')
    if 'error' in data['expect'] and {'tasks', 'trace'} & set(data['expect']):
        fail('expect.error', 'a refused invocation has no tasks and no trace to expect')
    _check_steps(data, units, fail)


def _check_steps(data: Mapping[str, Any], units: set[str], fail: Any) -> None:
    """`steps` refer to runs that come before them and hold points the charms have, and
    `expect.runs` and `expect.looks` to the runs and looks there are."""
    expect = data['expect']
    if 'steps' not in data:
        for key in ('runs', 'looks', 'commands'):
            if key in expect:
                fail(f'expect.{key}', f'`expect.{key}` needs `steps`')
        return
    for key in ('error', 'operation', 'tasks', 'juju-run'):
        if key in expect:
            fail(f'expect.{key}', 'with `steps`, expect it per run under `expect.runs`')
    holds = {
        step['hold']
        for events in data.get('charm', {}).values()
        for steps in events.values()
        for step in steps
        if 'hold' in step
    }
    runs: list[Mapping[str, Any]] = []
    looks: set[str] = set()
    for n, step in enumerate(data['steps']):
        ((kind, arg),) = step.items()
        field = f'steps[{n}].{kind}'
        if kind == 'run':
            runs.append(arg)
        elif kind == 'release' and arg not in holds:
            fail(field, f'no charm step holds at {arg!r}')
        elif kind == 'cancel':
            if arg['run'] > len(runs):
                fail(f'{field}.run', f'run {arg["run"]} has not happened by this step')
            if arg['unit'] not in runs[arg['run'] - 1]['targets']:
                fail(f'{field}.unit', f'run {arg["run"]} does not target {arg["unit"]}')
        elif kind == 'look':
            if arg in looks:
                fail(field, f'the label {arg!r} is used twice')
            looks.add(arg)
    if not runs:
        fail('steps', 'the steps need at least one `run`')
    if len(expect.get('runs', ())) > len(runs):
        fail('expect.runs', f'{len(expect["runs"])} runs expected, the steps make {len(runs)}')
    said = sum(1 for step in data['steps'] if 'juju' in step)
    if len(expect.get('commands', ())) > said:
        fail(
            'expect.commands',
            f'{len(expect["commands"])} commands expected, the steps give {said}',
        )
    for label in expect.get('looks', {}):
        if label not in looks:
            fail(f'expect.looks.{label}', f'no step looks under {label!r}')
    for n, run in enumerate(expect.get('runs', ())):
        for unit in run.get('tasks', {}):
            if unit not in units:
                fail(f'expect.runs[{n}].tasks.{unit}', f'no unit {unit!r} in the model')


def _check_rules(data: Mapping[str, Any], lines: yamldata.Lines, path: str) -> None:
    """Every rule a scenario names is one that conformance/rules.yaml states."""
    known = rules.bundled()
    for n, rule in enumerate(data['rules']):
        if rule not in known:
            field = f'rules[{n}]'
            raise ScenarioError(
                path, lines.get(field, 1), field, f'no rule {rule!r} in conformance/{rules.FILE}'
            )


def _check_event(
    apps: Mapping[str, Any],
    endpoints: Mapping[str, set[str]],
    app: str,
    event: str,
    field: str,
    fail: Any,
) -> None:
    meta = charmmeta.CharmMeta(
        app, apps[app].get('actions', {}), requires=tuple(sorted(endpoints[app]))
    )
    if event not in meta.events():
        fail(field, f'the {app!r} charm has no event {event!r}')


def _check_step(
    step: Mapping[str, Any], event: str, endpoints: set[str], field: str, fail: Any
) -> None:
    ((kind, arg),) = step.items()
    if kind == 'expect-refused':
        _check_step(arg['step'], event, endpoints, f'{field}.expect-refused.step', fail)
        return
    if kind in scenario.ACTION_ONLY_STEPS and not charmmeta.is_action_event(event):
        fail(f'{field}.{kind}', f'{kind!r} is only possible in an action handler')
    if kind == 'relation-set' and arg['endpoint'] not in endpoints:
        fail(f'{field}.relation-set.endpoint', f'no endpoint {arg["endpoint"]!r} on this charm')


# -- building scenarios ------------------------------------------------------------------


def parse(data: Any, lines: yamldata.Lines, path: str, scenario_id: str) -> scenario.Scenario:
    """Check `data` against the schema and for sense, and build the Scenario."""
    errors = sorted(
        schemas.validator().iter_errors(data),
        key=lambda e: (lines.get(yamldata.field_name(e.absolute_path), 1), len(e.absolute_path)),
    )
    if errors:
        raise schemas.schema_error(errors[0], lines, path)
    _check_sense(data, lines, path)
    _check_rules(data, lines, path)
    model = data['model']
    apps = tuple(
        scenario.AppSpec(
            name=name,
            units=spec.get('units', 1),
            leader=spec.get('leader', 0),
            actions=spec.get('actions', {}),
            endpoints=tuple(spec.get('endpoints', ())),
            peers=tuple(spec.get('peers', ())),
            machines=tuple(spec.get('machines', ())),
        )
        for name, spec in model['applications'].items()
    )
    steps = tuple(_model_step(step) for step in data.get('steps', ()))
    first = next((step.arg for step in steps if step.kind == 'run'), None)
    return scenario.Scenario(
        id=scenario_id,
        title=data['title'],
        side=scenario.Side(data['side']),
        rules=tuple(data['rules']),
        juju_versions=tuple(data.get('juju', scenario.ALL_VERSIONS)),
        cites=tuple(scenario.Citation(c['source'], c['claim']) for c in data['cites']),
        apps=apps,
        relations=tuple((a, b) for a, b in model.get('relations', ())),
        deferred={u: tuple(e) for u, e in model.get('deferred', {}).items()},
        behaviour={
            app: {
                event: tuple(scenario.Step.from_data(s) for s in steps)
                for event, steps in events.items()
            }
            for app, events in data.get('charm', {}).items()
        },
        run=first or _invocation(data['run']),
        expect=scenario.Expectation.from_data(data['expect']),
        path=path,
        lines=lines,
        steps=steps,
    )


def _invocation(run: Mapping[str, Any]) -> scenario.Invocation:
    return scenario.Invocation(
        tuple(run['targets']),
        run['action'],
        run.get('params', {}),
        run.get('juju-version'),
        background=run.get('background', False),
        wait=run.get('wait'),
    )


def _model_step(data: Mapping[str, Any]) -> scenario.ModelStep:
    ((kind, arg),) = data.items()
    if kind == 'run':
        return scenario.ModelStep(kind, _invocation(arg))
    if kind == 'cancel':
        return scenario.ModelStep(kind, (arg['run'], arg['unit']))
    if kind == 'juju':
        return scenario.ModelStep(kind, tuple(arg))
    return scenario.ModelStep(kind, arg)


_ID_PART = re.compile(r'^[a-z0-9][a-z0-9._-]*$')


def load_file(path: Path, root: Path | None = None) -> scenario.Scenario:
    """Load one scenario file; its id is its path under `root` (or its stem)."""
    shown = str(path)
    try:
        text = path.read_text(encoding='utf-8')
    except UnicodeDecodeError as e:
        raise ScenarioError(shown, 1, '', f'not UTF-8 text ({e.reason})') from None
    except OSError as e:
        raise ScenarioError(shown, 1, '', f'cannot read: {e.strerror}') from None
    relative = path.relative_to(root) if root else Path(path.name)
    scenario_id = relative.with_suffix('').as_posix()
    for part in scenario_id.split('/'):
        if not _ID_PART.match(part):
            raise ScenarioError(shown, 1, '', f'{part!r} cannot be part of a scenario id')
    return load_text(text, shown, scenario_id)


def load_text(text: str, shown: str, scenario_id: str) -> scenario.Scenario:
    """Load a scenario from YAML text; `shown` names it in errors."""
    data, lines = yamldata.read(text, shown)
    if not isinstance(data, dict):
        raise ScenarioError(shown, 1, '', 'a scenario is a YAML mapping')
    return parse(data, lines, shown, scenario_id)


def scenario_files(source: Path) -> Iterator[tuple[Path, Path]]:
    """(file, root) for each scenario file under a directory, or the file itself."""
    if source.is_dir():
        for path in sorted(source.rglob('*.yaml')):
            relative = path.relative_to(source)
            # The suite's data beside its scenarios: expected-failure lists, the rules.
            if 'expected-failures' not in relative.parts and relative != Path('rules.yaml'):
                yield path, source
    else:
        yield source, source.parent


def load(sources: Sequence[Path]) -> tuple[list[scenario.Scenario], list[ScenarioError]]:
    """Load every scenario under `sources`; a bad file is reported, the others still load."""
    loaded: list[scenario.Scenario] = []
    problems: list[ScenarioError] = []
    first_seen: dict[str, str] = {}
    for source in sources:
        if not source.exists():
            problems.append(ScenarioError(str(source), 1, '', 'no such file or directory'))
            continue
        for path, root in scenario_files(source):
            try:
                case = load_file(path, root)
            except ScenarioError as e:
                problems.append(e)
                continue
            if case.id in first_seen:
                problems.append(
                    ScenarioError(
                        str(path),
                        1,
                        '',
                        f'duplicate scenario id {case.id!r} (also {first_seen[case.id]})',
                    )
                )
                continue
            first_seen[case.id] = str(path)
            loaded.append(case)
    return loaded, problems
