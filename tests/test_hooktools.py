"""Hook tools on the command line answer as Juju's do: same texts, same exit statuses.

Each call runs the real hook tool (the compiled client, or the Python one) in a
subprocess against the agent socket, served by a real hook context.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
from collections.abc import Iterator

import pytest

from actionspec.hooktools import client, commands, server
from actionspec.juju import context
from actionspec.launch import charmdir, scratch

from .helpers import make_model


@pytest.fixture(scope='module')
def agent() -> Iterator[server.AgentServer]:
    running = server.AgentServer(scratch.scratch_dir('actionspec-agent-'))
    yield running
    running.close()


def _context(unit: str = 'db/0') -> context.UnitContext:
    model = make_model(units=2, peers=('replicas',))
    target = model.unit(unit)
    state = context.ActionState('snapshot-database', '2', {'outfile': '/tmp/x', 'compress': True})
    return context.UnitContext(model, target, state)


def _call(
    agent: server.AgentServer,
    ctx: context.HookTools,
    *argv: str,
    stdin: str = '',
    tool_path: str | None = None,
) -> tuple[int, str, str]:
    agent.register('ctx-1', ctx)
    try:
        env = {
            'JUJU_AGENT_SOCKET_ADDRESS': agent.address,
            'JUJU_CONTEXT_ID': 'ctx-1',
            'PATH': '/usr/bin:/bin',
        }
        command = [tool_path or str(agent.tools_dir / argv[0]), *argv[1:]]
        if tool_path:
            command = [sys.executable, '-IS', tool_path, *argv[1:]]
        done = subprocess.run(
            command, env=env, input=stdin, capture_output=True, text=True, check=False, timeout=30
        )
    finally:
        agent.unregister('ctx-1')
    return done.returncode, done.stdout, done.stderr


REFUSALS = [
    (('action-set', 'noequals'), 2, 'argument "noequals" must be of the form key...=value'),
    (
        ('action-set', 'Stdout=x'),
        2,
        'key "Stdout" must start and end with lowercase alphanumeric, '
        'and contain only lowercase alphanumeric, hyphens and periods',
    ),
    (('action-set', 'stdout=x'), 2, 'cannot set reserved action key "stdout"'),
    (('action-set', '-x'), 2, 'flag provided but not defined: -x'),
    (('action-log',), 2, 'no message specified'),
    (('action-fail', 'a', 'b'), 2, 'unrecognized args: ["b"]'),
    (('action-get', 'a', 'b'), 2, 'unrecognized args: ["b"]'),
    (
        ('action-get', '--format=xml'),
        2,
        'invalid value "xml" for flag --format: unknown format "xml"',
    ),
    (('action-get', '--format'), 2, 'flag needs an argument: --format'),
    (('action-get', '--foo'), 2, 'flag provided but not defined: --foo'),
    (('is-leader', 'extra'), 2, 'unrecognized args: ["extra"]'),
    (('relation-get', '-', 'db/1'), 2, 'no relation id specified'),
    (('relation-list', '-r', 'foo'), 2, 'invalid value "foo" for flag -r: invalid relation id'),
    (
        ('relation-list', '-r', 'replicas:99'),
        2,
        'invalid value "replicas:99" for flag -r: relation not found',
    ),
    (
        ('status-set', 'bogus'),
        2,
        'invalid status "bogus", expected one of [maintenance blocked waiting active]',
    ),
    (('status-set',), 2, 'invalid args, require <status> [message]'),
    (('juju-log',), 2, 'no message specified'),
    (('relation-ids',), 2, 'no endpoint name specified'),
]


@pytest.mark.parametrize(
    ('argv', 'code', 'message'), REFUSALS, ids=[' '.join(a) for a, _, _ in REFUSALS]
)
def test_bad_arguments_answer_as_juju(
    agent: server.AgentServer, argv: tuple[str, ...], code: int, message: str
) -> None:
    assert _call(agent, _context(), *argv) == (code, '', f'ERROR {message}\n')


def test_run_errors_exit_1(agent: server.AgentServer) -> None:
    ctx = _context('db/1')  # not the leader
    code, _, err = _call(agent, ctx, 'relation-set', '-r', 'replicas:0', '--app', 'k=v')
    assert (code, err) == (1, 'ERROR cannot write relation settings\n')


@pytest.mark.parametrize(
    ('argv', 'out'),
    [
        (('is-leader',), 'True\n'),
        (('is-leader', '--format=json'), 'true\n'),
        (('action-get', '--format=json'), '{"compress":true,"outfile":"/tmp/x"}\n'),
        (('action-get', 'outfile'), '/tmp/x\n'),
        (('action-get', 'missing'), ''),
        (('action-get', 'missing', '--format=json'), 'null\n'),
        (('action-get',), 'compress: true\noutfile: /tmp/x\n'),
        (('relation-ids', 'replicas', '--format=json'), '["replicas:0"]\n'),
        (('relation-list', '-r', 'replicas:0'), 'db/1\n'),
    ],
)
def test_outputs_follow_juju_formats(
    agent: server.AgentServer, argv: tuple[str, ...], out: str
) -> None:
    assert _call(agent, _context(), *argv) == (0, out, '')


def test_relation_set_reads_a_file_from_stdin_and_relation_get_sees_it(
    agent: server.AgentServer,
) -> None:
    ctx = _context()
    assert (
        _call(agent, ctx, 'relation-set', '-r', 'replicas:0', '--file', '-', stdin='{"a": "1"}')[0]
        == 0
    )
    assert _call(agent, ctx, 'relation-get', '-r', 'replicas:0', '-', 'db/0', '--format=json') == (
        0,
        '{"a":"1"}\n',
        '',
    )


def test_relation_set_reads_a_file_by_absolute_path_as_the_unit_agent_does(
    agent: server.AgentServer, tmp_path: pathlib.Path
) -> None:
    """charmhelpers' relation_set writes its settings to a temporary file and passes its
    path; Juju's agent, on the same machine, reads it (juju/cmd FileVar)."""
    ctx = _context()
    settings = tmp_path / 'settings.yaml'
    settings.write_text('a: "1"\nb: two\n')
    assert (
        _call(agent, ctx, 'relation-set', '-r', 'replicas:0', '--file', str(settings), 'b=2')[0]
        == 0
    )
    assert _call(agent, ctx, 'relation-get', '-r', 'replicas:0', '-', 'db/0', '--format=json') == (
        0,
        '{"a":"1","b":"2"}\n',  # an argument overrides the file
        '',
    )
    missing = tmp_path / 'gone.yaml'
    assert _call(agent, ctx, 'relation-set', '-r', 'replicas:0', '--file', str(missing)) == (
        1,
        '',
        f'ERROR open {missing}: no such file or directory\n',
    )
    code, _, err = _call(agent, ctx, 'relation-set', '-r', 'replicas:0', '--file', 'x.yaml')
    assert (code, err) == (
        2,
        'ERROR --file x.yaml: only an absolute path (or -) is supported here\n',
    )


