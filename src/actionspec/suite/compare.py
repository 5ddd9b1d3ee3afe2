"""Compare a scenario's expectation with what a target observed.

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


def _task(out: _Collector, field: str, want: Mapping[str, Any], got: TaskObservation) -> None:
    simple: dict[str, Callable[[TaskObservation], Any]] = {
        'status': lambda t: t.status,
        'message': lambda t: t.message,
        'results': lambda t: t.results,
        'logs': lambda t: t.logs,
        'stdout': lambda t: t.stdout,
        'stderr': lambda t: t.stderr,
        'return-code': lambda t: t.return_code,
    }
    for key, read in simple.items():
        if key in want:
            out.check(f'{field}.{key}', want[key], read(got))
    flat = results.flatten(got.results)
    for key, value in want.get('results-include', {}).items():
        out.check(f'{field}.results-include.{key}', value, flat.get(key, _MISSING))
    for key in want.get('results-exclude', ()):
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
        out.fail(f'expect.{name}', expected, None, '  this target does not report it')
        return
    for unit, want in expected.items():
        out.check(f'expect.{name}.{unit}', list(want), list(observed.get(unit, [])), trace=trace)


def compare(case: Scenario, seen: Observation) -> list[Mismatch]:
    """Every way `seen` differs from what `case` expects (empty: it passes)."""
    expect = case.expect
    out = _Collector()
    if 'error' in expect:
        out.check('expect.error.message', expect['error']['message'], seen.error)
    elif seen.error is not None:
        out.fail('expect', 'the invocation runs', seen.error, f'  refused: {seen.error}')
        return out.found
    operation = expect.get('operation', {})
    if 'status' in operation:
        out.check('expect.operation.status', operation['status'], seen.operation_status)
    if 'units' in operation:
        out.check('expect.operation.units', operation['units'], seen.operation_units)
    for unit, want in expect.get('tasks', {}).items():
        got = seen.tasks.get(unit)
        if got is None:
            out.fail(f'expect.tasks.{unit}', want, None, f'  no task ran on {unit}')
        else:
            _task(out, f'expect.tasks.{unit}', want, got)
    if 'trace' in expect:
        _per_unit(out, 'trace', expect['trace'], seen.trace, trace=True)
    for unit, want in expect.get('trace-includes', {}).items():
        events = seen.trace.get(unit, [])
        if not _is_subsequence(want, events):
            out.fail(
                f'expect.trace-includes.{unit}',
                want,
                events,
                '  expected these events in this order, others may come between\n'
                + aligned(want, events),
            )
    if 'deferred-after' in expect:
        _per_unit(out, 'deferred-after', expect['deferred-after'], seen.deferred, trace=True)
    if 'refusals' in expect:
        _per_unit(out, 'refusals', expect['refusals'], seen.refusals)
    if 'recorded' in expect:
        _per_unit(out, 'recorded', expect['recorded'], seen.recorded)
    if 'relation-data' in expect:
        if seen.relation_data is None:
            out.fail('expect.relation-data', expect['relation-data'], None, '  not reported')
        else:
            for relation, bags in expect['relation-data'].items():
                out.check(
                    f'expect.relation-data.{relation}', bags, seen.relation_data.get(relation, {})
                )
    if 'juju-run' in expect:
        want = expect['juju-run']
        if seen.juju_run is None:
            out.fail('expect.juju-run', want, None, '  this target does not report it')
        else:
            stdout, code = seen.juju_run
            if 'stdout' in want:
                out.check('expect.juju-run.stdout', want['stdout'], stdout)
            for n, piece in enumerate(want.get('stdout-includes', ())):
                if piece not in stdout:
                    out.fail(
                        f'expect.juju-run.stdout-includes[{n}]',
                        piece,
                        stdout,
                        f'  missing: {piece!r}\n  in:\n' + _indent(stdout),
                    )
            if 'exit-code' in want:
                out.check('expect.juju-run.exit-code', want['exit-code'], code)
    return out.found


def _indent(text: str) -> str:
    return '\n'.join(f'    {line}' for line in text.splitlines())
