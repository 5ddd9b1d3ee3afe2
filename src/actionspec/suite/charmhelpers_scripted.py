"""The scripted charm written with charmhelpers: a classic charm, with no framework.

A classic charm is its executables, `hooks/<hook>` and `actions/<action>`, run by Juju
one per dispatch. Here each is a link to a script that calls `main()`, which dispatches
on the name it was run as with `hookenv.Hooks`, as charmhelpers charms do, and performs
the steps with `charmhelpers.core.hookenv` the way a charm author writes them: the
action's params from `action_get`, results with `action_set`, failure with
`action_fail`, progress with `function_log` (charmhelpers has no `action_log` since
juju/charm-helpers#394), relation data with `relation_set`. The trace is what the
charm noted itself: the handlers it ran (suite.contract). What charmhelpers has no way to
express (defer, a fail without a message, collect-status handlers) never reaches it: the
target skips those scenarios (`targets.charm_helpers`). Needs `actionspec[charmhelpers]`.
"""

from __future__ import annotations

import os
import pathlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from charmhelpers.core import hookenv

from .. import charmmeta
from . import contract, scenario, scripted


class _Action:
    """What the steps ask of an action event, done with hookenv's action functions."""

    @property
    def params(self) -> dict[str, Any]:
        params: dict[str, Any] = hookenv.action_get()
        return params

    @property
    def id(self) -> str | None:
        action_id: str | None = hookenv.action_uuid()
        return action_id

    def log(self, message: str) -> None:
        hookenv.function_log(message)

    def set_results(self, results: dict[str, Any]) -> None:
        hookenv.action_set(results)

    def fail(self, message: str) -> None:
        hookenv.action_fail(message)


class _Bag:
    """One side's relation data, written as a charmhelpers charm writes it."""

    def __init__(self, relation_id: str, app: bool) -> None:
        self.relation_id = relation_id
        self.app = app

    def update(self, data: Mapping[str, str]) -> None:
        hookenv.relation_set(
            relation_id=self.relation_id, relation_settings=dict(data), app=self.app
        )


class _Relation:
    def __init__(self, endpoint: str) -> None:
        relation_id = hookenv.relation_ids(endpoint)[0]
        self.data = {owner: _Bag(relation_id, owner == 'app') for owner in ('unit', 'app')}


class _Charm:
    """What the steps ask of the charm: its relations, by endpoint, and which bag is the
    unit's and which the application's."""

    unit = 'unit'
    app = 'app'

    @property
    def model(self) -> _Charm:
        return self

    def get_relation(self, endpoint: str) -> _Relation:
        return _Relation(endpoint)


def _handler(
    event: str, steps: Sequence[scenario.Step], recorder: scripted.Recorder
) -> Callable[[], None]:
    def handle() -> None:
        unit = hookenv.local_unit()
        recorder.trace.setdefault(unit, []).append(event)
        scripted.perform(steps, _Action(), _Charm(), os.environ, unit, recorder)

    return handle


def main() -> None:
    """Run the handler registered for the hook or action this process was started as."""
    charm_dir = pathlib.Path(hookenv.charm_dir())
    behaviour = contract.read_behaviour(charm_dir)
    recorder = scripted.Recorder()
    contract.keep_notes(recorder, charm_dir)
    started_as = pathlib.Path(sys.argv[0])
    kind = started_as.parent.name  # hooks or actions
    hooks = hookenv.Hooks()
    for entry in (charm_dir / kind).iterdir():
        event = charmmeta.event_name(f'{kind}/{entry.name}')
        if event in behaviour:
            hooks.register(entry.name, _handler(event, behaviour[event], recorder))
    try:
        hooks.execute(sys.argv)
    except hookenv.UnregisteredHookError as e:
        hookenv.log(f'no handler for {kind}/{e}: nothing to do')
