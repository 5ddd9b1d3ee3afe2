"""The box under faults, as Juju behaves: a charm that hangs, crashes, floods its output
or fails a hook; a controller that is stopped or whose owner is killed. Each charm here
is a shell script (no ops), so the tests stay quick."""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator

import pytest

from actionspec import box as box_

from .helpers import juju, juju_until, juju_until_gone

DISPATCH = textwrap.dedent(
    """\
    #!/bin/sh
    case "$JUJU_DISPATCH_PATH" in
      hooks/install)
        if [ -e "$MARKS/hang" ]; then echo $$ > "$PIDFILE"; exec sleep 600; fi
        if [ -e "$MARKS/fail-once" ] && [ ! -e tried ]; then touch tried; exit 1; fi ;;
      hooks/start) status-set active started ;;
      hooks/update-status) status-set active "updated" ;;
      actions/hang) echo $$ > "$PIDFILE"; exec sleep 600 ;;
      actions/crash) kill -SEGV $$ ;;
      actions/flood) head -c 5000000 /dev/zero | tr '\\0' x; echo; action-set done=yes ;;
      actions/peers) action-set seen="$(relation-list -r "$(relation-ids r)")" ;;
      actions/which) action-set revision="$(cat "$MARKS/revision" 2>/dev/null)" ;;
    esac
    """
)


def _charm(tmp_path: pathlib.Path, pidfile: pathlib.Path) -> pathlib.Path:
    charm = tmp_path / 'faulty'
    charm.mkdir()
    (charm / 'metadata.yaml').write_text(
        'name: faulty\nprovides:\n  p: {interface: x}\nrequires:\n  r: {interface: x}\n'
    )
    (charm / 'actions.yaml').write_text('hang: {}\ncrash: {}\nflood: {}\npeers: {}\nwhich: {}\n')
    script = DISPATCH.replace('"$PIDFILE"', f'"{pidfile}"')
    (charm / 'dispatch').write_text(script.replace('"$MARKS', f'"{tmp_path}'))
    (charm / 'dispatch').chmod(0o755)
    return charm


@pytest.fixture
def box() -> Iterator[box_.Box]:
    with box_.Box.start() as running:
        yield running


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_an_action_that_hangs_runs_until_cancelled_and_the_box_goes_on(
    box: box_.Box, tmp_path: pathlib.Path
) -> None:
    pidfile = tmp_path / 'pid'
    juju(box, 'add-model', 'm')
    juju(box, 'deploy', str(_charm(tmp_path, pidfile)), '-n', '2')
    juju_until(box, 'started')
    waited = juju(box, 'run', 'faulty/0', 'hang', '--wait', '1s')
    assert (waited.returncode, waited.stderr.splitlines()[-1]) == (
        1,
        'ERROR timed out waiting for results from: unit faulty/0',
    )
    assert (
        json.loads(juju(box, 'show-task', '2', '--format', 'json').stdout)['status'] == 'running'
    )
    # The box goes on: the other unit runs its actions, status answers.
    flood = juju(box, 'run', 'faulty/1', 'flood', '--format', 'json')
    results = json.loads(flood.stdout)['faulty/1']['results']
    assert results['done'] == 'yes' and len(results['stdout']) == 5_000_001
    assert juju(box, 'cancel-task', '2').returncode == 0
    task = json.loads(juju_until(box, '"aborted"', 'show-task', '2', '--format', 'json'))
    assert task['message'] == 'terminated'
    assert not _alive(int(pidfile.read_text()))


def test_a_crashing_action_fails_with_the_signal(box: box_.Box, tmp_path: pathlib.Path) -> None:
    juju(box, 'add-model', 'm')
    juju(box, 'deploy', str(_charm(tmp_path, tmp_path / 'pid')))
    juju_until(box, 'started')
    crashed = json.loads(juju(box, 'run', 'faulty/0', 'crash', '--format', 'json').stdout)
    assert (crashed['faulty/0']['status'], crashed['faulty/0']['message']) == (
        'failed',
        'signal: segmentation fault',
    )
    assert juju(box, 'run', 'faulty/0', 'flood').returncode == 0  # and the unit goes on


