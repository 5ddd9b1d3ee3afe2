"""The model a user deploys charm classes into.

The controller (`juju.model.Model`) runs any `CharmRuntime` it is handed; this subclass
adds the charms a notebook or a test defines: a reference `Charm` subclass runs in this
process, an `ops.CharmBase` subclass runs under the real ops runtime, each dispatch a
process forked from this one. It is `actionspec.Model`.
"""

from __future__ import annotations

import shlex
import shutil
import weakref
from collections.abc import Sequence
from typing import Any

from . import charmmeta
from .charm import charm as charm_
from .charm import main
from .juju import model, process, render
from .jujucli import commands
from .launch import charmdir, gates, scratch


def is_ops_charm(charm: type) -> bool:
    """Whether `charm` is an `ops.CharmBase` subclass (without importing ops to ask)."""
    return any(c.__name__ == 'CharmBase' and c.__module__.startswith('ops') for c in charm.__mro__)


class Model(model.Model):
    """A Juju model in memory that also deploys charm classes (see `deploy`).

    With `hold_points=True`, its charms may wait mid-dispatch at `actionspec.hold(name)`
    until `release(name)`, so a notebook or a test can look at a task while it runs,
    queue others behind it, cancel or abort it.
    """

    def __init__(self, *args: Any, hold_points: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.hold_points: gates.Gates | None = None
        if hold_points:
            directory = scratch.scratch_dir('actionspec-holds-')
            self.hold_points = gates.Gates(directory)
            weakref.finalize(self, shutil.rmtree, directory, True)

    def release(self, name: str) -> None:
        """Let every charm held at `name` go on, and let the unit agents work."""
        if self.hold_points is None:
            raise ValueError('this model has no hold points: make it with hold_points=True')
        self.hold_points.release(name)
        self.advance()

    def juju(self, command: str | Sequence[str]) -> render.CliOutput:
        """Run a `juju` command line against this model (`'show-task 2'`), as the client
        does; then the unit agents work, as they do between one command and the next."""
        words = shlex.split(command) if isinstance(command, str) else list(command)
        shown = commands.call(self, words[1:] if words[:1] == ['juju'] else words)
        self.advance()
        return shown

    def _runtime(self, charm: Any, meta: charmmeta.CharmMeta) -> process.CharmRuntime:
        """A reference Charm subclass runs in process; an ops charm class is forked per
        dispatch; a ready CharmRuntime (a charm directory, ...) is used as it is."""
        runtime = self._plain_runtime(charm, meta)
        if self.hold_points is not None:
            return gates.HoldingRuntime(runtime, self.hold_points)
        return runtime

    def _plain_runtime(self, charm: Any, meta: charmmeta.CharmMeta) -> process.CharmRuntime:
        if isinstance(charm, type):
            if issubclass(charm, charm_.Charm):
                return main.InProcessCharm(charm, meta)
            if is_ops_charm(charm):
                return charmdir.ForkedOpsCharm(charm, meta)
        if callable(getattr(charm, 'dispatch', None)):
            return super()._runtime(charm, meta)
        raise TypeError(
            f'expected a Charm subclass, an ops charm class or a CharmRuntime, got {charm!r}'
        )
