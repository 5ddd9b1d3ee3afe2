"""The model a user deploys charm classes into.

The controller (`juju.model.Model`) runs any `CharmRuntime` it is handed; this subclass
adds the charms a notebook or a test defines: a reference `Charm` subclass runs in this
process, an `ops.CharmBase` subclass runs under the real ops runtime, each dispatch a
process forked from this one. It is `actionspec.Model`.
"""

from __future__ import annotations

from typing import Any

from . import charmmeta
from .charm import charm as charm_
from .charm import main
from .juju import model, process
from .launch import charmdir


def is_ops_charm(charm: type) -> bool:
    """Whether `charm` is an `ops.CharmBase` subclass (without importing ops to ask)."""
    return any(c.__name__ == 'CharmBase' and c.__module__.startswith('ops') for c in charm.__mro__)


class Model(model.Model):
    """A Juju model in memory that also deploys charm classes (see `deploy`)."""

    def _runtime(self, charm: Any, meta: charmmeta.CharmMeta) -> process.CharmRuntime:
        """A reference Charm subclass runs in process; an ops charm class is forked per
        dispatch; a ready CharmRuntime (a charm directory, ...) is used as it is."""
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
