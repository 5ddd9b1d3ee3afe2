"""The charm side, rule by rule (C1-C9, as conformance/rules.yaml states them)."""

from __future__ import annotations

import pytest

import actionspec
from actionspec import charmmeta
from actionspec.charm import charm as charm_
from actionspec.charm import main

from .helpers import make_model


# C1 ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ('path', 'event'),
    [
        ('actions/snapshot-database', 'snapshot_database_action'),
        ('actions/do', 'do_action'),
        ('actions/a-b-c', 'a_b_c_action'),
        ('hooks/update-status', 'update_status'),
        ('hooks/db-relation-changed', 'db_relation_changed'),
    ],
)
def test_event_name_from_dispatch_path(path: str, event: str) -> None:
    assert charmmeta.event_name(path) == event


def test_hyphenated_action_emits_underscored_event() -> None:
    seen = []
    model = make_model(snapshot_database_action=lambda c, e: seen.append(e.name))
    op = model.run('db/0', action='snapshot-database', params={'outfile': 'x'})
    assert seen == ['snapshot_database_action']
    assert op.trace.events() == ['snapshot_database_action']


def test_charm_events_have_no_hyphenated_or_foo_event_names() -> None:
    on = main.event_kinds(charmmeta.CharmMeta(actions={'snapshot-database': {}}))
    assert 'snapshot_database_action' in on
    assert 'snapshot-database_action' not in on
    assert 'snapshot_database_event' not in on


# C2 ------------------------------------------------------------------------------------
def test_deferred_events_reemitted_in_order_before_the_action() -> None:
    model = make_model(
        update_status=lambda c, e: None,
        config_changed=lambda c, e: None,
        do_action=lambda c, e: None,
    )
    model.defer('db/0', 'config_changed')
    model.defer('db/0', 'update_status')
    op = model.run('db/0', action='do')
    assert [(e.event, e.cause) for e in op.trace] == [
        ('config_changed', actionspec.Cause.DEFERRED),
        ('update_status', actionspec.Cause.DEFERRED),
        ('do_action', actionspec.Cause.INVOCATION),
    ]
    assert model.unit('db/0').deferred == ()


def test_event_deferred_again_stays_queued_in_its_place() -> None:
    model = make_model(
        update_status=lambda c, e: e.defer(),
        config_changed=lambda c, e: None,
        do_action=lambda c, e: None,
    )
    model.defer('db/0', 'update_status')
    model.defer('db/0', 'config_changed')
    op = model.run('db/0', action='do')
    assert op.trace[0].deferred is True
    assert model.unit('db/0').deferred == ('update_status',)
    again = model.run('db/0', action='do')
    assert again.trace.events() == ['update_status', 'do_action']


def test_deferred_events_are_per_unit() -> None:
    model = make_model(update_status=lambda c, e: None, do_action=lambda c, e: None)
    model.defer('db/1', 'update_status')
    op = model.run('db/0', 'db/1', action='do')
    assert op.trace.for_unit('db/0').events() == ['do_action']
    assert op.trace.for_unit('db/1').events() == ['update_status', 'do_action']


# C3 ------------------------------------------------------------------------------------
def test_collect_status_after_the_action_app_on_leader_only() -> None:
    def collect_unit(charm, event):
        event.add_status(actionspec.ActiveStatus('unit ok'))

    def collect_app(charm, event):
        event.add_status(actionspec.BlockedStatus('app blocked'))

    model = make_model(
        do_action=lambda c, e: None,
        collect_app_status=collect_app,
        collect_unit_status=collect_unit,
    )
    op = model.run('db/0', 'db/1', action='do')
    assert op.trace.for_unit('db/0').events() == [
        'do_action',
        'collect_app_status',
        'collect_unit_status',
    ]
    assert op.trace.for_unit('db/1').events() == ['do_action', 'collect_unit_status']
    assert model.unit('db/0').status == ('active', 'unit ok')
    assert model.applications['db'].status == ('blocked', 'app blocked')


def test_most_severe_collected_status_wins() -> None:
    def collect(charm, event):
        event.add_status(actionspec.ActiveStatus('fine'))
        event.add_status(actionspec.BlockedStatus('stuck'))
        event.add_status(actionspec.WaitingStatus('later'))

    model = make_model(do_action=lambda c, e: None, collect_unit_status=collect)
    model.run('db/0', action='do')
    assert model.unit('db/0').status == ('blocked', 'stuck')


# C4 ------------------------------------------------------------------------------------
def test_defer_of_an_action_raises_and_fails_the_task() -> None:
    model = make_model(do_action=lambda c, e: e.defer())
    task = model.run('db/0', action='do').tasks[0]
    assert task.status == actionspec.TaskStatus.FAILED
    assert task.message == 'exit status 1'
    assert task.results['stderr'].startswith(
        'Uncaught RuntimeError in charm code: cannot defer action events\n'
    )


def test_defer_raises_runtime_error_inside_the_handler() -> None:
    caught = []

    def handler(charm, event):
        try:
            event.defer()
        except RuntimeError as e:
            caught.append(str(e))

    make_model(do_action=handler).run('db/0', action='do')
    assert caught == ['cannot defer action events']


