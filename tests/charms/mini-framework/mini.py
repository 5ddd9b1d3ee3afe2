"""A minimal charm framework, not ops: it performs actionspec's scripted steps with the
hook tools directly. It knows no deferral and no collect-status, so it shows up in the
conformance suite as exactly that."""

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

charm_dir = os.environ['JUJU_CHARM_DIR']
unit = os.environ['JUJU_UNIT_NAME']
path = os.environ['JUJU_DISPATCH_PATH']
parent, _, name = path.rpartition('/')
event = name.replace('-', '_') + ('_action' if parent == 'actions' else '')

with open(os.path.join(charm_dir, 'actionspec-steps.json')) as f:
    steps = json.load(f).get(event)

notes: dict[str, dict[str, list[Any]]] = {'trace': {}, 'refusals': {}, 'recorded': {}}


def flat(results: dict[str, Any], parent: str = '') -> Iterator[str]:
    for key, value in results.items():
        full = f'{parent}.{key}' if parent else str(key)
        if isinstance(value, dict):
            yield from flat(value, full)
        else:
            yield f'{full}={value}'


def run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True, text=True)


def save_notes() -> None:
    with open(os.path.join(charm_dir, 'actionspec-notes.jsonl'), 'a') as f:
        f.write(json.dumps(notes) + '\n')
    for part in notes.values():
        part.clear()


def hold(name: str) -> None:
    """Wait at a hold point until the scenario releases it (the process may be killed)."""
    gates = os.environ['ACTIONSPEC_GATES']
    released = os.path.join(gates, f'{name}.released')
    if os.path.exists(released):
        return
    save_notes()
    marker = os.path.join(gates, 'held', os.environ['JUJU_CONTEXT_ID'].replace('/', '-'))
    with open(marker, 'w') as f:
        f.write(name)
    while not os.path.exists(released):
        time.sleep(0.001)
    os.remove(marker)


code = 0
if steps is not None:
    notes['trace'][unit] = [event]
    for step in steps:
        ((kind, arg),) = step.items()
        if kind == 'log':
            run('action-log', arg)
        elif kind == 'set-results':
            run('action-set', *flat(arg))
        elif kind == 'fail':
            run('action-fail', arg or '')
        elif kind == 'stdout':
            sys.stdout.write(arg)
        elif kind == 'stderr':
            sys.stderr.write(arg)
        elif kind == 'hold':
            hold(arg)
        elif kind == 'exit':
            code = arg
            break

save_notes()
sys.exit(code)
