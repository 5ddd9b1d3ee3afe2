"""The juju target: the suite through a `juju` CLI, here the box's.

The whole suite runs through the box as CI runs it (`actionspec box -- actionspec run
--target juju`): it passes, and every scenario it skips says why. The rest checks what
the target promises: models cleaned up when a run is interrupted, a packed charm that
imports on a bare Python, and clear refusals of bad arguments.
"""

from __future__ import annotations

import ast
import json
import os
import pathlib
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator

import pytest

from actionspec import box as box_
from actionspec.suite import scenario
from actionspec.targets import juju_cli

pytestmark = pytest.mark.needs_ops  # the scripted charm is an ops charm

ACTIONSPEC = str(pathlib.Path(sys.executable).parent / 'actionspec')


@pytest.fixture
def box() -> Iterator[box_.Box]:
    with box_.Box.start() as running:
        yield running


def _models(running: box_.Box) -> list[str]:
    shown = subprocess.run(
        ['juju', 'models', '--format', 'json'],
        env=running.env(),
        capture_output=True,
        text=True,
        check=True,
    )
    return [m['short-name'] for m in json.loads(shown.stdout)['models']]


def test_the_suite_passes_through_the_box(
    tmp_path: pathlib.Path, cases: list[scenario.Scenario]
) -> None:
    report = tmp_path / 'juju.json'
    done = subprocess.run(
        [ACTIONSPEC, 'box', '--', ACTIONSPEC, 'run', '--target', 'juju', '--report', str(report)],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    results = json.loads(report.read_text(encoding='utf-8'))['results']
    outcomes = {r['id']: r['outcome'] for r in results}
    assert outcomes.keys() == {c.id for c in cases}
    assert set(outcomes.values()) == {'passed', 'skipped'}
    # Most of the suite is observed through the CLI, not skipped...
    assert sum(o == 'passed' for o in outcomes.values()) >= 110
    # ...and what is skipped says why: another Juju version, or what a CLI cannot do.
    for result in results:
        if result['outcome'] == 'skipped':
            assert (
                'cannot be run through a `juju` CLI' in result['reason']
                or 'Juju' in result['reason']
            ), result
    # The scenarios that seed deferred events and read the store back ran.
    assert outcomes['deferral/order-kept-when-the-first-stays'] == 'passed'
    assert outcomes['relation-changes/leader-app-data'] == 'passed'


def test_an_interrupted_run_removes_its_models(box: box_.Box) -> None:
    run = subprocess.Popen(
        [ACTIONSPEC, 'run', '--target', 'juju', '--juju-model', 'stopped', '-j', '2'],
        env=box.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(600):
            if any(name.startswith('stopped-') for name in _models(box)):
                break
            time.sleep(0.05)
        else:
            pytest.fail('the run added no model')
        run.send_signal(signal.SIGINT)
        _, stderr = run.communicate(timeout=120)
    finally:
        run.kill()
    assert run.returncode == 128 + signal.SIGINT, stderr
    assert [m for m in _models(box) if m.startswith('stopped-')] == []


def test_a_worker_killed_mid_scenario_leaves_no_model(box: box_.Box) -> None:
    """A scenario's own clean-up cannot run when its process is killed outright; the run
    destroys what it left when it ends."""
    target = juju_cli.JujuTarget(box.env(), 'killed')
    name = target._new_model()
    another_runs = 'killed-b-1-1'  # a run whose prefix is `killed-b`
    for model in (name, another_runs):
        juju_cli.Juju(box.env())('add-model', model, '--no-switch')
    assert target.clean_up() == [name]
    assert _models(box) == [another_runs]


def test_the_packed_charm_imports_on_a_python_with_nothing_installed(
    tmp_path: pathlib.Path, cases: list[scenario.Scenario]
) -> None:
    """Its `venv/` holds all the charm needs: a unit's own `python3` runs it with nothing
    of this environment (no jsonschema, whose parts are compiled for this Python)."""
    case = next(c for c in cases if c.id == 'deferral/reemitted-before-action')
    target = juju_cli.JujuTarget.__new__(juju_cli.JujuTarget)
    target._kit = None
    charm = target._charm(tmp_path, case, case.apps[0])
    unpacked = tmp_path / 'unpacked'
    with zipfile.ZipFile(charm) as archive:
        archive.extractall(unpacked)
    probe = (
        'import sys; sys.path[:0] = ["lib", "venv"]\n'
        'from actionspec.suite import ops_entry\n'
        'print(sorted({m.split(".")[0] for m in sys.modules} - set(sys.stdlib_module_names)))'
    )
    done = subprocess.run(
        [sys.executable, '-I', '-S', '-c', probe],
        cwd=unpacked,
        capture_output=True,
        text=True,
        check=False,
        env={'PATH': os.environ['PATH']},
    )
    assert done.returncode == 0, done.stderr
    imported = set(ast.literal_eval(done.stdout))
    assert 'jsonschema' not in imported
    assert {'ops', 'yaml', 'actionspec'} <= imported


def test_relations_get_a_provider_and_one_interface(cases: list[scenario.Scenario]) -> None:
    case = next(c for c in cases if c.id == 'relation-changes/leader-app-data')
    db, web = (juju_cli._meta(case, app) for app in case.apps)
    assert (db.provides, db.requires) == (('database',), ())
    assert (web.provides, web.requires) == ((), ('db',))
    assert db.interface('database') == web.interface('db') == 'database'


@pytest.mark.parametrize(
    ('scenario_id', 'reason'),
    [
        ('lifecycle/abort-running', 'it holds a charm mid-dispatch'),
        ('fan-out/leader', 'Juju elects the leader itself: a CLI cannot make unit 1 leader'),
        ('fan-out/no-leader', 'a CLI cannot leave an application without one'),
    ],
)
def test_what_a_cli_cannot_do_is_skipped_with_the_reason(
    cases: list[scenario.Scenario], scenario_id: str, reason: str
) -> None:
    case = next(c for c in cases if c.id == scenario_id)
    assert reason in (juju_cli._cannot_observe(case) or '')


def test_a_log_line_is_its_message() -> None:
    assert juju_cli._log_message('2026-12-05 23:04:24 +0000 UTC snapshotting') == 'snapshotting'
    assert juju_cli._log_message('2026-12-05 23:04:24.5 +0000 UTC ') == ''


@pytest.mark.parametrize(
    ('argv', 'said'),
    [
        (['--target', 'juju', '--juju-model', 'Bad_Name'], '--juju-model Bad_Name: model names'),
        (['--juju-model', 'fine'], '--juju-model: only the juju target adds models'),
    ],
)
def test_bad_arguments_are_refused_in_one_line(box: box_.Box, argv: list[str], said: str) -> None:
    done = subprocess.run(
        [ACTIONSPEC, 'run', *argv],
        env=box.env(),
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert said in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_without_a_juju_the_target_says_how_to_get_one(tmp_path: pathlib.Path) -> None:
    env = {**os.environ, 'PATH': str(pathlib.Path(sys.executable).parent)}
    done = subprocess.run(
        [ACTIONSPEC, 'run', '--target', 'juju'],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert 'no `juju` on PATH: run it inside `actionspec box -- ...`' in done.stderr


def test_a_report_is_shown_beside_the_matrix(tmp_path: pathlib.Path) -> None:
    """`matrix --with`: a run made elsewhere (here the reference's own, standing in for a
    controller's) becomes a column, named after its file where its target's name is taken."""
    report = tmp_path / 'lxd-3.6.json'
    select = ['--select', 'results/*']
    ran = subprocess.run(
        [ACTIONSPEC, 'run', '--report', str(report), *select], capture_output=True, check=False
    )
    assert ran.returncode == 0
    out = tmp_path / 'matrix.json'
    shown = subprocess.run(
        [ACTIONSPEC, 'matrix', '--json', str(out), '--with', str(report), *select],
        capture_output=True,
        text=True,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    data = json.loads(out.read_text(encoding='utf-8'))
    assert 'reference (lxd-3.6)' in data['targets']
    column = data['totals']['reference (lxd-3.6)']
    assert column['passed'] == data['totals']['reference']['passed'] > 0
    bad = subprocess.run(
        [ACTIONSPEC, 'matrix', '--with', str(tmp_path / 'matrix.json'), *select],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith('actionspec: error: --with ')
    assert 'not a report written by `actionspec run --report FILE.json`' in bad.stderr
