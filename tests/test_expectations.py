"""Typed expectations: every part of a scenario's `expect` is a frozen dataclass that
comes from the file's data and gives it back, and "not expected" stays apart from
"expected empty"."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import pathlib
import textwrap
from typing import Any

import pytest
import yaml

from actionspec.suite import compare, loader, scenario, target

SUITE = loader.bundled_suite()
PARTS = {
    'expect': scenario.Expectation,
    'expect.error': scenario.ErrorExpectation,
    'expect.operation': scenario.OperationExpectation,
    'expect.tasks.<unit>': scenario.TaskExpectation,
    'expect.juju-run': scenario.JujuRunExpectation,
}


def _schema_properties(where: str) -> dict[str, Any]:
    schema = loader.schema()
    expect = schema['properties']['expect']
    chosen = {
        'expect': expect,
        'expect.error': schema['$defs']['error'],
        'expect.operation': schema['$defs']['operation'],
        'expect.tasks.<unit>': schema['$defs']['task'],
        'expect.juju-run': schema['$defs']['juju-run'],
    }[where]
    properties: dict[str, Any] = chosen['properties']
    return properties


def _keys(part: type[Any]) -> list[str]:
    return [scenario.key(f.name) for f in dataclasses.fields(part)]


@pytest.mark.parametrize('where', PARTS)
def test_each_part_has_a_field_for_every_key_the_schema_allows(where: str) -> None:
    assert _keys(PARTS[where]) == list(_schema_properties(where))


@pytest.mark.parametrize('where', PARTS)
def test_every_field_says_what_it_expects(where: str) -> None:
    """Each field is followed by its docstring in the class body, as in Scenario's state.py."""
    (body,) = ast.parse(textwrap.dedent(inspect.getsource(PARTS[where]))).body
    assert isinstance(body, ast.ClassDef)
    documented = {
        node.target.id
        for node, after in zip(body.body, body.body[1:], strict=False)
        if isinstance(node, ast.AnnAssign)
        and isinstance(node.target, ast.Name)
        and isinstance(after, ast.Expr)
        and isinstance(after.value, ast.Constant)
        and len(str(after.value.value)) > 20
    }
    assert documented == {f.name for f in dataclasses.fields(PARTS[where])}


def test_per_unit_expectations_are_the_schemas_unit_keyed_parts() -> None:
    schema = loader.schema()

    def unit_keyed(rule: dict[str, Any]) -> bool:
        if '$ref' in rule:
            rule = schema['$defs'][rule['$ref'].rsplit('/', 1)[1]]
        return rule.get('propertyNames') == {'$ref': '#/$defs/unit-name'}

    keyed = [k for k, rule in _schema_properties('expect').items() if unit_keyed(rule)]
    assert list(scenario.PER_UNIT_EXPECTATIONS) == keyed


def _expect_data() -> list[Any]:
    found = []
    for path, _ in loader.scenario_files(SUITE):
        data = yaml.safe_load(path.read_text())
        found.append(pytest.param(data['expect'], id=path.relative_to(SUITE).as_posix()))
    return found


@pytest.mark.parametrize('data', _expect_data())
def test_every_bundled_expectation_round_trips(data: dict[str, Any]) -> None:
    typed = scenario.Expectation.from_data(data)
    assert typed.as_data() == data
    assert scenario.Expectation.from_data(typed.as_data()) == typed


def test_the_loader_builds_the_types_and_keeps_each_fields_line() -> None:
    """A mismatch names its field; the field's line is where the scenario file says it."""
    cases, problems = loader.load([SUITE])
    assert problems == []
    for case in cases:
        assert isinstance(case.expect, scenario.Expectation), case.id
        lines = len(pathlib.Path(case.path).read_text().splitlines())
        for name, value in case.expect.as_data().items():
            field = f'expect.{name}'
            assert field in case.lines, (case.id, field)
            assert case.line('expect') <= case.line(field) <= lines, (case.id, field)
            for unit in value if name in scenario.PER_UNIT_EXPECTATIONS else ():
                assert f'{field}.{unit}' in case.lines, (case.id, unit)


