"""Compare a scenario's expectation with what a target observed.

One `check_*` function per field of the expectation, each returning its own mismatches
(as Scenario's consistency checker has one per concern); `compare` runs them all.
Each difference is a Mismatch naming the expectation's field (and so its line in the
scenario file) with a readable diff: traces as aligned event lists, structures as a
unified diff of their YAML.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import yaml

from ..juju import results
from . import scenario, target

_MISSING = '(nothing)'


@dataclasses.dataclass(frozen=True)
class Mismatch:
    """One expectation that did not hold."""

    field: str
    expected: Any
    observed: Any
    diff: str

    def __str__(self) -> str:
        return f'{self.field}:\n{self.diff}'


def _yaml(value: Any) -> str:
    if value is None:
        return f'{_MISSING}\n'
    text: str = yaml.safe_dump(value, sort_keys=True, default_flow_style=False, allow_unicode=True)
    return text


def _unified(expected: Any, observed: Any) -> str:
    lines = difflib.unified_diff(
        _yaml(expected).splitlines(),
        _yaml(observed).splitlines(),
        'expected',
        'observed',
        lineterm='',
    )
    return '\n'.join(lines)


def aligned(expected: Sequence[str], observed: Sequence[str]) -> str:
    """Two event lists side by side, with `!` on the rows that differ."""
    width = max([len('expected'), *(len(e) for e in expected)])
    rows = [f'    {"expected":<{width}}   observed']
    for n in range(max(len(expected), len(observed))):
        left = expected[n] if n < len(expected) else '-'
        right = observed[n] if n < len(observed) else '-'
        mark = ' ' if left == right else '!'
        rows.append(f'  {mark} {left:<{width}}   {right}')
    return '\n'.join(rows)


def _is_subsequence(wanted: Sequence[str], seen: Sequence[str]) -> bool:
    it = iter(seen)
    return all(any(item == s for s in it) for item in wanted)


def _differs(field: str, expected: Any, observed: Any, *, trace: bool = False) -> list[Mismatch]:
    """No mismatch when the two are equal; else one, with the diff that suits the values."""
    if expected == observed:
        return []
    if trace and isinstance(observed, list):
        diff = aligned(expected, observed)
    elif isinstance(expected, (dict, list)) or isinstance(observed, (dict, list)):
        diff = _unified(expected, observed)
    else:
        diff = f'  expected: {expected!r}\n  observed: {observed!r}'
    return [Mismatch(field, expected, observed, diff)]


def _per_unit(
    name: str,
    expected: Mapping[str, Sequence[Any]] | None,
    observed: Mapping[str, Sequence[Any]] | None,
    *,
    trace: bool = False,
) -> list[Mismatch]:
    """A per-unit list expectation, unit by unit; the whole of it when not reported."""
    if expected is None:
        return []
    if observed is None:
        data = scenario.to_data(expected)
        return [Mismatch(f'expect.{name}', data, None, '  this target does not report it')]
    return [
        m
        for unit, want in expected.items()
        for m in _differs(
            f'expect.{name}.{unit}', list(want), list(observed.get(unit, [])), trace=trace
        )
    ]


# -- one check per expectation field, each returning its own mismatches --------------------

Check = Callable[[scenario.Expectation, target.Observation], list[Mismatch]]


def check_error(expect: scenario.Expectation, seen: target.Observation) -> list[Mismatch]:
    """`expect.error`: refused with Juju's text; or, when no refusal is expected, not
    refused at all (a mismatch named `expect`, the whole expectation)."""
    if expect.error is not None:
        return _differs('expect.error.message', expect.error.message, seen.error)
    if seen.error is not None:
        return [Mismatch('expect', 'the invocation runs', seen.error, f'  refused: {seen.error}')]
    return []


def check_operation(expect: scenario.Expectation, seen: target.Observation) -> list[Mismatch]:
    """`expect.operation`: its status and the units it has tasks for."""
    want = expect.operation
    if want is None:
        return []
    found = []
    if want.status is not None:
        found += _differs('expect.operation.status', want.status, seen.operation_status)
    if want.units is not None:
        found += _differs('expect.operation.units', list(want.units), seen.operation_units)
    return found


def check_tasks(expect: scenario.Expectation, seen: target.Observation) -> list[Mismatch]:
    """`expect.tasks`: each named unit ran a task, and it ended as expected."""
    found = []
    for unit, want in (expect.tasks or {}).items():
        got = seen.tasks.get(unit)
        if got is None:
            found.append(
                Mismatch(f'expect.tasks.{unit}', want.as_data(), None, f'  no task ran on {unit}')
            )
        else:
            found += _task(f'expect.tasks.{unit}', want, got)
    return found


def _task(
    field: str, want: scenario.TaskExpectation, got: target.TaskObservation
) -> list[Mismatch]:
    exact: tuple[tuple[str, Any, Any], ...] = (
        ('status', want.status, got.status),
        ('message', want.message, got.message),
        ('results', want.results, got.results),
        ('logs', want.logs, got.logs),
        ('stdout', want.stdout, got.stdout),
        ('stderr', want.stderr, got.stderr),
        ('return-code', want.return_code, got.return_code),
    )
    found = []
    for key, expected, observed in exact:
        if expected is not None:
            found += _differs(f'{field}.{key}', scenario.to_data(expected), observed)
    flat = results.flatten(got.results)
    for key, value in (want.results_include or {}).items():
        found += _differs(f'{field}.results-include.{key}', value, flat.get(key, _MISSING))
    for key in want.results_exclude or ():
        if key in flat or any(k.startswith(f'{key}.') for k in flat):
            found.append(
                Mismatch(
                    f'{field}.results-exclude',
                    f'no {key!r}',
                    flat.get(key),
                    f'  {key!r} is present',
                )
            )
    return found


def check_trace(expect: scenario.Expectation, seen: target.Observation) -> list[Mismatch]:
    """`expect.trace`: each unit's events, in order, exactly."""
    return _per_unit('trace', expect.trace, seen.trace, trace=True)