def test_a_failed_hook_is_retried_in_box_time(box: box_.Box, tmp_path: pathlib.Path) -> None:
    (tmp_path / 'fail-once').touch()
    juju(box, 'add-model', 'm')
    charm = _charm(tmp_path, tmp_path / 'pid')
    juju(box, 'deploy', str(charm))
    shown = json.loads(juju_until(box, 'hook failed'))
    unit = shown['applications']['faulty']['units']['faulty/0']
    assert unit['workload-status']['message'] == 'hook failed: "install"'
    assert unit['juju-status']['current'] == 'idle'
    box.advance(6)  # past the first retry (5 s)
    juju_until(box, 'started')
    log = juju(box, 'debug-log', '--replay').stdout
    assert 'ERROR juju.worker.uniter.operation hook "install"' in log
    assert log.count('ran "install" hook') == 1


def test_update_status_runs_on_the_models_interval_in_box_time(
    box: box_.Box, tmp_path: pathlib.Path
) -> None:
    juju(box, 'add-model', 'm')
    juju(box, 'model-config', 'update-status-hook-interval=1m')
    juju(box, 'deploy', str(_charm(tmp_path, tmp_path / 'pid')))
    juju_until(box, 'started')
    box.advance(73)  # past 1.2 times the interval, the most the timer waits
    juju_until(box, 'updated')


def test_a_hanging_hook_leaves_the_box_serving_and_nothing_behind(tmp_path: pathlib.Path) -> None:
    pidfile = tmp_path / 'pid'
    (tmp_path / 'hang').touch()
    running = box_.Box.start()
    data = running.data
    try:
        juju(running, 'add-model', 'm')
        juju(running, 'deploy', str(_charm(tmp_path, pidfile)))
        shown = juju_until(running, 'running install hook')
        assert (
            json.loads(shown)['applications']['faulty']['units']['faulty/0']['juju-status'][
                'current'
            ]
            == 'executing'
        )
        assert juju(running, 'models').returncode == 0
    finally:
        running.stop()
    assert not _alive(int(pidfile.read_text()))
    assert not data.exists()


@pytest.mark.parametrize('how', [signal.SIGKILL, signal.SIGTERM])
def test_a_killed_actionspec_box_leaves_no_process_and_no_directory(
    tmp_path: pathlib.Path, how: int
) -> None:
    """`actionspec box -- COMMAND`, itself killed while COMMAND runs: its controller sees
    its owner go (or is stopped with it), ends its charms and takes its data directory."""
    pidfile = tmp_path / 'pid'
    (tmp_path / 'hang').touch()
    script = tmp_path / 'inside.sh'
    script.write_text(
        f'echo "$JUJU_DATA" > {tmp_path / "data"}\n'
        f'juju add-model m && juju deploy {_charm(tmp_path, pidfile)}\n'
        f'echo $$ > {tmp_path / "command"}\n'
        'exec sleep 600\n'
    )
    actionspec = pathlib.Path(sys.executable).parent / 'actionspec'
    outer = subprocess.Popen([str(actionspec), 'box', '--', 'sh', str(script)])
    try:
        for _ in range(400):
            if pidfile.exists() and pidfile.read_text().strip():
                break
            time.sleep(0.05)
        data = pathlib.Path((tmp_path / 'data').read_text().strip())
        assert data.exists() and _alive(int(pidfile.read_text()))
        outer.send_signal(how)
        outer.wait()
        for _ in range(400):
            if not data.exists() and not _alive(int(pidfile.read_text())):
                break
            time.sleep(0.05)
        assert not data.exists()
        assert not _alive(int(pidfile.read_text()))  # the hook that hung is gone too
    finally:
        command = tmp_path / 'command'
        if command.exists():  # COMMAND itself is the caller's to end
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(command.read_text()), signal.SIGKILL)


def test_a_controller_restarted_mid_install_finishes_starting_the_unit(
    tmp_path: pathlib.Path,
) -> None:
    pidfile = tmp_path / 'pid'
    (tmp_path / 'hang').touch()
    data = tmp_path / 'box'
    first = box_.Box.start(data)
    try:
        juju(first, 'add-model', 'm')
        juju(first, 'deploy', str(_charm(tmp_path, pidfile)))
        juju_until(first, 'running install hook')
    finally:
        first.stop()  # the install hook was running: it counts as failed
    (tmp_path / 'hang').unlink()
    second = box_.Box.start(data)
    try:
        shown = json.loads(juju_until(second, 'hook failed'))
        assert (
            shown['applications']['faulty']['units']['faulty/0']['workload-status']['message']
            == 'hook failed: "install"'
        )
        second.advance(6)  # its retry, then the rest of its start
        juju_until(second, 'started')
    finally:
        second.stop()