def test_tool_outside_an_agent_context() -> None:
    env = {'PATH': '/usr/bin:/bin'}
    agent = charmdir.shared_agent()
    done = subprocess.run(
        [str(agent.tools_dir / 'is-leader')], env=env, capture_output=True, text=True, check=False
    )
    assert (done.returncode, done.stderr) == (1, 'ERROR JUJU_AGENT_SOCKET_ADDRESS not set\n')


def test_python_client_speaks_the_same_protocol(agent: server.AgentServer) -> None:
    ctx = _context()
    path = client.__file__
    link_dir = agent.workdir / 'py-tools'
    link_dir.mkdir(exist_ok=True)
    link = link_dir / 'action-set'
    if not link.exists():
        link.symlink_to(path)
    assert _call(agent, ctx, 'action-set', 'stdout=x', tool_path=str(link)) == (
        2,
        '',
        'ERROR cannot set reserved action key "stdout"\n',
    )
    assert _call(agent, ctx, 'action-set', 'a.b=c', tool_path=str(link))[0] == 0
    assert ctx.action is not None and ctx.action.results == {'a': {'b': 'c'}}


def test_the_c_client_was_built_here() -> None:
    assert server.compiled_client() is not None or os.environ.get('ACTIONSPEC_NO_CC')


@pytest.mark.parametrize(
    ('request_bytes', 'error'),
    [
        (b'3:abc', 'netstring at byte 0 is cut short'),
        (b'x:abc,', 'no netstring at byte 0'),
        (b'5:ctx-1,9:is-leader,', 'not enough values to unpack'),
        (b'5:ctx-1,9:is-leader,1:2,1:a,1:0,', 'wrong argument count'),
        (b'5:ctx-1,2:\xff\xfe,1:0,1:0,', 'invalid start byte'),
    ],
)
def test_a_malformed_request_gets_a_bad_request_answer(
    agent: server.AgentServer, request_bytes: bytes, error: str
) -> None:
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(agent.address)
        conn.sendall(request_bytes)
        conn.shutdown(socket.SHUT_WR)
        answer = b''.join(iter(lambda: conn.recv(4096), b''))
    code, out, err = client.fields(answer)
    assert (code, out) == (b'1', b'')
    assert err.startswith(b'ERROR bad request: ') and error.encode() in err, err


