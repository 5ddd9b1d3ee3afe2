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


class Recorder(scripted.Notes):
    """Notes plus the trace an ops charm keeps of its own handlers, per unit."""

    def __init__(self) -> None:
        super().__init__()
        self.trace: dict[str, list[str]] = {}
        # Events to defer without running their steps: how a harness with no way to
        # seed its event store is given events "deferred earlier".
        self.seeding: set[str] = set()
        # Writes the notes out of a dispatch process (set by `ops_entry`).
        self.save: Callable[[Recorder], None] | None = None

    def checkpoint(self) -> None:
        if self.save is not None:
            self.save(self)
            self.trace, self.refusals, self.recorded = {}, {}, {}


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