def check_trace_includes(expect: scenario.Expectation, seen: target.Observation) -> list[Mismatch]:
    """`expect.trace-includes`: each unit saw these events in this order, others between."""
    found = []
    for unit, want in (expect.trace_includes or {}).items():
        events = seen.trace.get(unit, [])
        if not _is_subsequence(want, events):
            found.append(
                Mismatch(
                    f'expect.trace-includes.{unit}',
                    list(want),
                    events,
                    '  expected these events in this order, others may come between\n'
                    + aligned(want, events),
                )
            )
    return found


def check_deferred_after(expect: scenario.Expectation, seen: target.Observation) -> list[Mismatch]:
    """`expect.deferred-after`: each unit's deferred-event store after the run."""
    return _per_unit('deferred-after', expect.deferred_after, seen.deferred, trace=True)


def check_refusals(expect: scenario.Expectation, seen: target.Observation) -> list[Mismatch]:
    """`expect.refusals`: what each unit's `expect-refused` steps met."""
    return _per_unit('refusals', expect.refusals, seen.refusals)


def check_recorded(expect: scenario.Expectation, seen: target.Observation) -> list[Mismatch]:
    """`expect.recorded`: what each unit's `record` steps noted."""
    return _per_unit('recorded', expect.recorded, seen.recorded)


def check_relation_data(expect: scenario.Expectation, seen: target.Observation) -> list[Mismatch]:
    """`expect.relation-data`: the committed bags of each named relation end."""
    want = expect.relation_data
    if want is None:
        return []
    if seen.relation_data is None:
        return [Mismatch('expect.relation-data', scenario.to_data(want), None, '  not reported')]
    return [
        m
        for relation, bags in want.items()
        for m in _differs(
            f'expect.relation-data.{relation}',
            scenario.to_data(bags),
            seen.relation_data.get(relation, {}),
        )
    ]


