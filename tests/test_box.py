"""The box: a controller daemon of its own and a `juju` client that talks to it, driven as
a test drives the `juju` CLI (real processes, the real client executable)."""

from __future__ import annotations

import json
import os
import pathlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

import actionspec
from actionspec import box as box_
from actionspec import charmmeta, environment
from actionspec.charm import main
from actionspec.juju import model

from .helpers import juju, juju_until

CHARM = pathlib.Path(__file__).parent / 'charms' / 'snapshot'


@pytest.fixture
def box() -> Iterator[box_.Box]:
    with box_.Box.start() as running:
        yield running


def test_the_client_is_the_boxs_own_and_first_on_path(box: box_.Box) -> None:
    env = box.env()
    found = subprocess.run(
        ['sh', '-c', 'command -v juju'], env=env, capture_output=True, text=True, check=False
    )
    assert found.stdout.strip() == str(box.data / 'bin' / 'juju')
    assert juju(box, 'version').stdout == '3.6.12-genericlinux-amd64\n'


def test_deploy_and_run_an_action_through_the_cli(box: box_.Box) -> None:
    assert juju(box, 'add-model', 'test').returncode == 0
    deployed = juju(box, 'deploy', str(CHARM), '-n', '2')
    assert deployed.returncode == 0, deployed.stderr
    ran = juju(box, 'run', 'snapshot/0', 'snapshot-database', 'outfile=/tmp/x', '--format', 'json')
    assert ran.returncode == 0, ran.stderr
    task = json.loads(ran.stdout)['snapshot/0']
    assert (task['id'], task['status']) == ('2', 'completed')
    assert ran.stderr.startswith('Running operation 1 with 1 task\n')
    shown = juju(box, 'show-task', '2', '--format', 'yaml')
    assert 'status: completed' in shown.stdout
    failed = juju(box, 'run', 'snapshot/1', 'snapshot-database', 'outfile=/tmp/x')
    assert failed.stdout.startswith('Action id 4 failed: disk full')  # the charm fails on db/1
    assert failed.returncode == 0  # action-fail alone: juju run exits 0 (J12)


def test_the_model_comes_from_the_flag_the_environment_or_the_switch(box: box_.Box) -> None:
    juju(box, 'add-model', 'one')
    juju(box, 'add-model', 'two')  # the current model now
    juju(box, 'deploy', str(CHARM), '-m', 'one')
    assert juju(box, 'actions', 'snapshot', '-m', 'one').returncode == 0
    missing = juju(box, 'actions', 'snapshot')
    assert (missing.returncode, missing.stderr) == (1, 'ERROR application "snapshot" not found\n')
    env = {**box.env(), 'JUJU_MODEL': 'one'}
    assert juju(box, 'actions', 'snapshot', env=env).returncode == 0
    assert juju(box, 'switch', 'one').stderr == 'box:admin/two -> box:admin/one\n'
    assert juju(box, 'actions', 'snapshot').returncode == 0
    assert (
        juju(box, 'actions', 'snapshot', '-m', 'nope').stderr == 'ERROR model "nope" not found\n'
    )


def test_without_a_model_the_client_says_how_to_choose_one(box: box_.Box) -> None:
    shown = juju(box, 'operations')
    assert shown.returncode == 1
    assert shown.stderr.startswith('ERROR no model in focus\n')


def test_unknown_commands_get_jujus_kind_of_error(box: box_.Box) -> None:
    shown = juju(box, 'frobnicate')
    assert (shown.returncode, shown.stderr) == (
        2,
        'ERROR juju: "frobnicate" is not a juju command. See "juju --help".\n',
    )


