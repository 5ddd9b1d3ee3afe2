"""A model as data and back, so a controller that restarts goes on where it was.

`dump` writes everything the controller keeps (applications and their config, units and
their statuses, relations and their data, operations and tasks, queued hooks, ids) as
JSON-ready data; `load` rebuilds a model from it, with the charm runtimes its caller
makes. What was running when the controller went is settled as a unit agent that
restarts settles it (juju/juju 3.6 internal/worker/uniter: actions/resolver.go
`NextOp` and operation/failaction.go: a task that was running fails with "action
terminated", keeping the messages it logged, which reached the controller as they were
sent; resolver.go `nextOpHookError`: a hook that was running counts as failed, and is
retried). The model's log is not in it: it grows, so callers keep it apart
(`log_records`).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
from collections.abc import Callable
from typing import Any

from .. import charmmeta
from .. import trace as trace_
from . import clock as clock_
from . import context, model, operation, process

# What a task that was running when its unit agent restarted ends with.
TERMINATED = 'action terminated'

RuntimeFactory = Callable[[str, charmmeta.CharmMeta], process.CharmRuntime]


def _time(moment: datetime.datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _read_time(text: str | None) -> datetime.datetime | None:
    return None if text is None else datetime.datetime.fromisoformat(text)


def dump(m: model.Model) -> dict[str, Any]:
    """The model as JSON-ready data (its log apart: see `log_records`)."""
    return {
        'name': m.name,
        'uuid': m.uuid,
        'juju-version': m.profile.version,
        'retry-hooks': m.retry_hooks,
        'logging-config': m.logging_config,
        'ids': {
            'next': m._ids.next_id,
            'relation': m._relation_ids,
            'machine': m._machines,
            'context': m._context_ids,
        },
        'applications': [_dump_app(app) for app in m.applications.values()],
        'relations': [_dump_relation(r) for r in m.relations.values()],
        'operations': [_dump_operation(r) for r in m._operations.values()],
        'queues': {unit: [t.id for t in queue] for unit, queue in m._queues.items()},
        'running-tasks': [t.id for t in m._running],
        # A hook under way is saved at the head of its unit's hooks: see `load`.
        'running-hooks': [_dump_hook(run.hook) for run in m._hook_runs.values()],
        'hooks': [_dump_hook(hook) for hook in m._pending],
        'update-status-due': {u: _time(t) for u, t in m.update_status_due.items()},
        'trace': [list(entry) for entry in m._trace],
    }


def _dump_app(app: model.Application) -> dict[str, Any]:
    return {
        'name': app.name,
        'meta': dataclasses.asdict(app.meta),
        'config-values': app.config_values,
        'leader': app.leader,
        'status': list(app.status),
        'next-unit': app.next_unit,
        'units': [
            {
                'name': unit.name,
                'machine': unit.machine,
                'status': list(unit.status),
                'agent-status': list(unit.agent_status),
                'workload-version': unit.workload_version,
                'installed': unit.installed,
                'started': unit.started,
                'status-set': unit.status_set,
                'life': unit.life,
                'failed-hook': _dump_hook(unit.failed_hook) if unit.failed_hook else None,
                'retry-at': _time(unit.retry_at),
                'retry-delay': unit.retry_delay,
            }
            for unit in app.units.values()
        ],
    }


def _dump_relation(relation: model.Relation) -> dict[str, Any]:
    return {
        'id': relation.id,
        'ends': [list(end) for end in relation.ends],
        'data': relation.data,
        'joined': relation.joined,
        'dying': relation.dying,
    }


def _dump_hook(hook: model.Hook) -> dict[str, Any]:
    return {
        'unit': hook.unit.name,
        'name': hook.name,
        'relation': hook.relation.id if hook.relation is not None else None,
        'remote-unit': hook.remote_unit,
        'remote-app': hook.remote_app,
        'departing-unit': hook.departing_unit,
        'cause': hook.cause.value,
        'operation': hook.operation.id if hook.operation is not None else None,
    }


def _dump_operation(record: model._OperationRecord) -> dict[str, Any]:
    return {
        'id': record.id,
        'action': record.action,
        'enqueued': _time(record.enqueued),
        'summary': record.summary,
        'command': record.command,
        'enqueue-errors': record.enqueue_errors,
        'fail': record.fail,
        'started': _time(record.started),
        'completed': _time(record.completed),
        'last-finished': record.last_finished.value if record.last_finished else None,
        'ended': record.ended,
        'trace': [list(entry) for entry in record.trace],
        'tasks': [_dump_task(task) for task in record.tasks],
    }


def _dump_task(task: model._TaskRecord) -> dict[str, Any]:
    state = task.state
    return {
        'id': task.id,
        'unit': task.unit.name,
        'action': task.action,
        'params': task.params,
        'enqueued': _time(task.enqueued),
        'status': task.status.value,
        'history': [status.value for status in task.history],
        'started': _time(task.started),
        'completed': _time(task.completed),
        'message': task.message,
        'parallel': task.parallel,
        'execution-group': task.execution_group,
        'state': None
        if state is None
        else {
            'results': state.results,
            'logs': [[_time(entry.timestamp), entry.message] for entry in state.logs],
            'failed': state.failed,
            'message': state.message,
        },
    }


def log_records(records: list[model.LogRecord]) -> list[list[str]]:
    """Log lines as JSON-ready data."""
    return [[r.entity, r.timestamp.isoformat(), r.level, r.module, r.message] for r in records]


def read_log_records(rows: list[list[str]]) -> list[model.LogRecord]:
    return [
        model.LogRecord(row[0], datetime.datetime.fromisoformat(row[1]), *row[2:]) for row in rows
    ]


def load(
    data: dict[str, Any], new_model: Callable[..., model.Model], runtime: RuntimeFactory
) -> model.Model:
    """A model rebuilt from `dump`'s data: `new_model(name, **options)` makes the empty
    model, `runtime(app, meta)` each application's charm runtime."""
    m = new_model(
        data['name'],
        juju_version=data['juju-version'],
        model_uuid=data['uuid'],
        retry_hooks=data['retry-hooks'],
    )
    m.logging_config = data['logging-config']
    for app_data in data['applications']:
        _load_app(m, app_data, runtime)
    for item in data['relations']:
        relation = model.Relation(item['id'], tuple(tuple(end) for end in item['ends']), m)
        relation.data = item['data']
        relation.joined = item['joined']
        relation.dying = item['dying']
        m.relations[relation.id] = relation
    ids = data['ids']
    m._ids = clock_.IdSequence(ids['next'])
    m._relation_ids, m._machines, m._context_ids = ids['relation'], ids['machine'], ids['context']
    for item in data['operations']:
        _load_operation(m, item)
    for unit, task_ids in data['queues'].items():
        m._queues[unit] = collections.deque(m._tasks[t] for t in task_ids)
    now = m.now()
    for task_id in data['running-tasks']:
        _terminated(m, m._tasks[task_id], now)
    m._pending = collections.deque(_load_hook(m, h) for h in data['hooks'])
    for item in reversed(data['running-hooks']):
        hook = _load_hook(m, item)
        m._hook_failed(hook)  # it never reported its end: a failed hook, retried
    for app_data in data['applications']:
        for unit_data in app_data['units']:
            unit = m.unit(unit_data['name'])
            if unit_data['failed-hook'] is not None and unit.failed_hook is None:
                # Its failed hook waits at the head of its hooks.
                unit.failed_hook = next(iter(m.pending(unit)), None)
    for unit_name, due in data['update-status-due'].items():
        moment = _read_time(due)
        if moment is not None:
            m.update_status_due[unit_name] = moment
    m._trace = [_entry(row) for row in data['trace']]
    return m


