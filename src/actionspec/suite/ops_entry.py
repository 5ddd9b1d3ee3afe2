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

import atexit
import json
import os
import pathlib
import time

import ops

from .. import environment
from . import contract, ops_scripted, scenario


def _save(recorder: ops_scripted.Recorder, path: pathlib.Path) -> None:
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


def main() -> None:
    charm_dir = pathlib.Path(os.environ.get(environment.CHARM_DIR, '.'))
    steps = json.loads((charm_dir / contract.STEPS_FILE).read_text(encoding='utf-8'))
    behaviour = {
        event: tuple(scenario.Step.from_data(step) for step in event_steps)
        for event, event_steps in steps.items()
    }
    seeds = [event for event in os.environ.get(contract.SEED_DEFERRED, '').split(',') if event]
    for event in seeds:
        behaviour.setdefault(event, ())
    recorder = ops_scripted.Recorder()
    recorder.seeding.update(seeds)
    notes_path = charm_dir / contract.NOTES_FILE
    recorder.save = lambda notes: _save(notes, notes_path)
    atexit.register(_save, recorder, notes_path)
    ops.main(ops_scripted.charm_type(behaviour, recorder))