def test_a_restart_keeps_the_tasks_of_units_since_removed(tmp_path: pathlib.Path) -> None:
    data = tmp_path / 'box'
    first = box_.Box.start(data)
    try:
        juju(first, 'add-model', 'm')
        juju(first, 'deploy', str(_charm(tmp_path, tmp_path / 'pid')), '-n', '2')
        juju_until(first, 'started')
        assert juju(first, 'run', 'faulty/1', 'flood').returncode == 0
        juju(first, 'remove-unit', '--no-prompt', 'faulty/1')
        juju_until_gone(first, 'faulty/1')
    finally:
        first.stop()
    second = box_.Box.start(data)
    try:
        task = json.loads(juju(second, 'show-task', '2', '--format', 'json').stdout)
        assert (task['status'], task['results']['done']) == ('completed', 'yes')
    finally:
        second.stop()


def test_a_redeployed_application_runs_its_new_charm_afresh(
    box: box_.Box, tmp_path: pathlib.Path
) -> None:
    charm = _charm(tmp_path, tmp_path / 'pid')
    juju(box, 'add-model', 'm')
    (tmp_path / 'revision').write_text('old')
    juju(box, 'deploy', str(charm))
    juju_until(box, 'started')
    juju(box, 'remove-application', '--no-prompt', 'faulty')
    juju_until_gone(box, 'faulty')
    dispatch = charm / 'dispatch'
    dispatch.write_text(
        dispatch.read_text().replace('status-set active started', 'status-set active anew')
    )
    deployed = juju(box, 'deploy', str(charm))
    assert 'revision 1' in deployed.stderr
    juju_until(box, 'anew')  # the new revision's start hook, in a fresh unit directory


def test_removing_every_unit_keeps_the_relation_for_new_ones(
    box: box_.Box, tmp_path: pathlib.Path
) -> None:
    charm = _charm(tmp_path, tmp_path / 'pid')
    juju(box, 'add-model', 'm')
    juju(box, 'deploy', str(charm), 'a')
    juju(box, 'deploy', str(charm), 'b')
    juju(box, 'integrate', 'a:p', 'b:r')
    juju_until(box, '"related-application":"a"')
    juju(box, 'remove-unit', '--no-prompt', 'a/0')
    juju_until_gone(box, '"a/0"')
    juju(box, 'add-unit', 'a')
    juju_until(box, '"a/1"')
    for _ in range(200):
        seen = juju(box, 'run', 'b/0', 'peers', '--format', 'json')
        if 'a/1' in seen.stdout:
            break
        time.sleep(0.05)
    assert json.loads(seen.stdout)['b/0']['results']['seen'] == 'a/1'


def test_a_unit_whose_hooks_fail_goes_with_force(box: box_.Box, tmp_path: pathlib.Path) -> None:
    (tmp_path / 'fail-once').touch()
    juju(box, 'add-model', 'm')
    juju(box, 'model-config', 'automatically-retry-hooks=false')
    juju(box, 'deploy', str(_charm(tmp_path, tmp_path / 'pid')))
    juju_until(box, 'hook failed')
    removed = juju(box, 'remove-unit', '--no-prompt', '--force', 'faulty/0')
    assert removed.stdout == 'will remove unit faulty/0\n'
    juju_until_gone(box, '"faulty/0"')


def test_bad_names_and_times_are_refused_in_one_line(box: box_.Box) -> None:
    bad = juju(box, 'add-model', '..')
    assert (bad.returncode, bad.stderr) == (
        2,
        'ERROR ".." is not a valid name: model names may only contain lowercase letters, '
        'digits and hyphens\n',
    )
    with pytest.raises(ValueError, match='cannot move the box time on'):
        box.advance(-5)
    juju(box, 'add-model', 'first')
    juju(box, 'add-model', 'second')
    assert juju(box, 'status', '-mfirst', '--format', 'json').stdout.count('"first"') == 1
    # The action commands find the model from `-mNAME` too: the current model ("second")
    # has used id 1 already, "first" has not.
    assert 'Operation 1 ' in juju(box, 'run', 'x/0', 'go').stderr
    assert 'Operation 1 ' in juju(box, 'run', '-mfirst', 'x/0', 'go').stderr
    assert 'Operation 2 ' in juju(box, 'run', 'x/0', 'go').stderr  # not 3: -mfirst went there


def test_a_box_whose_state_cannot_be_read_says_so_in_one_line(tmp_path: pathlib.Path) -> None:
    data = tmp_path / 'box'
    data.mkdir()
    (data / 'state.json').write_text('{"models": ')
    with pytest.raises(box_.BoxError) as refused:
        box_.Box.start(data)
    said = str(refused.value)
    assert said.startswith(f'ERROR {data / "state.json"}: cannot read the box state: ')
    assert '\n' not in said
