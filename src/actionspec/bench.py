"""Side-by-side benchmarks: the reference against its peers, fan-out cost, the docs build.

Every figure is measured in the same run, on the same charm behaviour (log one line, set
one nested result), as the median of several repeats with the spread beside it. Ratios
are only ever taken between figures of the same run.
"""

from __future__ import annotations

import dataclasses
import datetime
import gc
import itertools
import json
import os
import pathlib
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from typing import Any

from . import charmmeta, examples, runtimes, session
from .juju import actions as actions_
from .juju import clock
from .launch import scratch
from .reports import terminal
from .suite import contract

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


def _figure(name: str, samples: list[float], per: str) -> Figure:
    return Figure(name, statistics.median(samples), min(samples), max(samples), per)


def _measure(name: str, batch: Callable[[], int], repeats: int, per: str = 'action') -> Figure:
    """Median seconds per item over `repeats` batches; `batch` returns its item count."""
    samples = []
    for _ in range(repeats):
        gc.collect()
        start = time.perf_counter()
        count = batch()
        samples.append((time.perf_counter() - start) / count)
    return _figure(name, samples, per)


CALIBRATION = 'calibration: a fixed pure-Python loop'


def _calibration(repeats: int) -> Figure:
    """The same pure-Python work in every run: how fast the machine was this time. A
    shared virtual machine's speed drifts by tens of percent between runs; comparing
    this figure across runs tells drift from a change in the code."""
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        total = 0
        for n in range(1_000_000):
            total += n * n
        samples.append(time.perf_counter() - start)
    return _figure(CALIBRATION, samples, 'run')


def _reference_batch(count: int) -> Callable[[], int]:
    def batch() -> int:
        m = runtimes.Model(clock=clock.TickingClock())
        m.deploy('db', examples.BenchCharm, actions=ACTIONS)
        for _ in range(count):
            m.run('db/0', action='do')
        return count

    return batch


def _scenario_batch(count: int) -> Callable[[], int]:
    # ops is an optional extra, and loading it before the fan-out figures would slow them
    # (its objects lengthen every GC pass).
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
    # ops is an optional extra, and loading it before the fan-out figures would slow them
    # (its objects lengthen every GC pass).
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


def _ops_dispatches(name: str, count: int, *, warm: bool) -> Figure:
    """Each of `count` dispatches of one action on the real ops runtime, timed alone (a
    dispatch is long enough to time on its own): forked from the zygote (warm) or started
    from scratch (cold), with the benchmark's behaviour."""
    # ops is an optional extra, and loading it before the fan-out figures would slow them
    # (its objects lengthen every GC pass).
    from .targets import ops_runtime

    steps: dict[str, list[dict[str, object]]] = {
        'do_action': [{'log': 'working'}, {'set-results': {'answer': {'value': 1}}}]
    }
    zygote = ops_runtime.shared_zygote() if warm else None
    workdir = scratch.scratch_dir('actionspec-bench-')
    meta = charmmeta.CharmMeta('db', actions_.actions_data(ACTIONS))
    source = contract.scripted_charm_dir(workdir, meta, steps)
    charm = contract.ScriptedCharmDirectory(source, zygote=zygote)
    m = runtimes.Model(clock=clock.TickingClock())
    m.deploy('db', charm, actions=ACTIONS)
    samples = []
    try:
        m.run('db/0', action='do')  # the unit's charm directory is made on first use
        for _ in range(count):
            start = time.perf_counter()
            m.run('db/0', action='do')
            samples.append(time.perf_counter() - start)
    finally:
        charm.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return _figure(name, samples, 'dispatch')


BOX_VERSION = 'box: `juju version` (the client alone)'
BOX_RUN = 'box: `juju run` on one unit'
BOX_DEPLOY = 'box: jubilant deploy + wait + run, 2 units'

