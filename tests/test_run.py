"""`juju run` on the controller side: params (J7, J8), tasks (J3-J5, J9), relations (J10),
environment (J11), and refusals: the CLI's leave the model unchanged, the controller's are
kept as an operation in error."""

from __future__ import annotations

import datetime

import pytest

import actionspec
from actionspec.juju import actions

from .helpers import charm_with, make_model

Status = actionspec.TaskStatus


def _refusal(model: actionspec.Model, *targets: str, **kwargs) -> actionspec.RunError:
    ids_before = model._ids.next_id
    operations_before = list(model.operations)
    with pytest.raises(actionspec.RunError) as e:
        model.run(*targets, **kwargs)
    assert model.trace == ()
    if e.value.exit_code == 2:  # the CLI refused: nothing reached the controller
        assert model._ids.next_id == ids_before
        assert model.operations == operations_before
    else:  # the controller keeps what it refused, in error (juju/juju#12937)
        kept = model.operations[len(operations_before) :]
        assert [op.status for op in kept] == [Status.ERROR]
        assert kept[0].id == str(ids_before)
        assert e.value.operation == kept[0]
        assert kept[0].fail.startswith('error(s) enqueueing action(s): ')
        assert all(t.status is Status.ERROR and t.timing.started is None for t in kept[0].tasks)
    return e.value


# J7 ------------------------------------------------------------------------------------
def test_missing_required_param_uses_juju_wording() -> None:
    error = _refusal(make_model(), 'db/0', action='snapshot-database', params={})
    assert str(error) == (
        'validation failed: (root) : "outfile" property is missing and required, given {}'
    )
    assert error.exit_code == 0
    assert error.stderr == (
        '\nOperation 1 failed to schedule any tasks:\n'
        'validation failed: (root) : "outfile" property is missing and required, given {}\n'
    )


def test_wrong_type_uses_juju_wording() -> None:
    error = _refusal(make_model(), 'db/0', action='snapshot-database', params={'outfile': 3})
    assert str(error) == 'validation failed: (root).outfile : must be of type string, given 3'


def test_defaults_are_inserted_before_the_charm_sees_params() -> None:
    op = make_model().run('db/0', action='snapshot-database', params={'outfile': 'f'})
    assert op.params == {'outfile': 'f', 'compress': True}
    assert op.tasks[0].params == {'outfile': 'f', 'compress': True}


def test_required_param_with_a_default_must_still_be_given() -> None:
    spec = actions.parse_actions_yaml(
        {'act': {'params': {'n': {'type': 'integer', 'default': 1}}, 'required': ['n']}}
    )['act']
    with pytest.raises(actions.ParamsError, match='"n" property is missing and required'):
        spec.check_params({}, actionspec.Model().profile)


@pytest.mark.parametrize(('version', 'allowed'), [('2.9', True), ('3.6', True), ('4.0', False)])
def test_unknown_params_depend_on_the_juju_version(version: str, allowed: bool) -> None:
    model = make_model(juju_version=version)
    params = {'outfile': 'f', 'extra': 'x'}
    if allowed:
        assert model.run('db/0', action='snapshot-database', params=params).params['extra'] == 'x'
    else:  # 4.0's unit agent checks params when it takes the task (juju/juju#20907)
        task = model.run('db/0', action='snapshot-database', params=params).tasks[0]
        assert (task.status, task.message) == (
            Status.ERROR,
            'cannot run "snapshot-database" action: validation failed: (root) : additional '
            'property "extra" is not allowed, given {"extra":"x","outfile":"f"}',
        )
        assert task.timing.started is None and model.trace == ()


def test_explicit_additional_properties_false_applies_in_3_6() -> None:
    model = actionspec.Model(clock=actionspec.TickingClock())
    model.deploy(
        'db', charm_with(), actions={'act': {'params': {}, 'additionalProperties': False}}
    )
    error = _refusal(model, 'db/0', action='act', params={'x': 1})
    assert 'additional property "x" is not allowed' in str(error)


