"""The entry point of the scripted ops charm inside a real dispatch process.

A scripted charm directory's `src/charm.py` calls `main()`: it reads the steps from
`actionspec-steps.json` in the charm directory, runs ops' own `main` with the scripted
charm, and appends what the charm noticed (its events, refusals, recorded values) as one
JSON line to `actionspec-notes.jsonl`, however the process ends.
"""

from __future__ import annotations

import atexit
import importlib
import json
import os
import pathlib
from typing import Any

import ops

from .. import environment
from . import contract, ops_scripted, scenario


def _ops_main() -> Any:
    """ops' `main`: `ops.main` from ops 2.2 on; in ops 2.0 and 2.1 the function
    `main` of the module `ops.main`, which the package does not import itself
    (canonical/operator ops/__init__.py at 2.2.0 made the module callable)."""
    found = getattr(ops, 'main', None)
    if callable(found):
        return found
    return importlib.import_module('ops.main').main


def _save(recorder: ops_scripted.Recorder, path: pathlib.Path) -> None:
    note = {'trace': recorder.trace, 'refusals': recorder.refusals, 'recorded': recorder.recorded}
    with path.open('a', encoding='utf-8') as f:
        f.write(json.dumps(note) + '\n')


def main() -> None:
    charm_dir = pathlib.Path(os.environ.get(environment.CHARM_DIR, '.'))
    steps = json.loads((charm_dir / contract.STEPS_FILE).read_text(encoding='utf-8'))
    behaviour = {
        event: tuple(scenario.Step.from_data(step) for step in event_steps)
        for event, event_steps in steps.items()
    }
    recorder = ops_scripted.Recorder()
    notes_path = charm_dir / contract.NOTES_FILE
    recorder.save = lambda notes: _save(notes, notes_path)
    atexit.register(_save, recorder, notes_path)
    _ops_main()(ops_scripted.charm_type(behaviour, recorder))
