"""A pytest plugin: the conformance suite as pytest items, one per scenario and target,
and a box for integration tests.

    pytest --actionspec-box tests/integration   # jubilant tests against a local box

    pytest --actionspec-target=reference
    pytest --actionspec-target=mypackage.conformance:MyTarget --actionspec-select='fan-out/*'
    pytest --actionspec-target=ops --actionspec-suite=my-scenarios/

Scenario files are collected the usual way (`pytest_collect_file`): those of the bundled
suite, or of the files and directories `--actionspec-suite` names. Items are named
`<target>::<scenario id>`. Expected failures from the target's list are reported as xfail;
an expected failure that passes fails. Everything is read through one `Session`, as
`actionspec run` reads it: a bad expected-failure list stops the run with its one-line
error, and a bad scenario file is that file's collection error.
"""

from __future__ import annotations

import os
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest

from . import box as box_
from . import session, yamldata
from .reports import terminal
from .suite import loader, runner, xfail
from .suite.scenario import Scenario
from .suite.target import Target

Outcome = runner.Outcome
_SESSION = pytest.StashKey['_Plugin']()


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
    group.addoption(
        '--actionspec-box',
        action='store_true',
        help='run the session inside a box: a local controller whose `juju` is first on '
        'PATH (jubilant and any `juju` call use it), stopped at the end',
    )


class _Plugin:
    """What one pytest run knows of the suite: its session and targets."""

    def __init__(self, config: pytest.Config) -> None:
        names: list[str] = config.getoption('actionspec_target')
        sources = [pathlib.Path(p) for p in config.getoption('actionspec_suite')]
        try:
            self.session = session.Session.load(
                sources,
                select=config.getoption('actionspec_select'),
                juju_version=config.getoption('actionspec_juju_version'),
            )
            self.targets: list[Target] = self.session.targets(names)
        except session.SessionError as e:
            raise pytest.UsageError(f'actionspec: {e}') from None
        for chosen in self.targets:
            self.session.expected_failures(chosen.name)
        lists = [p for p in self.session.problems if _is_expected_failure_list(p)]
        if lists:
            raise pytest.UsageError('\n'.join(str(p) for p in lists))
        self.selected = {c.id for c in self.session.cases}
        # The loader's own list of what is a scenario file, and the root its id is from.
        self.files = {
            path.resolve(): root
            for source in self.session.sources
            if source.exists()
            for path, root in loader.scenario_files(source)
        }

    def holds(self, path: pathlib.Path) -> bool:
        """Whether `path` is a scenario file of the session's sources."""
        return path.resolve() in self.files

    def root_of(self, path: pathlib.Path) -> pathlib.Path:
        """The directory a scenario's id is relative to, as the loader takes it."""
        return self.files[path.resolve()]

    def expected(self, target: Target, case: Scenario) -> xfail.ExpectedFailure | None:
        return self.session.expected_failures(target.name).get(case.id)


def _is_expected_failure_list(problem: yamldata.DataError) -> bool:
    return 'expected-failures' in pathlib.Path(problem.path).parts


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption('actionspec_box'):
        _enter_box(config)
    if not config.getoption('actionspec_target'):
        return
    plugin = _Plugin(config)
    config.stash[_SESSION] = plugin
    # pytest walks the suite's directories as it walks any path it is given.
    config.args.extend(str(p) for p in plugin.session.sources)


def _enter_box(config: pytest.Config) -> None:
    """Start a box and point this process's environment at it, so every `juju` the
    session runs (jubilant's included) is the box's; undone when the session ends."""
    running = box_.Box.start()
    saved = {key: os.environ.get(key) for key in ('PATH', 'JUJU_DATA', 'JUJU_MODEL')}
    os.environ.update(running.env())
    os.environ.pop('JUJU_MODEL', None)

    def leave() -> None:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        running.stop()

    config.add_cleanup(leave)


def pytest_collect_file(parent: pytest.Collector, file_path: pathlib.Path) -> Any:
    plugin = parent.config.stash.get(_SESSION, None)
    if plugin is None or file_path.suffix != '.yaml' or not plugin.holds(file_path):
        return None
    return ScenarioFile.from_parent(parent, path=file_path)


class ScenarioFile(pytest.File):
    """One scenario file: an item per target, unless the scenario is not selected."""

    def collect(self) -> Iterator[pytest.Item]:
        plugin: _Plugin = self.config.stash[_SESSION]
        case = loader.load_file(self.path, plugin.root_of(self.path))  # bad: collection error
        if case.id not in plugin.selected:
            return
        for chosen in plugin.targets:
            yield ScenarioItem.from_parent(
                self,
                name=f'{chosen.name}::{case.id}',
                case=case,
                target=chosen,
                juju_version=plugin.session.juju_version,
                expected=plugin.expected(chosen, case),
            )

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, yamldata.DataError):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))


class ScenarioFailedError(Exception):
    def __init__(self, result: runner.Result) -> None:
        super().__init__(result.id)
        self.result = result


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
