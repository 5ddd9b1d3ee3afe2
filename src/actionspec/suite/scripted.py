"""The scripted charm: performs a scenario's steps for each event it observes.

The step interpreter uses only the part of the charm API that ops and the reference
share (`event.log`, `event.set_results`, `event.fail`, `event.defer`, `event.params`,
`event.id`, `charm.model.get_relation(...).data[...]`, `charm.unit`, `charm.app`), so
the same interpreter drives a reference charm in this process and an ops charm in a
dispatch process.
"""

from __future__ import annotations

import builtins
import copy
import dataclasses
import json
import pathlib
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any

from ..charm import charm as charm_
from ..charm import framework as framework_
from ..launch import gates
from . import scenario

_RAISABLE = {
    name: getattr(builtins, name)
    for name in ('Exception', 'ValueError', 'RuntimeError', 'KeyError', 'TypeError')
}


@dataclasses.dataclass
class Notes:
    """What scripted charms noticed, per unit: refusal kinds and recorded values."""

    refusals: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    recorded: dict[str, list[Any]] = dataclasses.field(default_factory=dict)

    def checkpoint(self) -> None:
        """Make what was noted so far outlive the dispatch, before it may be killed; notes
        kept in this process need nothing."""


class Recorder(Notes):
    """Notes plus the trace a charm keeps of its own handlers, per unit, for a charm in a
    dispatch process: the scripted-charm contract's notes (`suite.contract`)."""

    def __init__(self) -> None:
        super().__init__()
        self.trace: dict[str, list[str]] = {}
        # Writes the notes out of a dispatch process (set by the charm's entry point).
        self.save: Callable[[Recorder], None] | None = None
        # Per unit, the events in the framework's deferred-event store as the dispatch
        # committed it, where the charm can tell (nothing else can read the store of a
        # unit reached only through Juju).
        self.deferred: dict[str, list[str]] = {}

    def checkpoint(self) -> None:
        if self.save is not None:
            self.save(self)
            self.trace, self.refusals, self.recorded = {}, {}, {}


def append_notes(recorder: Recorder, path: pathlib.Path) -> None:
    """Append what `recorder` noted as one JSON line of the notes file, with when (the
    unit's clock: what came before a run began is told apart by it) and, once known, the
    deferred-event store."""
    note: dict[str, object] = {
        'trace': recorder.trace,
        'refusals': recorder.refusals,
        'recorded': recorder.recorded,
        'time': time.time(),
    }
    if recorder.deferred:
        note['deferred'] = recorder.deferred
    with path.open('a', encoding='utf-8') as f:
        f.write(json.dumps(note) + '\n')


def classify(error: BaseException) -> str | None:
    """The neutral refusal kind of an error a step met, or None if it is not a refusal."""
    text = str(error)
    if isinstance(error, RuntimeError) and 'cannot defer' in text:
        return 'cannot-defer'
    if isinstance(error, ValueError) and 'duplicate key' in text:
        return 'duplicate-key'
    if isinstance(error, ValueError) and ('is invalid' in text or 'invalid key' in text):
        return 'invalid-key'
    if type(error).__name__.endswith(('ModelError', 'RelationDataAccessError', 'HookToolError')):
        if 'reserved action key' in text:
            return 'reserved-key'
        if 'must start and end with lowercase' in text:
            return 'invalid-key'
        if 'cannot write relation settings' in text or 'not leader' in text:
            return 'not-leader'
        return 'model-error'
    if isinstance(error, subprocess.CalledProcessError):
        # A hook tool run by the charm itself (charmhelpers' check_call) refused: the
        # charm learns its exit status only, so what was refused goes unsaid.
        return 'model-error'
    return None


def perform(
    steps: Sequence[scenario.Step],
    event: Any,
    charm: Any,
    env: Mapping[str, str],
    unit: str,
    notes: Notes,
) -> None:
    """Carry out `steps` in a handler; an unexpected error propagates as in any charm."""
    for step in steps:
        if step.kind == 'expect-refused':
            inner, _ = step.arg
            try:
                _do(inner, event, charm, env, unit, notes)
            except Exception as e:
                kind = classify(e)
                if kind is None:
                    raise
                notes.refusals.setdefault(unit, []).append(kind)
            else:
                notes.refusals.setdefault(unit, []).append(scenario.ACCEPTED)
        else:
            _do(step, event, charm, env, unit, notes)


def _do(
    step: scenario.Step, event: Any, charm: Any, env: Mapping[str, str], unit: str, notes: Notes
) -> None:
    kind, arg = step.kind, step.arg
    if kind == 'log':
        event.log(arg)
    elif kind == 'set-results':
        # A fresh mapping each time, as a charm builds one: an implementation that keeps
        # (or changes) the caller's dict must not change the scenario.
        event.set_results(copy.deepcopy(arg))
    elif kind == 'fail':
        event.fail() if arg is None else event.fail(arg)
    elif kind == 'defer':
        event.defer()
    elif kind == 'raise':
        raise _RAISABLE[arg['type']](arg['message'])
    elif kind == 'stdout':
        sys.stdout.write(arg)
    elif kind == 'stderr':
        sys.stderr.write(arg)
    elif kind == 'exit':
        sys.stdout.flush()
        sys.stderr.flush()
        raise SystemExit(arg)
    elif kind == 'relation-set':
        relation = charm.model.get_relation(arg['endpoint'])
        owner = charm.app if arg.get('bag', 'unit') == 'app' else charm.unit
        bag: MutableMapping[str, str] = relation.data[owner]
        bag.update(arg['data'])
    elif kind == 'record':
        notes.recorded.setdefault(unit, []).append(_record(arg, event, env))
    elif kind == 'hold':
        notes.checkpoint()
        gates.hold(arg, env)
    else:  # pragma: no cover - the loader refuses unknown steps
        raise ValueError(f'unknown step {kind!r}')


def _record(what: str, event: Any, env: Mapping[str, str]) -> Any:
    if what == 'params':
        return dict(event.params)
    if what == 'id':
        return event.id
    return env.get(what.removeprefix('env:'))


def charm_type(
    behaviour: Mapping[str, Sequence[scenario.Step]], notes: Notes
) -> type[charm_.Charm]:
    """A reference Charm subclass that observes each event in `behaviour` and runs its steps."""

    class ScriptedCharm(charm_.Charm):
        def __init__(self, framework: framework_.Framework) -> None:
            super().__init__(framework)
            for event_name, steps in behaviour.items():
                framework.observe(getattr(self.on, event_name), self._handler(event_name, steps))

        def _handler(self, name: str, steps: Sequence[scenario.Step]) -> Callable[[Any], None]:
            def handle(event: Any) -> None:
                perform(steps, event, self, self.framework.env, self.unit.name, notes)

            handle.__name__ = f'_on_{name}'
            return handle

    return ScriptedCharm
