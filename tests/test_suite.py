"""The conformance suite: its content, its runner, its reports, and proof it can fail."""

from __future__ import annotations

import dataclasses
import json
import pathlib
import re
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from actionspec import cli, reports
from actionspec.suite import compare, loader, rules, runner, scenario, target, xfail
from actionspec.targets import mutants, reference

SUITE = loader.bundled_suite()
PROMISED_AREAS = (
    'emission-order',
    'name-mangling',
    'fan-out',
    'stdout-reservation',
    'fail-semantics',
)
RULES = list(rules.bundled())  # conformance/rules.yaml, in its order


# -- content -----------------------------------------------------------------------------
def test_suite_size_and_promised_areas(cases: list[scenario.Scenario]) -> None:
    assert len(cases) >= 80
    per_area = {area: sum(c.area == area for c in cases) for area in PROMISED_AREAS}
    assert all(count >= 8 for count in per_area.values()), per_area


def test_every_rule_is_checked_by_a_scenario(cases: list[scenario.Scenario]) -> None:
    covered = {rule for case in cases for rule in case.rules}
    assert [r for r in RULES if r not in covered] == []
    assert [(c.id, r) for c in cases for r in c.rules if r not in RULES] == []


def test_every_scenario_cites_a_source(cases: list[scenario.Scenario]) -> None:
    for case in cases:
        assert case.cites and all(c.claim for c in case.cites), case.id


def test_every_version_passes_on_the_reference(cases: list[scenario.Scenario]) -> None:
    for version in ('2.9', '3.6', '4.0'):
        results = runner.run(cases, [reference.ReferenceTarget()], version, {})
        bad = [
            (r.id, [str(m) for m in r.mismatches], r.reason) for r in results if r.outcome.is_bad
        ]
        assert bad == [], version
        assert any(r.outcome is runner.Outcome.PASSED for r in results)


# -- proof the suite can fail --------------------------------------------------------------
@pytest.mark.parametrize('mutant', mutants.MUTANTS, ids=lambda m: m.name)
def test_every_broken_variant_is_caught(
    mutant: mutants.Mutant, cases: list[scenario.Scenario]
) -> None:
    caught = [i for v in ('2.9', '3.6', '4.0') for i in mutants.catches(mutant, cases, v)]
    assert caught, f'no scenario catches {mutant.name} ({mutant.breaks})'


def test_mutants_restore_the_reference(cases: list[scenario.Scenario]) -> None:
    with mutants.MUTANTS[0].patch():
        pass
    results = runner.run(cases, [reference.ReferenceTarget()], '3.6', {})
    assert not any(r.outcome.is_bad for r in results)


# -- runner outcomes -----------------------------------------------------------------------
def _case(cases: list[scenario.Scenario], case_id: str) -> scenario.Scenario:
    return next(c for c in cases if c.id == case_id)


class CharmOnlyTarget(reference.ReferenceTarget):
    name = 'charm-only'
    sides = frozenset({scenario.Side.CHARM})


class BrokenTarget(reference.ReferenceTarget):
    name = 'broken'

    def observe(self, case: scenario.Scenario, juju_version: str) -> target.Observation:
        raise ConnectionError('the implementation went away')


def test_outside_a_targets_sides_is_skipped_never_passed(cases: list[scenario.Scenario]) -> None:
    case = _case(cases, 'fan-out/one-task-per-unit')
    result = runner.run_one(case, CharmOnlyTarget(), '3.6')
    assert result.outcome is runner.Outcome.SKIPPED
    assert result.reason == 'target charm-only does not cover the controller side'


def test_a_target_that_raises_is_errored_with_its_reason(cases: list[scenario.Scenario]) -> None:
    result = runner.run_one(_case(cases, 'logs/in-order'), BrokenTarget(), '3.6')
    assert result.outcome is runner.Outcome.ERRORED
    assert result.reason == 'ConnectionError: the implementation went away'
    assert 'Traceback' in result.detail


def test_expected_failure_that_fails_is_xfailed_and_one_that_passes_fails_the_run(
    cases: list[scenario.Scenario],
) -> None:
    case = _case(cases, 'logs/in-order')
    listed = xfail.ExpectedFailure(case.id, 'known', 'https://example.invalid/1')
    passed = runner.run_one(case, reference.ReferenceTarget(), '3.6', listed)
    assert passed.outcome is runner.Outcome.XPASSED and passed.outcome.is_bad
    logs = scenario.TaskExpectation(logs=('not', 'what', 'happens'))
    broken = dataclasses.replace(case.expect, tasks={'db/0': logs})
    failing = dataclasses.replace(case, expect=broken)
    xfailed = runner.run_one(failing, reference.ReferenceTarget(), '3.6', listed)
    assert xfailed.outcome is runner.Outcome.XFAILED
    assert runner.closing_line([passed, xfailed]) == '0 passed, 1 failed, 0 skipped, 0 errored'


