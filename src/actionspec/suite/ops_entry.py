"""The entry point of the scripted ops charm inside a real dispatch process.

A scripted charm directory's `src/charm.py` calls `main()`: it reads the steps from
`actionspec-steps.json` in the charm directory, runs ops' own `main` with the scripted
charm, and appends what the charm noticed (its events, refusals, recorded values) as one
JSON line to `actionspec-notes.jsonl`, however the process ends, with the time it was
written and, once ops committed, the unit's deferred-event store.

A dispatch whose environment names events in `contract.SEED_DEFERRED` (comma-separated)
defers each of them, re-emitted ones included, without running their steps: how a
target that reaches units only through Juju puts events in a store "deferred earlier".
"""

from __future__ import annotations

import importlib
import os
import pathlib
from typing import Any

import ops

from .. import environment
from . import contract, ops_scripted


def _ops_main() -> Any:
    """ops' `main`: `ops.main` from ops 2.2 on; in ops 2.0 and 2.1 the function
    `main` of the module `ops.main`, which the package does not import itself
    (canonical/operator ops/__init__.py at 2.2.0 made the module callable)."""
    found = getattr(ops, 'main', None)
    if callable(found):
        return found
    return importlib.import_module('ops.main').main


def main() -> None:
    charm_dir = pathlib.Path(os.environ.get(environment.CHARM_DIR, '.'))
    behaviour = contract.read_behaviour(charm_dir)
    seeds = [event for event in os.environ.get(contract.SEED_DEFERRED, '').split(',') if event]
    for event in seeds:
        behaviour.setdefault(event, ())
    recorder = ops_scripted.Recorder()
    recorder.seeding.update(seeds)
    contract.keep_notes(recorder, charm_dir)
    _ops_main()(ops_scripted.charm_type(behaviour, recorder))
