"""Property-based tests of the rules that take arbitrary data, each against an oracle
written here from the rule's statement (not from the implementation)."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import actionspec
from actionspec.charm import charm
from actionspec.juju import actions, goformat, results, versions

SEGMENT = re.compile(r'^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$')  # J1, from juju's action-set
RESERVED = {'stdout', 'stdout-encoding', 'stderr', 'stderr-encoding'}

segments = st.one_of(
    st.sampled_from(['a', 'b', 'x1', 'my-key', *RESERVED, 'Stdout', 'a_b', '-a', 'a-', '']),
    st.text(alphabet='ab0-_.A', min_size=0, max_size=6),
)
keys = st.lists(segments, min_size=1, max_size=4).map('.'.join)
values = st.text(max_size=12)


def segment_ok(segment: str, version: str) -> bool:
    return bool(SEGMENT.match(segment)) and (version == '2.9' or segment not in RESERVED)


@given(st.lists(st.tuples(keys, values), min_size=1, max_size=5), st.sampled_from(['2.9', '3.6']))
def test_action_set_accepts_exactly_the_keys_juju_accepts(pairs, version):
    profile = versions.profile(version)
    args = [f'{k}={v}' for k, v in pairs]
    ok = all(all(segment_ok(s, version) for s in k.split('.')) for k, _ in pairs)
    try:
        parsed = results.parse_action_set_args(args, profile)
    except results.ActionSetError:
        assert not ok  # and, being an exception, nothing was stored: all or nothing
    else:
        assert ok
        assert parsed == [(tuple(k.split('.')), v) for k, v in pairs]


good_segments = st.sampled_from(['a', 'b', 'c', 'x-1', '2'])
paths = st.lists(good_segments, min_size=1, max_size=3).map(tuple)


def oracle_merge(writes: list[tuple[tuple[str, ...], str]]) -> dict[str, Any]:
    """J2 stated flatly: a write replaces anything stored at a prefix of its path (a value
    becomes a map) and anything stored under its path (a map becomes a value)."""
    flat: dict[tuple[str, ...], str] = {}
    for path, value in writes:
        for stored in list(flat):
            if stored[: len(path)] == path or path[: len(stored)] == stored:
                del flat[stored]
        flat[path] = value
    nested: dict[str, Any] = {}
    for path, value in flat.items():
        node = nested
        for segment in path[:-1]:
            node = node.setdefault(segment, {})
        node[path[-1]] = value
    return nested


@given(st.lists(st.tuples(paths, values), max_size=8))
def test_deep_merge_matches_the_flat_statement_of_the_rule(writes):
    merged: dict[str, Any] = {}
    for path, value in writes:
        results.merge(merged, path, value)
    assert merged == oracle_merge(writes)


nested_results = st.recursive(
    st.one_of(st.text(max_size=5), st.integers(), st.booleans()),
    lambda children: st.dictionaries(good_segments, children, min_size=1, max_size=3),
    max_leaves=8,
)


@given(st.dictionaries(good_segments, nested_results, max_size=4))
def test_set_results_flattening_is_undone_by_nesting(data):
    flat = charm.flatten_results(data)
    rebuilt: dict[str, Any] = {}
    for key, value in flat.items():
        results.merge(rebuilt, tuple(key.split('.')), value)
    assert rebuilt == data
    assert all(SEGMENT.match(s) for key in flat for s in key.split('.'))


SCHEMA_PARAMS: dict[str, dict[str, Any]] = {
    'name': {'type': 'string'},
    'count': {'type': 'integer', 'default': 3, 'minimum': 1},
    'mode': {'type': 'string', 'enum': ['fast', 'safe'], 'default': 'safe'},
    'verbose': {'type': 'boolean'},
}
SPEC = actions.parse_actions_yaml({'act': {'params': SCHEMA_PARAMS, 'required': ['name']}})['act']
param_values = st.one_of(
    st.text(max_size=4), st.integers(-2, 5), st.booleans(), st.none(), st.sampled_from(['fast'])
)
params = st.dictionaries(st.sampled_from([*SCHEMA_PARAMS, 'extra']), param_values, max_size=5)


@given(params, st.sampled_from(['3.6', '4.0']))
def test_params_pass_exactly_when_the_schema_holds_and_gain_only_defaults(given_params, version):
    schema = {
        'type': 'object',
        'properties': SCHEMA_PARAMS,
        'required': ['name'],
        'additionalProperties': version != '4.0',
    }
    valid = jsonschema.Draft4Validator(schema).is_valid(given_params)
    try:
        checked = SPEC.check_params(given_params, versions.profile(version))
    except actions.ParamsError as e:
        assert not valid
        assert str(e).startswith('validation failed: ')
    else:
        assert valid
        defaults = {k: s['default'] for k, s in SCHEMA_PARAMS.items() if 'default' in s}
        assert checked == {**defaults, **given_params}


# U+2028 and U+2029 are left out on purpose: yaml.v2, like libyaml, writes them raw inside
# a single-quoted scalar, where any YAML reader folds a line break into a space, so Juju's
# own output does not round-trip them either.
yaml_tricky = st.one_of(
    st.sampled_from(
        ['yes', 'no', 'null', '1.0', '007', ': x', '- a', '#c', "'q'", '"', '', '\x85', '😀']
    ),
    # No lone surrogates: no command line or JSON can carry one to a charm.
    st.text(
        alphabet=st.characters(exclude_characters='\u2028\u2029', exclude_categories=['Cs']),
        max_size=10,
    ),
)
result_maps = st.dictionaries(
    good_segments,
    st.one_of(yaml_tricky, st.dictionaries(good_segments, yaml_tricky, min_size=1, max_size=2)),
    max_size=3,
)


class _Echo(actionspec.Charm):
    def __init__(self, framework):
        super().__init__(framework)
        framework.observe(self.on.echo_action, self._on_echo)

    def _on_echo(self, event):
        event.set_results(event.params['results'])
        for message in event.params['logs']:
            event.log(message)
        print(event.params['out'], end='')


@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(result_maps, st.lists(yaml_tricky, max_size=3), yaml_tricky)
def test_juju_run_output_round_trips_through_yaml_and_json(data, logs, out):
    model = actionspec.Model(clock=actionspec.TickingClock())
    model.deploy('db', _Echo, actions={'echo': {}})
    op = model.run('db/0', action='echo', params={'results': data, 'logs': logs, 'out': out})
    task = op.tasks[0]
    from actionspec.juju import render

    expected = {'db/0': render.task_info(task, op.profile)}
    assert yaml.safe_load(op.render('yaml')) == expected
    assert json.loads(op.render('json')) == expected
    assert expected['db/0']['results'].get('stdout', '') == _as_logged(out)


def _as_logged(text: str) -> str:
    """J6's oracle: Juju keeps output line by line, each line ended with one newline."""
    lines = text.split('\n')
    if lines[-1] == '':
        lines.pop()
    return ''.join(line.removesuffix('\r') + '\n' for line in lines)


