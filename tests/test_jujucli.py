"""The juju client's parsing and its values: gnuflag's flags (anywhere, `--`, bools that
take no word, durations), yaml.v2's reading of `key=value`, and the client's clock."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from typing import Any

import pytest

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