def test_nested_defaults_follow_properties() -> None:
    spec = actions.parse_actions_yaml(
        {
            'act': {
                'params': {
                    'opts': {
                        'type': 'object',
                        'properties': {'level': {'type': 'integer', 'default': 3}},
                    }
                }
            }
        }
    )['act']
    profile = actionspec.Model().profile
    assert spec.check_params({}, profile) == {'opts': {'level': 3}}
    assert spec.check_params({'opts': {}}, profile) == {'opts': {'level': 3}}
    assert spec.check_params({'opts': {'level': 1}}, profile) == {'opts': {'level': 1}}


def test_minimum_keeps_gojsonschema_wording_and_quoted_value() -> None:
    spec = actions.parse_actions_yaml(
        {'act': {'params': {'n': {'type': 'integer', 'minimum': 5}}}}
    )
    with pytest.raises(actions.ParamsError) as e:
        spec['act'].check_params({'n': 3}, actionspec.Model().profile)
    assert str(e.value) == 'validation failed: (root).n : must be greater than 5, given "3"'


# J8 ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ('name', 'message'),
    [
        ('Snapshot', 'bad action name Snapshot'),
        ('snap_shot', 'bad action name snap_shot'),
        ('-snap', 'bad action name -snap'),
        ('juju', 'cannot use action name juju: "juju" is a reserved name'),
        ('juju-run', 'cannot use action name juju-run: the "juju-" prefix is reserved'),
    ],
)
def test_action_names_follow_juju_rules(name: str, message: str) -> None:
    with pytest.raises(actions.ActionsYamlError) as e:
        actions.parse_actions_yaml({name: {}})
    assert str(e.value) == message


def test_prohibited_schema_keys() -> None:
    with pytest.raises(actions.ActionsYamlError, match='schema key "\\$ref" not compatible'):
        actions.parse_actions_yaml({'act': {'params': {'x': {'$ref': '#/x'}}}})


def test_unknown_action_is_refused() -> None:
    error = _refusal(make_model(), 'db/0', action='nope')
    assert str(error) == 'action "nope" not defined on unit "db/0"'


# J9 ------------------------------------------------------------------------------------
def test_one_operation_one_task_per_unit_sharing_the_id_sequence() -> None:
    model = make_model(units=3)
    op = model.run('db/0', 'db/2', action='do')
    assert (op.id, [t.id for t in op.tasks], [t.unit for t in op.tasks]) == (
        '1',
        ['2', '3'],
        ['db/0', 'db/2'],
    )
    assert model.run('db/1', action='do').id == '4'


def test_ids_start_at_zero_in_juju_4() -> None:
    op = make_model(juju_version='4.0').run('db/0', action='do')
    assert (op.id, op.tasks[0].id) == ('0', '1')


def test_leader_target_names_the_leader() -> None:
    model = actionspec.Model(clock=actionspec.TickingClock())
    model.deploy('db', charm_with(), actions='do: {}', units=3, leader=2)
    op = model.run('db/leader', action='do')
    assert op.tasks[0].unit == 'db/2'


def test_one_failing_task_does_not_touch_another() -> None:
    def handler(charm, event):
        if charm.unit.name == 'db/1':
            raise RuntimeError('only here')
        event.set_results({'ok': 'yes'})

    op = make_model(units=3, do_action=handler).run('db/0', 'db/1', 'db/2', action='do')
    assert [t.status for t in op.tasks] == [Status.COMPLETED, Status.FAILED, Status.COMPLETED]
    assert op.status == Status.FAILED
    assert op.task('db/2').results['ok'] == 'yes'


def test_partly_unknown_targets_run_the_rest() -> None:
    op = make_model().run('db/0', 'db/7', action='do')
    assert [t.unit for t in op.tasks] == ['db/0']
    assert op.enqueue_errors == ('"unit-db-7" not found',)


