"""`actionspec docs`: execute what changed, refresh the matrix, build the site strictly.

A notebook is re-executed when its cells or the package changed since it was last
executed here; the matrix is re-run when the package or the suite changed. What was
last done is remembered in `.cache/actionspec/` in the repository (not committed), so a
fresh clone executes everything once.
"""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing
import os
import pathlib
import subprocess
import sys
import time

from .. import files, session
from ..juju import versions
from ..reports import matrix
from ..suite import loader, runner
from . import notebooks

MATRIX = pathlib.Path('docs/assets/conformance-matrix.json')
CACHE = pathlib.Path('.cache/actionspec')


@dataclasses.dataclass
class Figures:
    """What one build did and how long each part took, for the benchmark and the user."""

    executed: list[str] = dataclasses.field(default_factory=list)
    notebooks_seconds: float = 0.0
    matrix_seconds: float = 0.0
    build_seconds: float = 0.0


def matrix_data(juju_version: str = versions.DEFAULT_VERSION) -> str:
    """The conformance matrix as committed: every target available here, bundled suite.

    The targets run side by side, each in a fresh process of its own that runs its
    scenarios in order: what a target shows may depend on what ran before it in the same
    process (Scenario numbers actions from a counter that lives as long as the process),
    and so it is the same in every build, however the work was shared out."""
    suite = session.Session.load(juju_version=juju_version)
    names = [chosen.name for chosen in suite.targets(['all'])]
    if suite.problems:
        raise suite.problems[0]
    context = multiprocessing.get_context('forkserver')
    jobs = min(len(names), session.default_jobs())
    pool = context.Pool(jobs, session.end_as_an_interpreter, maxtasksperchild=1)
    try:
        parts = pool.starmap(_one_target, [(name, juju_version) for name in names], 1)
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.close()  # each worker ends on its own, running its exit handlers
        pool.join()
    return matrix.render_json([result for part in parts for result in part], juju_version)


def _one_target(name: str, juju_version: str) -> list[runner.Result]:
    """One target's column of the matrix, its scenarios run in order in this process."""
    suite = session.Session.load(juju_version=juju_version)
    results = suite.run(suite.targets([name]))
    if suite.problems:
        raise suite.problems[0]
    return results


def _suite_digest() -> str:
    digest = hashlib.sha256()
    for root in (loader.bundled_suite(), pathlib.Path(__file__).resolve().parent.parent):
        for path in sorted(p for p in root.rglob('*') if p.suffix in ('.py', '.yaml', '.json')):
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _write(path: pathlib.Path, text: str) -> None:
    files.write_atomically(path, text)


def refresh_matrix(root: pathlib.Path, *, force: bool = False) -> bool:
    """Re-run the matrix when its inputs changed; True when it was re-run."""
    stamp = root / CACHE / 'matrix.digest'
    digest = _suite_digest()
    target = root / MATRIX
    if not force and target.exists() and stamp.exists() and stamp.read_text() == digest:
        return False
    _write(target, matrix_data())
    _write(stamp, digest)
    return True


def build(
    root: pathlib.Path, *, everything: bool = False, site_dir: pathlib.Path | None = None
) -> Figures:
    """Execute stale notebooks, refresh the matrix, then `mkdocs build --strict`."""
    figures = Figures()
    cache = notebooks.Cache(root / CACHE / 'notebooks.json')
    paths = notebooks.notebook_paths(root / 'notebooks')
    stale = paths if everything else cache.stale(paths)
    start = time.perf_counter()
    notebooks.execute_all(stale)
    cache.remember(stale)
    figures.notebooks_seconds = time.perf_counter() - start
    figures.executed = [p.name for p in stale]
    start = time.perf_counter()
    refresh_matrix(root, force=everything)
    figures.matrix_seconds = time.perf_counter() - start
    start = time.perf_counter()
    command = [sys.executable, '-m', 'mkdocs', 'build', '--strict', '--quiet']
    if site_dir is not None:
        command += ['--site-dir', str(site_dir)]
    # Material's banner about its successor is for people, not for every build log.
    env = {**os.environ, 'NO_MKDOCS_2_WARNING': '1'}
    subprocess.run(command, cwd=root, check=True, env=env)
    figures.build_seconds = time.perf_counter() - start
    return figures


def report(figures: Figures) -> str:
    executed = ', '.join(figures.executed) or 'none (all current)'
    return (
        f'notebooks executed: {executed} ({figures.notebooks_seconds:.1f} s)\n'
        f'matrix: {figures.matrix_seconds:.1f} s\n'
        f'site built (mkdocs build --strict): {figures.build_seconds:.1f} s\n'
    )
