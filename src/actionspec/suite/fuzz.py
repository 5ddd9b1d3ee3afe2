"""Differential fuzzing: generated scenarios, run on two targets that must agree.

Each example is a scenario made at random (units, leader, params and their schema,
deferred events, what the handler does) whose expectation is what the first target (the
reference) observed; the second target (the real ops runtime) is then judged by the
suite's own comparison. A disagreement is shrunk, step by step, to the smallest scenario
that still shows it, and written out as an ordinary scenario file: it runs with
`actionspec run --suite FILE --target ops` and reproduces the difference.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterator
from typing import Any

import yaml

from . import compare, loader, scenario, target

VERSIONS = ('2.9', '3.6', '4.0')
ACTION_NAMES = ('do', 'snapshot-db', 'x1', 'run-it-2')
PARAMS = {
    'n': {'type': 'integer', 'default': 1},
    'name': {'type': 'string'},
    'flag': {'type': 'boolean', 'default': False},
    'mode': {'type': 'string', 'enum': ['fast', 'safe']},
}
TEXTS = ('', 'x', 'two words', 'ünïcode ✓', 'line\nbreak', '"quoted"', ': colon', '50%s', '\t tab')
KEYS = ('a', 'b', 'c-1', '2', 'stdout', 'stderr', 'Stdout', 'under_score', 'bad-', 'return-code')
HOOKS = ('update_status', 'config_changed')


class NotCoveredError(Exception):
    """The second target cannot observe this scenario: neither agreement nor not."""


@dataclasses.dataclass
class Findings:
    """What a fuzzing run found: the disagreements, and how many examples the second
    target could not observe (counted apart, never as agreement)."""

    disagreements: list[Disagreement]
    not_covered: int = 0


@dataclasses.dataclass(frozen=True)
class Disagreement:
    """A scenario the two targets disagree on, shrunk, and how they differ."""

    case_id: str
    text: str  # the scenario file
    mismatches: tuple[str, ...]


def _nested(rng: random.Random, depth: int = 0) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for _ in range(rng.randint(1, 3)):
        key = rng.choice(KEYS)
        if depth < 1 and rng.random() < 0.3:
            out[key] = _nested(rng, depth + 1)
        else:
            out[key] = rng.choice([*TEXTS, 7, True])
    return out


def _step(rng: random.Random) -> dict[str, Any]:
    kind = rng.choices(
        ['log', 'set-results', 'fail', 'stdout', 'stderr', 'raise', 'exit', 'defer'],
        weights=[4, 6, 3, 2, 2, 1, 1, 1],
    )[0]
    if kind == 'set-results':
        return {kind: _nested(rng)}
    if kind == 'fail':
        return {kind: rng.choice([None, *TEXTS])}
    if kind == 'raise':
        return {kind: {'type': rng.choice(['ValueError', 'KeyError']), 'message': 'boom'}}
    if kind == 'exit':
        return {kind: rng.choice([0, 1, 3])}
    if kind == 'defer':
        return {kind: True}
    return {kind: rng.choice(TEXTS)}


def generate(rng: random.Random) -> dict[str, Any]:
    """One random scenario, as data, without its expectation."""
    units = rng.randint(1, 3)
    action = rng.choice(ACTION_NAMES)
    declared = {k: PARAMS[k] for k in PARAMS if rng.random() < 0.5}
    spec: dict[str, Any] = {'params': declared} if declared else {}
    if 'name' in declared and rng.random() < 0.5:
        spec['required'] = ['name']
    values: dict[str, list[Any]] = {
        'n': [2, 'two'],
        'name': ['db', 5],
        'flag': [True],
        'mode': ['fast', 'slow'],
    }
    params = {k: rng.choice(v) for k, v in values.items() if k in declared and rng.random() < 0.5}
    if rng.random() < 0.15:
        params['extra'] = 'x'
    names = [f'db/{n}' for n in range(units)]
    targets = rng.sample(names, rng.randint(1, units))
    if rng.random() < 0.15:
        targets = ['db/leader']
    deferred = {unit: rng.sample(HOOKS, rng.randint(1, 2)) for unit in names if rng.random() < 0.3}
    behaviour: dict[str, Any] = {
        f'{action.replace("-", "_")}_action': [_step(rng) for _ in range(rng.randint(0, 5))]
    }
    for hook in HOOKS:
        behaviour[hook] = [{'defer': True}] if rng.random() < 0.3 else []
    model: dict[str, Any] = {
        'applications': {'db': {'units': units, 'leader': 0, 'actions': {action: spec}}}
    }
    if deferred:
        model['deferred'] = deferred
    run: dict[str, Any] = {'targets': targets, 'action': action}
    if params:
        run['params'] = params
    return {
        'title': 'Generated: the reference and the ops runtime agree',
        'side': 'both',
        'rules': ['C2', 'C6', 'J1', 'J2', 'J5', 'J6', 'J7', 'J9'],
        'juju': [rng.choice(VERSIONS)],
        'cites': [
            {
                'source': 'canonical/operator ops/_main.py',
                'claim': 'Generated: the real ops runtime decides what the charm side does.',
            },
            {
                'source': 'juju/juju internal/worker/uniter/runner/jujuc/action-set.go',
                'claim': 'Generated: the controller side is the reference for both targets.',
            },
        ],
        'model': model,
        'charm': {'db': behaviour},
        'run': run,
    }


def expectation(seen: target.Observation) -> scenario.Expectation:
    """Everything an observation holds, as a scenario's expectation."""
    if seen.error is not None:
        return scenario.Expectation(error=scenario.ErrorExpectation(seen.error))
    units = seen.operation_units
    return scenario.Expectation(
        operation=scenario.OperationExpectation(
            seen.operation_status, None if units is None else tuple(units)
        ),
        tasks={
            unit: scenario.TaskExpectation(
                status=t.status,
                message=t.message,
                results=t.results,
                logs=tuple(t.logs),
                stdout=t.stdout,
                stderr=t.stderr,
                return_code=t.return_code,
            )
            for unit, t in seen.tasks.items()
        },
        trace={unit: tuple(events) for unit, events in seen.trace.items()},
        deferred_after=None
        if seen.deferred is None
        else {unit: tuple(events) for unit, events in seen.deferred.items()},
    )