@pytest.mark.parametrize(
    ('targets', 'message', 'code'),
    [
        ((), 'no unit specified', 2),
        (('db',), 'invalid unit or action name "db"', 2),
        (('db/01',), 'invalid unit or action name "db/01"', 2),
        (('db/0', 'web/0'), 'all units must be of the same application', 2),
        (('db/9',), '"unit-db-9" not found', 0),
        (('nope/0',), '"unit-nope-0" not found', 0),
    ],
)
def test_bad_targets_are_refused_with_juju_text(targets, message, code) -> None:
    model = make_model()
    model.deploy('web', charm_with(), actions='do: {}')
    error = _refusal(model, *targets, action='do')
    assert (str(error), error.exit_code) == (message, code)


def test_leader_that_does_not_exist() -> None:
    model = actionspec.Model()
    model.deploy('db', charm_with(), actions='do: {}', units=2, leader=None)
    error = _refusal(model, 'db/leader', action='do')
    assert str(error) == 'could not determine leader for "db"'


# J3, J4, J5 ----------------------------------------------------------------------------
def test_logs_are_timestamped_in_utc_in_order() -> None:
    def handler(charm, event):
        event.log('one')
        event.log('two')

    task = make_model(do_action=handler).run('db/0', action='do').tasks[0]
    assert [log.message for log in task.logs] == ['one', 'two']
    assert all(log.timestamp.tzinfo == datetime.timezone.utc for log in task.logs)
    assert task.logs[0].timestamp < task.logs[1].timestamp


def test_last_fail_message_wins() -> None:
    def handler(charm, event):
        event.fail('first')
        event.fail('second')

    task = make_model(do_action=handler).run('db/0', action='do').tasks[0]
    assert (task.status, task.message) == (Status.FAILED, 'second')


def test_non_zero_exit_replaces_the_fail_message() -> None:
    def handler(charm, event):
        event.fail('told you')
        raise SystemExit(3)

    task = make_model(do_action=handler).run('db/0', action='do').tasks[0]
    assert (task.status, task.message, task.return_code) == (Status.FAILED, 'exit status 3', 3)


def test_fail_hook_tool_without_argument_uses_juju_default() -> None:
    task = (
        make_model(do_action=lambda c, e: c.framework.tools.action_fail())
        .run('db/0', action='do')
        .tasks[0]
    )
    assert task.message == 'action failed without reason given, check action for errors'


def test_task_lifecycle_and_timing() -> None:
    task = make_model(do_action=lambda c, e: None).run('db/0', action='do').tasks[0]
    assert task.history == (Status.PENDING, Status.RUNNING, Status.COMPLETED)
    assert task.timing.enqueued <= task.timing.started <= task.timing.completed  # type: ignore[operator]


def test_timestamps_to_the_second_except_in_4_0() -> None:
    clock = actionspec.TickingClock(step=datetime.timedelta(milliseconds=1500))
    for version, fractional in (('3.6', False), ('4.0', True)):
        model = actionspec.Model(juju_version=version, clock=clock)
        model.deploy('db', charm_with(do_action=lambda c, e: e.log('x')), actions='do: {}')
        task = model.run('db/0', action='do').tasks[0]
        stamps = [task.timing.started, task.timing.completed, task.logs[0].timestamp]
        assert any(s.microsecond for s in stamps if s) is fractional


# J10 -----------------------------------------------------------------------------------
def _relation_model(**handlers) -> actionspec.Model:
    model = actionspec.Model(clock=actionspec.TickingClock())
    model.deploy('db', charm_with(**handlers), actions='do: {}', units=2, endpoints=['database'])
    seen = {'db_relation_changed': lambda c, e: None}
    model.deploy('web', charm_with(**seen), units=2, endpoints=['db'])
    model.relate('db:database', 'web:db')
    return model


def _write(bag: str):
    def handler(charm, event):
        owner = charm.unit if bag == 'unit' else charm.app
        charm.model.get_relation('database').data[owner]['k'] = 'v'

    return handler


