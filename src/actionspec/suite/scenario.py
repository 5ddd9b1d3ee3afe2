"""The vocabulary of a conformance scenario, as frozen data.

A scenario is data only: a model, what each charm does on each event (a closed set of
steps), one `juju run` (or `steps`: several, with what the administrator and time do
between them), and what must be observed. Nothing in a scenario is executed.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from .. import charmmeta
from ..juju import versions


class Side(str, enum.Enum):
    """Which side of the model a scenario checks, or a target implements."""

    CONTROLLER = 'controller'
    CHARM = 'charm'
    BOTH = 'both'

    def __str__(self) -> str:
        return self.value

    def parts(self) -> frozenset[Side]:
        """The single sides this one covers."""
        if self is Side.BOTH:
            return frozenset({Side.CONTROLLER, Side.CHARM})
        return frozenset({self})


# The steps a handler can take. Refusal kinds are neutral names for the errors a step can
# meet, whatever the implementation calls them.
STEP_KINDS = (
    'log',
    'set-results',
    'fail',
    'defer',
    'raise',
    'stdout',
    'stderr',
    'exit',
    'relation-set',
    'record',
    'hold',
    'expect-refused',
)
ACTION_ONLY_STEPS = frozenset({'log', 'set-results', 'fail'})
REFUSAL_KINDS = (
    'invalid-key',
    'reserved-key',
    'duplicate-key',
    'cannot-defer',
    'not-leader',
    'model-error',
)
ACCEPTED = 'accepted'  # what a refusal list shows for an expect-refused step that went through


@dataclasses.dataclass(frozen=True)
class Step:
    """One thing a handler does: `kind` is one of STEP_KINDS, `arg` its argument."""

    kind: str
    arg: Any = None

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Step:
        ((kind, arg),) = data.items()
        if kind == 'expect-refused':
            return cls(kind, (cls.from_data(arg['step']), arg['kind']))
        return cls(kind, arg)

    def as_data(self) -> dict[str, Any]:
        if self.kind == 'expect-refused':
            step, refusal = self.arg
            return {self.kind: {'step': step.as_data(), 'kind': refusal}}
        return {self.kind: self.arg}


@dataclasses.dataclass(frozen=True)
class Citation:
    source: str
    claim: str


@dataclasses.dataclass(frozen=True)
class AppSpec:
    """An application to deploy."""

    name: str
    units: int = 1
    leader: int | None = 0
    actions: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    endpoints: tuple[str, ...] = ()
    peers: tuple[str, ...] = ()
    # The machine of each unit, in order; units not placed get a machine each.
    machines: tuple[str, ...] = ()

    def meta(self) -> charmmeta.CharmMeta:
        """The application's charm metadata: its actions, its endpoints as `requires`."""
        return charmmeta.CharmMeta(
            self.name,
            self.actions,
            requires=tuple(e for e in self.endpoints if e not in self.peers),
            peers=self.peers,
        )


@dataclasses.dataclass(frozen=True)
class Invocation:
    """A `juju run` of the scenario."""

    targets: tuple[str, ...]
    action: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    juju_version: str | None = None
    # `--background`: queue it and go on at once.
    background: bool = False
    # `--wait`, in seconds of the model's clock: None waits until the operation is done.
    wait: float | None = None

    @property
    def command(self) -> str:
        params = ' '.join(f'{k}={v}' for k, v in self.params.items())
        flags = ' --background' if self.background else ''
        if self.wait is not None:
            flags += f' --wait {self.wait:g}s'
        return ' '.join(['juju run', *self.targets, self.action, params]).strip() + flags


# What a scenario's `steps` can do besides `run`: release a charm held by its `hold`
# step, cancel a task (`juju cancel-task`), let time pass, look at every task, or run any
# `juju` command line and keep what it printed.
MODEL_STEP_KINDS = ('run', 'release', 'cancel', 'pass', 'look', 'juju')


