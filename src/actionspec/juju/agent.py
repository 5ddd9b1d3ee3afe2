"""The unit agent's queue: which pending task a unit may start, and what it waits for.

A unit runs one operation at a time, whatever `parallel` says: its pending tasks start in
the order they reached it (the resolver's `nextAction` takes the first one not yet done).
`parallel` and `execution-group` decide only which machine lock the task holds, and so
what it waits for on a machine shared with other units: a task that is not parallel holds
`machine-lock` (as every hook does), one with an execution group holds
`machine-lock-<group>`, and a parallel task with no group holds none (J14).

Source: juju/juju 3.6 worker/uniter/actions/resolver.go `nextAction`,
worker/uniter/operation/runaction.go `NeedsGlobalMachineLock`, operation/executor.go
`Run`, core/machinelock/machinelock.go `Acquire`.
"""

from __future__ import annotations

from collections.abc import Iterable

MACHINE_LOCK = 'machine-lock'


def machine_lock(parallel: bool, execution_group: str) -> str | None:
    """The machine lock a task holds while it runs, or None for none."""
    if parallel and not execution_group:
        return None
    return f'{MACHINE_LOCK}-{execution_group}' if execution_group else MACHINE_LOCK


def may_start(lock: str | None, held: Iterable[str | None]) -> bool:
    """Whether a task needing `lock` may start while tasks holding `held` run on its machine."""
    return lock is None or lock not in set(held)