def test_the_agent_serves_calls_after_one_that_never_finishes(agent, monkeypatch) -> None:
    import socket

    monkeypatch.setattr(server, 'CALL_TIMEOUT', 0.5)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stuck:
        stuck.connect(agent.address)
        stuck.sendall(b'5:ctx-1,')  # and never more
        assert _call(agent, _context(), 'is-leader', '--format=json') == (0, 'true\n', '')


@pytest.mark.parametrize('version', ['2.9', '3.6', '4.0'])
@pytest.mark.parametrize('tool', sorted(commands.TOOLS))
def test_hook_tools_answer_help_on_stdout_with_exit_0(tool: str, version: str) -> None:
    m = make_model(juju_version=version)
    unit = m.unit('db/0')
    ctx = context.UnitContext(m, unit, context.ActionState('do', '1', {}))
    result = commands.run(tool, ['--help'], None, ctx)
    assert (result.stderr, result.code) == ('', 0)
    assert result.stdout.startswith(f'Usage: {tool}')
    summary = result.stdout.split('Summary:\n')[1].split('\n')[0]
    # 3.6.0 capitalised every summary and ended it with a full stop (3.6-rc1's jujuc).
    assert (summary[0].isupper() and summary.endswith('.')) == (version != '2.9')
    assert ('[options]' in result.stdout.split('\n')[0]) == ('Options:' in result.stdout)
    assert ('reserved for internal use' in result.stdout) == (
        tool == 'action-set' and version != '2.9'
    )


def test_help_is_an_argument_after_the_double_dash() -> None:
    m = make_model()
    ctx = context.UnitContext(m, m.unit('db/0'), context.ActionState('do', '1', {}))
    assert commands.run('action-log', ['--', '--help'], None, ctx).code == 0
    assert ctx.action is not None and ctx.action.logs[-1].message == '--help'


def test_help_keeps_jujus_own_layout_to_the_byte() -> None:
    """Checked against the copy of juju-log's help a hook-tool docs page quotes."""
    shown = commands.help_text('juju-log', '3.6')
    assert shown is not None and shown.startswith(
        'Usage: juju-log [options] <message>\n\nSummary:\nWrite a message to the juju log.\n\n'
        'Options:\n--debug  (= false)\n    log at debug level\n--format (= "")\n'
        '    deprecated format flag\n-l, --log-level (= "INFO")\n'
        '    Send log message at the given level\n'
    )
    assert '\t' in (commands.help_text('status-set', '3.6') or '')  # its details hold tabs
