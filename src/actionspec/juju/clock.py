"""Time and identity for the controller, injectable so every rendering can be reproduced."""

from __future__ import annotations

import dataclasses
import datetime
import time
from typing import Protocol


class Clock(Protocol):
    """Where the controller reads the time (always UTC, as Juju stores it)."""

    def now(self) -> datetime.datetime: ...

    def sleep(self, seconds: float) -> None:
        """Let `seconds` pass: really, or on a clock of the caller's."""


class SystemClock:
    """The real time, for interactive use."""

    def now(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.timezone.utc)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def __repr__(self) -> str:
        return 'SystemClock()'


@dataclasses.dataclass
class TickingClock:
    """A clock that starts at `start` and moves `step` forward each time it is read.

    Deterministic output for tests, docs and notebooks.
    """

    start: datetime.datetime = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
    step: datetime.timedelta = datetime.timedelta(seconds=1)
    _next: datetime.datetime | None = dataclasses.field(default=None, repr=False, compare=False)

    def now(self) -> datetime.datetime:
        moment = self.start if self._next is None else self._next
        self._next = moment + self.step
        return moment

    def sleep(self, seconds: float) -> None:
        """Move the clock on by `seconds` at once: waiting costs no real time."""
        moment = self.start if self._next is None else self._next
        self._next = moment + datetime.timedelta(seconds=seconds)


@dataclasses.dataclass
class IdSequence:
    """Juju's id sequence: operations and tasks draw from one counter, starting at 1.

    Source: juju/juju domain/operation (3.x), where `juju run` on two units answers
    "Running operation 1 with 2 tasks", then tasks 2 and 3.
    """

    next_id: int = 1

    def take(self) -> str:
        value = self.next_id
        self.next_id += 1
        return str(value)