@dataclasses.dataclass(frozen=True)
class ModelStep:
    """One step of a scenario's `steps`: `kind` is one of MODEL_STEP_KINDS.

    `arg` is an Invocation (run), a hold point's name (release), `(run number, unit)`
    with runs counted from 1 (cancel), seconds (pass), a label (look) or the words after
    `juju` (juju).
    """

    kind: str
    arg: Any = None


# -- expectations --------------------------------------------------------------------------
#
# What a scenario's `expect` says must be observed: one frozen dataclass per part. A field
# the scenario does not set is None, so "not expected" (nothing is checked) stays apart from
# "expected empty" (an empty list or mapping, which is checked). A field's name is its key
# in the scenario file with '_' for '-' (`results_include` is `results-include`); its value
# is the file's data with lists as tuples. The source line of each field stays with the
# Scenario (`Scenario.line`), so a mismatch still names where its expectation is written.


def key(name: str) -> str:
    """The scenario file's key for an expectation field (`return_code` → `return-code`)."""
    return name.replace('_', '-')


def to_data(value: Any) -> Any:
    """An expectation value as scenario-file data: parts as mappings, tuples as lists."""
    if isinstance(value, _Part):
        return value.as_data()
    if isinstance(value, (tuple, list)):
        return [to_data(v) for v in value]
    if isinstance(value, Mapping):
        return {k: to_data(v) for k, v in value.items()}
    return value


def _as_given(value: Any) -> Any:
    return value


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value)


