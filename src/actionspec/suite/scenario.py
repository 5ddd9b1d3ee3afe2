"""The vocabulary of a conformance scenario, as frozen data.

A scenario is data only: a model, what each charm does on each event (a closed set of
steps), one `juju run`, and what must be observed. Nothing in a scenario is executed.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

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


@dataclasses.dataclass(frozen=True)
class Invocation:
    """The `juju run` of the scenario."""

    targets: tuple[str, ...]
    action: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    juju_version: str | None = None

    @property
    def command(self) -> str:
        params = ' '.join(f'{k}={v}' for k, v in self.params.items())
        return ' '.join(['juju run', *self.targets, self.action, params]).strip()


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
    run: Invocation
    expect: Mapping[str, Any]
    path: str = ''
    lines: Mapping[str, int] = dataclasses.field(default_factory=dict, repr=False, compare=False)

    @property
    def area(self) -> str:
        return self.id.split('/')[0]

    def applies_to(self, version: str) -> bool:
        return version in self.juju_versions

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
