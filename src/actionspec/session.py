"""One suite session: the scenarios, the targets, their expected failures, and the run.

Every way into the suite goes through a `Session`: `actionspec run`, `matrix` and
`mutants`, the pytest plugin, the site's conformance matrix and the benchmark. So they all
load, select, read expected-failure lists and report problems the same way, and a bad
file reads the same wherever it is found.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import dataclasses
import fnmatch
import multiprocessing
import multiprocessing.util
import os
import pathlib
import pickle
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence

from . import targets as targets_
from . import yamldata
from .juju import versions
from .launch import scratch
from .suite import loader, runner, scenario, target, xfail

Progress = Callable[[runner.Result], None]
Checkpoint = Callable[[Sequence[runner.Result]], None]
CHECKPOINT_SECONDS = 1.0
# How often a worker checks that the process it works for is still there.
ORPHAN_CHECK_SECONDS = 0.5


class SessionError(ValueError):
    """Arguments a session cannot work with (an unknown target or Juju version). One line;
    the CLI exits 2 with it."""


def default_jobs() -> int:
    """How many processes run scenarios at once by default: one per core."""
    return os.cpu_count() or 1


@dataclasses.dataclass
class Session:
    """The scenarios of one run, and everything found wrong with its input files."""

    juju_version: str
    """The Juju version scenarios run under, unless a scenario names its own."""
    sources: tuple[pathlib.Path, ...]
    """Scenario files and directories; a directory may hold `expected-failures/`."""
    select: tuple[str, ...] = ()
    """Globs on scenario ids; empty selects every scenario."""
    cases: list[scenario.Scenario] = dataclasses.field(default_factory=list)
    """The selected scenarios, in id order per source."""
    problems: list[yamldata.DataError] = dataclasses.field(default_factory=list)
    """Files that could not be used: scenarios and expected-failure lists alike."""
    _lists: dict[str, dict[str, xfail.ExpectedFailure]] = dataclasses.field(
        default_factory=dict, repr=False
    )

    @classmethod
    def load(
        cls,
        sources: Sequence[pathlib.Path] = (),
        *,
        bundled: bool = False,
        select: Sequence[str] = (),
        juju_version: str = versions.DEFAULT_VERSION,
    ) -> Session:
        """Load `sources` (the bundled suite when there are none; both with `bundled`)."""
        if juju_version not in versions.PROFILES:
            known = ', '.join(versions.PROFILES)
            raise SessionError(f'unknown Juju version {juju_version!r} (known: {known})')
        chosen = list(sources)
        if not chosen or bundled:
            chosen.insert(0, loader.bundled_suite())
        cases, problems = loader.load(chosen)
        if select:
            cases = [c for c in cases if any(fnmatch.fnmatchcase(c.id, g) for g in select)]
        return cls(juju_version, tuple(chosen), tuple(select), cases, list(problems))

    def targets(self, names: Sequence[str]) -> list[target.Target]:
        """The targets called `names` ('all' for every one available here; the reference
        when there are none)."""
        chosen: list[target.Target] = []
        for name in names or ['reference']:
            if name == 'all':
                taken = {c.name for c in chosen}
                chosen.extend(t for t in targets_.available() if t.name not in taken)
                continue
            try:
                chosen.append(targets_.make(name))
            except KeyError as e:
                if e.args and e.args[0] != name:
                    raise SessionError(f'target {name!r}: {e.args[0]}') from None
                known = ', '.join(
                    [*targets_.names(), 'all', *targets_.FORMS, 'charm:PATH', 'module:attribute']
                )
                raise SessionError(f'unknown target {name!r} (known: {known})') from None
            except targets_.TargetUnavailableError as e:
                raise SessionError(f'target {name!r} cannot run here: {e}') from None
        return chosen

    def expected_failures(self, name: str) -> dict[str, xfail.ExpectedFailure]:
        """The target's expected failures from every source directory (a release of an
        implementation is judged by the implementation's list). A bad list, or an entry
        that names no scenario (when nothing is selected), joins `problems`."""
        listed_as = targets_.list_name(name)
        if listed_as in self._lists:
            return self._lists[listed_as]
        merged: dict[str, xfail.ExpectedFailure] = {}
        ids = {c.id for c in self.cases}
        for source in self.sources:
            if not source.is_dir():
                continue
            try:
                listed = xfail.load(listed_as, source)
            except yamldata.DataError as e:
                self.problems.append(e)
                continue
            if not self.select:
                path = str(xfail.list_path(listed_as, source))
                for stale in sorted(set(listed) - ids):
                    message = 'this expected failure names no scenario: remove it'
                    self.problems.append(yamldata.DataError(path, 1, stale, message))
            merged.update(listed)
        self._lists[listed_as] = merged
        return merged

    def run(
        self,
        chosen: Sequence[target.Target],
        *,
        jobs: int = 1,
        progress: Progress | None = None,
        checkpoint: Checkpoint | None = None,
    ) -> list[runner.Result]:
        """Every selected scenario on every target, in order, each judged against the
        target's expected failures.

        With `jobs` above 1 the scenarios run in that many worker processes; results and
        their order are the same. `progress` hears of each result as it comes;
        `checkpoint` gets the results so far about once a second.
        """
        lists = {t.name: self.expected_failures(t.name) for t in chosen}
        work = [(t, c) for t in chosen for c in self.cases]
        results: list[runner.Result] = []
        last = time.monotonic()
        for result in _results(work, self.juju_version, lists, jobs):
            results.append(result)
            if progress:
                progress(result)
            if checkpoint and time.monotonic() - last >= CHECKPOINT_SECONDS:
                checkpoint(results)
                last = time.monotonic()
        return results


Work = Sequence[tuple[target.Target, scenario.Scenario]]
Lists = dict[str, dict[str, xfail.ExpectedFailure]]


def _results(work: Work, juju_version: str, lists: Lists, jobs: int) -> Iterator[runner.Result]:
    """The result of each piece of work, in order: here, or in worker processes."""
    pool = _pool(work, juju_version, lists, jobs) if jobs > 1 and len(work) > 1 else None
    if pool is None:
        for chosen, case in work:
            yield runner.run_one(case, chosen, juju_version, lists[chosen.name].get(case.id))
        return
    finished = False
    try:
        # Contiguous chunks, a few per worker: little traffic, and the load stays even.
        chunk = max(1, len(work) // (jobs * 8))
        done = pool.map(_run_in_worker, range(len(work)), chunksize=chunk)
        for (_, case), result in zip(work, done, strict=True):
            yield dataclasses.replace(result, case=case)
        finished = True
    finally:
        # Interrupted (a signal, or the caller stopped): scenarios still queued are
        # dropped; the ones running end on their own and their workers exit.
        pool.shutdown(wait=finished, cancel_futures=not finished)


def _pool(
    work: Work, juju_version: str, lists: Lists, jobs: int
) -> concurrent.futures.ProcessPoolExecutor | None:
    """Worker processes that hold the work, or None when a target cannot be sent to one
    (the run then stays in this process)."""
    try:
        payload = pickle.dumps((list(work), juju_version, lists))
    except (pickle.PicklingError, TypeError, AttributeError):
        return None
    # Workers come from a fresh server process with the kit imported once, not forked
    # from this one (which may hold threads: the agent socket, a notebook kernel).
    context = multiprocessing.get_context('forkserver')
    context.set_forkserver_preload(['actionspec.session'])
    return concurrent.futures.ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_start_worker,
        initargs=(payload, os.getpid()),
    )


_worker: dict[str, object] = {}


def _start_worker(payload: bytes, owner: int) -> None:
    """In a worker: take the work, leave Ctrl-C to the parent, and end as an interpreter
    ends (exit handlers run, so scratch space and zygotes go with the worker), also when
    the parent is killed outright."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _worker['work'], _worker['juju_version'], _worker['lists'] = pickle.loads(payload)
    end_as_an_interpreter()
    threading.Thread(target=_leave_with, args=(owner,), daemon=True).start()


def end_as_an_interpreter() -> None:
    """In a pool worker: run the exit handlers when it ends, as an interpreter does
    (multiprocessing ends a worker with os._exit), so its scratch space and zygotes go."""
    multiprocessing.util.Finalize(None, atexit._run_exitfuncs, exitpriority=0)


def _leave_with(owner: int) -> None:
    """End this worker once the process that started it is gone: a pool whose parent was
    killed would otherwise wait for work forever (each worker holds the queue open)."""
    while scratch.process_alive(owner):
        time.sleep(ORPHAN_CHECK_SECONDS)
    try:
        atexit._run_exitfuncs()
    finally:
        os._exit(1)


def _run_in_worker(index: int) -> runner.Result:
    work: Work = _worker['work']  # type: ignore[assignment]
    lists: Lists = _worker['lists']  # type: ignore[assignment]
    chosen, case = work[index]
    version: str = _worker['juju_version']  # type: ignore[assignment]
    return runner.run_one(case, chosen, version, lists[chosen.name].get(case.id))
