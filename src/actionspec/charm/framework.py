"""The charm-side event framework: observing, emitting, deferring, re-emitting.

It follows ops (canonical/operator, ops/framework.py): observers are registered per event
kind, a deferred event becomes a stored notice, and stored notices are re-emitted in the
order they were deferred at the start of every later dispatch (C2).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from .. import trace

if TYPE_CHECKING:
    from ..juju import context

EventT = TypeVar('EventT', bound='EventBase')


class EventBase:
    """Something that happened, handed to observers; a handler may defer it."""

    __slots__ = ('deferred', 'framework', 'name', 'snapshot')

    def __init__(self, framework: Framework, name: str, snapshot: Mapping[str, str]) -> None:
        self.framework = framework
        self.name = name
        self.snapshot: Mapping[str, str] = snapshot
        self.deferred = False

    def defer(self) -> None:
        """Keep the event queued; it is re-emitted before the next dispatch's event."""
        self.deferred = True

    def __repr__(self) -> str:
        return f'<{type(self).__name__} {self.name}>'


@dataclasses.dataclass(frozen=True, slots=True)
class BoundEvent:
    """`charm.on.<name>`: names an event kind and the class its instances have."""

    name: str
    event_type: type[EventBase]

    def __repr__(self) -> str:
        return f'BoundEvent({self.name!r}, {self.event_type.__name__})'


class CharmEvents:
    """The events a charm can observe, defined from its metadata (`charm.on`)."""

    def __init__(self, kinds: Mapping[str, type[EventBase]]) -> None:
        self._kinds = dict(kinds)
        # Each event is a plain attribute, so `charm.on.x` is an ordinary lookup.
        self.__dict__.update({name: BoundEvent(name, kind) for name, kind in kinds.items()})

    def __getattr__(self, name: str) -> BoundEvent:
        raise AttributeError(f'charm has no event {name!r}')

    def event_type(self, name: str) -> type[EventBase]:
        """The class of event `name` (KeyError if the charm has no such event)."""
        return self._kinds[name]

    def __contains__(self, name: object) -> bool:
        return name in self._kinds

    def __iter__(self) -> Iterator[str]:
        return iter(self._kinds)

    def __repr__(self) -> str:
        return f'CharmEvents({len(self._kinds)} events)'


@dataclasses.dataclass(frozen=True, slots=True)
class Notice:
    """A deferred event waiting in a unit's store: the event, its observer, its data."""

    event: str
    observer: str | None = None  # None: whichever observers the charm registers next time
    snapshot: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __repr__(self) -> str:
        return f'Notice({self.event!r}, observer={self.observer!r})'


Handler = Callable[[Any], None]


class Framework:
    """One dispatch's framework: observers, the working copy of the store, the tools.

    The deferred-event store is copied in and only handed back by `commit`, so a dispatch
    that raises leaves the unit's store exactly as it was (C8).
    """

    def __init__(
        self,
        *,
        unit: str,
        on: CharmEvents,
        tools: context.HookTools,
        env: Mapping[str, str],
        stored: tuple[Notice, ...],
        record: Callable[[trace.TraceEntry], None],
    ) -> None:
        self.unit = unit
        self.on = on
        self.tools = tools
        self.env = env
        self._queue: list[Notice] = list(stored)
        self._record = record
        self._observers: dict[str, list[tuple[str, Handler]]] = {}
        self.charm: object = None  # set once the charm is built, to find deferred handlers

    def observe(self, event: BoundEvent, handler: Handler) -> None:
        """Call `handler(event)` whenever `event` is emitted on this charm."""
        if not isinstance(event, BoundEvent):
            raise TypeError(f'observe() takes an event such as charm.on.start, not {event!r}')
        if not callable(handler):
            raise TypeError(f'observe() takes a callable handler, not {handler!r}')
        self._observers.setdefault(event.name, []).append((_observer_id(handler), handler))

    def emit(
        self, name: str, cause: trace.Cause, snapshot: Mapping[str, str] | None = None
    ) -> list[EventBase]:
        """Hand a fresh event to each observer of `name`; queue those that defer."""
        observers = self._observers.get(name)
        if not observers:
            return []
        data = dict(snapshot or {})
        delivered: list[EventBase] = []
        for observer, handler in observers:
            event = self._deliver(name, cause, data, handler)
            delivered.append(event)
            if event.deferred:
                self._queue.append(Notice(name, observer, data))
        return delivered

    def reemit(self) -> None:
        """Re-emit stored notices in the order they were deferred (C2).

        As in ops, a notice names its handler method: that method is called even if the
        charm no longer observes the event, and a notice whose method is gone is dropped.
        A handler that defers again keeps the notice in its place.
        """
        pending, self._queue = self._queue, []
        kept: list[Notice] = []
        for notice in pending:
            for handler in self._handlers_for(notice):
                event = self._deliver(notice.event, trace.Cause.DEFERRED, notice.snapshot, handler)
                if event.deferred:
                    kept.append(dataclasses.replace(notice, observer=_observer_id(handler)))
        self._queue = kept + self._queue

    def _handlers_for(self, notice: Notice) -> list[Handler]:
        observing = self._observers.get(notice.event, [])
        if notice.observer is None:
            return [handler for _, handler in observing]
        named = [handler for observer, handler in observing if observer == notice.observer]
        if named:
            return named[:1]
        method = getattr(self.charm, notice.observer, None)
        return [method] if callable(method) else []

    def close(self) -> None:
        """Drop the charm and its handlers, so a finished dispatch is freed at once."""
        self.charm = None
        self._observers = {}

    def commit(self) -> tuple[Notice, ...]:
        """The store to keep after a dispatch that ended well."""
        return tuple(self._queue)

    def _deliver(
        self,
        name: str,
        cause: trace.Cause,
        snapshot: Mapping[str, str],
        handler: Handler,
    ) -> EventBase:
        event = self.on.event_type(name)(self, name, snapshot)
        try:
            handler(event)
        finally:
            self._record(trace.TraceEntry(self.unit, name, cause, event.deferred))
        return event

    def __repr__(self) -> str:
        count = sum(len(handlers) for handlers in self._observers.values())
        return f'<Framework unit={self.unit!r} observers={count}>'


def _observer_id(handler: Handler) -> str:
    """The name a notice keeps for its handler: the method name, as ops stores it."""
    return getattr(handler, '__name__', None) or repr(handler)