def test_failure_names_field_line_and_shows_aligned_trace(cases: list[scenario.Scenario]) -> None:
    case = _case(cases, 'deferral/reemitted-before-action')
    with mutants.MUTANTS[0].patch():
        result = runner.run_one(case, reference.ReferenceTarget(), '3.6')
    assert result.outcome is runner.Outcome.FAILED
    trace = next(m for m in result.mismatches if m.field == 'expect.trace.db/0')
    assert case.line(trace.field) > 1
    assert trace.diff.splitlines()[1:4] == [
        '  ! config_changed    snapshot_action',
        '  ! update_status     -',
        '  ! snapshot_action   -',
    ]


def test_trace_includes_is_an_ordered_subsequence() -> None:
    assert compare._is_subsequence(['a', 'c'], ['a', 'b', 'c'])
    assert not compare._is_subsequence(['c', 'a'], ['a', 'b', 'c'])


# -- the command line ------------------------------------------------------------------------
def test_run_exit_status_and_closing_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(['run', '--select', 'fan-out/*']) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r'\d+ passed, 0 failed, \d+ skipped, 0 errored', last)


def test_malformed_file_is_reported_and_the_others_still_run(
    tmp_path: pathlib.Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = (SUITE / 'logs' / 'in-order.yaml').read_text()
    (tmp_path / 'good.yaml').write_text(good)
    (tmp_path / 'bad.yaml').write_text(good.replace('side: both', 'side: sideways'))
    assert cli.main(['run', '--suite', str(tmp_path)]) == cli.EXIT_BAD_INPUT
    out = capsys.readouterr().out
    assert (
        f"{tmp_path / 'bad.yaml'}:2: side: 'sideways' is not one of: controller, charm, both"
        in out
    )
    assert out.strip().endswith('1 passed, 0 failed, 0 skipped, 0 errored')


def test_reports_json_junit_markdown(tmp_path: pathlib.Path) -> None:
    paths = [tmp_path / 'r.json', tmp_path / 'r.xml', tmp_path / 'r.md']
    args = ['run', '--select', 'deferral/*']
    for path in paths:
        args += ['--report', str(path)]
    assert cli.main(args) == 0
    data = json.loads(paths[0].read_text())
    schema = json.loads((SUITE / 'report.schema.json').read_text())
    jsonschema.Draft202012Validator(schema).validate(data)
    assert data['summary']['passed'] == len(data['results']) > 0
    suite = ET.parse(paths[1]).getroot().find('testsuite')
    assert suite is not None and suite.get('failures') == '0'
    assert '| `deferral/reemitted-before-action` | reference | pass |' in paths[2].read_text()


def test_failing_run_report_carries_the_diff(
    cases: list[scenario.Scenario], tmp_path: pathlib.Path
) -> None:
    case = _case(cases, 'results/deep-merge-across-calls')
    with mutants.MUTANTS[1].patch():
        result = runner.run_one(case, reference.ReferenceTarget(), '3.6')
    path = tmp_path / 'r.xml'
    reports.write(path, [result], [], juju_version='3.6')
    failure = ET.parse(path).getroot().find('testsuite/testcase/failure')
    assert failure is not None and 'expect.tasks.db/0.results' in (failure.text or '')


def test_unknown_target_and_version_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(['run', '--target', 'nope']) == cli.EXIT_USAGE
    assert cli.main(['run', '--juju-version', '9.9']) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "unknown target 'nope'" in err and "unknown Juju version '9.9'" in err


def test_own_target_by_module_attribute(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        ['run', '--target', 'actionspec.targets.reference:ReferenceTarget', '--select', 'logs/*']
    )
    assert code == 0


def test_show_and_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(['show', 'fan-out/leader']) == 0
    assert 'title: app/leader names the current leader' in capsys.readouterr().out
    assert cli.main(['list', '--select', 'logs/*']) == 0
    assert 'logs/in-order' in capsys.readouterr().out
    assert cli.main(['show', 'nope']) == cli.EXIT_USAGE


def test_mutants_command_prints_the_catch_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(['mutants', '--juju-version', '3.6', '--show', '1']) == 0
    out = capsys.readouterr().out
    assert 'no-deferred-reemission' in out
    statement = rules.bundled()['C2'].statement  # the table prints rules.yaml's words
    assert f'C2 broken: deferred events are not re-emitted. The rule: {statement}' in out
    assert out.strip().endswith(f'{len(mutants.MUTANTS)} of {len(mutants.MUTANTS)} mutants caught')


# -- the pytest plugin -----------------------------------------------------------------------
pytest_plugins = ['pytester']


def test_pytest_plugin_runs_scenarios_as_items(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_inprocess(
        '--actionspec-target=reference', '--actionspec-select=name-mangling/*'
    )
    result.assert_outcomes(passed=11, skipped=1)  # unknown-action-in-4-0 is for 4.0


def test_pytest_plugin_reports_failures_with_the_diff(pytester: pytest.Pytester) -> None:
    with mutants.MUTANTS[5].patch():  # hyphens not mangled
        result = pytester.runpytest_inprocess(
            '--actionspec-target=reference', '--actionspec-select=name-mangling/one-hyphen'
        )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(['*FAILED name-mangling/one-hyphen*', '*expect.trace.db/0*'])
