"""The scripted charm written for ops: the same steps as the reference's, on ops' API.

Used in-process by the ops.testing targets, and inside a real dispatch process by the
`ops` target. Needs `actionspec[ops]`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ops

from . import scenario, scripted


class Recorder(scripted.Recorder):
    """The notes of an ops charm, which a harness can also give events to defer."""

    def __init__(self) -> None:
        super().__init__()
        # Events to defer without running their steps: how a harness with no way to
        # seed its event store is given events "deferred earlier".
        self.seeding: set[str] = set()


def charm_type(
    behaviour: Mapping[str, Sequence[scenario.Step]],
    recorder: Recorder,
    *,
    env: Callable[[], Mapping[str, str]] = lambda: os.environ,
) -> type[ops.CharmBase]:
    """An ops charm that observes each event in `behaviour` and performs its steps."""

    # `ops.charm.CharmBase`, not `ops.CharmBase`: ops 2.0 and 2.1 name nothing at the top
    # level (canonical/operator ops/__init__.py before 2.2.0), and every release has this.
    class ScriptedOpsCharm(ops.charm.CharmBase):
        def __init__(self, framework: ops.Framework) -> None:
            super().__init__(framework)
            for event_name in behaviour:
                framework.observe(getattr(self.on, event_name), getattr(self, f'_on_{event_name}'))
            if recorder.save is not None:
                framework.observe(framework.on.commit, self._note_deferred)

        def _note_deferred(self, event: ops.CommitEvent) -> None:
            # ops has no public way to list its store; its notices are (event path,
            # observer path, method), oldest first (ops/storage.py).
            notices = self.framework._storage.notices(None)
            events = [
                path.rsplit('/', 1)[-1].split('[')[0]
                for path, _, _ in notices
                if path != event.handle.path  # the commit being emitted, not deferred
            ]
            recorder.deferred[self.unit.name] = events

    def handler(event_name: str, steps: Sequence[scenario.Step]) -> Callable[[Any, Any], None]:
        def handle(self: ops.CharmBase, event: Any) -> None:
            if event_name in recorder.seeding:
                event.defer()
                return
            unit = self.unit.name
            recorder.trace.setdefault(unit, []).append(event_name)
            scripted.perform(steps, event, self, env(), unit, recorder)

        handle.__name__ = f'_on_{event_name}'
        return handle

    for event_name, steps in behaviour.items():
        setattr(ScriptedOpsCharm, f'_on_{event_name}', handler(event_name, steps))
    return ScriptedOpsCharm
