"""Releases as targets (`ops@2.23`, `ops-harness@2.23`, `ops-scenario@7`), each in a virtual
environment the kit builds from PyPI, and the release history made from them.

The environments live where the kit keeps them ($ACTIONSPEC_ENVS, else the user's cache),
so a machine builds each once: the first session pays a few seconds per environment, the
ones after reuse them. The tests use three: ops 2.23, ops 3.9 and Scenario 7.
"""

from __future__ import annotations

import json
import pathlib
import subprocess
import sys

import pytest

from actionspec import cli, session, targets
from actionspec.launch import venvs
from actionspec.reports import history
from actionspec.suite import codec, runner, target
from actionspec.targets import releases

ROOT = pathlib.Path(__file__).resolve().parent.parent
HISTORY = ROOT / 'docs' / 'assets' / 'release-history.json'
NOTES = ROOT / 'docs' / 'assets' / 'release-changes.yaml'

pytestmark = pytest.mark.needs_ops  # the installed releases are the other side of each check


@pytest.fixture(scope='module')
def suite() -> session.Session:
    return session.Session.load()


def _case(suite: session.Session, case_id: str):
    return next(c for c in suite.cases if c.id == case_id)


def _outcome(suite: session.Session, name: str, case_id: str) -> runner.Result:
    chosen = targets.make(name)
    return runner.run_one(
        _case(suite, case_id), chosen, '3.6', suite.expected_failures(name).get(case_id)
    )


def test_ops_2_23_fails_where_its_update_met_jujus_permission_error(suite):
    """ops 2.20 to 3.8 read a bag before checking leadership in update() (#1586, fixed in
    #2738): a unit that is not leader writing app data meets a ModelError from
    relation-get, not ops' leadership error. The installed ops (3.9) refuses it as Juju's
    rules say."""
    old = targets.make('ops@2.23')
    assert isinstance(old, releases.ReleaseTarget)
    assert old.version.startswith('2.23.')
    case = _case(suite, 'relation-changes/app-data-needs-leadership')
    assert old.observe(case, '3.6').refusals == {'db/1': ['model-error']}
    assert targets.make('ops').observe(case, '3.6').refusals == {'db/1': ['not-leader']}
    assert _outcome(suite, 'ops@2.23', case.id).outcome is runner.Outcome.FAILED
    # What did not change passes in both.
    assert _outcome(suite, 'ops@2.23', 'results/deep-merge-across-calls').outcome is (
        runner.Outcome.PASSED
    )


def test_scenario_7_dispatches_an_action_as_a_hook(suite):
    """Scenario 8.8 (#2570) dispatches `actions/<name>`; Scenario 7 said `hooks/<name>_action`."""
    case = _case(suite, 'environment/dispatch-path-and-name')
    old = targets.make('ops-scenario@7')
    assert isinstance(old, releases.ReleaseTarget)
    assert old.version.startswith('7.') and old.companions['ops'].startswith('2.')
    assert old.observe(case, '3.6').recorded['db/0'][0] == 'hooks/do_action'
    assert targets.make('ops-scenario').observe(case, '3.6').recorded['db/0'][0] == 'actions/do'


def test_a_harness_release_shares_its_ops_environment_and_the_ops_harness_list(suite):
    harness = targets.make('ops-harness@2.23')
    runtime = targets.make('ops@2.23')
    assert isinstance(harness, releases.ReleaseTarget)
    assert isinstance(runtime, releases.ReleaseTarget)
    assert harness.env.path == runtime.env.path
    # Judged by ops-harness's expected failures: its known divergence is known here too.
    known = _outcome(suite, 'ops-harness@2.23', 'deferral/reemitted-before-action')
    assert known.outcome is runner.Outcome.XFAILED
    assert 'does not re-emit deferred events' in known.reason


def test_an_environment_is_built_once_and_then_reused():
    first = releases.make('ops@2.23')
    manifest = first.env.path / venvs.MANIFEST
    stamp = manifest.stat().st_mtime_ns
    again = releases.make('ops@2.23')
    assert again.env.built is False
    assert manifest.stat().st_mtime_ns == stamp
    recorded = json.loads(manifest.read_text())
    assert recorded['requirements'] == ['ops==2.23.*']
    assert recorded['installed']['ops'] == again.version
    # The kit's own dependencies, pinned to the versions installed here.
    assert any(r.startswith('jsonschema==') for r in recorded['kit'])


def test_a_worker_that_dies_is_an_error_and_the_next_scenario_gets_a_new_one(suite):
    chosen = releases.make('ops-harness@2.23')
    case = _case(suite, 'logs/in-order')
    chosen.observe(case, '3.6')
    worker = releases._workers[chosen.env.path]
    worker.proc.kill()
    with pytest.raises(releases.ReleaseWorkerError, match=r'ended \(exit status -9\)'):
        worker.observe('ops-harness', case, '3.6')
    assert chosen.observe(case, '3.6').tasks['db/0'].logs == ['one', 'two', 'three']
    assert releases._workers[chosen.env.path] is not worker


