"""What `juju run` prints for a finished operation, and its exit status (J12).

Source: juju/juju 3.6 cmd/juju/action/run.go and common.go (`formatActionResult`,
`printPlainOutput`, `processOperationResults`), 2.9.31 cmd/juju/action/runaction.go and
showoutput.go (`run-action --wait`, the "compat" layout). Timestamps are shown as with
`--utc` unless a caller asks for the machine's local time (`utc=False`).
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

    def __str__(self) -> str:
        """As a terminal shows it: stderr, stdout, then the exit status."""
        return f'{self.stderr}{self.stdout}(exit status {self.exit_code})'


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


def task_info(
    task: operation.Task, profile: versions.JujuProfile, *, utc: bool = True
) -> dict[str, Any]:
    """One unit's entry in `juju run --format yaml|json` (`formatActionResult`)."""
    info: dict[str, Any] = {'id': task.id, 'status': str(task.status), 'unit': task.unit}
    if task.message:
        info['message'] = task.message
    results = _cleaned_results(task.results, profile)
    if results:
        info['results'] = results
    if task.logs:
        info['log'] = [
            f'{goformat.time_string(log.timestamp, local=not utc)} {log.message}'
            for log in task.logs
        ]
    timing = {
        name: goformat.time_string(moment, local=not utc)
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


# The keys the plain format leaves out of the results, compared lower-cased (common.go
# `filteredOutputKeys`): the same words in every version, 2.9's `Stdout` included.
_FILTERED = frozenset({'return-code', 'stdout', 'stderr', 'stdout-encoding', 'stderr-encoding'})


def _plain_parts(info: Mapping[str, Any]) -> tuple[str, str, str]:
    """The `output` of a formatted task (its results without the captured keys, keys
    lower-cased), and its stdout and stderr (common.go `printPlainOutput`)."""
    results = info.get('results')
    if results is None:
        return f'Task {info["id"]} {info["status"]}\n', '', ''
    lowered = {str(k).lower(): v for k, v in results.items()}
    shown = {k: v for k, v in lowered.items() if k not in _FILTERED}
    stdout, stderr = lowered.get('stdout', ''), lowered.get('stderr', '')
    return (goformat.yaml_v2(shown) if shown else ''), str(stdout), str(stderr)


def _plain(op: operation.Operation) -> str:
    if len(op.tasks) != 1:
        info: dict[str, Any] = {}
        for task in op.tasks:
            output, _, _ = _plain_parts(task_info(task, op.profile))
            entry: dict[str, Any] = {'id': task.id, 'output': output}
            if task.message:
                entry['message'] = task.message
            entry['status'] = str(task.status)
            info[task.unit] = entry
        return goformat.yaml_v2(info)
    return plain_task(op.tasks[0], op.profile)


def plain_task(task: operation.Task, profile: versions.JujuProfile) -> str:
    """One task in the plain format (`juju run` on one unit, `juju show-task`)."""
    return plain_info(task_info(task, profile))


def plain_info(info: Mapping[str, Any]) -> str:
    """A formatted task in the plain format: the failure first, the results without the
    captured keys, then its output (2.9's `show-action-output` passes its own layout)."""
    output, stdout, stderr = _plain_parts(info)
    out = []
    if info.get('status') == 'failed':
        out.append(f'Action id {info["id"]} failed: {info.get("message") or "<nil>"}\n')
    out.append(output + '\n')
    out.extend(text.strip('\n') + '\n' for text in (stdout, stderr) if text)
    return ''.join(out)


def compat_task_info(task: operation.Task, profile: versions.JujuProfile) -> dict[str, Any]:
    """2.9's `run-action --wait` entry and `show-action-output` (`FormatActionResult`
    with compat)."""
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


def render(op: operation.Operation, fmt: str = 'yaml', *, utc: bool = True) -> str:
    """The text `juju run --format <fmt>` writes to stdout; times in UTC as with `--utc`,
    else in the machine's local time (2.9's layout is always in UTC)."""
    if fmt not in FORMATS:
        raise ValueError(f'unknown format "{fmt}" (expected one of: {", ".join(FORMATS)})')
    if op.profile.compat_run_output:
        compat = {_unit_tag(t.unit): compat_task_info(t, op.profile) for t in op.tasks}
        return goformat.json_marshal(compat) + '\n' if fmt == 'json' else goformat.yaml_v2(compat)
    if fmt == 'plain':
        return _plain(op)
    info = {t.unit: task_info(t, op.profile, utc=utc) for t in op.tasks}
    return goformat.json_marshal(info) + '\n' if fmt == 'json' else goformat.yaml_v2(info)


def progress(op: operation.Operation, *, utc: bool = True) -> str:
    """What `juju run` writes to stderr while it waits (3.x): up to the task it was still
    waiting for when its `--wait` ran out, if it ran out."""
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
    for task in op.tasks:
        lines.append(f'Waiting for task {task.id}...')
        if count == 1 and task.logs:
            lines.extend(
                f'{(log.timestamp if utc else log.timestamp.astimezone()):%H:%M:%S} {log.message}'
                for log in task.logs
            )
            if not task.status.active:
                lines.append('')
        if task.status.active:
            break  # the wait ran out here
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


def cli_output(op: operation.Operation, fmt: str = 'plain', *, utc: bool = True) -> CliOutput:
    """stdout, stderr and exit status of the `juju run` that produced `op`: its results
    once done, or, when its `--wait` ran out first, Juju's timeout error (J17)."""
    if not op.done:
        return wait_expired(op, utc=utc)
    stderr = progress(op, utc=utc)
    message = failure_message(op)
    if message:
        stderr += f'ERROR {message}\n'
    return CliOutput(render(op, fmt, utc=utc), stderr, exit_code(op))


def wait_expired(op: operation.Operation, *, utc: bool = True) -> CliOutput:
    """`juju run` whose `--wait` ran out: nothing on stdout, the units still waited for
    named on stderr, exit 1; the tasks go on (3.x common.go `waitForTasks`; 2.9
    runaction.go: `timeout reached`)."""
    if op.profile.compat_run_output:
        return CliOutput('', 'ERROR timeout reached\n', 1)
    waiting = sorted((t for t in op.tasks if t.status.active), key=lambda t: _unit_tag(t.unit))
    readable = ', '.join(f'unit {t.unit}' for t in waiting)
    lines = progress(op, utc=utc)
    return CliOutput('', f'{lines}ERROR timed out waiting for results from: {readable}\n', 1)


def background_output(op: operation.Operation) -> CliOutput:
    """What `juju run --background` prints: where to look, exit 0 (3.x common.go
    `processOperationResults`; 2.9's `run-action` without `--wait` prints the id)."""
    if op.profile.compat_run_output:
        if len(op.tasks) == 1:
            queued: dict[str, Any] = {'Action queued with id': op.tasks[0].id}
        else:
            queued = {_unit_tag(t.unit): {'id': t.id, 'unit': t.unit} for t in op.tasks}
        return CliOutput(goformat.yaml_v2(queued), '', 0)
    lines = []
    if op.enqueue_errors:
        lines += ['Some actions could not be scheduled:', *op.enqueue_errors, '', '']
    stdout = ''
    if len(op.tasks) == 1:
        task_id = op.tasks[0].id
        lines.append(f'Scheduled operation {op.id} with task {task_id}')
    else:
        task_id = '<id>'
        lines.append(f'Scheduled operation {op.id} with {len(op.tasks)} tasks')
        stdout = goformat.yaml_v2({t.unit: {'id': t.id} for t in op.tasks})
    lines.append(f"Check operation status with 'juju show-operation {op.id}'")
    lines.append(f"Check task status with 'juju show-task {task_id}'")
    return CliOutput(stdout, '\n'.join(lines) + '\n', 0)
