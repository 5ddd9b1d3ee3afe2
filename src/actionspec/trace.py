"""The event trace: what every unit's charm saw, in order, and why.

This is the observation the conformance suite compares, so it is deliberately plain data.
"""

from __future__ import annotations

import enum
from typing import NamedTuple


class Cause(str, enum.Enum):
    """Why an event reached the charm."""

    INVOCATION = 'invocation'  # the dispatch's own event: the action, or the hook Juju ran
    DEFERRED = 'deferred'  # re-emitted from the unit's deferred-event store (C2)
    RELATION_CHANGE = 'relation-change'  # another unit's committed relation data (J10)
    COLLECT_STATUS = 'collect-status'  # the framework's status evaluation (C3)

    def __str__(self) -> str:
        return self.value


class TraceEntry(NamedTuple):
    """One event handed to a charm's observers on one unit."""

    unit: str
    event: str
    cause: Cause
    deferred: bool = False  # the handler deferred it, so it stays queued

    def __str__(self) -> str:
        suffix = ' (deferred)' if self.deferred else ''
        return f'{self.unit}: {self.event} [{self.cause}]{suffix}'


class Trace(tuple[TraceEntry, ...]):
    """An ordered run of trace entries, with views a reader asks for."""

    __slots__ = ()

    def for_unit(self, unit: str) -> Trace:
        return Trace(e for e in self if e.unit == unit)

    def events(self, unit: str | None = None) -> list[str]:
        return [e.event for e in self if unit is None or e.unit == unit]

    def __repr__(self) -> str:
        return f'Trace({list(self)!r})'
