"""The ops.testing targets: each divergence docs/errata.md lists under "The testing
frameworks" shows as a failure of the scenario that checks its rule (rule ids as in
conformance/rules.yaml), and the expected-failure lists hold exactly the failures."""

from __future__ import annotations

import json
import pathlib

import pytest

from actionspec import cli, targets
from actionspec.suite import runner, scenario, xfail


def _outcomes(
    name: str, cases: list[scenario.Scenario], version: str = '3.6'
) -> dict[str, runner.Result]:
    return {r.id: r for r in runner.run(cases, [targets.make(name)], version, {})}


# docs/errata.md, divergence by divergence: (target, scenario that checks the rule).
DIVERGENCES = [
    ('ops-harness', 'deferral/reemitted-before-action'),  # C2: no re-emission
    ('ops-harness', 'emission-order/collect-app-status-on-leader'),  # C3: no collect-status
    ('ops-scenario', 'results/deep-merge-across-calls'),  # J2: shallow merge
    ('ops-harness', 'results/deep-merge-across-calls'),
    ('ops-scenario', 'stdout-reservation/reserved-stdout'),  # J1: stdout accepted
    ('ops-harness', 'stdout-reservation/nested-segment-refused'),  # J1: only some spellings
    ('ops-scenario', 'params/defaults-inserted'),  # J7: no defaults
    ('ops-scenario', 'params/required-missing'),  # J7: required not checked
    ('ops-scenario', 'params/unknown-param-allowed-before-4-0'),  # operator#2188
    ('ops-harness', 'params/wrong-type'),  # J7: types not checked
    ('ops-scenario', 'fail-semantics/uncaught-exception'),  # C8/J5/J6
    ('ops-harness', 'fail-semantics/uncaught-exception'),
]


@pytest.mark.needs_ops
@pytest.mark.parametrize(('name', 'case_id'), DIVERGENCES)
def test_known_divergence_fails_its_scenario(
    name: str, case_id: str, cases: list[scenario.Scenario]
) -> None:
    case = next(c for c in cases if c.id == case_id)
    result = runner.run_one(case, targets.make(name), '3.6')
    assert result.outcome is runner.Outcome.FAILED, (result.outcome, result.reason)


@pytest.mark.needs_ops
@pytest.mark.parametrize('name', ['ops-scenario', 'ops-harness'])
@pytest.mark.parametrize('version', ['2.9', '3.6', '4.0'])
def test_expected_failure_list_is_exactly_the_failures(
    name: str, version: str, cases: list[scenario.Scenario]
) -> None:
    listed = xfail.load(name)
    results = runner.run(cases, [targets.make(name)], version, {name: listed})
    bad = [(r.id, r.outcome, r.reason) for r in results if r.outcome.is_bad]
    assert bad == []
    assert all(entry.reason for entry in listed.values())


@pytest.mark.needs_ops
def test_harness_skips_what_it_cannot_show(cases: list[scenario.Scenario]) -> None:
    results = _outcomes('ops-harness', cases)
    assert (
        results['juju-run/yaml-one-unit'].reason == 'a unit-test harness has no `juju run` output'
    )
    assert results['fan-out/only-named-units'].reason == 'Harness runs unit 0 only'
    assert not any(
        r.outcome is runner.Outcome.PASSED and r.case.expect.juju_run is not None
        for r in results.values()
    )


@pytest.mark.needs_ops
@pytest.mark.needs_ops
@pytest.mark.needs_charmhelpers
def test_matrix_shows_every_target_and_links_failures(tmp_path: pathlib.Path) -> None:
    md, js = tmp_path / 'm.md', tmp_path / 'm.json'
    assert (
        cli.main(['matrix', '--markdown', str(md), '--json', str(js), '--select', 'results/*'])
        == 0
    )
    data = json.loads(js.read_text())
    assert data['targets'] == ['reference', 'ops', 'ops-scenario', 'ops-harness', 'charmhelpers']
    text = md.read_text()
    anchor = 'ops-scenario-results-deep-merge-across-calls'
    assert f'| `results/deep-merge-across-calls` | pass | pass | [known](#{anchor})' in text
    assert f'### ops-scenario: `results/deep-merge-across-calls` {{#{anchor}}}' in text
    assert '| [known](#charmhelpers-results-deep-merge-across-calls) |\n' in text


# -- real charms without a cloud ---------------------------------------------------------
CHARM = pathlib.Path(__file__).parent / 'charms' / 'snapshot'