def test_lists_become_tuples_and_come_back_as_lists() -> None:
    data = {
        'operation': {'status': 'completed', 'units': ['db/0', 'db/1']},
        'tasks': {'db/0': {'logs': ['a', 'b'], 'results-exclude': ['x.y']}},
        'trace': {'db/0': ['snapshot_action']},
        'recorded': {'db/0': [{'n': 1}, None, 'x']},
        'juju-run': {'format': 'yaml', 'stdout-includes': ['id:']},
    }
    typed = scenario.Expectation.from_data(data)
    assert typed.operation == scenario.OperationExpectation('completed', ('db/0', 'db/1'))
    assert typed.tasks == {
        'db/0': scenario.TaskExpectation(logs=('a', 'b'), results_exclude=('x.y',))
    }
    assert typed.trace == {'db/0': ('snapshot_action',)}
    assert typed.recorded == {'db/0': ({'n': 1}, None, 'x')}
    assert typed.juju_run == scenario.JujuRunExpectation('yaml', stdout_includes=('id:',))
    back = typed.as_data()
    assert back == data
    assert isinstance(back['trace']['db/0'], list)
    assert isinstance(back['operation']['units'], list)


def test_absent_is_none_and_empty_is_empty() -> None:
    absent = scenario.Expectation.from_data({'operation': {}})
    empty = scenario.Expectation.from_data(
        {'operation': {}, 'trace': {}, 'deferred-after': {'db/0': []}, 'tasks': {'db/0': {}}}
    )
    assert absent.trace is None and absent.deferred_after is None and absent.tasks is None
    assert empty.trace == {} and empty.deferred_after == {'db/0': ()}
    assert empty.tasks == {'db/0': scenario.TaskExpectation()}
    assert absent != empty
    assert absent.as_data() == {'operation': {}}
    assert 'trace' in empty.as_data() and empty.as_data()['deferred-after'] == {'db/0': []}
    task = scenario.TaskExpectation(logs=())
    assert task.as_data() == {'logs': []} and scenario.TaskExpectation().as_data() == {}


def test_units_are_those_the_per_unit_parts_name() -> None:
    typed = scenario.Expectation.from_data(
        {
            'operation': {'units': ['db/9']},  # not a per-unit part
            'tasks': {'db/0': {}},
            'trace-includes': {'db/1': []},
            'recorded': {'web/0': []},
        }
    )
    assert typed.units() == {'db/0', 'db/1', 'web/0'}
    assert scenario.Expectation().units() == frozenset()


def test_parts_are_frozen() -> None:
    typed = scenario.TaskExpectation(status='completed')
    with pytest.raises(dataclasses.FrozenInstanceError):
        typed.status = 'failed'  # type: ignore[misc]


# -- comparison: one check per field ---------------------------------------------------------
EVERYTHING = scenario.Expectation.from_data(
    {
        'error': {'message': 'refused'},
        'operation': {'status': 'completed', 'units': ['db/0']},
        'tasks': {
            'db/0': {
                'status': 'completed',
                'message': 'm',
                'results': {'a': '1'},
                'results-include': {'b': '2'},
                'results-exclude': ['c'],
                'logs': ['l'],
                'stdout': 'o',
                'stderr': 'e',
                'return-code': 0,
            }
        },
        'trace': {'db/0': ['do_action']},
        'trace-includes': {'db/0': ['do_action']},
        'deferred-after': {'db/0': []},
        'refusals': {'db/0': ['accepted']},
        'recorded': {'db/0': ['x']},
        'relation-data': {'db:r': {'db/0': {'k': 'v'}}},
        'juju-run': {
            'format': 'yaml',
            'stdout': 'out',
            'stdout-includes': ['id:'],
            'stderr-includes': ['Running operation'],
            'exit-code': 0,
        },
        'runs': [
            {'operation': {'status': 'cancelled'}, 'tasks': {'db/0': {'status': 'cancelled'}}}
        ],
        'commands': [{'stdout': 'Task 2 running\n\n', 'stderr-includes': ['x'], 'exit-code': 0}],
        'looks': {'held': [{'db/0': 'running'}]},
    }
)
NOTHING_ALIKE = target.Observation(
    error='other',
    operation_status='failed',
    operation_units=['db/1'],
    tasks={
        'db/0': target.TaskObservation(
            status='failed', message='x', results={'c': '3'}, stdout='', stderr='', return_code=1
        )
    },
    trace={'db/0': ['update_status']},
    deferred={'db/0': ['update_status']},
    refusals={'db/0': ['invalid-key']},
    recorded={'db/0': ['y']},
    relation_data={'db:r': {}},
    juju_run=target.CommandOutput('nothing', '', 1),
    runs=[target.Observation(operation_status='completed')],
    commands=[target.CommandOutput('', 'ERROR no\n', 1)],
    looks={'held': [{'db/0': 'pending'}]},
)


