"""Other releases of the implementations, as targets: `ops@2.23` (the real ops runtime),
`ops-harness@2.23` (ops.testing's Harness), `ops-scenario@7` (Scenario, by the version of
its own PyPI package `ops-scenario`; 8.x is what ops 3.x installs as `ops[testing]`).

A version names a release line: `2.23` is the newest 2.23.x on PyPI, `7` the newest 7.x,
and `2.23.6` that release alone. Each release runs in a virtual environment of its own
(`launch.venvs`), built from PyPI on first use and reused after. There a worker process,
with that environment's Python and this kit's source, runs the kit's own target for the
implementation (`targets.ops_runtime`, `targets.ops_testing`) and answers one JSON line
per scenario (`suite.codec`), so every release is judged by the very code that judges the
installed one. A process keeps its workers between scenarios: one per environment, the
last few used.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import dataclasses
import json
import os
import pathlib
import re
import subprocess
from collections.abc import Iterable

from ..juju import versions
from ..launch import scratch, venvs
from ..suite import codec, target
from ..suite import scenario as scenario_

VERSION = re.compile(r'^\d+(?:\.\d+){0,2}$')
# Workers a process keeps running: an `ops@V` and an `ops-harness@V` share one, and a
# process of a pool works through the targets in turn.
KEEP_WORKERS = 2
# How much of a worker's standard error an error quotes.
_TAIL_LINES = 12


@dataclasses.dataclass(frozen=True)
class Family:
    """An implementation whose releases can be targets."""

    name: str
    """The target's name without a release: `ops-harness`."""
    package: str
    """The distribution on PyPI whose version the release names."""
    target: str
    """The kit's target for it, which the worker runs."""
    minimum: tuple[int, ...]
    """The oldest release the kit can run."""
    why_minimum: str

    @property
    def too_old(self) -> str:
        """Which releases the kit does not run, and why."""
        oldest = '.'.join(map(str, self.minimum))
        return f'releases before {oldest} are not run: {self.why_minimum}'


FAMILIES = {
    family.name: family
    for family in (
        Family(
            'ops',
            'ops',
            'ops',
            (2, 0),
            'the kit is made for the ops 2 API and not tried with ops 1',
        ),
        Family(
            'ops-harness',
            'ops',
            'ops-harness',
            (2, 9),
            'Harness.run_action arrived in ops 2.9.0 (canonical/operator CHANGES.md, #1053)',
        ),
        Family(
            'ops-scenario',
            'ops-scenario',
            'ops-scenario',
            (6,),
            "the kit speaks Scenario's API from 6.0 on (Context.run_action, then Context.run)",
        ),
    )
}
FORMS = tuple(f'{name}@VERSION' for name in FAMILIES)


class BadReleaseError(ValueError):
    """A release target's name that cannot name a release; one line."""


def is_release(name: str) -> bool:
    """Whether `name` asks for a release of a known implementation."""
    family, at, _ = name.partition('@')
    return bool(at) and family in FAMILIES


def numbers(version: str) -> tuple[int, ...]:
    """The release numbers of a version (`2.23.0.post1` is 2, 23, 0)."""
    found = re.match(r'\d+(?:\.\d+)*', version)
    return tuple(int(part) for part in found[0].split('.')[:3]) if found else ()


def _below(line: str, minimum: tuple[int, ...]) -> bool:
    """Whether every release of the line `line` (`2.8` is 2.8.x) is older than `minimum`."""
    given = numbers(line)
    return given < minimum[: len(given)]