@pytest.mark.needs_ops
def test_juju_run_runs_a_plain_ops_charm(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ['juju-run', str(CHARM), 'snapshot/0', 'snapshot/1', 'snapshot-database']
    assert cli.main([*argv, 'outfile=/tmp/db.dump', '--format', 'json']) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    first, second = data['snapshot/0'], data['snapshot/1']
    assert first['status'] == 'completed'
    assert first['results'] == {
        'return-code': 0,
        'snapshot': {'compressed': 'True', 'path': '/tmp/db.dump'},
        'stdout': 'snapshot of snapshot/0\n',
    }
    assert [line.split(' UTC ')[1] for line in first['log']] == ['writing /tmp/db.dump']
    assert (second['status'], second['message']) == ('failed', 'disk full')
    assert 'Running operation 1 with 2 tasks' in captured.err


def test_juju_run_refusal_is_juju_s(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(['juju-run', str(CHARM), 'snapshot/0', 'snapshot-database']) == 0
    err = capsys.readouterr().err
    assert 'Operation 1 failed to schedule any tasks:' in err
    assert '"outfile" property is missing and required' in err


@pytest.mark.needs_ops
def test_ops_target_passes_the_suite_but_its_list(cases: list[scenario.Scenario]) -> None:
    listed = xfail.load('ops')
    results = runner.run(cases, [targets.make('ops')], '3.6', {'ops': listed})
    assert [(r.id, r.reason) for r in results if r.outcome.is_bad] == []
    assert sum(r.outcome is runner.Outcome.PASSED for r in results) >= 100


# The mini framework is not ops, but the charm target reads the deferred events of the
# deferral scenario from ops' state store (launch/charmdir.py): without ops it errors.
@pytest.mark.needs_ops
def test_charm_path_target_runs_another_framework(cases: list[scenario.Scenario]) -> None:
    mini = targets.make(f'charm:{pathlib.Path(__file__).parent / "charms" / "mini-framework"}')
    by_id = {c.id: c for c in cases}
    # What it implements passes ...
    for case_id in (
        'logs/in-order',
        'fail-semantics/last-fail-wins',
        'fail-semantics/non-zero-exit',
        'lifecycle/queued-behind-a-running-task',  # its `hold` step keeps the contract
        'lifecycle/abort-running',  # killed with SIGKILL, it keeps what it set and logged
    ):
        result = runner.run_one(by_id[case_id], mini, '3.6')
        assert result.outcome is runner.Outcome.PASSED, (
            case_id,
            [str(m) for m in result.mismatches],
        )
    # ... and what it lacks (deferral, collect-status) is found.
    for case_id in (
        'deferral/reemitted-before-action',
        'emission-order/collect-app-status-on-leader',
    ):
        assert runner.run_one(by_id[case_id], mini, '3.6').outcome is runner.Outcome.FAILED


def test_charm_path_without_dispatch_is_a_usage_error(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(['run', '--target', f'charm:{tmp_path}']) == cli.EXIT_USAGE
    assert 'a charm implementation needs a dispatch file' in capsys.readouterr().err


def test_without_ops_the_reference_still_runs_and_says_how_to_enable_the_rest() -> None:
    import subprocess
    import sys

    script = (
        'import sys; sys.modules["ops"] = None\n'  # as if ops were not installed
        'sys.modules["charmhelpers"] = None\n'  # nor charmhelpers
        'from actionspec import cli\n'
        'print("all:", cli.main(["run", "--target", "all", "--select", "logs/*"]))\n'
        'print("scenario:", cli.main(["run", "--target", "ops-scenario"]))\n'
    )
    done = subprocess.run(
        [sys.executable, '-c', script], capture_output=True, text=True, check=False
    )
    assert 'all: 0' in done.stdout
    assert '5 passed, 0 failed, 0 skipped, 0 errored' in done.stdout
    assert 'scenario: 2' in done.stdout
    assert "pip install 'actionspec[ops]'" in done.stderr


@pytest.mark.needs_ops
def test_an_ops_charm_class_from_this_process_runs_in_real_dispatch_processes() -> None:
    import ops

    import actionspec

    class Snapshot(ops.CharmBase):
        def __init__(self, framework: ops.Framework) -> None:
            super().__init__(framework)
            framework.observe(self.on.snapshot_database_action, self._on_snapshot_database_action)
            framework.observe(self.on.update_status, self._on_update_status)

        def _on_update_status(self, event: ops.EventBase) -> None:
            print('status updated')

        def _on_snapshot_database_action(self, event: ops.ActionEvent) -> None:
            event.log('working')
            event.set_results({'path': event.params['outfile'], 'pid': 'child'})
            print(f'hi from {self.unit.name}')

    m = actionspec.Model(clock=actionspec.TickingClock())
    actions = 'snapshot-database: {params: {outfile: {type: string}}, required: [outfile]}'
    app = m.deploy('db', Snapshot, units=2, actions=actions)
    m.defer('db/1', 'update_status')
    try:
        op = m.run('db/0', 'db/1', action='snapshot-database', params={'outfile': '/tmp/x'})
    finally:
        app.charm.close()  # type: ignore[attr-defined]
    first, second = op.tasks
    assert first.results == {
        'path': '/tmp/x',
        'pid': 'child',
        'return-code': 0,
        'stdout': 'hi from db/0\n',
    }
    assert [log.message for log in first.logs] == ['working']
    assert second.results['stdout'] == 'status updated\nhi from db/1\n'
    assert [(e.unit, e.event, str(e.cause)) for e in op.trace] == [
        ('db/0', 'snapshot_database_action', 'invocation'),
        ('db/1', 'update_status', 'deferred'),
        ('db/1', 'snapshot_database_action', 'invocation'),
    ]
