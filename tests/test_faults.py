"""Implementations that misbehave: the run goes on, each fault becomes an outcome with its
reason, and nothing is left behind (processes, directories)."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

import jsonschema
import pytest

import actionspec
from actionspec.launch import charmdir, processes
from actionspec.suite import loader, runner
from actionspec.suite.scenario import Side

ACTIONS = 'go: {}\n'


def _charm(tmp_path: pathlib.Path, body: str) -> pathlib.Path:
    """A charm directory whose dispatch is a shell script."""
    charm = tmp_path / 'charm'
    charm.mkdir()
    (charm / 'metadata.yaml').write_text('name: odd\n')
    (charm / 'actions.yaml').write_text(ACTIONS)
    dispatch = charm / 'dispatch'
    dispatch.write_text('#!/bin/sh\n' + textwrap.dedent(body))
    dispatch.chmod(0o755)
    return charm


def _run(charm: pathlib.Path) -> actionspec.Task:
    model = actionspec.Model(clock=actionspec.TickingClock())
    charmdir.deploy_charm_dir(model, charm)
    return model.run('odd/0', action='go').tasks[0]


def _descendants() -> set[int]:
    """Live processes whose parent chain reaches this test process."""
    parents: dict[int, int] = {}
    for entry in pathlib.Path('/proc').iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / 'stat').read_text()
            except OSError:
                continue
            fields = stat.rsplit(')', 1)[1].split()
            if fields[0] != 'Z':
                parents[int(entry.name)] = int(fields[1])
    found = set()
    for pid in parents:
        seen, cursor = 0, pid
        while cursor in parents and seen < 64:
            cursor, seen = parents[cursor], seen + 1
            if cursor == os.getpid():
                found.add(pid)
                break
    return found


def test_a_hanging_dispatch_is_killed_at_the_time_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(processes, 'DISPATCH_TIMEOUT', 1.0)
    before = _descendants()
    charm = _charm(tmp_path, 'echo started\nsleep 60 &\nwait\n')
    start = time.monotonic()
    task = _run(charm)
    assert time.monotonic() - start < 10
    assert task.status == 'failed' and task.message == 'terminated'
    assert task.results['stdout'] == 'started\n'
    time.sleep(0.2)
    assert _descendants() <= before  # the sleep in the background went with its group


@pytest.mark.parametrize(
    ('body', 'message', 'return_code'),
    [
        ('kill -SEGV $$\n', 'signal: segmentation fault', -1),
        ('kill -ABRT $$\n', 'signal: aborted', -1),
        ('exit 255\n', 'exit status 255', 255),
        ('exit 3\n', 'exit status 3', 3),
    ],
)
def test_signals_and_odd_exit_codes_fail_the_task_with_juju_words(
    tmp_path, body, message, return_code
):
    task = _run(_charm(tmp_path, body))
    assert (task.status, task.message, task.return_code) == ('failed', message, return_code)


def test_a_flood_of_output_is_captured_whole(tmp_path):
    size = 20_000_000
    task = _run(_charm(tmp_path, f'head -c {size} /dev/zero | tr "\\0" x\necho done >&2\n'))
    assert task.status == 'completed'
    assert len(task.results['stdout']) == size + 1  # the one line gains its newline (J6)
    assert task.results['stderr'] == 'done\n'


def test_a_hook_tool_called_wrongly_answers_as_juju_and_the_charm_decides(tmp_path):
    body = """\
        action-set 'Bad_Key=1'
        echo "action-set exit $?"
        action-get --format=nonsense
        echo "action-get exit $?"
        action-set good=1
        """
    task = _run(_charm(tmp_path, body))
    assert task.status == 'completed'
    assert task.results['good'] == '1'
    assert task.results['stdout'] == 'action-set exit 2\naction-get exit 2\n'
    assert 'must start and end with lowercase alphanumeric' in task.results['stderr']


class _RaisingTarget:
    """An adapter with a bug: it raises on one scenario."""

    name = 'raising'
    sides = frozenset({Side.CONTROLLER, Side.CHARM})
    juju_versions = frozenset({'2.9', '3.6', '4.0'})

    def __init__(self) -> None:
        from actionspec.targets import reference

        self._reference = reference.ReferenceTarget()

    def observe(self, case, juju_version):
        if case.id == 'fan-out/leader':
            raise ZeroDivisionError('adapter bug')
        return self._reference.observe(case, juju_version)


def test_an_adapter_that_raises_errors_one_scenario_and_the_rest_run():
    cases, _ = loader.load([loader.bundled_suite()])
    chosen = [c for c in cases if c.id.startswith('fan-out/')]
    results = runner.run(chosen, [_RaisingTarget()], '3.6', {})
    errored = [r for r in results if r.outcome is runner.Outcome.ERRORED]
    assert [r.id for r in errored] == ['fan-out/leader']
    assert errored[0].reason == 'ZeroDivisionError: adapter bug'
    assert 'Traceback' in errored[0].detail
    assert all(r.outcome is runner.Outcome.PASSED for r in results if r not in errored)


def _suite_run(report: pathlib.Path) -> subprocess.Popen[str]:
    """The whole suite on the ops target, in a process of its own, reporting to `report`."""
    command = ['-m', 'actionspec.cli', 'run', '--target', 'ops', '--report', str(report)]
    return subprocess.Popen(
        [sys.executable, *command], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _valid_incomplete_report(report: pathlib.Path) -> dict:
    data: dict = json.loads(report.read_text())
    schema = json.loads((loader.bundled_suite() / 'report.schema.json').read_text())
    jsonschema.validate(data, schema)
    assert data['complete'] is False
    return data


@pytest.mark.needs_ops
def test_sigterm_mid_run_writes_an_incomplete_report_and_exits_143(tmp_path):
    report = tmp_path / 'report.json'
    run = _suite_run(report)
    # The first checkpoint says the run is under way (its signal handlers set), and the
    # ops target takes seconds for the whole suite: partway through it.
    deadline = time.monotonic() + 30
    while not report.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    run.send_signal(signal.SIGTERM)
    _, err = run.communicate(timeout=60)
    assert run.returncode == 128 + signal.SIGTERM, err
    assert 'interrupted by SIGTERM' in err
    data = _valid_incomplete_report(report)
    assert 0 < len(data['results']) < 124
    assert not list(tmp_path.glob('.report.json.*'))  # no half-written file beside it


@pytest.mark.needs_ops
def test_a_killed_owner_leaves_no_zygote_and_no_directory():
    code = (
        'import os\n'
        'from actionspec.targets import ops_runtime\n'
        'z = ops_runtime.shared_zygote()\n'
        'print(os.path.dirname(z.address), z.proc.pid, flush=True)\n'
        'os.kill(os.getpid(), 9)\n'
    )
    run = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=False)
    assert run.returncode == -signal.SIGKILL
    workdir, pid = run.stdout.split()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (
        pathlib.Path(workdir).exists() or pathlib.Path(f'/proc/{pid}').exists()
    ):
        time.sleep(0.1)
    assert not pathlib.Path(workdir).exists()
    assert not pathlib.Path(workdir).parent.exists()  # the owner's whole scratch root
    assert not pathlib.Path(f'/proc/{pid}').exists()


@pytest.mark.needs_ops
def test_sigkill_mid_run_still_leaves_a_valid_report_of_what_finished(tmp_path):
    report = tmp_path / 'report.json'
    run = _suite_run(report)
    deadline = time.monotonic() + 30
    while not report.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    run.kill()
    run.communicate(timeout=30)
    assert run.returncode == -signal.SIGKILL
    assert _valid_incomplete_report(report)['results']
    # What it had in scratch space goes with it: its orphaned zygote removes it.
    deadline = time.monotonic() + 10
    while _scratch_roots_of(run.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _scratch_roots_of(run.pid)


def _scratch_roots_of(pid: int) -> list[pathlib.Path]:
    bases = {pathlib.Path('/dev/shm'), pathlib.Path(tempfile.gettempdir())}
    return [p for base in bases if base.is_dir() for p in base.glob(f'actionspec-{pid}-*')]


def test_a_run_removes_what_killed_runs_left_in_scratch_space(tmp_path):
    from actionspec.launch import scratch

    gone = subprocess.Popen(['true'])  # a pid whose process has exited
    gone.wait()
    base = scratch.process_root().parent
    left = base / f'actionspec-{gone.pid}-left'
    (left / 'actionspec-units-x').mkdir(parents=True)
    ours = scratch.process_root()
    code = 'from actionspec.launch import scratch; print(scratch.process_root())'
    fresh = subprocess.run(
        [sys.executable, '-c', code], check=False, capture_output=True, text=True
    )
    assert fresh.returncode == 0, fresh.stderr
    assert not left.exists()  # its process is gone
    assert ours.exists()  # ours lives
    assert not pathlib.Path(fresh.stdout.strip()).exists()  # removed at exit


@pytest.mark.parametrize(
    ('script', 'code', 'sig', 'out'),
    [
        ('import sys; print("out"); sys.exit(3)', 3, None, b'out\n'),  # reports, then exits
        ('raise ValueError("boom")', 1, None, b''),
        ('import os; os._exit(5)', 5, None, b''),  # leaves without reporting: waited for
        ('import os; os.closerange(3, 4096); print("out")', 0, None, b'out\n'),  # no channel
        ('import os; print("out", flush=True); os.kill(os.getpid(), 9)', -1, 9, b'out\n'),
    ],
)
def test_the_zygote_reports_each_way_a_dispatch_ends(tmp_path, script, code, sig, out):
    from actionspec.launch import scratch, zygote

    path = tmp_path / 'charm.py'
    path.write_text(script + '\n')
    z = zygote.Zygote(str(scratch.scratch_dir('actionspec-test-')))
    try:
        for _ in range(2):  # and the next dispatch is served as well
            ended = z.run(str(path), 'dispatch', {}, str(tmp_path), 30.0)
            assert (ended.exit_code, ended.signal, ended.stdout) == (code, sig, out), ended.stderr
    finally:
        z.close()
        os.rmdir(os.path.dirname(z.address))


def test_a_zygote_dispatch_has_exactly_its_own_environment(tmp_path, monkeypatch):
    from actionspec.launch import scratch, zygote

    monkeypatch.setenv('JUJU_RELATION', 'leaked-from-the-owner')  # the zygote inherits it
    path = tmp_path / 'charm.py'
    path.write_text('import json, os; print(json.dumps(dict(os.environ)))\n')
    z = zygote.Zygote(str(scratch.scratch_dir('actionspec-test-')))
    try:
        env = {'JUJU_UNIT_NAME': 'db/0', 'PATH': '/usr/bin:/bin'}
        ended = z.run(str(path), 'dispatch', env, str(tmp_path), 30.0)
        assert json.loads(ended.stdout) == env, ended.stderr
    finally:
        z.close()
        os.rmdir(os.path.dirname(z.address))


def test_a_zygote_whose_spare_was_killed_serves_the_next_dispatch(tmp_path):
    from actionspec.launch import scratch, zygote

    path = tmp_path / 'charm.py'
    path.write_text('print("out")\n')
    z = zygote.Zygote(str(scratch.scratch_dir('actionspec-test-')))
    try:
        children = pathlib.Path(f'/proc/{z.proc.pid}/task/{z.proc.pid}/children')
        for _ in range(50):  # the spare is forked as the zygote starts
            spares = [int(pid) for pid in children.read_text().split()]
            if spares:
                break
            time.sleep(0.1)
        os.kill(spares[0], signal.SIGKILL)
        time.sleep(0.2)
        with pytest.raises(RuntimeError, match='could not start the dispatch process'):
            z.run(str(path), 'dispatch', {}, str(tmp_path), 30.0)
        assert z.run(str(path), 'dispatch', {}, str(tmp_path), 30.0)[:2] == (0, b'out\n')
    finally:
        z.close()
        os.rmdir(os.path.dirname(z.address))