# The release lines of ops a history runs by default: each minor line from 2.0, all of
# which install and run on Python 3.11.
_OPS_LINES = (*(f'2.{minor}' for minor in range(24)), *(f'3.{minor}' for minor in range(10)))
DEFAULT_HISTORY = (
    # The real runtime and Harness, release by release (a pair shares an environment,
    # and so a worker, when they run one after the other).
    *(
        name
        for line in _OPS_LINES
        for name in (f'ops@{line}', f'ops-harness@{line}')
        if not name.startswith('ops-harness') or not _below(line, FAMILIES['ops-harness'].minimum)
    ),
    # Scenario 6, and the minor lines of 7 and 8 that each pin the ops they were made
    # with (7.0 to 7.2 accept any later ops 2, with which they do not import).
    'ops-scenario@6',
    *(f'ops-scenario@7.{minor}' for minor in range(19, 24)),
    *(f'ops-scenario@8.{minor}' for minor in range(10)),
)


@dataclasses.dataclass(frozen=True)
class Release:
    """A release line of a family, as a target's name asks for it."""

    family: Family
    line: str

    @property
    def name(self) -> str:
        return f'{self.family.name}@{self.line}'

    @property
    def env_name(self) -> str:
        """Releases of one package share an environment (`ops@2.23`, `ops-harness@2.23`)."""
        return f'{self.family.package}@{self.line}'

    @property
    def requirement(self) -> str:
        exact = self.line.count('.') == 2
        return f'{self.family.package}=={self.line}' + ('' if exact else '.*')


def parse(name: str) -> Release:
    """The release `name` asks for; BadReleaseError says what is wrong with it."""
    family_name, _, line = name.partition('@')
    family = FAMILIES[family_name]
    if not VERSION.match(line):
        raise BadReleaseError(
            f'{line!r} is not a release: give a version such as 2.23 (the newest 2.23.x) or 2.23.6'
        )
    if _below(line, family.minimum):
        raise BadReleaseError(family.too_old)
    return Release(family, line)


def environment(release: Release, root: pathlib.Path | None = None) -> venvs.Env:
    """The release's environment, built if it is not in the cache yet."""
    try:
        env = venvs.ensure(release.env_name, (release.requirement,), root)
    except venvs.NoSuchReleaseError:
        raise BadReleaseError(
            f'PyPI has no release of {release.family.package} matching {release.line}'
        ) from None
    installed = env.installed.get(venvs.normalize(release.family.package), '0')
    if numbers(installed) < release.family.minimum:
        raise BadReleaseError(f'{release.family.package} {installed}: {release.family.too_old}')
    return env


def prepare(names: Iterable[str], jobs: int) -> None:
    """Build the environments of release targets `names`, `jobs` at a time (pip mostly
    waits on the network and the disk), so that making the targets finds them built.
    Bad names are left for `make` to report."""
    chosen: dict[str, Release] = {}
    for name in names:
        try:
            release = parse(name)
        except BadReleaseError:
            continue
        chosen.setdefault(release.env_name, release)
    with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as pool:
        for future in [pool.submit(environment, r) for r in chosen.values()]:
            try:
                future.result()
            except (BadReleaseError, venvs.EnvError):
                continue


class ReleaseTarget:
    """One release of an implementation, observed through a worker in its environment."""

    # As the kit's targets for these implementations: both sides, every Juju version
    # (`targets.charm_dir.CharmTarget`, `targets.ops_testing._HarnessTarget`).
    sides = frozenset({scenario_.Side.CONTROLLER, scenario_.Side.CHARM})
    juju_versions = frozenset(versions.PROFILES)

    def __init__(self, release: Release, env: venvs.Env) -> None:
        self.release = release
        self.env = env
        self.name = release.name

    @property
    def family(self) -> Family:
        return self.release.family

    @property
    def version(self) -> str:
        """The release installed: `2.23.6` for `ops@2.23`."""
        return self.env.installed[venvs.normalize(self.family.package)]

    @property
    def companions(self) -> dict[str, str]:
        """The releases of the other implementations' packages in its environment: the
        ops a Scenario release runs with."""
        packages = {f.package for f in FAMILIES.values()} - {self.family.package}
        return {p: self.env.installed[p] for p in sorted(packages) if p in self.env.installed}

    def observe(self, case: scenario_.Scenario, juju_version: str) -> target.Observation:
        return _worker(self.env).observe(self.family.target, case, juju_version)

    def __repr__(self) -> str:
        return f'ReleaseTarget({self.name!r}, {self.version})'