def check_juju_run(expect: scenario.Expectation, seen: target.Observation) -> list[Mismatch]:
    """`expect.juju-run`: what `juju run` printed and its exit status."""
    want = expect.juju_run
    if want is None:
        return []
    if seen.juju_run is None:
        return [
            Mismatch('expect.juju-run', want.as_data(), None, '  this target does not report it')
        ]
    stdout, stderr, code = seen.juju_run
    found = []
    if want.stdout is not None:
        found += _differs('expect.juju-run.stdout', want.stdout, stdout)
    found += _includes('expect.juju-run.stdout-includes', want.stdout_includes, stdout)
    found += _includes('expect.juju-run.stderr-includes', want.stderr_includes, stderr)
    if want.exit_code is not None:
        found += _differs('expect.juju-run.exit-code', want.exit_code, code)
    return found


def _includes(field: str, pieces: Sequence[str] | None, text: str) -> list[Mismatch]:
    return [
        Mismatch(f'{field}[{n}]', piece, text, f'  missing: {piece!r}\n  in:\n' + _indent(text))
        for n, piece in enumerate(pieces or ())
        if piece not in text
    ]


def check_runs(expect: scenario.Expectation, seen: target.Observation) -> list[Mismatch]:
    """`expect.runs`: each run's operation as it stands after the steps, checked as a
    scenario with one run is, under `expect.runs[<n>]`."""
    if expect.runs is None:
        return []
    if seen.runs is None:
        data = scenario.to_data(expect.runs)
        return [Mismatch('expect.runs', data, None, '  this target does not report it')]
    found = []
    for n, want in enumerate(expect.runs):
        got = seen.runs[n] if n < len(seen.runs) else target.Observation()
        if want.error is None and got.error is not None:
            mismatches = check_error(want, got)
        else:
            mismatches = [
                m
                for check in (check_error, check_operation, check_tasks, check_juju_run)
                for m in check(want, got)
            ]
        prefix = f'expect.runs[{n}]'
        found += [
            dataclasses.replace(m, field=prefix + m.field[len('expect') :]) for m in mismatches
        ]
    return found


def check_commands(expect: scenario.Expectation, seen: target.Observation) -> list[Mismatch]:
    """`expect.commands`: what each `juju` step printed and its exit status."""
    if expect.commands is None:
        return []
    if seen.commands is None:
        data = scenario.to_data(expect.commands)
        return [Mismatch('expect.commands', data, None, '  this target does not report it')]
    found = []
    for n, want in enumerate(expect.commands):
        field = f'expect.commands[{n}]'
        got = seen.commands[n] if n < len(seen.commands) else target.CommandOutput('', '', -1)
        if want.stdout is not None:
            found += _differs(f'{field}.stdout', want.stdout, got.stdout)
        found += _includes(f'{field}.stdout-includes', want.stdout_includes, got.stdout)
        if want.stderr is not None:
            found += _differs(f'{field}.stderr', want.stderr, got.stderr)
        found += _includes(f'{field}.stderr-includes', want.stderr_includes, got.stderr)
        if want.exit_code is not None:
            found += _differs(f'{field}.exit-code', want.exit_code, got.exit_code)
    return found


def check_looks(expect: scenario.Expectation, seen: target.Observation) -> list[Mismatch]:
    """`expect.looks`: every task's status at each `look` step, run by run."""
    if expect.looks is None:
        return []
    if seen.looks is None:
        data = scenario.to_data(expect.looks)
        return [Mismatch('expect.looks', data, None, '  this target does not report it')]
    return [
        m
        for label, runs in expect.looks.items()
        for m in _differs(
            f'expect.looks.{label}', scenario.to_data(runs), seen.looks.get(label, [])
        )
    ]


CHECKS: tuple[Check, ...] = (
    check_error,
    check_operation,
    check_tasks,
    check_trace,
    check_trace_includes,
    check_deferred_after,
    check_refusals,
    check_recorded,
    check_relation_data,
    check_juju_run,
    check_runs,
    check_commands,
    check_looks,
)
"""Every check, in the order of the scenario format (and so of a report's mismatches)."""


def compare(case: scenario.Scenario, seen: target.Observation) -> list[Mismatch]:
    """Every way `seen` differs from what `case` expects (empty: it passes)."""
    if case.expect.error is None and seen.error is not None:
        return check_error(case.expect, seen)  # refused: nothing ran for the others to check
    return [m for check in CHECKS for m in check(case.expect, seen)]


def _indent(text: str) -> str:
    return '\n'.join(f'    {line}' for line in text.splitlines())
