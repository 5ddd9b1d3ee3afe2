"""Compare a scenario's expectation with what a target observed.

Each difference is a Mismatch naming the expectation's field (and so its line in the
scenario file) with a readable diff: traces as aligned event lists, structures as a
unified diff of their YAML.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Mapping, Sequence
from typing import Any

import yaml

from ..juju import results
from . import scenario
from .scenario import Scenario
from .target import Observation, TaskObservation

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


class _Collector:
    def __init__(self) -> None:
        self.found: list[Mismatch] = []

    def check(self, field: str, expected: Any, observed: Any, *, trace: bool = False) -> None:
        if expected == observed:
            return
        if trace and isinstance(observed, list):
            diff = aligned(expected, observed)
        elif isinstance(expected, (dict, list)) or isinstance(observed, (dict, list)):
            diff = _unified(expected, observed)
        else:
            diff = f'  expected: {expected!r}\n  observed: {observed!r}'
        self.found.append(Mismatch(field, expected, observed, diff))

    def fail(self, field: str, expected: Any, observed: Any, diff: str) -> None:
        self.found.append(Mismatch(field, expected, observed, diff))


def _task(
    out: _Collector, field: str, want: scenario.TaskExpectation, got: TaskObservation
) -> None:
    exact: tuple[tuple[str, Any, Any], ...] = (
        ('status', want.status, got.status),
        ('message', want.message, got.message),
        ('results', want.results, got.results),
        ('logs', want.logs, got.logs),
        ('stdout', want.stdout, got.stdout),
        ('stderr', want.stderr, got.stderr),
        ('return-code', want.return_code, got.return_code),
    )
    for key, expected, observed in exact:
        if expected is not None:
            out.check(f'{field}.{key}', scenario.to_data(expected), observed)
    flat = results.flatten(got.results)
    for key, value in (want.results_include or {}).items():
        out.check(f'{field}.results-include.{key}', value, flat.get(key, _MISSING))
    for key in want.results_exclude or ():
        if key in flat or any(k.startswith(f'{key}.') for k in flat):
            out.fail(
                f'{field}.results-exclude', f'no {key!r}', flat.get(key), f'  {key!r} is present'
            )


def _per_unit(
    out: _Collector,
    name: str,
    expected: Mapping[str, Sequence[Any]],
    observed: Mapping[str, Sequence[Any]] | None,
    *,
    trace: bool = False,
) -> None:
    if observed is None:
        out.fail(
            f'expect.{name}', scenario.to_data(expected), None, '  this target does not report it'
        )
        return
    for unit, want in expected.items():
        out.check(f'expect.{name}.{unit}', list(want), list(observed.get(unit, [])), trace=trace)


def compare(case: Scenario, seen: Observation) -> list[Mismatch]:
    """Every way `seen` differs from what `case` expects (empty: it passes)."""
    expect = case.expect
    out = _Collector()
    if expect.error is not None:
        out.check('expect.error.message', expect.error.message, seen.error)
    elif seen.error is not None:
        out.fail('expect', 'the invocation runs', seen.error, f'  refused: {seen.error}')
        return out.found
    operation = expect.operation or scenario.OperationExpectation()
    if operation.status is not None:
        out.check('expect.operation.status', operation.status, seen.operation_status)
    if operation.units is not None:
        out.check('expect.operation.units', list(operation.units), seen.operation_units)
    for unit, want in (expect.tasks or {}).items():
        got = seen.tasks.get(unit)
        if got is None:
            out.fail(f'expect.tasks.{unit}', want.as_data(), None, f'  no task ran on {unit}')
        else:
            _task(out, f'expect.tasks.{unit}', want, got)
    if expect.trace is not None:
        _per_unit(out, 'trace', expect.trace, seen.trace, trace=True)
    for unit, wanted in (expect.trace_includes or {}).items():
        events = seen.trace.get(unit, [])
        if not _is_subsequence(wanted, events):
            out.fail(
                f'expect.trace-includes.{unit}',
                list(wanted),
                events,
                '  expected these events in this order, others may come between\n'
                + aligned(wanted, events),
            )
    if expect.deferred_after is not None:
        _per_unit(out, 'deferred-after', expect.deferred_after, seen.deferred, trace=True)
    if expect.refusals is not None:
        _per_unit(out, 'refusals', expect.refusals, seen.refusals)
    if expect.recorded is not None:
        _per_unit(out, 'recorded', expect.recorded, seen.recorded)
    if expect.relation_data is not None:
        if seen.relation_data is None:
            out.fail(
                'expect.relation-data',
                scenario.to_data(expect.relation_data),
                None,
                '  not reported',
            )
        else:
            for relation, bags in expect.relation_data.items():
                out.check(
                    f'expect.relation-data.{relation}',
                    scenario.to_data(bags),
                    seen.relation_data.get(relation, {}),
                )
    if expect.juju_run is not None:
        juju_run = expect.juju_run
        if seen.juju_run is None:
            out.fail(
                'expect.juju-run', juju_run.as_data(), None, '  this target does not report it'
            )
        else:
            stdout, code = seen.juju_run
            if juju_run.stdout is not None:
                out.check('expect.juju-run.stdout', juju_run.stdout, stdout)
            for n, piece in enumerate(juju_run.stdout_includes or ()):
                if piece not in stdout:
                    out.fail(
                        f'expect.juju-run.stdout-includes[{n}]',
                        piece,
                        stdout,
                        f'  missing: {piece!r}\n  in:\n' + _indent(stdout),
                    )
            if juju_run.exit_code is not None:
                out.check('expect.juju-run.exit-code', juju_run.exit_code, code)
    return out.found


def _indent(text: str) -> str:
    return '\n'.join(f'    {line}' for line in text.splitlines())