def test_two_clients_at_once_are_both_answered(box: box_.Box) -> None:
    juju(box, 'add-model', 'test')
    juju(box, 'deploy', str(CHARM), '-n', '2')
    clients = [
        subprocess.Popen(
            [
                'juju',
                'run',
                f'snapshot/{n}',
                'snapshot-database',
                'outfile=/tmp/x',
                '--format',
                'json',
            ],
            env=box.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in (0, 0)
    ]
    answers = [json.loads(c.communicate()[0])['snapshot/0'] for c in clients]
    assert sorted(a['id'] for a in answers) == ['2', '4']
    assert all(a['status'] == 'completed' for a in answers)


def test_a_dead_controller_gives_the_client_one_line(box: box_.Box) -> None:
    box.process.kill()  # the controller dies; its client and data stay
    box.process.wait()
    shown = juju(box, 'version')
    assert shown.returncode == 1
    assert shown.stderr.startswith('ERROR cannot reach the actionspec box controller at ')
    assert shown.stderr.count('\n') == 1 and 'Traceback' not in shown.stderr


def test_stopping_leaves_no_process_and_no_directory() -> None:
    running = box_.Box.start()
    pid, data = running.process.pid, running.data
    env = running.env()
    subprocess.run(['juju', 'add-model', 't'], env=env, check=True, capture_output=True)
    subprocess.run(['juju', 'deploy', str(CHARM)], env=env, check=True, capture_output=True)
    subprocess.run(  # a dispatch makes the controller's scratch space
        ['juju', 'run', 'snapshot/0', 'snapshot-database', 'outfile=x'],
        env=env,
        check=True,
        capture_output=True,
    )
    running.stop()
    assert running.process.poll() is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not data.exists()
    scratch = [
        p
        for base in (pathlib.Path('/dev/shm'), pathlib.Path('/tmp'))
        if base.is_dir()
        for p in base.glob(f'actionspec-{pid}-*')
    ]
    assert scratch == []


def test_a_bad_request_is_answered_not_a_traceback(box: box_.Box) -> None:
    with socket.socket(socket.AF_UNIX) as conn:
        conn.connect(str(box.data / 'box.socket'))
        conn.sendall(b'not json')
        conn.shutdown(socket.SHUT_WR)
        reply = json.loads(b''.join(iter(lambda: conn.recv(4096), b'')))
    assert reply['code'] == 1 and reply['stderr'].startswith('ERROR bad request: ')
    assert juju(box, 'version').returncode == 0  # and the box goes on


def test_actionspec_box_runs_a_command_inside_and_passes_its_status_back(
    tmp_path: pathlib.Path,
) -> None:
    script = 'juju add-model t && juju deploy "$CHARM" && juju run snapshot/0 nope; exit 7'
    command = pathlib.Path(sys.executable).with_name('actionspec')
    shown = subprocess.run(
        [str(command), 'box', '--', 'sh', '-c', script],
        env={**os.environ, 'CHARM': str(CHARM)},
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert shown.returncode == 7
    assert 'action "nope" not defined on unit "snapshot/0"' in shown.stderr
    assert list(tmp_path.iterdir()) == []  # nothing left where it ran


def test_a_failed_install_hook_leaves_the_unit_in_error(
    box: box_.Box, tmp_path: pathlib.Path
) -> None:
    charm = tmp_path / 'broken'
    charm.mkdir()
    (charm / 'metadata.yaml').write_text('name: broken\n')
    dispatch = charm / 'dispatch'
    dispatch.write_text('#!/bin/sh\n[ "$JUJU_DISPATCH_PATH" = hooks/install ] && exit 3\nexit 0\n')
    dispatch.chmod(0o755)
    juju(box, 'add-model', 't')
    assert juju(box, 'deploy', str(charm)).returncode == 0
    status = json.loads(juju(box, 'status', '--format', 'json').stdout)
    unit = status['applications']['broken']['units']['broken/0']
    assert unit['workload-status']['current'] == 'error'
    assert unit['workload-status']['message'] == 'hook failed: "install"'
    assert status['applications']['broken']['application-status']['current'] == 'error'
    assert (
        status['model']['name'] == 't'
        and status['machines']['0']['juju-status']['current'] == 'started'
    )


DEMO = pathlib.Path(__file__).parent / 'charms' / 'box-demo'


def test_config_gets_sets_resets_and_refuses_what_the_charm_lacks(box: box_.Box) -> None:
    juju(box, 'add-model', 't')
    juju(box, 'deploy', str(DEMO))
    shown = json.loads(juju(box, 'config', 'demo', '--format', 'json').stdout)
    assert shown['settings']['greeting'] == {
        'default': 'hello',
        'description': 'What the greet action says.',
        'source': 'default',
        'type': 'string',
        'value': 'hello',
    }
    assert juju(box, 'config', 'demo', 'greeting=hey').returncode == 0
    shown = json.loads(juju(box, 'config', 'demo', '--format', 'json').stdout)
    assert (shown['settings']['greeting']['value'], shown['settings']['greeting']['source']) == (
        'hey',
        'user',
    )
    refused = juju(box, 'config', 'demo', 'loud=maybe')
    assert (refused.returncode, refused.stderr) == (
        1,
        'ERROR option "loud" expected boolean, got "maybe"\n',
    )
    assert juju(box, 'config', 'demo', 'nope=1').stderr == 'ERROR unknown option "nope"\n'
    assert juju(box, 'config', 'demo', '--reset', 'greeting').returncode == 0
    said = juju(box, 'run', 'demo/0', 'greet', '--format', 'json').stdout
    assert json.loads(said)['demo/0']['results']['said'] == 'hello'  # config-get, after the reset


def test_exec_runs_a_command_in_the_units_hook_context(box: box_.Box) -> None:
    juju(box, 'add-model', 't')
    juju(box, 'deploy', str(DEMO))
    shown = juju(box, 'exec', '--unit', 'demo/0', '--', 'echo', 'hi')
    assert (shown.returncode, shown.stdout) == (0, 'hi\n')
    tools = juju(box, 'exec', '-u', 'demo/0', '--format', 'json', '--', 'config-get greeting')
    assert json.loads(tools.stdout)['demo/0']['results']['stdout'] == 'hello\n'
    failing = juju(box, 'exec', '--unit', 'demo/0', '--', 'echo oops >&2; exit 3')
    assert failing.returncode == 1
    assert failing.stderr.startswith('oops\nERROR the following task failed:\n')
    no_action = juju(box, 'exec', '--unit', 'demo/0', '--', 'action-get')
    assert 'not running an action' in no_action.stderr
    assert juju(box, 'exec', '--', 'true').returncode == 2  # no target


DEMO = pathlib.Path(__file__).parent / 'charms' / 'box-demo'


def test_a_client_waiting_for_a_slow_action_does_not_hold_up_the_others(box: box_.Box) -> None:
    juju(box, 'add-model', 'test')
    juju(box, 'deploy', str(DEMO))
    waiting = subprocess.Popen(
        ['juju', 'run', 'demo/0', 'slow', 'seconds=5'],
        env=box.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The first client is waiting (its task shows running) while the second is answered.
        for _ in range(200):
            shown = juju(box, 'operations', '--format', 'json')
            if '"running"' in shown.stdout:
                break
        assert shown.returncode == 0 and '"running"' in shown.stdout, shown
        assert waiting.poll() is None
    finally:
        waiting.kill()
        waiting.wait()


LISTENER = pathlib.Path(__file__).parent / 'charms' / 'listener'


def _idle(running: box_.Box) -> None:
    """Wait until every unit agent has been idle for two looks in a row."""
    quiet = 0
    for _ in range(400):
        shown = juju(running, 'status', '--format', 'json').stdout
        quiet = quiet + 1 if '"executing"' not in shown and '"allocating"' not in shown else 0
        if quiet == 2:
            return
        time.sleep(0.05)
    raise AssertionError(f'the agents never settled: {shown}')


def test_a_restarted_controller_goes_on_where_it_was(tmp_path: pathlib.Path) -> None:
    data = tmp_path / 'box'
    first = box_.Box.start(data)
    try:
        juju(first, 'add-model', 'kept')
        juju(first, 'deploy', str(DEMO), '-n', '2')
        juju(first, 'deploy', str(LISTENER))
        juju(first, 'integrate', 'demo', 'listener')
        juju(first, 'config', 'demo', 'greeting=hey')
        juju_until(first, 'heard hey')
        _idle(first)
        assert juju(first, 'run', 'demo/0', 'echo', 'text=one').returncode == 0
        juju(first, 'run', 'demo/1', 'slow', 'seconds=60', '--background')
        juju_until(first, 'sleeping', 'show-task', '4', '--format', 'json')
    finally:
        first.process.kill()  # the controller dies mid-task; its data stays
        first.process.wait()
    second = box_.Box.start(data)
    try:
        status = json.loads(juju(second, 'status', '--format', 'json').stdout)
        units = status['applications']['demo']['units']
        assert sorted(units) == ['demo/0', 'demo/1'] and units['demo/0']['leader']
        listener = status['applications']['listener']['units']['listener/0']
        assert listener['workload-status']['message'] == 'heard hey'
        # A task that was running when its unit agent went: failed, as the uniter fails it.
        task = json.loads(juju(second, 'show-task', '4', '--format', 'json').stdout)
        assert (task['status'], task['message']) == ('failed', 'action terminated'), task
        assert task['log'][0].endswith(' sleeping')  # what it logged reached the controller
        echoed = json.loads(juju(second, 'show-task', '2', '--format', 'json').stdout)
        assert echoed['results'] == {'text': 'one', 'return-code': 0}
        # Config, relation data and ids go on.
        said = juju(second, 'run', 'demo/0', 'greet', '--format', 'json')
        assert json.loads(said.stdout)['demo/0']['id'] == '6'
        assert json.loads(said.stdout)['demo/0']['results'] == {'said': 'hey', 'return-code': 0}
        heard = juju(second, 'run', 'listener/0', 'heard', '--format', 'json')
        assert json.loads(heard.stdout)['listener/0']['results']['greeting'] == 'hey'
        assert 'ran "start" hook' in juju(second, 'debug-log', '--replay').stdout
    finally:
        second.stop()


def test_remove_application_takes_its_units_and_relations(box: box_.Box) -> None:
    juju(box, 'add-model', 'test')
    juju(box, 'deploy', str(DEMO), '-n', '2')
    juju(box, 'deploy', str(LISTENER))
    juju(box, 'integrate', 'demo', 'listener')
    juju_until(box, 'heard hello')
    removed = juju(box, 'remove-application', '--no-prompt', 'demo')
    assert removed.stdout == (
        'will remove application demo\n- will remove unit demo/0\n- will remove unit demo/1\n'
    )
    status = json.loads(juju_until(box, 'waiting for a greeting'))
    for _ in range(200):
        if 'demo' not in status['applications']:
            break
        time.sleep(0.05)
        status = json.loads(juju(box, 'status', '--format', 'json').stdout)
    assert sorted(status['applications']) == ['listener']
    log = juju(box, 'debug-log', '--replay').stdout
    assert 'unit-demo-0' in log and 'ran "remove" hook' in log
    gone = juju(box, 'remove-application', '--no-prompt', 'demo')
    assert (gone.returncode, gone.stderr) == (
        1,
        'ERROR removing application demo failed: application "demo" not found\n',
    )


def test_a_juju_command_the_box_does_not_run_is_refused_as_such(box: box_.Box) -> None:
    shown = juju(box, 'add-secret', 'x', 'a=b')
    assert (shown.returncode, shown.stderr) == (
        1,
        'ERROR "juju add-secret" is a Juju command the actionspec box does not run\n',
    )


def test_version_answers_as_jubilant_reads_it(box: box_.Box) -> None:
    assert json.loads(juju(box, 'version', '--format', 'json', '--all').stdout) == {
        'version': '3.6.12-genericlinux-amd64',
        'compiler': 'gc',
    }
    assert juju(box, 'version', '--format', 'json').stdout == '"3.6.12-genericlinux-amd64"\n'
    pytest.importorskip('jubilant')
    found = subprocess.run(
        [sys.executable, '-c', 'import jubilant; print(jubilant.Juju().version().tuple)'],
        env=box.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.stdout.strip() == '(3, 6, 12)', found.stderr


def test_show_model_answers_as_jubilant_reads_it(box: box_.Box) -> None:
    juju(box, 'add-model', 'seen')
    pytest.importorskip('jubilant')
    script = 'import jubilant; i = jubilant.Juju().show_model("seen"); print(i.short_name, i.life)'
    found = subprocess.run(
        [sys.executable, '-c', script], env=box.env(), capture_output=True, text=True, check=False
    )
    assert found.stdout == 'seen alive\n', found.stderr


def test_two_models_never_share_a_hook_context_id() -> None:
    """The box serves every model's hook tools from one server, so a unit of one model
    must not take the context id of the same-named unit of another running at once (a
    hook tool call was refused as `wrong context ID` when two models each ran db/0's
    install): Juju's ids are random, ours count from a base each model derives."""
    first, second = (model.Model(name=name) for name in ('one', 'two'))
    for m in (first, second):
        m.deploy('db', main.InProcessCharm(actionspec.Charm, charmmeta.CharmMeta('db')))
    ids = {
        m._env(m.unit('db/0'), 'hooks/install', 'install')[environment.CONTEXT_ID]
        for m in (first, second)
    }
    assert len(ids) == 2
    assert all(i.startswith('db/0-install-') for i in ids)