def make(name: str, root: pathlib.Path | None = None) -> ReleaseTarget:
    """The target `name` (`ops@2.23`), its environment built if need be."""
    release = parse(name)
    return ReleaseTarget(release, environment(release, root))


class ReleaseWorkerError(RuntimeError):
    """The worker failed to observe a scenario: its error, with its traceback."""


class _Worker:
    """A process with the environment's Python that runs the kit's targets there."""

    def __init__(self, env: venvs.Env) -> None:
        self.owner = os.getpid()
        self.env = env
        self.log = scratch.scratch_dir('actionspec-release-') / 'worker.log'
        with self.log.open('wb') as log:
            self.proc = subprocess.Popen(
                [
                    str(env.python),
                    '-s',
                    '-c',
                    'from actionspec.targets import release_worker; release_worker.main()',
                ],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                # Only this kit's source on the path: never this interpreter's packages,
                # which hold another release.
                env={**os.environ, 'PYTHONPATH': str(_kit_path()), 'PYTHONNOUSERSITE': '1'},
                # Ctrl-C is for the run, which then closes its workers.
                start_new_session=True,
            )

    def alive(self) -> bool:
        return self.proc.poll() is None

    def observe(
        self, target_name: str, case: scenario_.Scenario, juju_version: str
    ) -> target.Observation:
        request = {'target': target_name, 'juju_version': juju_version, 'case': codec.encode(case)}
        assert self.proc.stdin is not None and self.proc.stdout is not None
        try:
            self.proc.stdin.write(json.dumps(request).encode() + b'\n')
            self.proc.stdin.flush()
            line = self.proc.stdout.readline()
        except BrokenPipeError:
            line = b''
        if not line:
            code = self.proc.wait()
            raise ReleaseWorkerError(
                f'the worker for {self.env.path.name} ended (exit status {code}): {self.tail()}'
            )
        answer = json.loads(line)
        if 'observation' in answer:
            seen: target.Observation = codec.decode(answer['observation'])
            return seen
        if 'cannot_observe' in answer:
            raise target.CannotObserve(answer['cannot_observe'])
        raise ReleaseWorkerError(f'{answer["error"]}\n{answer["traceback"]}')

    def tail(self) -> str:
        lines = self.log.read_text(encoding='utf-8', errors='replace').splitlines()
        return '\n'.join(lines[-_TAIL_LINES:]) or 'it printed nothing'

    def close(self) -> None:
        if os.getpid() != self.owner:  # a forked child holds a copy, not the worker
            return
        if self.proc.stdin is not None:
            # The worker ends at the end of its input (one that died cannot take the rest).
            with contextlib.suppress(BrokenPipeError):
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


_workers: dict[pathlib.Path, _Worker] = {}  # by environment, the last used last
_kit: dict[int, pathlib.Path] = {}  # by pid


def _worker(env: venvs.Env) -> _Worker:
    worker = _workers.pop(env.path, None)
    if worker is None or not worker.alive():
        if worker is not None:
            worker.close()
        worker = _Worker(env)
    _workers[env.path] = worker
    while len(_workers) > KEEP_WORKERS:
        _workers.pop(next(iter(_workers))).close()
    return worker


def close_workers() -> None:
    """End this process's workers (at exit, or when a run is done with them)."""
    while _workers:
        _workers.popitem()[1].close()


def _kit_path() -> pathlib.Path:
    """A directory holding only this kit's package (a link to it), to put on a worker's
    PYTHONPATH: the package's own parent may be a site-packages with other releases."""
    found = _kit.get(os.getpid())
    if found is None:
        found = _kit[os.getpid()] = scratch.scratch_dir('actionspec-kit-')
        (found / 'actionspec').symlink_to(pathlib.Path(__file__).resolve().parents[1])
        # Registered after the scratch space: exit handlers run last first, so the
        # workers end before the directory they run from goes.
        atexit.register(close_workers)
    return found
