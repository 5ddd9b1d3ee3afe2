"""The target interface: what an implementation under test must provide.

A target is small: a name, the sides and Juju versions it covers, and `observe`, which
runs one scenario and reports what happened as an `Observation`. The runner compares
that with the scenario's expectation. Scenarios outside a target's sides or versions are
skipped with the reason, never counted as passed.

    class MyTarget:
        name = 'my-framework'
        sides = frozenset({Side.CHARM})
        juju_versions = frozenset({'3.6'})

        def observe(self, case: Scenario, juju_version: str) -> Observation: ...
"""

from __future__ import annotations

import dataclasses
from typing import Any, NamedTuple, Protocol

from .scenario import Scenario, Side


@dataclasses.dataclass
class TaskObservation:
    """One unit's task as the target saw it end."""

    status: str
    message: str = ''
    results: dict[str, Any] = dataclasses.field(default_factory=dict)  # the charm's own keys
    logs: list[str] = dataclasses.field(default_factory=list)
    stdout: str = ''
    stderr: str = ''
    return_code: int | None = None


class CommandOutput(NamedTuple):
    """What a command printed and how it exited."""

    stdout: str
    stderr: str
    exit_code: int


@dataclasses.dataclass
class Observation:
    """What happened when a target ran one scenario. `None` means "not observed"."""

    error: str | None = None  # the invocation was refused, with this text
    operation_status: str | None = None
    operation_units: list[str] | None = None
    tasks: dict[str, TaskObservation] = dataclasses.field(default_factory=dict)
    trace: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    deferred: dict[str, list[str]] | None = None
    refusals: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    recorded: dict[str, list[Any]] = dataclasses.field(default_factory=dict)
    relation_data: dict[str, dict[str, dict[str, str]]] | None = None
    juju_run: CommandOutput | None = None  # `juju run`, stdout in the expected format
    # With `steps`: per run, what its operation showed at the end (error, operation,
    # tasks, juju_run); per `juju` step, what it printed; per look, each run's statuses.
    runs: list[Observation] | None = None
    commands: list[CommandOutput] | None = None
    looks: dict[str, list[dict[str, str]]] | None = None


class CannotObserve(Exception):  # noqa: N818 - a verdict, not an error
    """Raised by `observe` when this implementation has no way to show what the scenario
    expects (e.g. a unit-test harness and `juju run`'s output): the scenario is skipped
    with this reason, never counted as passed."""


class Target(Protocol):
    """An implementation of the action event model that the suite can run."""

    name: str
    sides: frozenset[Side]  # CONTROLLER and/or CHARM
    juju_versions: frozenset[str]

    def observe(self, case: Scenario, juju_version: str) -> Observation: ...


def skip_reason(target: Target, case: Scenario, juju_version: str) -> str | None:
    """Why `target` cannot run `case` under `juju_version`, or None if it can."""
    version = case.version_for(juju_version)
    if not case.applies_to(version):
        return f'scenario applies to Juju {", ".join(case.juju_versions)}, not {version}'
    if version not in target.juju_versions:
        return f'target {target.name} does not cover Juju {version}'
    missing = case.side.parts() - target.sides
    if missing:
        names = ', '.join(sorted(str(s) for s in missing))
        return f'target {target.name} does not cover the {names} side'
    return None
