"""The real jubilant from PyPI, unmodified, driving a box: what charm authors' integration
tests call (issue 13's suite grows here as the box learns the rest of the CLI)."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import textwrap

import pytest

pytest.importorskip('jubilant', reason='jubilant is a dev dependency: pip install jubilant')
pytestmark = pytest.mark.needs_ops  # the snapshot charm is an ops charm

CHARM = pathlib.Path(__file__).parent / 'charms' / 'snapshot'

SCRIPT = textwrap.dedent(
    """
    import sys
    import jubilant

    juju = jubilant.Juju()
    juju.add_model('it')
    juju.model = 'it'
    juju.deploy(sys.argv[1], num_units=2)
    status = juju.wait(jubilant.all_active, timeout=60)
    assert status.apps['snapshot'].units['snapshot/0'].workload_status.message == 'ready'
    assert status.apps['snapshot'].units['snapshot/0'].leader
    task = juju.run('snapshot/0', 'snapshot-database', {'outfile': '/tmp/x'})
    assert task.success and task.results['snapshot']['path'] == '/tmp/x', task
    try:
        juju.run('snapshot/1', 'snapshot-database', {'outfile': '/tmp/x'})
    except jubilant.TaskError as e:
        assert (e.task.status, e.task.message) == ('failed', 'disk full'), e.task
    else:
        raise AssertionError('fail() did not raise TaskError')
    try:
        juju.run('snapshot/0', 'nope')
    except ValueError as e:
        assert 'action "nope" not defined on unit "snapshot/0"' in str(e), e
    else:
        raise AssertionError('an unknown action did not raise')
    print('all good')
    """
)


def _in_a_box(script: str, *charms: pathlib.Path) -> None:
    """Run a jubilant script as a charm author would, inside `actionspec box`; it prints
    `all good` when its checks hold."""
    actionspec = pathlib.Path(sys.executable).parent / 'actionspec'
    shown = subprocess.run(
        [str(actionspec), 'box', '--', sys.executable, '-c', script, *map(str, charms)],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == 'all good'


def test_jubilant_deploys_waits_and_runs_actions_in_the_box() -> None:
    _in_a_box(SCRIPT, CHARM)


DEMO = pathlib.Path(__file__).parent / 'charms' / 'box-demo'

DEMO_SCRIPT = textwrap.dedent(
    """
    import sys, time
    import jubilant

    with jubilant.temp_model() as juju:
        juju.deploy(sys.argv[1])
        juju.wait(jubilant.all_active, timeout=60)
        assert juju.run('demo/0', 'echo', {'text': 'hi'}).results == {'text': 'hi'}
        assert juju.config('demo') == {'greeting': 'hello', 'loud': False}
        assert juju.config('demo', app_config=True) == {'trust': False}
        juju.config('demo', {'greeting': 'hey', 'loud': True})
        assert juju.run('demo/0', 'greet').results == {'said': 'HEY'}
        assert juju.exec('config-get', 'greeting', unit='demo/0').stdout == 'hey\\n'
        try:
            juju.exec('exit 3', unit='demo/0')
        except jubilant.TaskError as e:
            assert e.task.return_code == 3, e.task
        else:
            raise AssertionError('a failing command did not raise TaskError')
        juju.config('demo', reset=['greeting'])
        assert juju.config('demo')['greeting'] == 'hello'
        assert juju.run('demo/0', 'greet').results == {'said': 'HELLO'}
        try:
            juju.run('demo/0', 'raise')
        except jubilant.TaskError as e:
            assert e.task.status == 'failed' and e.task.return_code == 1, e.task
            assert 'RuntimeError' in e.task.stderr, e.task
        else:
            raise AssertionError('an exception did not raise TaskError')
        started = time.monotonic()
        try:
            juju.run('demo/0', 'slow', {'seconds': 3}, wait=0.5)
        except TimeoutError as e:
            assert 'timed out waiting for results from: unit demo/0' in str(e), e
        else:
            raise AssertionError('the wait did not run out')
        assert time.monotonic() - started < 2.5  # it gave up at its wait, not at the end
        try:
            juju.run('demo/7', 'echo', {'text': 'x'})
        except ValueError as e:
            assert '"unit-demo-7" not found' in str(e), e
        else:
            raise AssertionError('an unknown unit did not raise')
    print('all good')
    """
)


def test_jubilant_sees_exceptions_wait_expiry_config_and_unknown_units() -> None:
    _in_a_box(DEMO_SCRIPT, DEMO)


LISTENER = pathlib.Path(__file__).parent / 'charms' / 'listener'

RELATION_SCRIPT = textwrap.dedent(
    """
    import sys
    import jubilant

    demo, listener = sys.argv[1], sys.argv[2]
    with jubilant.temp_model() as juju:
        juju.deploy(demo, num_units=2)
        juju.deploy(listener)
        juju.wait(lambda s: jubilant.all_active(s, 'demo'), timeout=60)
        status = juju.wait(lambda s: jubilant.all_waiting(s, 'listener'), timeout=60)
        assert status.apps['listener'].app_status.message == 'waiting for a greeting'
        juju.integrate('demo', 'listener')
        status = juju.wait(jubilant.all_active, timeout=60)
        assert status.apps['listener'].units['listener/0'].workload_status.message == 'heard hello'
        assert status.apps['demo'].relations['greeting'][0].related_app == 'listener'
        info = juju.show_unit('listener/0')
        (relation,) = [r for r in info.relation_info if r.endpoint == 'greeting']
        assert relation.app_data == {'greeting': 'hello'}, relation
        assert sorted(relation.related_units) == ['demo/0', 'demo/1'], relation
        juju.config('demo', {'greeting': 'hey'})
        juju.wait(lambda s: s.apps['listener'].app_status.message == 'heard hey', timeout=60)
        assert juju.run('listener/0', 'heard').results == {'greeting': 'hey'}
        juju.add_unit('demo')
        three = lambda s: len(s.apps['demo'].units) == 3 and jubilant.all_active(s)
        status = juju.wait(three, timeout=60)
        info = juju.show_unit('listener/0')
        (relation,) = [r for r in info.relation_info if r.endpoint == 'greeting']
        assert sorted(relation.related_units) == ['demo/0', 'demo/1', 'demo/2'], relation
        juju.remove_unit('demo/0')
        gone = lambda s: 'demo/0' not in s.apps['demo'].units and jubilant.all_active(s)
        status = juju.wait(gone, timeout=60)
        assert status.apps['demo'].units['demo/1'].leader  # the next unit leads
        juju.remove_relation('demo', 'listener')
        status = juju.wait(lambda s: jubilant.all_waiting(s, 'listener'), timeout=60)
        assert 'greeting' not in status.apps['demo'].relations
        assert juju.model_config()['update-status-hook-interval'] == '5m'
        juju.model_config({'update-status-hook-interval': '1m'})
        assert juju.model_config()['update-status-hook-interval'] == '1m'
        log = juju.debug_log(limit=1000)
        assert 'ran "greeting-relation-departed" hook' in log, log
        assert juju.cli('status').startswith('Model ')
    print('all good')
    """
)


def test_jubilant_integrates_scales_and_reads_the_log_in_the_box() -> None:
    _in_a_box(RELATION_SCRIPT, DEMO, LISTENER)


def test_a_pytest_session_runs_inside_a_box_with_the_option(tmp_path: pathlib.Path) -> None:
    """`pytest --actionspec-box`: every test of the session sees the box's `juju`, and the
    box is gone afterwards."""
    (tmp_path / 'test_integration.py').write_text(
        textwrap.dedent(
            f"""
            import os, pathlib, shutil
            import jubilant

            def test_in_the_box():
                juju_data = pathlib.Path(os.environ['JUJU_DATA'])
                assert shutil.which('juju') == str(juju_data / 'bin' / 'juju')
                pathlib.Path({str(tmp_path / 'seen')!r}).write_text(str(juju_data))
                with jubilant.temp_model() as juju:
                    juju.deploy({str(DEMO)!r})
                    juju.wait(jubilant.all_active, timeout=60)
                    assert juju.run('demo/0', 'echo', {{'text': 'hi'}}).results == {{'text': 'hi'}}
            """
        )
    )
    shown = subprocess.run(
        [sys.executable, '-m', 'pytest', '-q', '--actionspec-box', '-p', 'no:cacheprovider'],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert '1 passed' in shown.stdout
    box_data = pathlib.Path((tmp_path / 'seen').read_text())
    assert not box_data.exists()  # the box went with the session
