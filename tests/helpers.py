"""Shared helpers: a charm built from plain functions, and a deterministic model.

Tests import these with `from .helpers import ...`; conftest.py holds only fixtures and hooks.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import time
from collections.abc import Callable
from typing import Any

import actionspec
from actionspec import box as box_
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


# -- optional parts (conftest.py skips the tests marked as needing one that is absent) ----


def charmhelpers_installed() -> bool:
    """The [charmhelpers] extra."""
    return importlib.util.find_spec('charmhelpers') is not None


def ops_installed() -> bool:
    """The [ops] extra: ops, and ops.testing with its Scenario half (the `scenario` package
    of ops-scenario, without which ops.testing has no Context)."""
    try:
        return all(
            importlib.util.find_spec(name) is not None
            for name in ('ops', 'ops.testing', 'scenario')  # in this order: ops first
        )
    except (ImportError, ValueError):  # an ops that cannot be imported is not installed
        return False


def chromium_path() -> str | None:
    """The Chromium the site test drives (tests/browser.py), looked up on PATH now."""
    return shutil.which('chromium') or shutil.which('chromium-browser')


def juju(
    running: box_.Box, *argv: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the box's `juju` client as a test would."""
    return subprocess.run(
        ['juju', *argv], env=env or running.env(), capture_output=True, text=True, check=False
    )


def juju_until(running: box_.Box, seen: str, *argv: str) -> str:
    """Poll `juju status --format json` (or `juju ARGV`) until `seen` shows in its output;
    what it printed then."""
    for _ in range(400):
        shown = juju(running, *(argv or ('status', '--format', 'json'))).stdout
        if seen in shown:
            return shown
        time.sleep(0.05)
    raise AssertionError(f'{seen!r} never showed: {shown}')


def juju_until_gone(running: box_.Box, gone: str) -> None:
    """Poll `juju status --format json` until `gone` no longer shows in it."""
    for _ in range(400):
        shown = juju(running, 'status', '--format', 'json').stdout
        if gone not in shown:
            return
        time.sleep(0.05)
    raise AssertionError(f'{gone!r} never went: {shown}')