def test_committed_unit_data_triggers_relation_changed_on_the_other_side() -> None:
    model = _relation_model(do_action=_write('unit'))
    op = model.run('db/0', action='do')
    assert model.relations[0].data == {'db/0': {'k': 'v'}}
    changed = [(e.unit, e.event, e.cause) for e in op.trace if e.unit.startswith('web')]
    assert changed == [
        ('web/0', 'db_relation_changed', actionspec.Cause.RELATION_CHANGE),
        ('web/1', 'db_relation_changed', actionspec.Cause.RELATION_CHANGE),
    ]


def test_failed_exit_commits_nothing_and_triggers_nothing() -> None:
    def handler(charm, event):
        _write('unit')(charm, event)
        raise SystemExit(1)

    model = _relation_model(do_action=handler)
    op = model.run('db/0', action='do')
    assert model.relations[0].data == {}
    assert op.trace.for_unit('web/0') == ()


def test_action_fail_with_clean_exit_still_commits() -> None:
    def handler(charm, event):
        _write('unit')(charm, event)
        event.fail('but still exit 0')

    model = _relation_model(do_action=handler)
    op = model.run('db/0', action='do')
    assert op.tasks[0].status == Status.FAILED
    assert model.relations[0].data == {'db/0': {'k': 'v'}}
    assert op.trace.for_unit('web/1').events() == ['db_relation_changed']


def test_writing_the_same_value_again_triggers_nothing() -> None:
    model = _relation_model(do_action=_write('unit'))
    model.run('db/0', action='do')
    again = model.run('db/0', action='do')
    assert again.trace.for_unit('web/0') == ()


def test_app_data_needs_leadership() -> None:
    errors = []

    def handler(charm, event):
        try:
            _write('app')(charm, event)
        except actionspec.ModelError as e:
            errors.append(str(e))

    model = _relation_model(do_action=handler)
    model.run('db/0', 'db/1', action='do')
    assert errors == ['ERROR cannot write relation settings\n']
    assert model.relations[0].data == {'db': {'k': 'v'}}


def test_peer_relation_unit_data_reaches_the_other_peers() -> None:
    model = make_model(
        units=3,
        peers=('replicas',),
        do_action=lambda c, e: c.model.get_relation('replicas').data[c.unit].update(k='v'),
        replicas_relation_changed=lambda c, e: None,
    )
    op = model.run('db/1', action='do')
    assert [e.unit for e in op.trace if e.event == 'replicas_relation_changed'] == [
        'db/0',
        'db/2',
    ]


def test_relation_changed_event_names_the_remote_unit() -> None:
    remotes = []
    model = _relation_model(do_action=_write('unit'))
    model.applications['web'].charm = charm_runtime(
        db_relation_changed=lambda c, e: remotes.append((e.remote_unit, e.remote_app))
    )
    model.run('db/0', action='do')
    assert remotes == [('db/0', 'db'), ('db/0', 'db')]


def charm_runtime(**handlers):
    from actionspec import charmmeta
    from actionspec.charm import main

    return main.InProcessCharm(charm_with(**handlers), charmmeta.CharmMeta(requires=('db',)))


# J11 -----------------------------------------------------------------------------------
def test_action_environment() -> None:
    seen = {}
    model = make_model(do_action=lambda c, e: seen.update(c.framework.env))
    op = model.run('db/1', action='do')
    task_id = op.tasks[0].id
    assert seen['JUJU_DISPATCH_PATH'] == 'actions/do'
    assert seen['JUJU_ACTION_NAME'] == 'do'
    assert seen['JUJU_ACTION_UUID'] == task_id
    assert seen['JUJU_ACTION_TAG'] == f'action-{task_id}'
    assert seen['JUJU_UNIT_NAME'] == 'db/1'
    assert seen['JUJU_MODEL_NAME'] == model.name
    assert seen['JUJU_VERSION'].startswith('3.6')
    assert seen['JUJU_CONTEXT_ID'].startswith('db/1-do-')
    assert seen['JUJU_HOOK_NAME'] == ''
    assert not any(k.startswith(('JUJU_RELATION', 'JUJU_REMOTE')) for k in seen)