def _load_app(m: model.Model, data: dict[str, Any], runtime: RuntimeFactory) -> None:
    meta_data = dict(data['meta'])
    for key in ('requires', 'provides', 'peers'):
        meta_data[key] = tuple(meta_data[key])
    meta = charmmeta.CharmMeta(**meta_data)
    # The application's own relations come back with the rest (`relations`), so the
    # peer relations `deploy` makes are taken back out.
    before = set(m.relations)
    app = m.deploy(
        data['name'],
        runtime(data['name'], meta),
        actions=dict(meta.actions),
        units=0,
        leader=None,
        config=meta.config,
        meta=meta,
    )
    for relation_id in set(m.relations) - before:
        del m.relations[relation_id]
    app.config_values = data['config-values']
    app.leader = data['leader']
    app.status = (data['status'][0], data['status'][1])
    app.next_unit = data['next-unit']
    for unit_data in data['units']:
        unit = model.Unit(unit_data['name'], app, machine=unit_data['machine'])
        unit.status = (unit_data['status'][0], unit_data['status'][1])
        unit.agent_status = (unit_data['agent-status'][0], unit_data['agent-status'][1])
        unit.workload_version = unit_data['workload-version']
        unit.installed = unit_data['installed']
        unit.started = unit_data['started']
        unit.status_set = unit_data['status-set']
        unit.life = unit_data['life']
        unit.retry_at = _read_time(unit_data['retry-at'])
        unit.retry_delay = unit_data['retry-delay']
        app.units[unit.name] = unit
        m._queues[unit.name] = collections.deque()