# What a scenario expects before the first target has been run: only that it runs.
_RUNS = scenario.Expectation(operation=scenario.OperationExpectation())


def _case(
    data: dict[str, Any], case_id: str, expect: scenario.Expectation | None
) -> scenario.Scenario:
    full = {**data, 'expect': (expect or _RUNS).as_data()}
    text = yaml.safe_dump(full, sort_keys=False, allow_unicode=True)
    return loader.load_text(text, f'<{case_id}>', case_id)


def _disagreement(
    data: dict[str, Any], case_id: str, first: target.Target, second: target.Target
) -> tuple[scenario.Expectation, list[compare.Mismatch]] | None:
    version = data['juju'][0]
    seen = first.observe(_case(data, case_id, None), version)
    expect = expectation(seen)
    case = _case(data, case_id, expect)
    if target.skip_reason(second, case, version):
        raise NotCoveredError
    try:
        observed = second.observe(case, version)
    except target.CannotObserve:
        raise NotCoveredError from None
    except Exception as e:  # a target that breaks disagrees, and says how
        trouble = f'{type(e).__name__}: {e}'.splitlines()[0]
        return expect, [compare.Mismatch('target', 'an observation', None, f'  {trouble}')]
    mismatches = compare.compare(case, observed)
    return (expect, mismatches) if mismatches else None


def _smaller(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Candidates one change smaller than `data`."""

    def copy() -> dict[str, Any]:
        fresh: dict[str, Any] = yaml.safe_load(yaml.safe_dump(data, allow_unicode=True))
        return fresh

    for event, steps in data['charm']['db'].items():
        for n in range(len(steps)):
            candidate = copy()
            del candidate['charm']['db'][event][n]
            yield candidate
    for unit in data['model'].get('deferred', {}):
        candidate = copy()
        del candidate['model']['deferred'][unit]
        yield candidate
    if len(data['run']['targets']) > 1:
        for n in range(len(data['run']['targets'])):
            candidate = copy()
            del candidate['run']['targets'][n]
            yield candidate
    for key in data['run'].get('params', {}):
        candidate = copy()
        del candidate['run']['params'][key]
        yield candidate
    units = data['model']['applications']['db']['units']
    named = set(data['run']['targets']) | set(data['model'].get('deferred', {}))
    if units > 1 and f'db/{units - 1}' not in named:
        candidate = copy()
        candidate['model']['applications']['db']['units'] = units - 1
        yield candidate


def _tidy(data: dict[str, Any]) -> dict[str, Any]:
    """Drop what shrinking emptied, so the file stays valid and short."""
    if not data['model'].get('deferred'):
        data['model'].pop('deferred', None)
    if not data['run'].get('params'):
        data['run'].pop('params', None)
    return data


def shrink(
    data: dict[str, Any], case_id: str, first: target.Target, second: target.Target
) -> dict[str, Any]:
    """The smallest scenario, by removing one thing at a time, that still disagrees."""
    changed = True
    while changed:
        changed = False
        for bigger in _smaller(data):
            candidate = _tidy(bigger)
            try:
                if _disagreement(candidate, case_id, first, second):
                    data, changed = candidate, True
                    break
            except (loader.ScenarioError, NotCoveredError):
                continue
    return data


def run(
    examples: int,
    seed: int,
    first: target.Target,
    second: target.Target,
    progress: Callable[[int, int], None] | None = None,
) -> Findings:
    """Generate `examples` scenarios from `seed`; every disagreement, shrunk, deduplicated."""
    rng = random.Random(seed)
    found: dict[str, Disagreement] = {}
    not_covered = 0
    for n in range(examples):
        data = generate(rng)
        case_id = f'fuzz/seed-{seed}-{n}'
        try:
            result = _disagreement(data, case_id, first, second)
        except NotCoveredError:
            not_covered += 1
            result = None
        if result is not None:
            small = shrink(data, case_id, first, second)
            final = _disagreement(small, case_id, first, second)
            expect, mismatches = final if final else result
            full = {**small, 'expect': expect.as_data()}
            text = yaml.safe_dump(full, sort_keys=False, allow_unicode=True)
            found.setdefault(text, Disagreement(case_id, text, tuple(str(m) for m in mismatches)))
        if progress:
            progress(n + 1, len(found))
    return Findings(list(found.values()), not_covered)
