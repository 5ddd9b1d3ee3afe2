"""What `juju run` prints for a finished operation, and its exit status (J12).

Source: juju/juju 3.6 cmd/juju/action/run.go and common.go (`formatActionResult`,
`printPlainOutput`, `processOperationResults`), 2.9.31 cmd/juju/action/runaction.go and
showoutput.go (`run-action --wait`, the "compat" layout). Timestamps are shown as with
`--utc`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import goformat, results

if TYPE_CHECKING:
    from . import operation, versions

FORMATS = ('plain', 'yaml', 'json')


@dataclasses.dataclass(frozen=True)
class CliOutput:
    """Everything one `juju run` invocation shows: stdout, stderr and exit status."""

    stdout: str
    stderr: str
    exit_code: int


def _unit_tag(unit: str) -> str:
    return 'unit-' + unit.replace('/', '-')


def _return_code(stored: Mapping[str, Any]) -> int:
    """The CLI's reading of `return-code` (`convertActionOutput`): -1 when absent."""
    code = results.captured_return_code(stored)
    return -1 if code is None else code


def _cleaned_results(results: Mapping[str, Any], profile: versions.JujuProfile) -> dict[str, Any]:
    """The 3.x client's view of a task's results (`convertActionOutput`)."""
    cleaned = dict(results)
    for key in (profile.stdout_key, profile.stderr_key):
        value = cleaned.get(key)
        if isinstance(value, str) and value:
            cleaned[key] = value.replace('\r\n', '\n')
        else:
            cleaned.pop(key, None)
    code = _return_code(results)
    if code >= 0 or profile.return_code_key in cleaned:
        cleaned[profile.return_code_key] = code
    return cleaned


def task_info(task: operation.Task, profile: versions.JujuProfile) -> dict[str, Any]:
    """One unit's entry in `juju run --format yaml|json` (`formatActionResult`)."""
    info: dict[str, Any] = {'id': task.id, 'status': str(task.status), 'unit': task.unit}
    if task.message:
        info['message'] = task.message
    results = _cleaned_results(task.results, profile)
    if results:
        info['results'] = results
    if task.logs:
        info['log'] = [f'{goformat.time_string(log.timestamp)} {log.message}' for log in task.logs]
    timing = {
        name: goformat.time_string(moment)
        for name, moment in (
            ('enqueued', task.timing.enqueued),
            ('started', task.timing.started),
            ('completed', task.timing.completed),
        )
        if moment is not None
    }
    if timing:
        info['timing'] = timing
    return info


def _plain_output(task: operation.Task, profile: versions.JujuProfile) -> str:
    results = _cleaned_results(task.results, profile)
    if not results:
        return f'Task {task.id} {task.status}\n'
    # The plain format leaves the captured output out of the results (common.go).
    shown = {k: v for k, v in results.items() if k.lower() not in profile.captured_keys}
    return goformat.yaml_v2(shown) if shown else ''


def _plain(op: operation.Operation) -> str:
    if len(op.tasks) != 1:
        info: dict[str, Any] = {}
        for task in op.tasks:
            entry: dict[str, Any] = {'id': task.id, 'output': _plain_output(task, op.profile)}
            if task.message:
                entry['message'] = task.message
            entry['status'] = str(task.status)
            info[task.unit] = entry
        return goformat.yaml_v2(info)
    task = op.tasks[0]
    out = []
    if task.status == 'failed':
        out.append(f'Action id {task.id} failed: {task.message or "<nil>"}\n')
    out.append(_plain_output(task, op.profile) + '\n')
    results = _cleaned_results(task.results, op.profile)
    for key in (op.profile.stdout_key, op.profile.stderr_key):
        text = results.get(key, '')
        if text:
            out.append(text.strip('\n') + '\n')
    return ''.join(out)


def _compat_info(task: operation.Task, profile: versions.JujuProfile) -> dict[str, Any]:
    """2.9's `run-action --wait` entry (`FormatActionResult` with compat)."""
    info: dict[str, Any] = {'id': task.id, 'status': str(task.status), 'UnitId': task.unit}
    if task.message:
        info['message'] = task.message
    results = dict(task.results)
    for key in (profile.stdout_key, profile.stderr_key):
        value = results.get(key)
        if isinstance(value, str) and value:
            results[key] = value.replace('\r\n', '\n')
            encoding = key + profile.encoding_suffix
            if results.get(encoding):
                # The compat layout also shows it under the 3.x spelling.
                results[f'{key}-encoding'] = results[encoding]
    code = results.pop(profile.return_code_key, None)
    if code not in (None, '', '0'):
        results['ReturnCode'] = int(str(code))
    if results:
        info['results'] = results
    base = task_info(task, profile)
    for key in ('log', 'timing'):
        if key in base:
            info[key] = base[key]
    return info


def render(op: operation.Operation, fmt: str = 'yaml') -> str:
    """The text `juju run --format <fmt>` writes to stdout."""
    if fmt not in FORMATS:
        raise ValueError(f'unknown format "{fmt}" (expected one of: {", ".join(FORMATS)})')
    if op.profile.compat_run_output:
        compat = {_unit_tag(t.unit): _compat_info(t, op.profile) for t in op.tasks}
        return goformat.json_marshal(compat) + '\n' if fmt == 'json' else goformat.yaml_v2(compat)
    if fmt == 'plain':
        return _plain(op)
    info = {t.unit: task_info(t, op.profile) for t in op.tasks}
    return goformat.json_marshal(info) + '\n' if fmt == 'json' else goformat.yaml_v2(info)


def progress(op: operation.Operation) -> str:
    """What `juju run` writes to stderr while it waits (3.x)."""
    if op.profile.compat_run_output:
        return ''
    count = len(op.tasks)
    lines = [f'Running operation {op.id} with {count} task{"s" if count > 1 else ""}']
    lines.extend(f'  - task {t.id} on {_unit_tag(t.unit)}' for t in op.tasks)
    lines.append('')
    if op.enqueue_errors:
        lines.append('Some actions could not be scheduled:')
        lines.extend(op.enqueue_errors)
        lines.append('')
    for n, task in enumerate(op.tasks):
        lines.append(f'Waiting for task {task.id}...')
        if count == 1 and task.logs:
            lines.extend(f'{log.timestamp:%H:%M:%S} {log.message}' for log in task.logs)
        if n == 0 and count == 1 and task.logs:
            lines.append('')
    return '\n'.join(lines) + '\n'


def failure_message(op: operation.Operation) -> str:
    """The error `juju run` ends with when a task's process exited non-zero, or ''."""
    if op.profile.compat_run_output:
        return ''
    failed = sorted(
        (t.id, _return_code(t.results)) for t in op.tasks if _return_code(t.results) >= 1
    )
    if not failed:
        return ''
    plural = len(failed) > 1
    lines = [f'the following task{"s" if plural else ""} failed:']
    lines.extend(f' - id "{task_id}" with return code {code}' for task_id, code in failed)
    lines.append('')
    lines.append(f"use 'juju show-task' to inspect the failure{'s' if plural else ''}")
    return '\n'.join(lines)


def exit_code(op: operation.Operation) -> int:
    """1 when any task's process exited non-zero (3.x); `action-fail` alone gives 0."""
    return 1 if failure_message(op) else 0


def cli_output(op: operation.Operation, fmt: str = 'plain') -> CliOutput:
    """stdout, stderr and exit status of the `juju run` that produced `op`."""
    stderr = progress(op)
    message = failure_message(op)
    if message:
        stderr += f'ERROR {message}\n'
    return CliOutput(render(op, fmt), stderr, exit_code(op))