def _load_hook(m: model.Model, data: dict[str, Any]) -> model.Hook:
    unit = m.unit(data['unit'])
    hook = model.Hook(
        unit,
        data['name'],
        m.relations.get(data['relation']) if data['relation'] is not None else None,
        remote_unit=data['remote-unit'],
        remote_app=data['remote-app'],
        departing_unit=data['departing-unit'],
        cause=trace_.Cause(data['cause']),
        operation=m._operations.get(data['operation']) if data['operation'] else None,
    )
    return hook


def _entry(row: list[Any]) -> trace_.TraceEntry:
    return trace_.TraceEntry(row[0], row[1], trace_.Cause(row[2]), bool(row[3]))


def _load_operation(m: model.Model, data: dict[str, Any]) -> None:
    enqueued = _read_time(data['enqueued'])
    assert enqueued is not None
    record = model._OperationRecord(
        data['id'], data['action'], enqueued, data['summary'], data['command']
    )
    record.enqueue_errors = data['enqueue-errors']
    record.fail = data['fail']
    record.started = _read_time(data['started'])
    record.completed = _read_time(data['completed'])
    last = data['last-finished']
    record.last_finished = operation.TaskStatus(last) if last else None
    record.ended = data['ended']
    record.trace = [_entry(row) for row in data['trace']]
    for item in data['tasks']:
        task_enqueued = _read_time(item['enqueued'])
        assert task_enqueued is not None
        task = model._TaskRecord(
            item['id'],
            record,
            _task_unit(m, item['unit']),
            item['action'],
            item['params'],
            task_enqueued,
            status=operation.TaskStatus(item['status']),
            history=[operation.TaskStatus(s) for s in item['history']],
            started=_read_time(item['started']),
            completed=_read_time(item['completed']),
            message=item['message'],
            parallel=item['parallel'],
            execution_group=item['execution-group'],
        )
        state = item['state']
        if state is not None:
            task.state = context.ActionState(
                task.action,
                task.id,
                task.params,
                results=state['results'],
                logs=[
                    context.LogEntry(datetime.datetime.fromisoformat(t), message)
                    for t, message in state['logs']
                ],
                failed=state['failed'],
                message=state['message'],
            )
        record.tasks.append(task)
        m._tasks[task.id] = task
    m._operations[record.id] = record


def _task_unit(m: model.Model, name: str) -> model.Unit:
    """The unit a task ran on; one removed since keeps its name, out of the model."""
    app_name = name.partition('/')[0]
    app = m.applications.get(app_name)
    if app is not None and name in app.units:
        return app.units[name]
    gone = model.Application(app_name, _GONE, {}) if app is None else app
    return model.Unit(name, gone)


class _Gone:
    """The charm of an application that is no longer in the model: nothing runs it."""

    def dispatch(self, *args: Any) -> process.ProcessResult:
        raise RuntimeError('the application is gone')

    def seed_deferred(self, *args: Any) -> None:
        raise RuntimeError('the application is gone')

    def deferred(self, unit: str) -> tuple[str, ...]:
        return ()


_GONE = _Gone()


def _terminated(m: model.Model, task: model._TaskRecord, now: datetime.datetime) -> None:
    """A task whose unit agent restarted under it: failed, its results gone (they reach
    the controller only when a task finishes), what it logged kept."""
    if task.state is not None:
        task.state.results = {}
    task.end(operation.TaskStatus.FAILED, TERMINATED, at=now)
    m._settle_agent(task.unit)
    m._finished(task)
