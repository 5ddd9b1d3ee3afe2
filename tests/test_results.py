"""Results as Juju keeps them: action-set keys (J1), merging (J2), captured output (J6)."""

from __future__ import annotations

import pytest

from actionspec import errors
from actionspec.juju import context, results, versions

from .helpers import make_model

KEY_RULE = (
    'must start and end with lowercase alphanumeric, '
    'and contain only lowercase alphanumeric, hyphens and periods'
)


def _action_set(*calls: list[str], juju_version: str = '3.6') -> dict:
    """Run `do` on db/0 with a handler that makes these raw action-set calls."""
    outcome: dict = {}

    def handler(charm, event):
        for args in calls:
            try:
                charm.framework.tools.action_set(args)
            except errors.ModelError as e:
                # The charm sees ops' plain ModelError; the tool's own refusal is its cause.
                refusal = e.__cause__
                assert isinstance(refusal, context.HookToolError)
                assert str(e) == f'ERROR {refusal.message}\n'
                outcome.setdefault('errors', []).append((refusal.message, refusal.code))

    model = make_model(juju_version=juju_version, do_action=handler)
    task = model.run('db/0', action='do').tasks[0]
    outcome['results'] = {k: v for k, v in task.results.items() if k != 'return-code'}
    return outcome


# J1 ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ('arg', 'message'),
    [
        ('Stdout=x', f'key "Stdout" {KEY_RULE}'),
        ('a_b=x', f'key "a_b" {KEY_RULE}'),
        ('-a=x', f'key "-a" {KEY_RULE}'),
        ('a-=x', f'key "a-" {KEY_RULE}'),
        ('a..b=x', f'key "" {KEY_RULE}'),
        ('=x', f'key "" {KEY_RULE}'),
        ('novalue', 'argument "novalue" must be of the form key...=value'),
        ('stdout=x', 'cannot set reserved action key "stdout"'),
        ('stderr=x', 'cannot set reserved action key "stderr"'),
        ('stdout-encoding=x', 'cannot set reserved action key "stdout-encoding"'),
        ('stderr-encoding=x', 'cannot set reserved action key "stderr-encoding"'),
        ('a.stdout=x', 'cannot set reserved action key "stdout"'),
    ],
)
def test_action_set_refuses_keys_with_juju_text_and_exit_2(arg: str, message: str) -> None:
    outcome = _action_set([arg])
    assert outcome['errors'] == [(message, 2)]
    assert outcome['results'] == {}


@pytest.mark.parametrize('arg', ['a=1', 'a-b=1', '0=1', 'a.b.c=1', 'x9=1', 'return-code=7'])
def test_action_set_accepts_keys(arg: str) -> None:
    assert 'errors' not in _action_set([arg])


def test_every_argument_is_checked_before_any_is_stored() -> None:
    outcome = _action_set(['good=1', 'Bad=2'])
    assert outcome['results'] == {}


def test_stdout_key_allowed_in_juju_2_9() -> None:
    outcome = _action_set(['stdout=mine'], juju_version='2.9')
    assert 'errors' not in outcome
    assert outcome['results']['stdout'] == 'mine'


def test_value_keeps_everything_after_the_first_equals_sign() -> None:
    outcome = _action_set(['url=a=b=c', 'empty='])
    assert outcome['results'] == {'url': 'a=b=c', 'empty': ''}


def test_no_arguments_is_a_no_op() -> None:
    outcome = _action_set([])
    assert outcome == {'results': {}}


# J2 ------------------------------------------------------------------------------------
def test_results_merge_deeply_across_calls() -> None:
    outcome = _action_set(['a.b=1'], ['a.c=2'])
    assert outcome['results'] == {'a': {'b': '1', 'c': '2'}}


def test_last_write_wins_and_a_scalar_gives_way_to_a_map() -> None:
    outcome = _action_set(['a=1'], ['a.b=2'], ['c.d=3'], ['c=4'], ['e=5', 'e=6'])
    assert outcome['results'] == {'a': {'b': '2'}, 'c': '4', 'e': '6'}


def test_nested_set_results_calls_merge_as_juju_merges() -> None:
    def handler(charm, event):
        event.set_results({'a': {'b': 1}})
        event.set_results({'a': {'c': 2}})

    task = make_model(do_action=handler).run('db/0', action='do').tasks[0]
    assert task.results['a'] == {'b': '1', 'c': '2'}


def test_merge_helper_matches_the_documented_example() -> None:
    # The example in `action-set --help` (worker/uniter/runner/jujuc/action-set.go).
    stored: dict = {}
    profile = versions.JUJU_3_6
    for arg in ['outfile.size=10G', 'foo.bar=2', 'foo.baz.val=3', 'foo.bar.zab=4', 'foo.baz=1']:
        for path, value in results.parse_action_set_args([arg], profile):
            results.merge(stored, path, value)
    assert stored == {'outfile': {'size': '10G'}, 'foo': {'bar': {'zab': '4'}, 'baz': '1'}}


# J6 ------------------------------------------------------------------------------------
def test_captured_output_3x() -> None:
    def handler(charm, event):
        print('to stdout')
        import sys

        print('to stderr', file=sys.stderr)

    task = make_model(do_action=handler).run('db/0', action='do').tasks[0]
    assert task.results == {
        'return-code': 0,
        'stdout': 'to stdout\n',
        'stderr': 'to stderr\n',
    }


def test_captured_output_2_9_keys() -> None:
    task = (
        make_model(juju_version='2.9', do_action=lambda c, e: print('hi'))
        .run('db/0', action='do')
        .tasks[0]
    )
    assert task.results == {'Code': '0', 'Stdout': 'hi\n'}


def test_return_code_always_present_output_only_when_non_empty() -> None:
    task = make_model(do_action=lambda c, e: None).run('db/0', action='do').tasks[0]
    assert task.results == {'return-code': 0}


def test_non_utf8_output_is_base64_with_an_encoding_key() -> None:
    stored: dict = {}
    results.add_captured_output(
        stored, stdout=b'\xff\xfe', stderr=b'', return_code=0, profile=versions.JUJU_3_6
    )
    # The output logger reads lines before anything is encoded: the last one gains b'\n'.
    assert stored == {'return-code': 0, 'stdout': '//4K', 'stdout-encoding': 'base64'}


def test_captured_keys_overwrite_a_charm_set_return_code() -> None:
    task = (
        make_model(do_action=lambda c, e: e.set_results({'return-code': 7}))
        .run('db/0', action='do')
        .tasks[0]
    )
    assert task.results['return-code'] == 0
