"""Load scenario files: safe YAML, checked against conformance/schema.json, then checked
for sense (units that exist, events the charm has). Every refusal names file, line, field.
"""

from __future__ import annotations

import functools
import json
import pathlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import jsonschema
import yaml

from ..charm import main as charm_main
from . import scenario

Path = pathlib.Path


class ScenarioError(ValueError):
    """A scenario file that cannot be used, and where: `file:line: field: message`."""

    def __init__(self, path: str, line: int, field: str, message: str) -> None:
        self.path = path
        self.line = line
        self.field = field
        self.message = message
        where = f'{field}: ' if field else ''
        super().__init__(f'{path}:{line}: {where}{message}')


def bundled_suite() -> Path:
    """The suite shipped with actionspec (inside the wheel, or the source tree's)."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / 'conformance', here.parents[2] / 'conformance'):
        if (candidate / 'schema.json').is_file():
            return candidate
    raise FileNotFoundError('the bundled conformance suite is missing from this installation')


@functools.cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((bundled_suite() / 'schema.json').read_text())
    return loaded


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(schema())


# -- YAML with positions -------------------------------------------------------------------

_Lines = dict[str, int]
# libyaml's parser when PyYAML has it (it keeps positions too), else the pure-Python one.
_SafeLoader = getattr(yaml, 'CSafeLoader', yaml.SafeLoader)


def _field(path: Iterable[Any]) -> str:
    out = ''
    for part in path:
        out += f'[{part}]' if isinstance(part, int) else (f'.{part}' if out else str(part))
    return out


def _read_yaml(text: str, path: str) -> tuple[Any, _Lines]:
    """Parse one YAML document safely; map each field to its line; refuse aliases and
    duplicate keys (PyYAML would silently keep the last)."""
    loader = _SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise ScenarioError(path, 1, '', 'the file is empty')
        lines: _Lines = {}
        _walk(node, (), lines, path, set())
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        problem = e.problem or e.context or 'invalid YAML'
        raise ScenarioError(path, line, '', f'YAML syntax error: {problem}') from None
    except yaml.YAMLError as e:
        raise ScenarioError(path, 1, '', f'YAML error: {e}') from None
    finally:
        loader.dispose()
    return data, lines


def _walk(node: yaml.Node, at: tuple[Any, ...], lines: _Lines, path: str, seen: set[int]) -> None:
    if id(node) in seen:
        raise ScenarioError(
            path, node.start_mark.line + 1, _field(at), 'YAML anchors and aliases are not allowed'
        )
    seen.add(id(node))
    lines[_field(at)] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        keys: set[Any] = set()
        for key_node, value_node in node.value:
            if key_node.tag == 'tag:yaml.org,2002:merge':
                raise ScenarioError(
                    path,
                    key_node.start_mark.line + 1,
                    _field(at),
                    'YAML merge keys are not allowed',
                )
            key = key_node.value
            if key in keys:
                raise ScenarioError(
                    path, key_node.start_mark.line + 1, _field((*at, key)), 'duplicate key'
                )
            keys.add(key)
            _walk(value_node, (*at, key), lines, path, seen)
    elif isinstance(node, yaml.SequenceNode):
        for n, item in enumerate(node.value):
            _walk(item, (*at, n), lines, path, seen)


# -- schema errors, said plainly ---------------------------------------------------------


def _schema_error(error: jsonschema.ValidationError, lines: _Lines, path: str) -> ScenarioError:
    at = list(error.absolute_path)
    field = _field(at)
    message = error.message
    instance: Any = error.instance
    rule: Any = error.schema
    if error.validator == 'additionalProperties':
        extra = sorted(set(instance) - set(rule.get('properties', {})))
        field = _field([*at, extra[0]])
        message = f'unknown field {extra[0]!r}'
    elif error.validator == 'required':
        message = f'missing required field {error.message.split(chr(39))[1]!r}'
    elif error.validator == 'oneOf' and _is_step_path(at):
        field, message = _step_error(error.instance, at)
    elif error.validator == 'enum':
        allowed = ', '.join(str(v) for v in error.validator_value)  # type: ignore[union-attr]
        message = f'{error.instance!r} is not one of: {allowed}'
    elif error.validator == 'pattern' and isinstance(error.instance, str):
        message = f'{error.instance!r} is not a valid name here'
    elif error.validator == 'propertyNames':
        bad = error.instance
        field = _field(at)
        message = f'{_bad_name(bad, error)!r} is not a valid name here'
    line = lines.get(field) or lines.get(_field(at)) or 1
    return ScenarioError(path, line, field, message)


def _bad_name(names: Any, error: jsonschema.ValidationError) -> Any:
    for context in error.context or ():
        return context.instance
    return names


def _is_step_path(at: Sequence[Any]) -> bool:
    return (len(at) >= 4 and at[0] == 'charm') or (bool(at) and at[-1] == 'step')


def _step_error(step: Any, at: Sequence[Any]) -> tuple[str, str]:
    field = _field(at)
    known = ', '.join(scenario.STEP_KINDS)
    if not isinstance(step, dict) or len(step) != 1:
        return field, f'a step is a mapping with exactly one of: {known}'
    (kind,) = step
    if kind not in scenario.STEP_KINDS:
        return _field([*at, kind]), f'unknown step {kind!r} (known steps: {known})'
    branch = next(b for b in schema()['$defs']['step']['oneOf'] if kind in b['properties'])
    sub = jsonschema.Draft202012Validator({**branch, '$defs': schema()['$defs']}).iter_errors(step)
    first = min(sub, key=lambda e: len(e.absolute_path), default=None)
    if first is None:
        return field, f'invalid {kind!r} step'
    return _field([*at, *first.absolute_path]), first.message


# -- sense checks ------------------------------------------------------------------------


def _check_sense(data: Mapping[str, Any], lines: _Lines, path: str) -> None:
    def fail(field: str, message: str) -> None:
        raise ScenarioError(
            path, lines.get(field, lines.get(field.rpartition('.')[0], 1)), field, message
        )

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
            if event.endswith('_action'):
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


def _check_event(
    apps: Mapping[str, Any],
    endpoints: Mapping[str, set[str]],
    app: str,
    event: str,
    field: str,
    fail: Any,
) -> None:
    meta = charm_main.CharmMeta(
        actions=tuple(apps[app].get('actions', {})), endpoints=tuple(sorted(endpoints[app]))
    )
    if event not in meta.event_kinds():
        fail(field, f'the {app!r} charm has no event {event!r}')


def _check_step(
    step: Mapping[str, Any], event: str, endpoints: set[str], field: str, fail: Any
) -> None:
    ((kind, arg),) = step.items()
    if kind == 'expect-refused':
        _check_step(arg['step'], event, endpoints, f'{field}.expect-refused.step', fail)
        return
    if kind in scenario.ACTION_ONLY_STEPS and not event.endswith('_action'):
        fail(f'{field}.{kind}', f'{kind!r} is only possible in an action handler')
    if kind == 'relation-set' and arg['endpoint'] not in endpoints:
        fail(f'{field}.relation-set.endpoint', f'no endpoint {arg["endpoint"]!r} on this charm')


# -- building scenarios ------------------------------------------------------------------


def parse(data: Any, lines: _Lines, path: str, scenario_id: str) -> scenario.Scenario:
    """Check `data` against the schema and for sense, and build the Scenario."""
    errors = sorted(
        _validator().iter_errors(data),
        key=lambda e: (lines.get(_field(e.absolute_path), 1), len(e.absolute_path)),
    )
    if errors:
        raise _schema_error(errors[0], lines, path)
    _check_sense(data, lines, path)
    model = data['model']
    apps = tuple(
        scenario.AppSpec(
            name=name,
            units=spec.get('units', 1),
            leader=spec.get('leader', 0),
            actions=spec.get('actions', {}),
            endpoints=tuple(spec.get('endpoints', ())),
            peers=tuple(spec.get('peers', ())),
        )
        for name, spec in model['applications'].items()
    )
    run = data['run']
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
        run=scenario.Invocation(
            tuple(run['targets']), run['action'], run.get('params', {}), run.get('juju-version')
        ),
        expect=scenario.Expectation.from_data(data['expect']),
        path=path,
        lines=lines,
    )


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
    data, lines = _read_yaml(text, shown)
    if not isinstance(data, dict):
        raise ScenarioError(shown, 1, '', 'a scenario is a YAML mapping')
    return parse(data, lines, shown, scenario_id)


def scenario_files(source: Path) -> Iterator[tuple[Path, Path]]:
    """(file, root) for each scenario file under a directory, or the file itself."""
    if source.is_dir():
        for path in sorted(source.rglob('*.yaml')):
            if 'expected-failures' not in path.relative_to(source).parts:
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