@pytest.mark.parametrize(
    ('name', 'says'),
    [
        ('ops@2.99', 'PyPI has no release of ops matching 2.99'),
        ('ops@two', "'two' is not a release"),
        ('ops-harness@2.8', 'Harness.run_action arrived in ops 2.9.0'),
        ('ops-scenario@5', "the kit speaks Scenario's API from 6.0 on"),
    ],
)
def test_a_bad_release_is_one_line_naming_it_with_status_2(name, says):
    done = subprocess.run(
        [sys.executable, '-m', 'actionspec.cli', 'run', '--target', name],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.count('\n') == 1, done.stderr
    assert f"target '{name}'" in done.stderr and says in done.stderr
    assert 'Traceback' not in done.stderr
    assert not (venvs.cache_root() / name).exists()  # nothing half-built is left


def test_history_names_only_release_targets(capsys):
    assert cli.main(['matrix', '--history', '--releases', 'ops@2.23,reference']) == 2
    assert "--releases: 'reference' is not a release target" in capsys.readouterr().err
    assert cli.main(['matrix', '--releases', 'ops@2.23']) == 2


def test_a_history_shows_from_which_release_a_scenario_passes(tmp_path):
    out = tmp_path / 'history.json'
    code = cli.main(
        [
            'matrix',
            '--history',
            '--releases',
            'ops@3.9,ops@2.23',
            '--releases',
            'ops-scenario@7',
            '--select',
            'relation-changes/app-data-needs-leadership',
            '--select',
            'environment/dispatch-path-and-name',
            '--json',
            str(out),
        ]
    )
    assert code == 0
    data = json.loads(out.read_text())
    ops = data['implementations'][0]
    assert [r['target'] for r in ops['releases']] == ['ops@2.23', 'ops@3.9']  # oldest first
    assert [(c.target, c.scenario, c.before, c.after) for c in history.changes(data)] == [
        ('ops@3.9', 'relation-changes/app-data-needs-leadership', 'failed', 'passed')
    ]
    page = history.markdown(data)
    assert f'passes from [{ops["releases"][1]["version"]}](#ops-3-9-0)' in page
    # The note on that change applies; the others name releases this history did not run.
    notes = history.load_notes(NOTES.read_text(), str(NOTES))
    fitting = [n for n in notes if n.release == 'ops@3.9']
    assert history.check_notes(data, fitting) == []
    assert '(https://github.com/canonical/operator/pull/2738)' in history.markdown(data, fitting)
    assert history.check_notes(data, notes)  # ops@2.5 and the rest are not in it


def test_the_committed_history_is_the_default_run_and_every_change_has_its_note():
    data = json.loads(HISTORY.read_text())
    ran = [r['target'] for i in data['implementations'] for r in i['releases']]
    assert sorted(ran) == sorted(releases.DEFAULT_HISTORY)
    assert len(ran) >= 8
    notes = history.load_notes(NOTES.read_text(), str(NOTES))
    assert history.check_notes(data, notes) == []
    explained = {(n.release, s) for n in notes for s in n.scenarios}
    assert {(c.target, c.scenario) for c in history.changes(data)} == explained


def test_a_note_that_explains_no_change_is_refused():
    data = json.loads(HISTORY.read_text())
    wrong = history.Note(
        'ops', 'ops@2.5', ('params/id-is-the-task-number',), 'x', 'y', 'https://example.com'
    )
    assert history.check_notes(data, [wrong]) == [
        'ops@2.5: params/id-is-the-task-number did not change outcome there'
    ]
    elsewhere = history.Note('ops-harness', 'ops@2.5', (), 'x', 'y', 'https://example.com')
    assert history.check_notes(data, [elsewhere]) == [
        'ops@2.5: not a release of ops-harness in the history'
    ]


def test_every_scenario_and_its_observation_cross_the_pipe_unchanged(cases):
    for case in cases:
        back = codec.loads(codec.dumps(case))
        assert back == case and back.lines == case.lines
    seen = target.Observation(
        tasks={'db/0': target.TaskObservation('failed', 'boom', {'a': {'b': '1'}}, ['x'])},
        runs=[target.Observation(juju_run=target.CommandOutput('out', 'err', 1))],
        commands=[target.CommandOutput('', '', 0)],
        recorded={'db/0': [{'n': 1, 'list': [1, 2]}, None, ('a', 'b')]},
    )
    assert codec.loads(codec.dumps(seen)) == seen
    with pytest.raises(codec.CodecError, match='not one of the kit types'):
        codec.loads('{"$type": "subprocess:Popen", "fields": {}}')
