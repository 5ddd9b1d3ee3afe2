"""What `juju run` prints (J12), checked against the expectations in juju/juju's own tests
(cmd/juju/action/run_test.go, 3.6), and the Go text formats behind it."""

from __future__ import annotations

import dataclasses
import datetime
import json

import pytest
import yaml

import actionspec
from actionspec.juju import context, goformat, operation, render, versions

from .helpers import make_model

UTC = datetime.timezone.utc


def _at(minute: int, second: int = 0) -> datetime.datetime:
    return datetime.datetime(2015, 2, 14, 8, minute, second, tzinfo=UTC)


def _task(
    task_id: str, unit: str, status: str, message: str = '', results: dict | None = None
) -> operation.Task:
    return operation.Task(
        id=task_id,
        unit=unit,
        action='backup',
        params={},
        status=operation.TaskStatus(status),
        timing=operation.Timing(_at(13), _at(15), _at(17)),
        message=message,
        results=results or {},
        logs=(
            context.LogEntry(datetime.datetime(2015, 2, 14, 6, 6, 6, tzinfo=UTC), 'log line 1'),
            context.LogEntry(datetime.datetime(2015, 2, 14, 6, 6, 6, tzinfo=UTC), 'log line 2'),
        ),
    )


def _op(*tasks: operation.Task, profile: versions.JujuProfile = versions.JUJU_3_6):
    return operation.Operation('1', 'backup', {}, tasks, profile)


SUCCESS = _task(
    '1',
    'mysql/0',
    'completed',
    results={
        'outcome': 'success',
        'result-map': {'message': 'hello'},
        'return-code': 0,
        'stdout': 'hello',
        'stderr': 'world',
        'stdout-encoding': 'utf-8',
        'stderr-encoding': 'utf-8',
    },
)


def test_yaml_matches_juju_layout() -> None:
    assert _op(SUCCESS).render('yaml') == (
        'mysql/0:\n'
        '  id: "1"\n'
        '  log:\n'
        '  - 2015-02-14 06:06:06 +0000 UTC log line 1\n'
        '  - 2015-02-14 06:06:06 +0000 UTC log line 2\n'
        '  results:\n'
        '    outcome: success\n'
        '    result-map:\n'
        '      message: hello\n'
        '    return-code: 0\n'
        '    stderr: world\n'
        '    stderr-encoding: utf-8\n'
        '    stdout: hello\n'
        '    stdout-encoding: utf-8\n'
        '  status: completed\n'
        '  timing:\n'
        '    completed: 2015-02-14 08:17:00 +0000 UTC\n'
        '    enqueued: 2015-02-14 08:13:00 +0000 UTC\n'
        '    started: 2015-02-14 08:15:00 +0000 UTC\n'
        '  unit: mysql/0\n'
    )


def test_json_is_compact_sorted_and_parses_back() -> None:
    text = _op(SUCCESS).render('json')
    assert text.endswith('}\n') and '\n' not in text[:-1] and ': ' not in text
    data = json.loads(text)
    assert list(data['mysql/0']) == sorted(data['mysql/0'])
    assert data['mysql/0']['results']['return-code'] == 0
    assert data['mysql/0']['id'] == '1'


def test_plain_one_unit_shows_results_then_output() -> None:
    assert _op(SUCCESS).render('plain') == (
        'outcome: success\nresult-map:\n  message: hello\n\nhello\nworld\n'
    )


def test_plain_one_failed_unit_leads_with_the_failure() -> None:
    failed = _task(
        '1',
        'mysql/0',
        'failed',
        'action failed msg',
        {'outcome': 'fail', 'result-map': {'message': "failed :'("}},
    )
    assert _op(failed).render('plain') == (
        'Action id 1 failed: action failed msg\n'
        "outcome: fail\nresult-map:\n  message: failed :'(\n\n"
    )


def test_plain_failed_without_message_prints_go_nil() -> None:
    failed = _task('2', 'mysql/0', 'failed', results={'return-code': 0})
    assert _op(failed).render('plain') == 'Action id 2 failed: <nil>\n\n'


def test_plain_several_units_is_a_yaml_summary_without_output() -> None:
    first = _task(
        '1',
        'mysql/0',
        'failed',
        'action failed msg',
        {'outcome': 'fail', 'result-map': {'message': "failed :'("}, 'stdout': 'x'},
    )
    second = _task(
        '2',
        'mysql/1',
        'completed',
        results={'outcome': 'success', 'result-map': {'message': 'pass'}},
    )
    assert _op(first, second).render('plain') == (
        'mysql/0:\n'
        '  id: "1"\n'
        '  message: action failed msg\n'
        '  output: |\n'
        '    outcome: fail\n'
        '    result-map:\n'
        "      message: failed :'(\n"
        '  status: failed\n'
        'mysql/1:\n'
        '  id: "2"\n'
        '  output: |\n'
        '    outcome: success\n'
        '    result-map:\n'
        '      message: pass\n'
        '  status: completed\n'
    )


def test_progress_lines_go_to_stderr() -> None:
    op = make_model().run('db/0', 'db/1', action='do')
    out = render.cli_output(op, 'yaml')
    assert out.stderr == (
        'Running operation 1 with 2 tasks\n'
        '  - task 2 on unit-db-0\n'
        '  - task 3 on unit-db-1\n'
        '\n'
        'Waiting for task 2...\n'
        'Waiting for task 3...\n'
    )
    assert out.exit_code == 0


