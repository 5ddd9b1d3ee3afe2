"""The juju client's parsing and its values: gnuflag's flags (anywhere, `--`, bools that
take no word, durations), yaml.v2's reading of `key=value`, and the client's clock."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import actionspec
from actionspec.jujucli import commands, flags, values

FLAGS = (
    flags.Flag(('wait',), 'duration', 0.0, 'w'),
    flags.Flag(('background',), 'bool', False, 'b'),
    flags.Flag(('model', 'm'), 'string', '', 'm'),
    flags.Flag(
        ('format',), 'choice', 'plain', 'f', ('plain', 'yaml'), lambda v: f'unknown format "{v}"'
    ),
    flags.Flag(('apps',), 'strings', (), 'a'),
    flags.Flag(('limit',), 'uint', 0, 'l'),
)


@pytest.mark.parametrize(
    ('argv', 'expected', 'positional'),
    [
        (['a', '--wait', '10s', 'b'], {'wait': 10.0}, ['a', 'b']),
        (['--wait=1h30m', 'a'], {'wait': 5400.0}, ['a']),
        (['--background', 'true'], {'background': True}, ['true']),  # a bool takes no word
        (['--background=false'], {'background': False}, []),
        (['-m', 'admin', 'x'], {'model': 'admin'}, ['x']),
        (['-madmin'], {'model': 'admin'}, []),
        (['--apps', 'a,b', '--apps', 'c'], {'apps': ['c']}, []),  # a repeat replaces
        (['--', '--wait', '3s'], {'wait': 0.0}, ['--wait', '3s']),
        (['-', 'x=-1'], {}, ['-', 'x=-1']),
        (['--limit', '7'], {'limit': 7}, []),
    ],
)
def test_flags_parse_as_gnuflag_does(
    argv: list[str], expected: dict[str, Any], positional: list[str]
) -> None:
    opts, words = flags.parse(FLAGS, argv)
    assert {k: opts[k] for k in expected} == expected
    assert words == positional


@pytest.mark.parametrize(
    ('argv', 'message'),
    [
        (['--nope'], 'option provided but not defined: --nope'),
        (['-x'], 'option provided but not defined: -x'),
        (['--wait'], 'option needs an argument: --wait'),
        (['--wait', 'xx'], 'invalid value "xx" for option --wait: time: invalid duration "xx"'),
        (
            ['--wait', '10'],
            'invalid value "10" for option --wait: time: missing unit in duration "10"',
        ),
        (['--format', 'xml'], 'invalid value "xml" for option --format: unknown format "xml"'),
        (
            ['--background=maybe'],
            'invalid value "maybe" for option --background: '
            'strconv.ParseBool: parsing "maybe": invalid syntax',
        ),
        (
            ['--limit', '-1'],
            'invalid value "-1" for option --limit: '
            'strconv.ParseUint: parsing "-1": invalid syntax',
        ),
        (['--=x'], 'empty option in argument "--=x"'),
    ],
)
def test_flag_errors_use_gnuflags_words(argv: list[str], message: str) -> None:
    with pytest.raises(flags.FlagError) as e:
        flags.parse(FLAGS, argv)
    assert str(e.value) == message


def test_help_anywhere_asks_for_help_but_not_after_the_double_dash() -> None:
    with pytest.raises(flags.HelpRequested):
        flags.parse(FLAGS, ['a', '-h'])
    assert flags.parse(FLAGS, ['--', '--help'])[1] == ['--help']


@pytest.mark.parametrize(
    ('text', 'seconds'),
    [('0', 0.0), ('-1s', -1.0), ('1.5s', 1.5), ('2m', 120.0), ('1h2m3s', 3723.0), ('500ms', 0.5)],
)
def test_durations_read_as_go_reads_them(text: str, seconds: float) -> None:
    assert flags.parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    ('seconds', 'text'), [(0.0, '0s'), (-1.0, '-1s'), (60.0, '1m0s'), (3723.0, '1h2m3s')]
)
def test_durations_print_as_go_prints_them(seconds: float, text: str) -> None:
    assert flags.format_duration(seconds) == text


@pytest.mark.parametrize(
    ('text', 'value'),
    [
        ('3', 3),
        ('y', True),
        ('N', False),
        ('on', True),
        ('off', False),
        ('0x1f', 31),
        ('0o17', 15),
        ('017', 15),
        ('0b101', 5),
        ('1_000', 1000),
        ('08', 8.0),  # not octal, so a float, as strconv and yaml.v2's float rule make it
        ('1e3', 1000.0),
        ('3.0', 3.0),
        ('~', None),
        ('', ''),  # yaml.v2 leaves the value as it was: the empty string
        ('  ', '  '),
        ('2001-12-14', '2001-12-14'),  # timestamps decode to strings into interface{}
        ('1:30', '1:30'),  # no base-60 numbers in yaml.v2
        ('"3"', '3'),
        ('[1, y]', [1, True]),
        ('{a: {b: n}}', {'a': {'b': False}}),
    ],
)
def test_values_read_as_yaml_v2_reads_them(text: str, value: Any) -> None:
    assert values.command_value(text, string_args=False) == value


def test_string_args_keep_the_text() -> None:
    assert values.command_value('y', string_args=True) == 'y'


@pytest.mark.parametrize(
    ('text', 'message'),
    [
        ('"', 'yaml: found unexpected end of stream'),
        ('{1: a}', 'map keyed with non-string value 1'),
    ],
)
def test_unreadable_values_are_refused_with_yaml_v2s_words(text: str, message: str) -> None:
    with pytest.raises(values.ParamsError, match=message):
        values.command_value(text, string_args=False)


def test_a_later_key_replaces_what_was_on_its_path() -> None:
    params: dict[str, Any] = {'a': 1, 'b': {'c': 2}}
    values.add_value(params, ['a', 'b'], 2)
    values.add_value(params, ['b', 'd'], 3)
    assert params == {'a': {'b': 2}, 'b': {'c': 2, 'd': 3}}


def test_table_pads_columns_two_apart_and_right_aligns_the_ids() -> None:
    rows = [['ID', 'Status', 'Summary'], ['1', 'error', 'x'], ['10', 'completed', 'y']]
    assert commands.table(rows, right_aligned=(0,)) == (
        'ID  Status     Summary\n 1  error      x\n10  completed  y\n'
    )


def test_times_show_in_local_time_unless_utc() -> None:
    script = (
        'import datetime\n'
        'from actionspec.jujucli import commands\n'
        'm = datetime.datetime(2025, 1, 1, 12, tzinfo=datetime.timezone.utc)\n'
        'print(commands._time(m, False)); print(commands._time(m, True))\n'
    )
    env = {**os.environ, 'TZ': 'CET-1'}  # a POSIX zone: no tz database needed
    shown = subprocess.run(
        [sys.executable, '-c', script], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert shown == '2025-01-01 13:00:00 +0100 CET\n2025-01-01 12:00:00 +0000 UTC\n'
    assert commands._time(None, True) == ''
    assert (
        commands._time(datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc), True, '%Y')
        == '2025'
    )


# -- each command's flags, through the command layer ----------------------------------------


class Backup(actionspec.Charm):
    def __init__(self, framework: Any) -> None:
        super().__init__(framework)
        framework.observe(self.on.backup_action, self._on_backup)
        framework.observe(self.on.report_action, lambda event: event.set_results({'ok': 'y'}))

    def _on_backup(self, event: Any) -> None:
        event.log('started')
        actionspec.hold(event.params.get('hold', 'go'), self.framework.env)
        event.set_results({'size': '10G'})


@pytest.fixture
def box() -> Iterator[actionspec.Model]:
    m = actionspec.Model(clock=actionspec.TickingClock(), hold_points=True)
    m.deploy('db', Backup, units=2, actions={'backup': {}, 'report': {}})
    yield m
    for op in m.operations:
        m.cancel(*(t.id for t in op.tasks))
    m.advance()


def test_run_output_file_takes_stdout(box: actionspec.Model, tmp_path: Any) -> None:
    out = commands.call(
        box, ['run', 'db/0', 'report', '-o', 'out.yaml', '--format', 'yaml'], cwd=tmp_path
    )
    assert out.stdout == '' and out.exit_code == 0
    assert 'ok: "y"' in (tmp_path / 'out.yaml').read_text()


def test_quiet_hides_the_progress_but_not_the_result(box: actionspec.Model) -> None:
    loud = box.juju('run db/0 report')
    quiet = box.juju('run db/0 report --quiet')
    assert loud.stderr.startswith('Running operation 1 with 1 task\n')
    assert (quiet.stderr, quiet.stdout) == ('', loud.stdout)
    assert box.juju('run db/0 report --background --quiet').stderr == ''


def test_color_flags_are_accepted(box: actionspec.Model) -> None:
    assert box.juju('run db/0 report --no-color').exit_code == 0
    assert box.juju('run db/0 report --color').exit_code == 0


def test_show_task_watch_waits_until_done(box: actionspec.Model) -> None:
    box.juju('run db/0 backup --background')
    assert box.juju('show-task 2 --format yaml').stdout.count('status: running') == 1
    box.hold_points.release('go')  # type: ignore[union-attr]
    watched = box.juju('show-task 2 --watch --format yaml')
    assert 'status: completed' in watched.stdout and 'size: 10G' in watched.stdout


def test_operations_filters_and_pages(box: actionspec.Model) -> None:
    box.juju('run db/0 report')
    box.juju('run db/1 report')
    box.juju('run db/0 db/1 backup --background')
    assert [line.split()[0] for line in box.juju('operations').stdout.splitlines()[1:]] == [
        '1',
        '3',
        '5',
    ]
    assert (
        box.juju('operations --units db/1 --actions report').stdout.splitlines()[1].split()[0]
        == '3'
    )
    assert box.juju('operations --apps db --status running').stdout.count('\n') == 2
    paged = box.juju('operations --offset 1 --limit 1').stdout
    assert paged.startswith(
        'Displaying operation results 2 to 2.\n'
        'Run the command again with --offset=2 --limit=1 to see the next batch.\n\n'
    )
    assert box.juju('operations --machines 0').stderr == 'no matching operations\n'
    assert box.juju('operations --apps nope').stderr == 'ERROR application "nope" not found\n'


def test_show_operation_json_and_a_task_not_found(box: actionspec.Model) -> None:
    box.juju('run db/0 report')
    shown = box.juju('show-operation 1 --format json').stdout
    assert shown.startswith('{"summary":"report run on unit-db-0","status":"completed",')
    assert box.juju('show-task 9').stderr == 'ERROR task 9 not found\n'


def test_actions_schema_in_json(box: actionspec.Model) -> None:
    shown = box.juju('actions db --schema --format json').stdout
    assert shown.startswith('{"backup":{"description":"No description","properties":{},')


def test_a_params_file_is_read_first_and_words_win(box: actionspec.Model, tmp_path: Any) -> None:
    (tmp_path / 'p.yml').write_text('hold: file\nother: 1\n')
    commands.call(
        box,
        ['run', 'db/0', 'backup', 'hold=word', '--params', 'p.yml', '--background'],
        cwd=tmp_path,
    )
    assert box.task('2').params == {'hold': 'word', 'other': 1}
    (tmp_path / 'list.yml').write_text('- a\n')
    refused = commands.call(box, ['run', 'db/0', 'report', '--params', 'list.yml'], cwd=tmp_path)
    assert refused.stderr == 'ERROR params must contain a YAML map with string keys\n'


def test_run_and_show_task_show_local_time_unless_utc() -> None:
    script = (
        'import actionspec\n'
        'from actionspec import examples\n'
        'm = actionspec.Model(clock=actionspec.TickingClock())\n'
        "m.deploy('db', examples.BenchCharm, actions={'do': {}})\n"
        "print(m.juju('run db/0 do n=1 --format yaml').stdout)\n"
        "print(m.juju('show-task 2 --format yaml --utc').stdout)\n"
    )
    env = {**os.environ, 'TZ': 'CET-1'}
    shown = subprocess.run(
        [sys.executable, '-c', script], env=env, capture_output=True, text=True, check=True
    ).stdout
    local, utc = shown.split('\n\n', 1)
    assert 'enqueued: 2025-01-01 01:00:00 +0100 CET' in local
    assert 'enqueued: 2025-01-01 00:00:00 +0000 UTC' in utc
