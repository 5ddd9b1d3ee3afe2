"""The entry point of the scripted ops charm inside a real dispatch process.

A scripted charm directory's `src/charm.py` calls `main()`: it reads the steps from
`actionspec-steps.json` in the charm directory, runs ops' own `main` with the scripted
charm, and appends what the charm noticed (its events, refusals, recorded values) as one
JSON line to `actionspec-notes.jsonl`, however the process ends.
"""

from __future__ import annotations

import os
import pathlib

import ops

from .. import environment
from . import contract, ops_scripted


def main() -> None:
    charm_dir = pathlib.Path(os.environ.get(environment.CHARM_DIR, '.'))
    recorder = ops_scripted.Recorder()
    contract.keep_notes(recorder, charm_dir)
    ops.main(ops_scripted.charm_type(contract.read_behaviour(charm_dir), recorder))
