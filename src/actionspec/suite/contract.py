"""The scripted-charm contract: how the suite runs a charm directory it did not write.

The suite writes a charm directory per application: the scenario's metadata and actions
(`charmmeta.CharmMeta.write`), the steps per event (`actionspec-steps.json`), and either
the kit's own scripted ops charm or the files of an implementation under test. After each
dispatch the charm appends what it noticed to `actionspec-notes.jsonl`: its events per
unit, the refusals it met and the values it recorded (docs/writing-a-target.md).
"""

from __future__ import annotations

import atexit
import json
import pathlib
import sys
from collections.abc import Mapping
from typing import Any

from .. import charmmeta, trace
from ..hooktools import server
from ..juju import context, process
from ..launch import charmdir
from ..launch import zygote as zygote_
from . import scenario, scripted

STEPS_FILE = 'actionspec-steps.json'
NOTES_FILE = 'actionspec-notes.jsonl'
# Events a dispatch of the kit's scripted ops charm defers without running their steps
# (comma-separated, in its environment): how a target puts events "deferred earlier" in a
# unit's store by dispatching hooks (`suite.ops_entry`).
SEED_DEFERRED = 'ACTIONSPEC_SEED_DEFERRED'
# The files the kit writes into a scripted charm directory, per application.
GENERATED = ('metadata.yaml', 'actions.yaml', STEPS_FILE)
# ops names a notice's observer by the charm's handle path, which is its class name.
SCRIPTED_CHARM_CLASS = 'ScriptedOpsCharm'
# The steps per event, as data: what `actionspec-steps.json` holds.
Steps = Mapping[str, list[dict[str, object]]]


def steps_of(case: scenario.Scenario, app: str) -> dict[str, list[dict[str, object]]]:
    """An application's steps per event, as its charm reads them (`STEPS_FILE`)."""
    return {
        event: [step.as_data() for step in event_steps]
        for event, event_steps in case.behaviour.get(app, {}).items()
    }


def generated_files(parent: pathlib.Path, meta: charmmeta.CharmMeta, steps: Steps) -> pathlib.Path:
    """A new charm directory under `parent` with the files the kit writes (`GENERATED`),
    for an implementation of the contract to join."""
    root = parent / meta.name
    root.mkdir(parents=True)
    meta.write(root)
    (root / STEPS_FILE).write_text(json.dumps(steps), encoding='utf-8')
    return root


def scripted_charm_dir(
    parent: pathlib.Path,
    meta: charmmeta.CharmMeta,
    steps: Steps,
    implementation: pathlib.Path | None = None,
    *,
    portable: bool = False,
) -> pathlib.Path:
    """A charm directory that performs `steps`: the scenario's metadata, actions and steps,
    with an implementation of the contract: the files of `implementation`, or by default
    the kit's own scripted ops charm, run by this interpreter. A `portable` one runs on
    the unit's `python3` through the `dispatch` charmcraft adds when packing; ops and the
    kit's charm side must then be put in its `venv/` (`targets.juju_cli`)."""
    root = generated_files(parent, meta, steps)
    if implementation is not None:
        for entry in implementation.iterdir():
            if entry.name not in (*GENERATED, charmdir.STATE_FILE):
                (root / entry.name).symlink_to(entry.resolve())
        return root
    (root / 'src').mkdir()
    charm = root / 'src' / 'charm.py'
    python = '/usr/bin/env python3' if portable else sys.executable
    charm.write_text(
        f'#!{python}\nfrom actionspec.suite import ops_entry\n\nops_entry.main()\n',
        encoding='utf-8',
    )
    charm.chmod(0o755)
    if not portable:
        dispatch = root / 'dispatch'
        dispatch.write_text(
            '#!/bin/sh\nJUJU_DISPATCH_PATH="${JUJU_DISPATCH_PATH:-$0}" exec ./src/charm.py\n',
            encoding='utf-8',
        )
        dispatch.chmod(0o755)
    return root


def read_behaviour(charm_dir: pathlib.Path) -> dict[str, tuple[scenario.Step, ...]]:
    """The steps per event, as a scripted charm finds them in its charm directory."""
    steps = json.loads((charm_dir / STEPS_FILE).read_text(encoding='utf-8'))
    return {
        event: tuple(scenario.Step.from_data(step) for step in event_steps)
        for event, event_steps in steps.items()
    }


def keep_notes(recorder: scripted.Recorder, charm_dir: pathlib.Path) -> None:
    """Have `recorder` append its notes to the charm directory's notes file at each
    checkpoint and when the process ends, however it ends."""
    path = charm_dir / NOTES_FILE
    recorder.save = lambda notes: scripted.append_notes(notes, path)
    atexit.register(scripted.append_notes, recorder, path)


class ScriptedCharmDirectory(charmdir.CharmDirectory):
    """A charm directory keeping the contract: its trace comes from its notes."""

    def __init__(
        self,
        source: pathlib.Path,
        *,
        agent: server.AgentServer | None = None,
        zygote: zygote_.Zygote | None = None,
    ) -> None:
        super().__init__(source, agent=agent, zygote=zygote, observer=SCRIPTED_CHARM_CLASS)
        self.notes: list[dict[str, dict[str, list[Any]]]] = []

    def _tools(
        self, tools: context.HookTools, request: process.DispatchRequest, record: process.Recorder
    ) -> context.HookTools:
        return tools

    def dispatch(
        self, request: process.DispatchRequest, tools: context.HookTools, record: process.Recorder
    ) -> process.ProcessResult:
        result = super().dispatch(request, tools, record)
        self._read_notes(self.unit_dir(request.unit), request, record)
        return result

    def _read_notes(
        self, unit_dir: pathlib.Path, request: process.DispatchRequest, record: process.Recorder
    ) -> None:
        notes_path = unit_dir / NOTES_FILE
        if not notes_path.exists():
            return
        lines = notes_path.read_text(encoding='utf-8').splitlines()
        notes_path.unlink()
        dispatched = charmmeta.event_name(request.path)
        for line in lines:
            note = json.loads(line)
            self.notes.append(note)
            for event in note['trace'].get(request.unit, []):
                if event == dispatched:
                    cause = request.cause
                elif event in charmmeta.COLLECT_STATUS_EVENTS:
                    cause = trace.Cause.COLLECT_STATUS
                else:
                    cause = trace.Cause.DEFERRED
                record(trace.TraceEntry(request.unit, event, cause))