# The direct writer for simple mappings must write what the emitter writes.
simple_scalars = st.one_of(
    st.text(alphabet='ab0_./-yNnx1', min_size=1, max_size=8),
    st.sampled_from(['yes', 'no', 'on', '1', '0x1f', '1.5', 'null', '-', '-a', '.', '..', 'db/0']),
    st.integers(-5, 5),
    st.booleans(),
    st.none(),
)
simple_keys = st.text(alphabet='ab0/_-', min_size=1, max_size=4)
simple_mappings = st.recursive(
    st.dictionaries(simple_keys, simple_scalars, max_size=4),
    lambda children: st.dictionaries(simple_keys, children, max_size=3),
    max_leaves=12,
)


@given(simple_mappings)
def test_the_direct_yaml_writer_matches_the_emitter(mapping: dict[str, Any]) -> None:
    lines: list[str] = []
    if mapping and goformat._simple_mapping(mapping, '', lines):
        events = [
            yaml.StreamStartEvent(),
            yaml.DocumentStartEvent(explicit=False),
            *goformat._events(mapping),
            yaml.DocumentEndEvent(explicit=False),
            yaml.StreamEndEvent(),
        ]
        emitted = yaml.emit(events, allow_unicode=True, width=80, indent=2)
        assert ''.join(lines) == emitted.removesuffix('...\n')