# What jubilant does for a charm author's first integration test, timed whole.
_JUBILANT_SCRIPT = """
import sys, time, jubilant
started = time.perf_counter()
with jubilant.temp_model() as juju:
    juju.deploy(sys.argv[1], num_units=2)
    juju.wait(jubilant.all_active, timeout=120)
    juju.run('snapshot/0', 'snapshot-database', {'outfile': '/tmp/x'})
    print(time.perf_counter() - started)
"""


def _box_figures(runs: int, deploys: int) -> list[Figure]:
    """The box through its `juju` client, as a test calls it: `juju version` and `juju
    run` alternating (so both see the same machine), and jubilant's deploy, wait and run
    of a two-unit application (its `wait` polls once a second, 3 times in a row)."""
    from . import box  # the box needs ops for its charms: only here

    workdir = scratch.scratch_dir('actionspec-bench-')
    charm = examples.write_ops_charm(workdir / 'snapshot')
    versions, runs_taken, deployed = [], [], []
    try:
        with box.Box.start() as running:
            env = running.env()

            def juju(*argv: str) -> float:
                start = time.perf_counter()
                subprocess.run(['juju', *argv], env=env, check=True, capture_output=True)
                return time.perf_counter() - start

            juju('add-model', 'bench')
            juju('deploy', str(charm))
            status = ['juju', 'status', '--format', 'json']
            while (
                '"active"'
                not in subprocess.run(
                    status, env=env, capture_output=True, text=True, check=False
                ).stdout
            ):
                time.sleep(0.05)
            for _ in range(runs):
                versions.append(juju('version'))
                runs_taken.append(juju('run', 'snapshot/0', 'snapshot-database', 'outfile=/x'))
            for _ in range(deploys):
                shown = subprocess.run(
                    [sys.executable, '-c', _JUBILANT_SCRIPT, str(charm)],
                    env=env,
                    check=True,
                    capture_output=True,
                    text=True,
                )
                deployed.append(float(shown.stdout.strip().splitlines()[-1]))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return [
        _figure(BOX_VERSION, versions, 'command'),
        _figure(BOX_RUN, runs_taken, 'command'),
        _figure(BOX_DEPLOY, deployed, 'test'),
    ]


def box_available() -> bool:
    """Whether jubilant (a dev dependency) is here to drive the box."""
    try:
        import jubilant  # noqa: F401 - only to ask whether it is installed
    except ImportError:
        return False
    return True


def _suite_seconds(name: str, repeats: int, jobs: int = 1) -> Figure:
    suite = session.Session.load()
    chosen = suite.targets([name])
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        suite.run(chosen, jobs=jobs)
        samples.append(time.perf_counter() - start)
    label = f'whole suite on {name}' + (f', {jobs} jobs' if jobs > 1 else '')
    return _figure(label, samples, 'run')


def _fanout(units: int, repeats: int) -> Figure:
    """Seconds for one `juju run` on `units` units (deploying is not timed)."""
    samples = []
    for _ in range(repeats):
        m = runtimes.Model(clock=clock.TickingClock())
        m.deploy('db', examples.BenchCharm, actions=ACTIONS, units=units)
        targets = [f'db/{n}' for n in range(units)]
        gc.collect()
        start = time.perf_counter()
        m.run(*targets, action='do')
        samples.append(time.perf_counter() - start)
    return _figure(f'fan-out to {units} units', samples, 'run')


def _background_fanout(units: int, repeats: int) -> tuple[Figure, Figure]:
    """One operation on `units` units, measured side by side, alternating: `run()` done
    synchronously, and `juju run --background` polled with `juju show-operation` until
    done, as a script or a jubilant test would poll it."""
    synchronous: list[float] = []
    polled: list[float] = []
    targets = [f'db/{n}' for n in range(units)]
    for _ in range(repeats):
        for samples, background in ((synchronous, False), (polled, True)):
            m = runtimes.Model(clock=clock.TickingClock())
            m.deploy('db', examples.BenchCharm, actions=ACTIONS, units=units)
            gc.collect()
            start = time.perf_counter()
            if background:
                shown = m.juju(['run', *targets, 'do', '--background'])
                op_id = shown.stderr.split()[2]
                while (
                    '"status":"completed"'
                    not in m.juju(['show-operation', op_id, '--format', 'json']).stdout.split(
                        '"tasks"'
                    )[0]
                ):
                    pass
            else:
                m.run(*targets, action='do')
            samples.append(time.perf_counter() - start)
    return (
        _figure(f'run() on {units} units', synchronous, 'run'),
        _figure(f'background on {units} units, polled with show-operation', polled, 'run'),
    )


