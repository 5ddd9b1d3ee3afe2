"""Shared helpers: a charm built from plain functions, and a deterministic model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import actionspec
from actionspec import examples

ACTIONS = (
    examples.SNAPSHOT_ACTIONS
    + """
do:
  description: A catch-all action for tests.
"""
)

Handler = Callable[[Any, Any], None]


def charm_with(**handlers: Handler) -> type[actionspec.Charm]:
    """A Charm subclass observing each named event with `handler(charm, event)`."""

    class TestCharm(actionspec.Charm):
        def __init__(self, framework: actionspec.Framework) -> None:
            super().__init__(framework)
            for name, handler in handlers.items():
                method = _bind(self, name, handler)
                framework.observe(getattr(self.on, name), method)

    return TestCharm


def _bind(charm: actionspec.Charm, name: str, handler: Handler) -> Callable[[Any], None]:
    def method(event: Any) -> None:
        handler(charm, event)

    method.__name__ = f'_on_{name}'
    setattr(charm, method.__name__, method)
    return method


def make_model(
    *, units: int = 2, juju_version: str = '3.6', peers: tuple[str, ...] = (), **handlers: Handler
) -> actionspec.Model:
    model = actionspec.Model(juju_version=juju_version, clock=actionspec.TickingClock())
    model.deploy('db', charm_with(**handlers), actions=ACTIONS, units=units, peers=peers)
    return model


@pytest.fixture
def clock() -> actionspec.TickingClock:
    return actionspec.TickingClock()