def _each_unit(read: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def read_each(value: Any) -> dict[str, Any]:
        return {unit: read(item) for unit, item in value.items()}

    return read_each


def _expected(
    read: Callable[[Any], Any] = _as_given, *, per_unit: bool = False, required: bool = False
) -> Any:
    """A field of an expectation part, absent (None) unless the scenario sets it (or
    `required`); `read` builds its value from the file's data, `per_unit` marks a mapping
    from unit name to what that unit must show. (It is a `dataclasses.field`, which ruff's
    RUF009 cannot tell from a mutable default.)"""
    metadata = {'read': read, 'per_unit': per_unit}
    if required:
        return dataclasses.field(metadata=metadata)
    return dataclasses.field(default=None, metadata=metadata)


_P = TypeVar('_P', bound='_Part')


@dataclasses.dataclass(frozen=True)
class _Part:
    """What every part of an expectation shares: it is built from a scenario's data and
    gives that data back, so `type(p).from_data(p.as_data()) == p`."""

    @classmethod
    def from_data(cls: type[_P], data: Mapping[str, Any]) -> _P:
        """The part from scenario-file data (already checked against the schema)."""
        values = {
            f.name: f.metadata['read'](data[key(f.name)])
            for f in dataclasses.fields(cls)
            if key(f.name) in data
        }
        return cls(**values)

    def as_data(self) -> dict[str, Any]:
        """The part as scenario-file data: the fields it sets, under their file keys."""
        return {
            key(f.name): to_data(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if getattr(self, f.name) is not None
        }


@dataclasses.dataclass(frozen=True)
class ErrorExpectation(_Part):
    """`expect.error`: the invocation is refused before any task runs."""

    message: str = _expected(required=True)
    """Juju's refusal, word for word (`validation failed: (root) : ...`): the text is part
    of the behaviour, since scripts and people read it."""


@dataclasses.dataclass(frozen=True)
class OperationExpectation(_Part):
    """`expect.operation`: the operation `juju run` created for the whole invocation."""

    status: str | None = _expected()
    """The operation's final status (`completed`, `failed`, ...), which Juju derives from
    its tasks' statuses."""

    units: tuple[str, ...] | None = _expected(_tuple)
    """The units the operation has a task for, in order: who `juju run` reached (J9)."""


@dataclasses.dataclass(frozen=True)
class TaskExpectation(_Part):
    """`expect.tasks.<unit>`: how one unit's task ended and what it holds."""

    status: str | None = _expected()
    """The task's final status: `completed`, or `failed` after `action-fail` or a non-zero
    exit (J4, J5)."""

    message: str | None = _expected()
    """The task's message, exactly: the last `action-fail` message, or Juju's own for a
    non-zero exit (J4)."""

    results: Mapping[str, Any] | None = _expected()
    """The charm's results, exactly, nested by dotted key (J2), without the keys Juju adds
    for the captured output (J6): every key the charm set, and no other."""

    results_include: Mapping[str, Any] | None = _expected()
    """Dotted keys that must be present with these values; other keys may be there too."""

    results_exclude: tuple[str, ...] | None = _expected(_tuple)
    """Dotted keys that must be absent, nor any key under them (a refused `action-set`
    stores nothing, J1)."""

    logs: tuple[str, ...] | None = _expected(_tuple)
    """The `action-log` messages, in order, exactly (J3)."""

    stdout: str | None = _expected()
    """What the process wrote to standard output, as Juju captures it into the results."""

    stderr: str | None = _expected()
    """What the process wrote to standard error, as Juju captures it (C8, J6)."""

    return_code: int | None = _expected()
    """The process's exit status, as Juju captures it (J6)."""


@dataclasses.dataclass(frozen=True)
class JujuRunExpectation(_Part):
    """`expect.juju-run`: what the `juju run` command prints and how it exits (J12)."""

    format: str = _expected(required=True)
    """The `--format` to render in (`plain`, `yaml` or `json`): a target that shows the
    command's output renders it in this format."""

    stdout: str | None = _expected()
    """The command's standard output, exactly."""

    stdout_includes: tuple[str, ...] | None = _expected(_tuple)
    """Pieces the standard output must contain, each anywhere."""

    stderr_includes: tuple[str, ...] | None = _expected(_tuple)
    """Pieces the standard error must contain, each anywhere: progress, errors."""

    exit_code: int | None = _expected()
    """The command's exit status, which has its own rule (`cmd/juju/action/run.go`)."""


@dataclasses.dataclass(frozen=True)
class CommandExpectation(_Part):
    """`expect.commands[<n>]`: what the n-th `juju` step printed and how it exited."""

    stdout: str | None = _expected()
    """Its standard output, exactly."""

    stdout_includes: tuple[str, ...] | None = _expected(_tuple)
    """Pieces its standard output must contain, each anywhere."""

    stderr: str | None = _expected()
    """Its standard error, exactly."""

    stderr_includes: tuple[str, ...] | None = _expected(_tuple)
    """Pieces its standard error must contain, each anywhere."""

    exit_code: int | None = _expected()
    """Its exit status: 2 for arguments Juju refuses, 1 for a command that fails."""


@dataclasses.dataclass(frozen=True)
class Expectation(_Part):
    """Everything a scenario's `expect` says must be observed. Only what is set is
    checked; a part that is None is not expected at all."""

    error: ErrorExpectation | None = _expected(ErrorExpectation.from_data)  # noqa: RUF009
    """The invocation is refused with this text. None: the invocation must run (a refusal
    is then a mismatch of its own, and nothing else is compared)."""

    operation: OperationExpectation | None = _expected(OperationExpectation.from_data)  # noqa: RUF009
    """The operation's status and the units it has tasks for."""

    tasks: Mapping[str, TaskExpectation] | None = _expected(
        _each_unit(TaskExpectation.from_data), per_unit=True
    )
    """Per unit, how its task ended. A unit named here must have a task."""

    trace: Mapping[str, tuple[str, ...]] | None = _expected(_each_unit(_tuple), per_unit=True)
    """Per unit, its events in order, exactly (empty: the unit saw nothing) (C1-C3)."""

    trace_includes: Mapping[str, tuple[str, ...]] | None = _expected(
        _each_unit(_tuple), per_unit=True
    )
    """Per unit, events it must see in this order; others may come between."""

    deferred_after: Mapping[str, tuple[str, ...]] | None = _expected(
        _each_unit(_tuple), per_unit=True
    )
    """Per unit, its deferred-event store after the run, oldest first (C2, C8). Set even
    when empty, it needs a target that reports the store."""

    refusals: Mapping[str, tuple[str, ...]] | None = _expected(_each_unit(_tuple), per_unit=True)
    """Per unit, what each `expect-refused` step met, in order: a refusal kind, or
    `accepted` when the step went through (C4, C6, J1)."""

    recorded: Mapping[str, tuple[Any, ...]] | None = _expected(_each_unit(_tuple), per_unit=True)
    """Per unit, what its `record` steps noted, in order (params, ids, environment)."""

    relation_data: Mapping[str, Mapping[str, Mapping[str, str]]] | None = _expected()
    """Per relation end (`app:endpoint`), per bag owner, the committed data after the run
    (J10). Set, it needs a target that reports relation data."""

    juju_run: JujuRunExpectation | None = _expected(JujuRunExpectation.from_data)  # noqa: RUF009
    """What `juju run` prints in a format, and its exit status."""

    runs: tuple[Expectation, ...] | None = _expected(lambda runs: tuple(map(_run, runs)))
    """With `steps`: per `run` step, in order, what its operation must show (its `error`,
    `operation`, `tasks` and `juju-run`), as they stand when the steps are done."""

    commands: tuple[CommandExpectation, ...] | None = _expected(
        lambda commands: tuple(map(CommandExpectation.from_data, commands))
    )
    """With `steps`: per `juju` step, in order, what the command printed (J18)."""

    looks: Mapping[str, tuple[Mapping[str, str], ...]] | None = _expected(
        lambda looks: {label: tuple(runs) for label, runs in looks.items()}
    )
    """With `steps`: per `look` step's label, per run in order, each unit's task status at
    that moment (J13-J15): what `juju show-task` would have said then."""

    def units(self) -> frozenset[str]:
        """Every unit a per-unit expectation names: those a target must be able to show."""
        named: set[str] = set()
        for f in dataclasses.fields(self):
            if f.metadata['per_unit']:
                named.update(getattr(self, f.name) or ())
        for run in self.runs or ():
            named |= run.units()
        return frozenset(named)


def _run(data: Mapping[str, Any]) -> Expectation:
    return Expectation.from_data(data)


PER_UNIT_EXPECTATIONS = tuple(
    key(f.name) for f in dataclasses.fields(Expectation) if f.metadata['per_unit']
)
"""The keys of `expect` whose value maps unit names to what each unit must show, in the
order of the scenario format: `tasks`, `trace`, `trace-includes`, ..."""


@dataclasses.dataclass(frozen=True)
class Scenario:
    """One conformance case. Its id is its path under the suite, without `.yaml`."""

    id: str
    title: str
    side: Side
    rules: tuple[str, ...]
    juju_versions: tuple[str, ...]
    cites: tuple[Citation, ...]
    apps: tuple[AppSpec, ...]
    relations: tuple[tuple[str, str], ...]
    deferred: Mapping[str, tuple[str, ...]]
    behaviour: Mapping[str, Mapping[str, tuple[Step, ...]]]
    run: Invocation  # the only `juju run`, or the first of `steps`
    expect: Expectation
    path: str = ''
    # Several runs and what happens between them; empty for a scenario with one `run`.
    steps: tuple[ModelStep, ...] = ()
    lines: Mapping[str, int] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @property
    def area(self) -> str:
        return self.id.split('/')[0]

    def applies_to(self, version: str) -> bool:
        return version in self.juju_versions

    def every_step(self) -> Iterator[Step]:
        """Every step any handler of the scenario takes, the step inside each
        `expect-refused` included."""
        for events in self.behaviour.values():
            for steps in events.values():
                for step in steps:
                    yield step
                    if step.kind == 'expect-refused':
                        yield step.arg[0]

    @property
    def runs(self) -> tuple[Invocation, ...]:
        """Every `juju run` of the scenario, in order."""
        if not self.steps:
            return (self.run,)
        return tuple(step.arg for step in self.steps if step.kind == 'run')

    def version_for(self, requested: str) -> str:
        """The Juju version to run under: the scenario's own, or the one requested."""
        return self.run.juju_version or requested

    def line(self, field: str) -> int:
        """The source line of `field` (a dotted path), or of its nearest parent."""
        while field:
            if field in self.lines:
                return self.lines[field]
            field = field.rpartition('.')[0]
        return self.lines.get('', 1)


ALL_VERSIONS = tuple(versions.PROFILES)