def test_exit_status_follows_return_codes_not_action_fail() -> None:
    def handler(charm, event):
        if charm.unit.name == 'db/0':
            event.fail('failed but exit 0')
        else:
            raise SystemExit(4)

    op = make_model(do_action=handler).run('db/0', 'db/1', action='do')
    out = render.cli_output(op)
    assert out.exit_code == 1
    assert out.stderr.endswith(
        'ERROR the following task failed:\n'
        ' - id "3" with return code 4\n'
        '\n'
        "use 'juju show-task' to inspect the failure\n"
    )
    only_fail = make_model(do_action=lambda c, e: e.fail('x')).run('db/0', action='do')
    assert only_fail.exit_code == 0


def test_juju_2_9_renders_run_action_compat_layout() -> None:
    op = make_model(juju_version='2.9', do_action=lambda c, e: print('hi')).run(
        'db/0', action='do'
    )
    data = yaml.safe_load(op.render('yaml'))
    entry = data['unit-db-0']
    assert entry['UnitId'] == 'db/0'
    assert entry['results'] == {'Stdout': 'hi\n'}
    assert entry['status'] == 'completed'


@pytest.mark.parametrize('fmt', ['yaml', 'json'])
def test_renderings_round_trip_results(fmt: str) -> None:
    tricky = {'a': 'yes', 'b': '1.5', 'c': '', 'd': '- x', 'e': 'line\nbreak', 'f': '<b>&</b>'}
    op = make_model(do_action=lambda c, e: e.set_results(tricky)).run('db/0', action='do')
    text = op.render(fmt)
    data = yaml.safe_load(text) if fmt == 'yaml' else json.loads(text)
    assert {k: v for k, v in data['db/0']['results'].items() if k != 'return-code'} == tricky


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match='unknown format "xml"'):
        make_model().run('db/0', action='do').render('xml')


# Go text formats ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ('text', 'quoted'),
    [
        ('hello', False),
        ('2', True),
        ('yes', True),
        ('off', True),
        ('1.5', True),
        ('.5', True),
        ('1e5', False),
        ('0x1F', True),
        ('08', False),
        ('1:30', True),
        ('2015-02-14', True),
        ('2015-02-14 08:17:00 +0000 UTC', False),
        ('', True),
        ('~', True),
    ],
)
def test_yaml_v2_quotes_strings_that_would_read_back_as_other_types(
    text: str, quoted: bool
) -> None:
    line = goformat.yaml_v2({'k': text})
    assert line.startswith('k: "') is quoted, line


def test_yaml_v2_sorts_keys_numerically_within_names() -> None:
    assert goformat.sorted_keys({'db/10': 1, 'db/2': 1, 'db/1': 1, 'a': 1}) == [
        'a',
        'db/1',
        'db/2',
        'db/10',
    ]


def test_yaml_v2_folds_long_plain_lines_at_80_columns() -> None:
    text = goformat.yaml_v2({'k': ' '.join(['word'] * 30)})
    assert max(len(line) for line in text.splitlines()) <= 84
    assert yaml.safe_load(text)['k'] == ' '.join(['word'] * 30)


def test_json_escapes_like_go() -> None:
    assert goformat.json_marshal({'b': '<&>', 'a': '\u2028\x01'}) == (
        '{"a":"\\u2028\\u0001","b":"\\u003c\\u0026\\u003e"}'
    )


def test_time_string_like_go() -> None:
    moment = datetime.datetime(2025, 1, 2, 3, 4, 5, 500000, tzinfo=UTC)
    assert goformat.time_string(moment) == '2025-01-02 03:04:05.5 +0000 UTC'
    assert goformat.time_string(moment.replace(microsecond=0)) == '2025-01-02 03:04:05 +0000 UTC'


def test_reprs_are_readable() -> None:
    model = make_model()
    op = model.run('db/0', action='do')
    for obj in (model, op, op.tasks[0], op.trace, model.unit('db/0'), model.applications['db']):
        assert ' at 0x' not in repr(obj)
    assert repr(op) == "Operation(id=1, action='do', units=[db/0], status=completed)"
    assert isinstance(op, actionspec.Operation)


def test_the_output_layout_is_profile_data_not_a_version_check() -> None:
    """What `juju run` prints follows the profile's fields: a 3.6 operation read through a
    profile with 2.9's layout and keys prints 2.9's `run-action --wait` output."""
    op = make_model(do_action=lambda c, e: e.set_results({'a': 'b'})).run('db/0', action='do')
    as_29 = dataclasses.replace(
        versions.JUJU_3_6,
        compat_run_output=True,
        stdout_key='Stdout',
        stderr_key='Stderr',
        return_code_key='Code',
        encoding_suffix='Encoding',
    )
    results = dict(op.tasks[0].results)
    results['Code'] = str(results.pop('return-code'))
    task = dataclasses.replace(op.tasks[0], results=results)
    compat = dataclasses.replace(op, profile=as_29, tasks=(task,))
    assert as_29.version == '3.6'
    shown = yaml.safe_load(render.render(compat, 'yaml'))
    assert shown['unit-db-0']['UnitId'] == 'db/0'
    assert shown['unit-db-0']['results'] == {'a': 'b'}
    assert render.progress(compat) == ''
    assert 'Running operation' in render.progress(op)