def _field_of(check: compare.Check) -> str:
    return check.__name__.removeprefix('check_')


def test_there_is_one_check_per_field_in_the_formats_order() -> None:
    assert [_field_of(c) for c in compare.CHECKS] == [
        f.name for f in dataclasses.fields(scenario.Expectation)
    ]


@pytest.mark.parametrize('check', compare.CHECKS, ids=_field_of)
def test_each_check_reports_its_own_field_and_only_when_it_is_expected(
    check: compare.Check,
) -> None:
    name = _field_of(check)
    only = scenario.Expectation(**{name: getattr(EVERYTHING, name)})
    found = check(only, NOTHING_ALIKE)
    assert found
    assert all(m.field.startswith(f'expect.{scenario.key(name)}') for m in found)
    assert check(EVERYTHING, NOTHING_ALIKE) == found  # the other fields are not its business
    others = dataclasses.replace(EVERYTHING, **{name: None})
    assert name == 'error' or check(others, NOTHING_ALIKE) == []


def test_compare_is_every_check_in_turn() -> None:
    case = dataclasses.replace(_a_case(), expect=dataclasses.replace(EVERYTHING, error=None))
    seen = dataclasses.replace(NOTHING_ALIKE, error=None)
    expected = [m for check in compare.CHECKS for m in check(case.expect, seen)]
    assert compare.compare(case, seen) == expected
    fields = [m.field for m in expected]
    assert fields[:3] == [
        'expect.operation.status',
        'expect.operation.units',
        'expect.tasks.db/0.status',
    ]
    assert fields[-1] == 'expect.looks.held'


def test_an_unexpected_refusal_is_the_only_mismatch() -> None:
    case = dataclasses.replace(_a_case(), expect=dataclasses.replace(EVERYTHING, error=None))
    (only,) = compare.compare(case, NOTHING_ALIKE)
    assert (only.field, only.expected, only.diff) == (
        'expect',
        'the invocation runs',
        '  refused: other',
    )


def test_an_empty_expectation_is_checked_and_an_absent_one_is_not() -> None:
    unreported = target.Observation(trace={'db/0': ['update_status']}, deferred=None)
    absent = scenario.Expectation(operation=scenario.OperationExpectation())
    assert compare.check_deferred_after(absent, unreported) == []
    empty = dataclasses.replace(absent, deferred_after={})
    (not_reported,) = compare.check_deferred_after(empty, unreported)
    assert (not_reported.field, not_reported.expected, not_reported.diff) == (
        'expect.deferred-after',
        {},
        '  this target does not report it',
    )
    assert compare.check_trace(absent, unreported) == []
    saw_nothing = dataclasses.replace(absent, trace={'db/0': ()})
    (trace,) = compare.check_trace(saw_nothing, unreported)
    assert (trace.field, trace.expected, trace.observed) == (
        'expect.trace.db/0',
        [],
        ['update_status'],
    )


def test_mismatches_carry_plain_data_as_the_reports_show_it() -> None:
    """Reports dump `expected` as YAML and JSON: tuples of the typed expectation are lists."""
    missing = compare.check_tasks(EVERYTHING, target.Observation())
    assert missing[0].expected == EVERYTHING.as_data()['tasks']['db/0']
    assert isinstance(missing[0].expected['logs'], list)
    unreported = compare.check_juju_run(EVERYTHING, target.Observation())
    assert unreported[0].expected == EVERYTHING.as_data()['juju-run']
    logs = next(
        m for m in compare.check_tasks(EVERYTHING, NOTHING_ALIKE) if m.field.endswith('.logs')
    )
    assert logs.expected == ['l'] and logs.diff.startswith('--- expected')


def _a_case() -> scenario.Scenario:
    text = (SUITE / 'logs' / 'in-order.yaml').read_text()
    return loader.load_text(text, 'in-order.yaml', 'logs/in-order')