# C5 ------------------------------------------------------------------------------------
def test_params_carry_defaults_and_id_is_the_task_number() -> None:
    seen: dict[str, object] = {}

    def handler(charm, event):
        seen.update(params=event.params, id=event.id)

    op = make_model(snapshot_database_action=handler).run(
        'db/0', action='snapshot-database', params={'outfile': 'x'}
    )
    assert seen['params'] == {'outfile': 'x', 'compress': True}
    assert seen['id'] == op.tasks[0].id
    assert seen['id'].isdigit()


# C6 ------------------------------------------------------------------------------------
def test_set_results_flattens_and_stringifies() -> None:
    model = make_model(do_action=lambda c, e: e.set_results({'a': {'b': 1, 'c': True}, 'd': 2}))
    results = model.run('db/0', action='do').tasks[0].results
    assert results['a'] == {'b': '1', 'c': 'True'}
    assert results['d'] == '2'


@pytest.mark.parametrize(
    ('results', 'message'),
    [
        ({'A': 1}, "key 'A' is invalid: must be similar to 'key', 'some-key2', or 'some.key'"),
        ({'a_b': 1}, "key 'a_b' is invalid: must be similar to 'key', 'some-key2', or 'some.key'"),
        (
            {'a': {'B': 1}},
            "key 'B' is invalid: must be similar to 'key', 'some-key2', or 'some.key'",
        ),
        ({1: 1}, 'invalid key 1; must be a string'),
        (
            {'a.b': 1, 'a': {'b': 2}},
            "duplicate key detected in dictionary passed to 'action-set': 'a.b'",
        ),
    ],
)
def test_set_results_refuses_keys_as_ops_does(results: dict, message: str) -> None:
    with pytest.raises(ValueError) as e:
        charm_.flatten_results(results)
    assert str(e.value) == message


def test_juju_refusal_reaches_the_handler_as_model_error() -> None:
    errors = []

    def handler(charm, event):
        try:
            event.set_results({'stdout': 'x'})
        except actionspec.ModelError as e:
            errors.append(str(e))

    task = make_model(do_action=handler).run('db/0', action='do').tasks[0]
    assert errors == ['ERROR cannot set reserved action key "stdout"\n']
    assert task.status == actionspec.TaskStatus.COMPLETED


# C7 ------------------------------------------------------------------------------------
def test_fail_does_not_stop_the_handler() -> None:
    def handler(charm, event):
        event.fail('first')
        event.log('still running')
        event.set_results({'after': 'fail'})

    task = make_model(do_action=handler).run('db/0', action='do').tasks[0]
    assert task.status == actionspec.TaskStatus.FAILED
    assert task.message == 'first'
    assert [log.message for log in task.logs] == ['still running']
    assert task.results['after'] == 'fail'


def test_fail_without_message_passes_an_empty_message() -> None:
    task = make_model(do_action=lambda c, e: e.fail()).run('db/0', action='do').tasks[0]
    assert task.status == actionspec.TaskStatus.FAILED
    assert task.message == ''


# C8 ------------------------------------------------------------------------------------
def test_uncaught_exception_exits_1_with_ops_stderr_and_commits_nothing() -> None:
    def handler(charm, event):
        charm.model.get_relation('replicas').data[charm.unit]['k'] = 'v'
        raise ValueError('boom')

    model = make_model(
        peers=('replicas',),
        update_status=lambda c, e: None,
        do_action=handler,
        replicas_relation_changed=lambda c, e: None,
    )
    model.defer('db/0', 'update_status')
    op = model.run('db/0', action='do')
    task = op.tasks[0]
    assert task.return_code == 1
    assert task.results['stderr'] == (
        'Uncaught ValueError in charm code: boom\n'
        'Use `juju debug-log` to see the full traceback.\n'
    )
    assert model.unit('db/0').deferred == ('update_status',)
    assert model.relations[0].data == {}
    assert op.trace.for_unit('db/1') == ()


def test_exception_in_a_hook_writes_no_action_lines_to_stderr() -> None:
    def hook(charm, event):
        raise ValueError('boom')

    def write(charm, event):
        charm.model.get_relation('replicas').data[charm.unit]['k'] = 'v'

    model = make_model(peers=('replicas',), do_action=write, replicas_relation_changed=hook)
    op = model.run('db/0', action='do')
    assert op.trace.for_unit('db/1').events() == ['replicas_relation_changed']
    assert any('Uncaught exception while in charm code' in r.message for r in model.debug_log)


# C9 ------------------------------------------------------------------------------------
def test_unobserved_action_emits_nothing_but_deferred_and_status_still_run() -> None:
    model = make_model(
        update_status=lambda c, e: None,
        collect_unit_status=lambda c, e: e.add_status(actionspec.ActiveStatus()),
    )
    model.defer('db/0', 'update_status')
    op = model.run('db/0', action='do')
    assert op.trace.events() == ['update_status', 'collect_unit_status']
    assert op.tasks[0].status == actionspec.TaskStatus.COMPLETED
