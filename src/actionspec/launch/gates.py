"""Hold points: where a scripted charm waits, mid-dispatch, until its scenario releases it.

A `hold: <name>` step waits until a `release: <name>` step, so a scenario can look at a
task while it runs, queue others behind it, cancel or abort it. Hold points are files in
one directory, so a charm in this process and one in a dispatch process wait alike: a
held dispatch writes `held/<context id>` (JUJU_CONTEXT_ID names the dispatch), a release
writes `<name>.released`. The controller asks the runtime whether a dispatch is held
(`CharmRuntime.held`) and so knows it will not end by itself.
"""

from __future__ import annotations

import os
import pathlib
import time
from collections.abc import Mapping
from typing import Any

from .. import environment
from ..juju import context, process

# The environment variable that tells a scripted charm where its hold points are.
GATES_DIR = 'ACTIONSPEC_GATES'

# How often a held charm looks for its release (and, in this process, for an abort).
_LOOK_SECONDS = 0.001


class Gates:
    """One scenario's hold points, in `directory` (which the caller owns and removes)."""

    def __init__(self, directory: pathlib.Path) -> None:
        self.directory = directory
        (directory / 'held').mkdir(parents=True, exist_ok=True)

    def release(self, name: str) -> None:
        """Let every charm held at `name`, now or later, go on."""
        (self.directory / f'{name}.released').touch()

    def held(self, context_id: str) -> bool:
        """Whether the dispatch with this JUJU_CONTEXT_ID waits at a hold point that is
        not released: once released, it is running again, even before it notices."""
        try:
            name = (self.directory / 'held' / _file_name(context_id)).read_text('utf-8')
        except FileNotFoundError:
            return False
        return bool(name) and not (self.directory / f'{name}.released').exists()

    def __repr__(self) -> str:
        return f'Gates({str(self.directory)!r})'


class HoldingRuntime:
    """A charm runtime whose dispatches may wait at hold points: it tells each dispatch
    where they are, and the controller which dispatch is held."""

    def __init__(self, runtime: process.CharmRuntime, gates: Gates) -> None:
        self.runtime = runtime
        self.gates = gates

    def dispatch(
        self, request: process.DispatchRequest, tools: context.HookTools, record: process.Recorder
    ) -> process.ProcessResult:
        env = {**request.env, GATES_DIR: str(self.gates.directory)}
        return self.runtime.dispatch(request._replace(env=env), tools, record)

    def held(self, context_id: str) -> bool:
        return self.gates.held(context_id)

    def __getattr__(self, name: str) -> Any:
        """What else the runtime offers (a charm directory's `run_command`, `close`)."""
        return getattr(self.runtime, name)

    def seed_deferred(
        self, unit: str, event: str, snapshot: Mapping[str, str] | None = None
    ) -> None:
        self.runtime.seed_deferred(unit, event, snapshot)

    def deferred(self, unit: str) -> tuple[str, ...]:
        return self.runtime.deferred(unit)

    def __repr__(self) -> str:
        return f'HoldingRuntime({self.runtime!r})'


def hold(name: str, env: Mapping[str, str] | None = None) -> None:
    """Wait at hold point `name` until it is released (the charm side of a `hold` step).

    `env` is the dispatch's environment: `os.environ` in a dispatch process (the
    default), `self.framework.env` in a reference charm. A dispatch run in this process
    that is aborted meanwhile ends here as a killed process would (`process.Killed`); a
    dispatch process is killed by its launcher.
    """
    env = os.environ if env is None else env
    if GATES_DIR not in env:
        raise RuntimeError(
            f'hold({name!r}): this dispatch has no hold points (deploy into '
            'actionspec.Model(hold_points=True))'
        )
    directory = pathlib.Path(env[GATES_DIR])
    marker = directory / 'held' / _file_name(env[environment.CONTEXT_ID])
    released = directory / f'{name}.released'
    if released.exists():
        return
    marker.write_text(name, encoding='utf-8')
    try:
        while not released.exists():
            process.end_if_aborted()
            time.sleep(_LOOK_SECONDS)
    finally:
        marker.unlink(missing_ok=True)


def _file_name(context_id: str) -> str:
    return context_id.replace('/', '-')