def _docs_figures(root: pathlib.Path, repeats: int, notes: list[str]) -> list[Figure]:
    """Executing every notebook (copies, in a process pool) and a strict site build."""
    # The docs toolchain (nbclient) is an optional extra.
    from .site import notebooks

    samples: dict[str, list[float]] = {'executing all notebooks': [], 'building the site': []}
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix='actionspec-bench-') as scratch:
            copies = []
            for path in notebooks.notebook_paths(root / 'notebooks'):
                copies.append(pathlib.Path(shutil.copy(path, scratch)))
            start = time.perf_counter()
            notebooks.execute_all(copies)
            samples['executing all notebooks'].append(time.perf_counter() - start)
            command = [sys.executable, '-m', 'mkdocs', 'build', '--strict', '--quiet']
            env = {**os.environ, 'NO_MKDOCS_2_WARNING': '1'}
            start = time.perf_counter()
            site = pathlib.Path(scratch) / 'site'
            built = subprocess.run(
                [*command, '--site-dir', str(site)], check=False, cwd=root, env=env
            )
            if built.returncode == 0:
                samples['building the site'].append(time.perf_counter() - start)
            else:
                notes.append(f'the site did not build (mkdocs exit status {built.returncode})')
    return [_figure(name, s, 'run') for name, s in samples.items() if s]


def ops_available() -> bool:
    try:
        import ops.testing  # noqa: F401 - only to ask whether the extra is installed
    except ImportError:
        return False
    return True


# The goals the project set itself (issue "Performance"): name, figure, comparison, limit.
GOALS: tuple[tuple[str, str, str, float], ...] = (
    (
        'reference at least 40x cheaper per action than Scenario',
        'Scenario / reference, per action',
        '>=',
        40.0,
    ),
    ('fan-out to 10,000 units under 0.5 s', 'fan-out to 10000 units', '<', 0.5),
    (
        'fan-out cost linear in units (per-unit cost 10k vs 1k within 1.5x)',
        'cost per unit, 10000 vs 1000 units',
        '<=',
        1.5,
    ),
    (
        'ops target at most 25 ms per dispatched event',
        'ops target: one dispatch, warm (fork)',
        '<=',
        0.025,
    ),
    (
        'a background operation on 100 units, polled until done, under 2x run()',
        'background polled / run(), 100 units',
        '<',
        2.0,
    ),
    ('one `juju run` through the box at most 100 ms (client start included)', BOX_RUN, '<=', 0.1),
    ('jubilant deploy + wait + run of 2 units in the box at most 3 s', BOX_DEPLOY, '<=', 3.0),
    ('whole suite on the reference under 1 s', 'whole suite on reference', '<', 1.0),
    ('whole suite on the ops target under 20 s', 'whole suite on ops', '<', 20.0),
    ('all notebooks executed under 15 s', 'executing all notebooks', '<', 15.0),
    ('the site built under 10 s', 'building the site', '<', 10.0),
)


def verdicts(result: dict[str, Any]) -> list[dict[str, Any]]:
    """Each goal with the figure measured for it and whether it was met."""
    values = {f['name']: f['median'] for f in result['figures']} | result['ratios']
    out = []
    for goal, figure, op, limit in GOALS:
        value = values.get(figure)
        met = None
        if value is not None:
            met = {'>=': value >= limit, '<': value < limit, '<=': value <= limit}[op]
        out.append({'goal': goal, 'figure': figure, 'value': value, 'limit': limit, 'met': met})
    return out


