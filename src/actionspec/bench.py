"""Side-by-side benchmarks: the reference against ops.testing, and fan-out cost.

Every figure is measured in the same run, on the same charm behaviour (log one line, set
one nested result), as the median of several repeats with the spread beside it. Ratios
are only ever taken between figures of the same run.
"""

from __future__ import annotations

import dataclasses
import gc
import itertools
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from . import examples
from .juju import clock, model

ACTIONS = {'do': {'params': {'n': {'type': 'integer', 'default': 1}}}}


@dataclasses.dataclass(frozen=True)
class Figure:
    """One measured quantity: median and spread of the repeats, in seconds."""

    name: str
    median: float
    low: float
    high: float
    per: str = 'action'

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _measure(name: str, batch: Callable[[], int], repeats: int, per: str = 'action') -> Figure:
    """Median seconds per item over `repeats` batches; `batch` returns its item count."""
    samples = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        count = batch()
        samples.append((time.perf_counter() - start) / count)
    return Figure(name, statistics.median(samples), min(samples), max(samples), per)


def _reference_batch(count: int) -> Callable[[], int]:
    def batch() -> int:
        m = model.Model(clock=clock.TickingClock())
        m.deploy('db', examples.BenchCharm, actions=ACTIONS)
        for _ in range(count):
            m.run('db/0', action='do')
        return count

    return batch


def _scenario_batch(count: int) -> Callable[[], int]:
    from ops import testing

    charm = examples.ops_bench_charm()
    ctx = testing.Context(charm, meta={'name': 'db'}, actions=ACTIONS)
    state = testing.State()

    def batch() -> int:
        for _ in range(count):
            ctx.run(ctx.on.action('do'), state)
        return count

    return batch


def _harness_batch(count: int) -> Callable[[], int]:
    import warnings

    from ops import testing

    charm = examples.ops_bench_charm()
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        harness = testing.Harness(charm, meta='name: db', actions=json.dumps(ACTIONS))
    harness.begin()

    def batch() -> int:
        for _ in range(count):
            harness.run_action('do')
        return count

    return batch


def _ops_dispatch_batch(count: int, *, warm: bool) -> Callable[[], int]:
    """One action per dispatch on the real ops runtime, forked from the zygote (warm) or
    started from scratch (cold), with the benchmark's behaviour."""
    from .targets import ops_runtime

    steps: dict[str, list[dict[str, object]]] = {
        'do_action': [{'log': 'working'}, {'set-results': {'answer': {'value': 1}}}]
    }
    import shutil

    from .hooktools import server

    zygote = ops_runtime.shared_zygote() if warm else None

    def batch() -> int:
        scratch = server.scratch_dir('actionspec-bench-')
        source = ops_runtime.scripted_charm_dir(scratch, 'db', ACTIONS, (), (), steps)
        charm = ops_runtime.CharmDirectory(source, zygote=zygote)
        m = model.Model(clock=clock.TickingClock())
        m.deploy('db', charm, actions=ACTIONS)
        try:
            for _ in range(count):
                m.run('db/0', action='do')
        finally:
            charm.close()
            shutil.rmtree(scratch, ignore_errors=True)
        return count

    return batch


def _suite_seconds(name: str, repeats: int) -> Figure:
    from . import targets
    from .suite import loader, runner, xfail

    cases, _ = loader.load([loader.bundled_suite()])
    chosen = targets.make(name)
    listed = {name: xfail.load(name)}
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        runner.run(cases, [chosen], '3.6', listed)
        samples.append(time.perf_counter() - start)
    return Figure(
        f'whole suite on {name}', statistics.median(samples), min(samples), max(samples), 'run'
    )


def _fanout(units: int, repeats: int) -> Figure:
    """Seconds for one `juju run` on `units` units (deploying is not timed)."""
    samples = []
    for _ in range(repeats):
        m = model.Model(clock=clock.TickingClock())
        m.deploy('db', examples.BenchCharm, actions=ACTIONS, units=units)
        targets = [f'db/{n}' for n in range(units)]
        gc.collect()
        start = time.perf_counter()
        m.run(*targets, action='do')
        samples.append(time.perf_counter() - start)
    name = f'fan-out to {units} units'
    return Figure(name, statistics.median(samples), min(samples), max(samples), 'run')


def ops_available() -> bool:
    try:
        import ops.testing  # noqa: F401
    except ImportError:
        return False
    return True


def run(*, quick: bool = False) -> dict[str, Any]:
    """Measure everything; return figures and the ratios taken between them."""
    repeats = 3 if quick else 7
    per_batch = 200 if quick else 1000
    # Fan-out first, before ops and ops.testing are imported: their objects would make
    # the garbage collector's passes over this process longer for reasons not the model's.
    sizes = (10, 100, 1000) if quick else (10, 100, 1000, 10000)
    fan = {units: _fanout(units, repeats) for units in sizes}
    figures: list[Figure] = [
        _measure('reference: one action', _reference_batch(per_batch), repeats)
    ]
    notes: list[str] = []
    if ops_available():
        figures.append(
            _measure(
                'ops.testing Scenario: Context.run', _scenario_batch(per_batch // 10), repeats
            )
        )
        figures.append(
            _measure('ops.testing Harness: run_action', _harness_batch(per_batch), repeats)
        )
        figures.append(
            _measure(
                'ops target: one dispatch, warm (fork)',
                _ops_dispatch_batch(5 if quick else 20, warm=True),
                repeats,
                'dispatch',
            )
        )
        figures.append(
            _measure(
                'ops target: one dispatch, cold (exec)',
                _ops_dispatch_batch(2 if quick else 5, warm=False),
                3,
                'dispatch',
            )
        )
        if not quick:
            figures.extend(
                _suite_seconds(name, 3)
                for name in ('reference', 'ops', 'ops-scenario', 'ops-harness')
            )
    else:
        notes.append("ops.testing not installed: pip install 'actionspec[ops]' to compare")

    figures.extend(fan.values())
    by_name = {f.name: f for f in figures}
    ratios: dict[str, float] = {}
    reference = by_name['reference: one action'].median
    if 'ops.testing Scenario: Context.run' in by_name:
        ratios['Scenario / reference, per action'] = (
            by_name['ops.testing Scenario: Context.run'].median / reference
        )
        ratios['cold / warm, per ops dispatch'] = (
            by_name['ops target: one dispatch, cold (exec)'].median
            / by_name['ops target: one dispatch, warm (fork)'].median
        )
    for small, large in itertools.pairwise(sizes):
        ratios[f'cost per unit, {large} vs {small} units'] = (fan[large].median / large) / (
            fan[small].median / small
        )
    return {
        'figures': [f.as_dict() for f in figures],
        'ratios': ratios,
        'notes': notes,
    }


def format_table(result: dict[str, Any]) -> str:
    """A plain-text table of the figures, then the ratios."""
    lines = [f'{"measure":<40} {"median":>12} {"spread (min-max)":>24}  per']
    for f in result['figures']:
        lines.append(
            f'{f["name"]:<40} {_human(f["median"]):>12} '
            f'{_human(f["low"]) + " - " + _human(f["high"]):>24}  {f["per"]}'
        )
    lines.append('')
    lines.extend(f'{name:<52} {value:8.1f}x' for name, value in result['ratios'].items())
    lines.extend(result['notes'])
    return '\n'.join(lines)


def _human(seconds: float) -> str:
    if seconds >= 1:
        return f'{seconds:.2f} s'
    if seconds >= 1e-3:
        return f'{seconds * 1e3:.2f} ms'
    return f'{seconds * 1e6:.1f} µs'
