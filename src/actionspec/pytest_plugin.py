"""A pytest plugin: the conformance suite as pytest items, one per scenario and target.

    pytest --actionspec-target=reference
    pytest --actionspec-target=mypackage.conformance:MyTarget --actionspec-select='fan-out/*'

Items are named `<target>::<scenario id>`. Expected failures from the target's list are
reported as xfail; an expected failure that passes fails.
"""

from __future__ import annotations

import fnmatch
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest

from . import targets
from .reports import terminal
from .suite import loader, runner, xfail
from .suite.scenario import Scenario
from .suite.target import Target

Outcome = runner.Outcome


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup('actionspec', 'actionspec conformance suite')
    group.addoption(
        '--actionspec-target',
        action='append',
        default=[],
        metavar='NAME',
        help='run the conformance suite against this target (a name, or module:attribute)',
    )
    group.addoption(
        '--actionspec-suite',
        action='append',
        default=[],
        metavar='PATH',
        help='scenario files or directories (default: the bundled suite)',
    )
    group.addoption('--actionspec-select', action='append', default=[], metavar='GLOB')
    group.addoption('--actionspec-juju-version', default='3.6', metavar='V')


class ScenarioFailedError(Exception):
    def __init__(self, result: runner.Result) -> None:
        super().__init__(result.id)
        self.result = result


class SuiteCollector(pytest.Collector):
    """The parent of the scenario items; it collects nothing by itself."""

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        return iter(())


class ScenarioItem(pytest.Item):
    def __init__(
        self,
        *,
        case: Scenario,
        target: Target,
        juju_version: str,
        expected: xfail.ExpectedFailure | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.target = target
        self.juju_version = juju_version
        self.expected = expected

    def runtest(self) -> None:
        result = runner.run_one(self.case, self.target, self.juju_version, self.expected)
        if result.outcome is Outcome.SKIPPED:
            pytest.skip(result.reason)
        if result.outcome is Outcome.XFAILED:
            pytest.xfail(result.reason)
        if result.outcome.is_bad:
            raise ScenarioFailedError(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioFailedError):
            return terminal.details(excinfo.value.result)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[pathlib.Path, int, str]:
        return (
            pathlib.Path(self.case.path),
            self.case.line('') - 1,
            f'{self.target.name}::{self.case.id}',
        )


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    names: list[str] = config.getoption('actionspec_target')
    if not names:
        return
    sources = [pathlib.Path(p) for p in config.getoption('actionspec_suite')] or [
        loader.bundled_suite()
    ]
    cases, problems = loader.load(sources)
    if problems:
        raise pytest.UsageError('\n'.join(str(p) for p in problems))
    globs: list[str] = config.getoption('actionspec_select')
    if globs:
        cases = [c for c in cases if any(fnmatch.fnmatchcase(c.id, g) for g in globs)]
    version: str = config.getoption('actionspec_juju_version')
    parent = SuiteCollector.from_parent(session, name='actionspec', nodeid='actionspec')
    for name in names:
        try:
            chosen = targets.make(name)
        except (KeyError, targets.TargetUnavailableError) as e:
            raise pytest.UsageError(f'--actionspec-target {name}: {e}') from None
        listed: dict[str, xfail.ExpectedFailure] = {}
        for source in sources:
            if source.is_dir():
                listed.update(xfail.load(chosen.name, source))
        for case in cases:
            items.append(
                ScenarioItem.from_parent(
                    parent,
                    name=f'{chosen.name}::{case.id}',
                    case=case,
                    target=chosen,
                    juju_version=version,
                    expected=listed.get(case.id),
                )
            )