def run(*, quick: bool = False, docs_root: pathlib.Path | None = None) -> dict[str, Any]:
    """Measure everything; return figures and the ratios taken between them."""
    repeats = 3 if quick else 7
    per_batch = 200 if quick else 1000
    # Fan-out first, before ops and ops.testing are imported: their objects would make
    # the garbage collector's passes over this process longer for reasons not the model's.
    sizes = (10, 100, 1000) if quick else (10, 100, 1000, 10000)
    fan = {units: _fanout(units, repeats) for units in sizes}
    figures: list[Figure] = [
        _calibration(repeats),
        _measure('reference: one action', _reference_batch(per_batch), repeats),
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
            _ops_dispatches(
                'ops target: one dispatch, warm (fork)', 20 if quick else 150, warm=True
            )
        )
        figures.append(
            _ops_dispatches(
                'ops target: one dispatch, cold (exec)', 3 if quick else 15, warm=False
            )
        )
        if not quick:
            figures.extend(
                _suite_seconds(name, 3)
                for name in ('reference', 'ops', 'ops-scenario', 'ops-harness')
            )
            # The same suite on the ops target in worker processes, beside the run above.
            figures.append(_suite_seconds('ops', 3, jobs=session.default_jobs()))
        if box_available():
            figures.extend(_box_figures(10 if quick else 30, 1 if quick else 3))
        else:
            notes.append('the box not measured: jubilant is not installed (pip install jubilant)')
    else:
        notes.append("ops.testing not installed: pip install 'actionspec[ops]' to compare")

    figures.extend(fan.values())
    figures.extend(_background_fanout(100, repeats))
    if docs_root is not None:
        figures.extend(_docs_figures(docs_root, 1 if quick else 3, notes))
    else:
        notes.append('notebooks and site not measured: run from the repository (mkdocs.yml)')
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
    if BOX_RUN in by_name:
        ratios['box: `juju run` / `juju version`'] = (
            by_name[BOX_RUN].median / by_name[BOX_VERSION].median
        )
    ratios['background polled / run(), 100 units'] = (
        by_name['background on 100 units, polled with show-operation'].median
        / by_name['run() on 100 units'].median
    )
    for small, large in itertools.pairwise(sizes):
        ratios[f'cost per unit, {large} vs {small} units'] = (fan[large].median / large) / (
            fan[small].median / small
        )
    result: dict[str, Any] = {
        'measured': datetime.date.today().isoformat(),
        'machine': {
            'cpus': os.cpu_count(),
            'python': platform.python_version(),
            'system': platform.platform(terse=True),
        },
        'quick': quick,
        'figures': [f.as_dict() for f in figures],
        'ratios': ratios,
        'notes': notes,
    }
    result['goals'] = verdicts(result)
    return result


def _spread(figure: dict[str, Any]) -> str:
    low, high = terminal.human_seconds(figure['low']), terminal.human_seconds(figure['high'])
    return f'{low} - {high}'


def format_table(result: dict[str, Any]) -> str:
    """A plain-text table of the figures, then the ratios."""
    lines = [f'{"measure":<40} {"median":>12} {"spread (min-max)":>24}  per']
    for f in result['figures']:
        lines.append(
            f'{f["name"]:<40} {terminal.human_seconds(f["median"]):>12} '
            f'{_spread(f):>24}  {f["per"]}'
        )
    lines.append('')
    lines.extend(f'{name:<52} {value:8.1f}x' for name, value in result['ratios'].items())
    lines.append('')
    for goal in result['goals']:
        mark = {True: 'met', False: 'MISSED', None: 'not measured'}[goal['met']]
        lines.append(f'{mark:>12}  {goal["goal"]}')
    lines.extend(result['notes'])
    return '\n'.join(lines)
