"""Run scenarios on targets and decide each outcome.

passed: every expectation held. failed: one did not. skipped: the target does not cover
the scenario's side or Juju version (never counted as passed). errored: the target
could not run it. xfailed: failed, as its target's expected-failure list says it will.
xpassed: listed as an expected failure but passed, which fails the run.
"""

from __future__ import annotations

import dataclasses
import enum
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

from . import compare
from .scenario import Scenario
from .target import CannotObserve, Target, skip_reason
from .xfail import ExpectedFailure


class Outcome(str, enum.Enum):
    PASSED = 'passed'
    FAILED = 'failed'
    SKIPPED = 'skipped'
    ERRORED = 'errored'
    XFAILED = 'xfailed'
    XPASSED = 'xpassed'

    def __str__(self) -> str:
        return self.value

    @property
    def is_bad(self) -> bool:
        return self in (Outcome.FAILED, Outcome.ERRORED, Outcome.XPASSED)


@dataclasses.dataclass(frozen=True)
class Result:
    """One scenario on one target."""

    case: Scenario
    target: str
    outcome: Outcome
    juju_version: str
    reason: str = ''
    link: str = ''
    mismatches: tuple[compare.Mismatch, ...] = ()
    detail: str = ''  # a traceback, for errored results
    seconds: float = 0.0

    @property
    def id(self) -> str:
        return self.case.id


def run_one(
    case: Scenario, target: Target, juju_version: str, expected: ExpectedFailure | None = None
) -> Result:
    version = case.version_for(juju_version)
    skip = skip_reason(target, case, juju_version)
    if skip:
        return Result(case, target.name, Outcome.SKIPPED, version, skip)
    start = time.perf_counter()
    try:
        seen = target.observe(case, version)
    except CannotObserve as e:
        return Result(case, target.name, Outcome.SKIPPED, version, str(e))
    except Exception as e:
        return Result(
            case,
            target.name,
            Outcome.ERRORED,
            version,
            f'{type(e).__name__}: {e}'.splitlines()[0],
            detail=traceback.format_exc(),
            seconds=time.perf_counter() - start,
        )
    seconds = time.perf_counter() - start
    mismatches = tuple(compare.compare(case, seen))
    if expected is not None:
        if mismatches:
            return Result(
                case,
                target.name,
                Outcome.XFAILED,
                version,
                expected.reason,
                expected.link,
                mismatches,
                seconds=seconds,
            )
        return Result(
            case,
            target.name,
            Outcome.XPASSED,
            version,
            f'listed as an expected failure ({expected.reason}) but passed: '
            'remove it from the list',
            expected.link,
            seconds=seconds,
        )
    outcome = Outcome.FAILED if mismatches else Outcome.PASSED
    return Result(case, target.name, outcome, version, '', '', mismatches, seconds=seconds)


def run(
    cases: Sequence[Scenario],
    targets: Sequence[Target],
    juju_version: str,
    expected: Mapping[str, Mapping[str, ExpectedFailure]],
    progress: Callable[[Result], None] | None = None,
) -> list[Result]:
    """Every case on every target, in order; `progress` hears of each result."""
    results = []
    for target in targets:
        listed = expected.get(target.name, {})
        for case in cases:
            result = run_one(case, target, juju_version, listed.get(case.id))
            results.append(result)
            if progress:
                progress(result)
    return results


class Judged(Protocol):
    """A scenario's outcome on a target: a result of this run, or one read from a report."""

    @property
    def target(self) -> str: ...

    @property
    def outcome(self) -> Outcome: ...


def counts(results: Iterable[Judged]) -> dict[Outcome, int]:
    found = dict.fromkeys(Outcome, 0)
    for result in results:
        found[result.outcome] += 1
    return found


def totals(results: Sequence[Judged]) -> dict[str, dict[str, int]]:
    """Per target (in the order they first appear), how many scenarios ended each way,
    keyed by the outcome's name as reports write it."""
    targets = dict.fromkeys(r.target for r in results)
    return {
        name: {str(k): v for k, v in counts(r for r in results if r.target == name).items()}
        for name in targets
    }


def closing_line(results: Iterable[Result]) -> str:
    """`N passed, N failed, N skipped, N errored`: expected failures that pass count as failed."""
    c = counts(results)
    failed = c[Outcome.FAILED] + c[Outcome.XPASSED]
    return (
        f'{c[Outcome.PASSED]} passed, {failed} failed, '
        f'{c[Outcome.SKIPPED]} skipped, {c[Outcome.ERRORED]} errored'
    )
