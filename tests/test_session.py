"""One suite session behind every way into the suite: the CLI, pytest, the site, the bench.

Each way into the suite used to put loading, selection, expected failures and the run
together itself, and they disagreed on bad input; these tests hold them to one answer.
"""

from __future__ import annotations

import pathlib
import shutil

import pytest

from actionspec import cli, files, session, targets, yamldata
from actionspec.suite import loader, runner, scenario, xfail

SUITE = loader.bundled_suite()
pytest_plugins = ['pytester']


def _suite_with_list(tmp_path: pathlib.Path, list_text: str) -> pathlib.Path:
    """A suite of two bundled scenarios with an expected-failure list for the reference."""
    root = tmp_path / 'suite'
    (root / 'name-mangling').mkdir(parents=True)
    for name in ('one-hyphen', 'several-hyphens'):
        shutil.copy(SUITE / 'name-mangling' / f'{name}.yaml', root / 'name-mangling')
    (root / 'expected-failures').mkdir()
    (root / 'expected-failures' / 'reference.yaml').write_text(list_text)
    return root


DUPLICATE_KEY = """\
- id: name-mangling/one-hyphen
  reason: first
- id: name-mangling/several-hyphens
  reason: second
  reason: again
"""


# -- expected-failure lists, read strictly -----------------------------------------------------
def test_an_expected_failure_list_refuses_duplicate_keys_at_their_line(tmp_path):
    root = _suite_with_list(tmp_path, DUPLICATE_KEY)
    with pytest.raises(yamldata.DataError) as caught:
        xfail.load('reference', root)
    assert (caught.value.line, caught.value.field) == (5, '[1].reason')
    assert str(caught.value).endswith('reference.yaml:5: [1].reason: duplicate key')


def test_an_expected_failure_error_names_the_line_of_its_entry(tmp_path):
    text = '- id: name-mangling/one-hyphen\n  reason: fine\n- id: name-mangling/x\n  why: no\n'
    root = _suite_with_list(tmp_path, text)
    with pytest.raises(yamldata.DataError) as caught:
        xfail.load('reference', root)
    assert (caught.value.line, caught.value.field) == (3, '[1]')
    assert caught.value.message == 'each entry needs an id and a reason'


def test_an_expected_failure_list_refuses_anchors(tmp_path):
    text = '- &a {id: name-mangling/one-hyphen, reason: r}\n- *a\n'
    with pytest.raises(yamldata.DataError, match='anchors and aliases are not allowed'):
        xfail.load('reference', _suite_with_list(tmp_path, text))


# -- the same answer on every way in ------------------------------------------------------------
def test_a_bad_list_is_one_line_and_exit_3_from_run_and_matrix(tmp_path, capsys):
    root = _suite_with_list(tmp_path, DUPLICATE_KEY)
    line = f'{root}/expected-failures/reference.yaml:5: [1].reason: duplicate key'
    assert cli.main(['run', '--suite', str(root), '--jobs', '1']) == cli.EXIT_BAD_INPUT
    assert line in capsys.readouterr().out
    code = cli.main(['matrix', '--suite', str(root), '--json', str(tmp_path / 'm.json')])
    assert code == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert line in err.splitlines()  # the matrix says why it exits 3


def test_the_pytest_plugin_reports_a_bad_list_as_a_usage_error(tmp_path, pytester):
    root = _suite_with_list(tmp_path, DUPLICATE_KEY)
    result = pytester.runpytest_inprocess(
        '--actionspec-target=reference', f'--actionspec-suite={root}'
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert 'INTERNALERROR' not in result.stdout.str() + result.stderr.str()
    result.stderr.fnmatch_lines(['*reference.yaml:5: [[]1].reason: duplicate key'])


def test_the_pytest_plugin_collects_scenario_files_the_usual_way(tmp_path, pytester):
    root = _suite_with_list(tmp_path, '')
    (root / 'name-mangling' / 'broken.yaml').write_text('title: no\n')
    result = pytester.runpytest_inprocess(
        '--actionspec-target=reference', f'--actionspec-suite={root}', '--collect-only', '-q'
    )
    out = result.stdout.str()
    assert 'one-hyphen.yaml::reference::name-mangling/one-hyphen' in out
    assert 'several-hyphens.yaml::reference::name-mangling/several-hyphens' in out
    # A bad file is its own collection error, with the loader's one line.
    assert 'broken.yaml:1: missing required field' in out
    assert result.ret == pytest.ExitCode.INTERRUPTED


# -- running in worker processes ----------------------------------------------------------------
def _outcomes(results: list[runner.Result]) -> list[tuple[str, str, str, str, list[str]]]:
    return [
        (r.target, r.id, str(r.outcome), r.reason, [str(m) for m in r.mismatches]) for r in results
    ]


@pytest.mark.needs_ops
def test_jobs_give_the_same_results_in_the_same_order():
    suite = session.Session.load(select=['fan-out/*', 'params/*', 'results/*'])
    chosen = suite.targets(['reference', 'ops-harness'])
    alone = suite.run(chosen, jobs=1)
    together = suite.run(chosen, jobs=2)
    assert _outcomes(together) == _outcomes(alone)
    assert any(r.outcome is runner.Outcome.XFAILED for r in alone)  # lists reach the workers
    assert [r.case for r in together] == [r.case for r in alone]


def test_progress_and_checkpoints_hear_of_results_from_workers(monkeypatch):
    monkeypatch.setattr(session, 'CHECKPOINT_SECONDS', 0.0)
    suite = session.Session.load(select=['fan-out/*'])
    heard: list[str] = []
    saved: list[int] = []
    results = suite.run(
        suite.targets(['reference']),
        jobs=2,
        progress=lambda r: heard.append(r.id),
        checkpoint=lambda done: saved.append(len(done)),
    )
    assert heard == [r.id for r in results]
    assert saved == list(range(1, len(results) + 1))


def test_a_target_that_cannot_go_to_a_worker_runs_here():
    class Local:  # defined in a function: workers could not import it
        name = 'local'
        sides = scenario.Side.BOTH.parts()
        juju_versions = frozenset({'3.6'})

        def observe(self, case, juju_version):
            return targets.make('reference').observe(case, juju_version)

    suite = session.Session.load(select=['fan-out/*'])
    results = suite.run([Local()], jobs=2)
    assert results and all(r.outcome is runner.Outcome.PASSED for r in results)


def test_jobs_below_one_are_refused(capsys):
    assert cli.main(['run', '--jobs', '0']) == cli.EXIT_USAGE
    assert 'actionspec: error: --jobs 0: must be at least 1' in capsys.readouterr().err


def test_an_unknown_juju_version_is_a_session_error():
    with pytest.raises(session.SessionError, match=r"unknown Juju version '9.9'"):
        session.Session.load(juju_version='9.9')


# -- one atomic writer ---------------------------------------------------------------------------
def test_writes_use_a_temporary_file_of_their_own(tmp_path):
    report = tmp_path / 'report.json'
    # Where a fixed temporary name would go, another writer's half-written file sits.
    (tmp_path / '.report.json.tmp').mkdir()
    files.write_atomically(report, '{}\n')
    assert report.read_text() == '{}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ['.report.json.tmp', 'report.json']


def test_the_cli_writes_through_the_atomic_writer(tmp_path):
    out = tmp_path / 'matrix.json'
    (tmp_path / '.matrix.json.tmp').mkdir()
    assert cli.main(['matrix', '--select', 'fan-out/leader', '--json', str(out)]) in (0, 1)
    assert out.read_text().startswith('{')
