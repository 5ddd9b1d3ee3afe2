"""The box's state on disk, in its data directory: a controller that restarts reads it
back and goes on where it was, as Juju's controller keeps its models in its database.

`state.json` holds every model (`juju.persist`) and what the box keeps beside it; each
model's log grows line by line in `models/<name>/debug-log.jsonl`. The units' charm
directories (their ops state, deferred events included) live under `models/<name>/agents`
and the charms under `models/<name>/charms`, so nothing else needs saving.
"""

from __future__ import annotations

import json
import pathlib
from typing import TYPE_CHECKING, Any

from .. import charmmeta, files, runtimes
from ..juju import lifecycle, persist, process
from . import command

if TYPE_CHECKING:
    from .controller import Controller

STATE = 'state.json'
LOG = 'debug-log.jsonl'


class StateError(RuntimeError):
    """The data directory's state cannot be read; the text names the file."""


def save(ctl: Controller) -> None:
    """Write the controller's state (call with its lock held)."""
    state = {
        'current': ctl.current,
        'clock-offset': ctl.clock.offset,
        'models': {
            name: {
                'model': persist.dump(hosted.model),
                'config': hosted.config,
                'revisions': hosted.revisions,
                'charms': {app: list(charm) for app, charm in hosted.charms.items()},
                'trusted': sorted(hosted.trusted),
            }
            for name, hosted in ctl.models.items()
        },
    }
    files.write_atomically(ctl.data / STATE, json.dumps(state, sort_keys=True))
    for hosted in ctl.models.values():
        _append_log(hosted)


def _append_log(hosted: command.Hosted) -> None:
    new = hosted.model.debug_log[hosted.logged :]
    if not new:
        return
    hosted.directory.mkdir(parents=True, exist_ok=True)
    with (hosted.directory / LOG).open('a', encoding='utf-8') as out:
        out.writelines(json.dumps(row) + '\n' for row in persist.log_records(new))
    hosted.logged += len(new)


def _runtimes(
    ctl: Controller, directory: pathlib.Path, charms: dict[str, tuple[str, int]]
) -> persist.RuntimeFactory:
    """What runs each application's charm again: its stored charm, its units' directories."""

    def runtime(app: str, meta: charmmeta.CharmMeta) -> process.CharmRuntime:
        return ctl.charm_runtime(directory, command.stored_charm(directory, *charms[app]))

    return runtime


def load(ctl: Controller) -> None:
    """Read the state back into a fresh controller, if the data directory has one."""
    path = ctl.data / STATE
    try:
        state: dict[str, Any] = json.loads(path.read_text(encoding='utf-8'))
    except FileNotFoundError:
        return
    except (OSError, ValueError) as e:
        raise StateError(f'{path}: cannot read the box state: {e}') from None
    try:
        _load(ctl, state)
    except (KeyError, TypeError, ValueError, StopIteration) as e:
        raise StateError(f'{path}: cannot read the box state: {type(e).__name__}: {e}') from None


def _load(ctl: Controller, state: dict[str, Any]) -> None:
    ctl.clock.offset = float(state['clock-offset'])
    for name, saved in state['models'].items():
        directory = ctl.data / 'models' / name
        charms = {app: (str(c[0]), int(c[1])) for app, c in saved['charms'].items()}
        m = persist.load(saved['model'], ctl.new_model, _runtimes(ctl, directory, charms))
        assert isinstance(m, runtimes.Model)
        hosted = command.Hosted(m, directory, saved['config'], saved['revisions'])
        hosted.charms = charms
        hosted.trusted = set(saved.get('trusted', ()))
        log = directory / LOG
        if log.exists():
            rows = [json.loads(line) for line in log.read_text(encoding='utf-8').splitlines()]
            m.debug_log = persist.read_log_records(rows)
            hosted.logged = len(m.debug_log)
        ctl.models[name] = hosted
        ctl.configure(hosted)
        lifecycle.follow(m)  # what a unit runs next still follows from what it ran
    ctl.current = state['current']
