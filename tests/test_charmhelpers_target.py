"""The charmhelpers target: a classic charm written with charmhelpers' hookenv, each hook
and action a real process with the hook tools, judged by the suite like any target.

What docs/charmhelpers.md says charmhelpers does differently is asserted here on real runs:
nested results sent as one string, refusals the charm cannot tell apart, progress messages
that go to stderr, Python's own traceback.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys
import sysconfig

import pytest

from actionspec import charmmeta, targets
from actionspec.suite import runner, scenario, target, xfail

pytestmark = pytest.mark.needs_charmhelpers

ROOT = pathlib.Path(__file__).resolve().parent.parent
HOOKENV = 'https://github.com/juju/charm-helpers/blob/v1.1.0/charmhelpers/core/hookenv.py#L'


@pytest.fixture(scope='module')
def charmhelpers() -> target.Target:
    return targets.make('charmhelpers')


@pytest.fixture(scope='module')
def by_id(cases: list[scenario.Scenario]) -> dict[str, scenario.Scenario]:
    return {case.id: case for case in cases}


def test_it_passes_the_suite_but_its_list(
    charmhelpers: target.Target, cases: list[scenario.Scenario]
) -> None:
    listed = xfail.load('charmhelpers')
    results = runner.run(cases, [charmhelpers], '3.6', {'charmhelpers': listed})
    assert [(r.id, r.reason) for r in results if r.outcome.is_bad] == []
    assert sum(r.outcome is runner.Outcome.PASSED for r in results) >= 90
    # Every listed divergence points at the line of charmhelpers that makes it.
    assert all(entry.link.startswith(HOOKENV) for entry in listed.values())


def test_nested_results_reach_juju_as_one_string(
    charmhelpers: target.Target, by_id: dict[str, scenario.Scenario]
) -> None:
    """action_set sends `key=str(value)`: a nested dict is its Python repr, not dotted keys."""
    seen = charmhelpers.observe(by_id['results/nested-mapping-flattened'], '3.6')
    task = seen.tasks['db/0']
    assert task.status == 'completed'
    assert task.results == {'snapshot': "{'path': '/srv/db', 'size': {'bytes': '10'}}"}
    assert seen.trace == {'db/0': ['do_action']}  # as the charm noted it


def test_a_refused_key_is_only_an_exit_status_to_the_charm(
    charmhelpers: target.Target, by_id: dict[str, scenario.Scenario]
) -> None:
    seen = charmhelpers.observe(by_id['stdout-reservation/reserved-stdout'], '3.6')
    assert seen.refusals == {'db/0': ['model-error']}  # CalledProcessError: no kind
    task = seen.tasks['db/0']
    assert task.stderr == 'ERROR cannot set reserved action key "stdout"\n'  # the tool's
    assert (task.status, task.results) == ('completed', {})


def test_progress_messages_go_to_stderr_not_to_the_task_log(
    charmhelpers: target.Target, by_id: dict[str, scenario.Scenario]
) -> None:
    seen = charmhelpers.observe(by_id['logs/in-order'], '3.6')
    task = seen.tasks['db/0']
    assert task.logs == []
    assert task.stderr == 'function-log: one\nfunction-log: two\nfunction-log: three\n'


def test_a_known_divergence_is_reported_with_its_reason(
    charmhelpers: target.Target, by_id: dict[str, scenario.Scenario]
) -> None:
    listed = xfail.load('charmhelpers')['results/duplicate-after-flattening']
    result = runner.run_one(by_id[listed.id], charmhelpers, '3.6', listed)
    assert result.outcome is runner.Outcome.XFAILED
    assert result.reason.startswith('action_set does not flatten, so nothing collides')
    fields = [m.field for m in result.mismatches]
    assert fields == ['expect.tasks.db/0.results', 'expect.refusals.db/0']
    # What ops refuses before calling action-set reaches Juju: the later string wins.
    assert [m.observed for m in result.mismatches] == [{'a': "{'b': 2}"}, ['accepted']]


def test_an_uncaught_exception_is_python_s_own_traceback(
    charmhelpers: target.Target, by_id: dict[str, scenario.Scenario]
) -> None:
    """The task fails as Juju fails any charm's, and stderr is what a new interpreter
    prints: from the action file on, with no frame of the process that forked it. (The
    scenario expecting ops' own lines instead is skipped: they are its framework's.)"""
    case = by_id['fail-semantics/exception-after-fail']
    assert runner.run_one(case, charmhelpers, '3.6').outcome is runner.Outcome.PASSED
    task = charmhelpers.observe(case, '3.6').tasks['db/0']
    assert (task.status, task.message, task.return_code) == ('failed', 'exit status 1', 1)
    lines = task.stderr.splitlines()
    assert lines[0] == 'Traceback (most recent call last):'
    assert lines[1].endswith('/unit-db-0/charm/actions/do", line 4, in <module>')
    assert 'zygote' not in task.stderr
    assert lines[-1] == 'ValueError: boom'


def test_hooks_run_and_are_traced_from_the_charm_s_own_notes(
    charmhelpers: target.Target, by_id: dict[str, scenario.Scenario]
) -> None:
    """relation_set in the action (through `relation-set --file`), then the peer's
    `hooks/replicas-relation-changed`, registered with hookenv.Hooks."""
    case = by_id['emission-order/relation-changed-after-action']
    assert runner.run_one(case, charmhelpers, '3.6').outcome is runner.Outcome.PASSED
    seen = charmhelpers.observe(case, '3.6')
    assert seen.trace == {'db/0': ['do_action'], 'db/1': ['replicas_relation_changed']}


def test_what_a_classic_charm_cannot_express_is_skipped_with_the_reason(
    charmhelpers: target.Target, by_id: dict[str, scenario.Scenario]
) -> None:
    reasons = {
        'deferral/reemitted-before-action': 'charmhelpers has no deferred events',
        'fail-semantics/uncaught-exception': "ops' uncaught-exception lines come from",
        'emission-order/collect-app-status-on-leader': 'charmhelpers has no collect-status',
        'fail-semantics/fail-without-message': 'hookenv.action_fail takes a message',
    }
    for case_id, reason in reasons.items():
        result = runner.run_one(by_id[case_id], charmhelpers, '3.6')
        assert result.outcome is runner.Outcome.SKIPPED, case_id
        assert result.reason.startswith(reason), result.reason


def test_the_charm_is_a_classic_one(tmp_path: pathlib.Path) -> None:
    """No dispatch: an executable per handled hook and per declared action."""
    from actionspec.targets import charm_helpers

    meta = charmmeta.CharmMeta(name='db', actions={'do': {}, 'other': {}}, peers=('replicas',))
    steps: dict[str, list[dict[str, object]]] = {
        'do_action': [{'log': 'x'}],
        'replicas_relation_changed': [],
    }
    root = charm_helpers.classic_charm_dir(tmp_path, meta, steps)
    assert not (root / 'dispatch').exists()
    assert sorted(p.name for p in (root / 'hooks').iterdir()) == [
        'hooks.py',
        'replicas-relation-changed',
    ]
    assert sorted(p.name for p in (root / 'actions').iterdir()) == ['actions.py', 'do', 'other']
    assert (root / 'actions' / 'do').readlink() == pathlib.Path('actions.py')


def test_without_charmhelpers_it_says_how_to_enable_it(tmp_path: pathlib.Path) -> None:
    """In an environment with everything but charmhelpers (this one's site-packages, less
    charmhelpers, and the source tree), the target is unavailable: exit 2, one line."""
    site = pathlib.Path(sysconfig.get_paths()['purelib'])
    without = tmp_path / 'site-packages'
    without.mkdir()
    for entry in site.iterdir():
        if not entry.name.lower().startswith('charmhelpers'):
            (without / entry.name).symlink_to(entry)
    script = (
        'import sys\n'
        f'sys.path[:0] = [{str(ROOT / "src")!r}, {str(without)!r}]\n'
        'from actionspec import cli\n'
        'sys.exit(cli.main(["run", "--target", "charmhelpers"]))\n'
    )
    done = subprocess.run(
        [sys.executable, '-S', '-c', script], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines() == [
        "actionspec: error: target 'charmhelpers' cannot run here: charmhelpers is not installed "
        "(No module named 'charmhelpers'); pip install 'actionspec[charmhelpers]'"
    ]
