"""The real ops runtime, run the way Juju runs it: a charm directory, one process per
dispatch, Juju's environment, and Juju-compatible hook tools on PATH served by the
reference controller (so each Juju rule still has one home).
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import weakref
from collections.abc import Mapping
from typing import Any

import yaml

from .. import trace
from ..charm import scripted
from ..hooktools import scratch, server
from ..hooktools import zygote as zygote_
from ..juju import context, model, process, versions
from ..suite import scenario as scenario_
from ..suite import target
from . import TargetUnavailableError, reference

try:
    import ops.storage
except ImportError as e:  # pragma: no cover - exercised without the [ops] extra
    raise TargetUnavailableError(
        f"ops is not installed ({e}); pip install 'actionspec[ops]'"
    ) from None

STATE_FILE = '.unit-state.db'
DISPATCH_TIMEOUT = 120.0
# ops names a notice's observer by the charm's handle path, which is its class name.
SCRIPTED_CHARM_CLASS = 'ScriptedOpsCharm'


class CharmDirectory:
    """A charm on disk, run as Juju runs it: each unit gets its own charm directory."""

    def __init__(
        self,
        source: pathlib.Path,
        *,
        agent: server.AgentServer | None = None,
        zygote: zygote_.Zygote | None = None,
    ) -> None:
        if not (source / 'dispatch').is_file() and not (source / 'src' / 'charm.py').is_file():
            raise ValueError(f'{source}: not a charm directory (no dispatch, no src/charm.py)')
        self.source = source
        self.agent = agent or server.shared()
        # A pre-warmed process forks each dispatch of a charm that runs on this
        # interpreter's ops; any other charm runs its own `dispatch` from scratch.
        self.zygote = zygote
        # The handle path ops gives the charm (its class name), for seeded notices.
        self.observer = SCRIPTED_CHARM_CLASS
        self.workdir = scratch.scratch_dir('actionspec-units-')
        # Removed on close(), or when the object goes, or at exit: never left behind.
        self._cleanup = weakref.finalize(self, shutil.rmtree, self.workdir, True)
        self.notes: list[dict[str, dict[str, list[Any]]]] = []

    def unit_dir(self, unit: str) -> pathlib.Path:
        """The unit's own charm directory: links to the charm's files, its own state."""
        path = self.workdir / f'unit-{unit.replace("/", "-")}' / 'charm'
        if not path.exists():
            path.mkdir(parents=True)
            for entry in self.source.iterdir():
                if entry.name != STATE_FILE:
                    (path / entry.name).symlink_to(entry.resolve())
        return path

    def _environment(
        self, request: process.DispatchRequest, unit_dir: pathlib.Path
    ) -> dict[str, str]:
        env = dict(request.env)
        env.update(
            JUJU_CHARM_DIR=str(unit_dir),
            CHARM_DIR=str(unit_dir),
            JUJU_AGENT_SOCKET_ADDRESS=self.agent.address,
            JUJU_AGENT_SOCKET_NETWORK='unix',
            # The hook tools, then this kit's Python (so `#!/usr/bin/env python3` finds
            # an interpreter with ops), then the usual places.
            PATH=f'{self.agent.tools_dir}:{pathlib.Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin',
            LANG='C.UTF-8',
        )
        return env

    def dispatch(
        self, request: process.DispatchRequest, tools: context.HookTools, record: process.Recorder
    ) -> process.ProcessResult:
        unit_dir = self.unit_dir(request.unit)
        env = self._environment(request, unit_dir)
        scripted_charm = (self.source / 'actionspec-steps.json').exists()
        if not scripted_charm:
            tools = _TraceFromLog(tools, request, record)
        context_id = env['JUJU_CONTEXT_ID']
        self.agent.register(context_id, tools)
        try:
            result = self._launch(unit_dir, env)
        finally:
            self.agent.unregister(context_id)
        self._read_notes(unit_dir, request, record)
        return result

    def _launch(self, unit_dir: pathlib.Path, env: dict[str, str]) -> process.ProcessResult:
        """Start the dispatch process and wait for it."""
        if self.zygote is None:
            return _run([str(unit_dir / 'dispatch')], env, unit_dir)
        code, out, err, sig = self.zygote.run(
            str(unit_dir / 'src' / 'charm.py'),
            str(unit_dir / 'dispatch'),
            env,
            str(unit_dir),
            DISPATCH_TIMEOUT,
        )
        return process.ProcessResult(code, out, err, sig)

    def _read_notes(
        self, unit_dir: pathlib.Path, request: process.DispatchRequest, record: process.Recorder
    ) -> None:
        notes_path = unit_dir / 'actionspec-notes.jsonl'
        if not notes_path.exists():
            return
        lines = notes_path.read_text(encoding='utf-8').splitlines()
        notes_path.unlink()
        dispatched = _event_name(request.path)
        for line in lines:
            note = json.loads(line)
            self.notes.append(note)
            for event in note['trace'].get(request.unit, []):
                if event == dispatched:
                    cause = request.cause
                elif event.startswith('collect_') and event.endswith('_status'):
                    cause = trace.Cause.COLLECT_STATUS
                else:
                    cause = trace.Cause.DEFERRED
                record(trace.TraceEntry(request.unit, event, cause))

    def seed_deferred(
        self, unit: str, event: str, snapshot: Mapping[str, str] | None = None
    ) -> None:
        """Store a notice in the unit's ops state, as ops stores a deferred event."""
        if snapshot:
            raise ValueError('deferred events with data are not supported for real charms yet')
        store = ops.storage.SQLiteStorage(self.unit_dir(unit) / STATE_FILE)
        try:
            count = len(list(store.notices(None)))
            path = f'{self.observer}/on/{event}[{9000 + count}]'
            store.save_snapshot(path, {})
            # ops calls the notice's method by name; a charm without `_on_<event>` drops it.
            store.save_notice(path, self.observer, f'_on_{event}')
            store.commit()
        finally:
            store.close()

    def deferred(self, unit: str) -> tuple[str, ...]:
        state = self.unit_dir(unit) / STATE_FILE
        if not state.exists():
            return ()
        store = ops.storage.SQLiteStorage(state)
        try:
            return tuple(
                path.rsplit('/', 1)[-1].split('[')[0] for path, _, _ in store.notices(None)
            )
        finally:
            store.close()

    def close(self) -> None:
        self._cleanup()

    def __repr__(self) -> str:
        return f'CharmDirectory({str(self.source)!r})'


_zygotes: list[zygote_.Zygote] = []


def shared_zygote() -> zygote_.Zygote:
    """The process's zygote for scripted ops charms, started on first use."""
    if not _zygotes:
        import atexit

        _zygotes.append(zygote_.Zygote(str(server.shared().workdir)))
        atexit.register(_zygotes[0].close)
    return _zygotes[0]


_EMITTING = re.compile(r'^Emitting Juju event (\w+)\.$')
_REEMITTING = re.compile(r'^Re-emitting deferred event <\w+ via .*/on/(\w+)\[\d+\]>')


class _TraceFromLog:
    """Hook tools that also read ops' own debug log to trace the events of a charm that
    keeps no notes: `Emitting Juju event X.` and `Re-emitting deferred event <... X[n]>`."""

    def __init__(
        self, tools: context.HookTools, request: process.DispatchRequest, record: process.Recorder
    ) -> None:
        self._tools = tools
        self._request = request
        self._record = record

    def juju_log(self, message: str, level: str = 'INFO') -> None:
        self._tools.juju_log(message, level)
        unit = self._request.unit
        if found := _EMITTING.match(message):
            self._record(trace.TraceEntry(unit, found[1], self._request.cause))
        elif found := _REEMITTING.match(message):
            self._record(trace.TraceEntry(unit, found[1], trace.Cause.DEFERRED))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tools, name)


class ForkedOpsCharm(CharmDirectory):
    """An ops charm class from this very process (a notebook cell, a test), run as Juju
    runs a charm: each dispatch is a child forked from here, with Juju's environment and
    the hook tools, while this process plays the controller."""

    def __init__(
        self,
        charm_type: type,
        *,
        actions: Mapping[str, object],
        endpoints: tuple[str, ...] = (),
        peers: tuple[str, ...] = (),
        name: str = 'charm',
    ) -> None:
        self._sources = scratch.scratch_dir('actionspec-charm-')
        source = scripted_charm_dir(self._sources, name, actions, endpoints, peers, {})
        (source / 'actionspec-steps.json').unlink()
        super().__init__(source)
        self._cleanup_sources = weakref.finalize(self, shutil.rmtree, self._sources, True)
        self.charm_type = charm_type
        self.observer = charm_type.__name__

    def _launch(self, unit_dir: pathlib.Path, env: dict[str, str]) -> process.ProcessResult:
        with (
            tempfile.TemporaryFile(dir=self.workdir) as out,
            tempfile.TemporaryFile(dir=self.workdir) as err,
        ):
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # pragma: no cover - the child process
                code = zygote_.become_dispatch_process(
                    lambda: ops.main(self.charm_type),
                    cwd=str(unit_dir),
                    env=env,
                    argv0=str(unit_dir / 'dispatch'),
                    fds=[out.fileno(), err.fileno()],
                )
                os._exit(code)
            status = _wait(pid, DISPATCH_TIMEOUT)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
        code = os.waitstatus_to_exitcode(status)
        if code < 0:
            return process.ProcessResult(-1, stdout, stderr, -code)
        return process.ProcessResult(code, stdout, stderr)

    def close(self) -> None:
        super().close()
        self._cleanup_sources()

    def __repr__(self) -> str:
        return f'ForkedOpsCharm({self.charm_type.__name__})'


def _wait(pid: int, timeout: float) -> int:
    """waitpid with a time limit: past it, the child's session is killed."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            return os.waitpid(pid, 0)[1]
        time.sleep(0.0005)


def _event_name(path: str) -> str:
    from ..charm import main

    return main.event_name(path)


def _run(argv: list[str], env: dict[str, str], cwd: pathlib.Path) -> process.ProcessResult:
    """Run one dispatch process; a signal or the time limit ends it as Juju would see."""
    proc = subprocess.Popen(
        argv,
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=DISPATCH_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
    if proc.returncode < 0:
        return process.ProcessResult(-1, out, err, -proc.returncode)
    return process.ProcessResult(proc.returncode, out, err)


def deploy_charm_dir(
    m: model.Model, path: pathlib.Path, *, units: int = 1, leader: int | None = 0
) -> model.Application:
    """Deploy the charm directory at `path` (metadata.yaml, actions.yaml) into `m`."""
    try:
        meta = yaml.safe_load((path / 'metadata.yaml').read_text(encoding='utf-8')) or {}
    except FileNotFoundError:
        raise ValueError(f'{path}: no metadata.yaml') from None
    except yaml.YAMLError as e:
        raise ValueError(f'{path / "metadata.yaml"}: {e}') from None
    actions_file = path / 'actions.yaml'
    actions = actions_file.read_text(encoding='utf-8') if actions_file.exists() else None
    peers = tuple(meta.get('peers') or {})
    endpoints = tuple(meta.get('requires') or {}) + tuple(meta.get('provides') or {})
    return m.deploy(
        str(meta.get('name') or path.name),
        CharmDirectory(path),
        actions=actions,
        units=units,
        leader=leader,
        endpoints=endpoints,
        peers=peers,
    )


# The files the kit writes into a scripted charm directory, per application.
GENERATED = ('metadata.yaml', 'actions.yaml', 'actionspec-steps.json')


def scripted_charm_dir(
    parent: pathlib.Path,
    app: str,
    actions: Mapping[str, object],
    endpoints: tuple[str, ...],
    peers: tuple[str, ...],
    steps: Mapping[str, list[dict[str, object]]],
    implementation: pathlib.Path | None = None,
) -> pathlib.Path:
    """A charm directory that performs `steps`: the scenario's metadata, actions and steps,
    with an implementation of the charm contract (docs/writing-a-target.md) — the files of
    `implementation`, or by default the kit's own scripted ops charm."""
    root = parent / app
    root.mkdir(parents=True)
    meta: dict[str, object] = {'name': app}
    if peers:
        meta['peers'] = {p: {'interface': p} for p in peers}
    plain = [e for e in endpoints if e not in peers]
    if plain:
        meta['requires'] = {e: {'interface': e} for e in plain}
    (root / 'metadata.yaml').write_text(yaml.safe_dump(meta), encoding='utf-8')
    (root / 'actions.yaml').write_text(yaml.safe_dump(dict(actions)), encoding='utf-8')
    (root / 'actionspec-steps.json').write_text(json.dumps(steps), encoding='utf-8')
    if implementation is not None:
        for entry in implementation.iterdir():
            if entry.name not in (*GENERATED, STATE_FILE):
                (root / entry.name).symlink_to(entry.resolve())
        return root
    (root / 'src').mkdir()
    charm = root / 'src' / 'charm.py'
    charm.write_text(
        f'#!{sys.executable}\nfrom actionspec.charm import ops_entry\n\nops_entry.main()\n',
        encoding='utf-8',
    )
    dispatch = root / 'dispatch'
    dispatch.write_text(
        '#!/bin/sh\nJUJU_DISPATCH_PATH="${JUJU_DISPATCH_PATH:-$0}" exec ./src/charm.py\n',
        encoding='utf-8',
    )
    for path in (charm, dispatch):
        path.chmod(0o755)
    return root


class CharmTarget:
    """Any charm that keeps the scripted-charm contract, run as Juju runs charms."""

    sides = frozenset({scenario_.Side.CHARM, scenario_.Side.CONTROLLER})
    juju_versions = frozenset(versions.PROFILES)

    def __init__(self, implementation: pathlib.Path | None = None, name: str = '') -> None:
        if implementation is not None and not (implementation / 'dispatch').is_file():
            raise ValueError(f'{implementation}: a charm implementation needs a dispatch file')
        self.implementation = implementation
        self.name = name or f'charm:{implementation}'

    def _charm(self, source: pathlib.Path) -> CharmDirectory:
        return CharmDirectory(source)

    def observe(self, case: scenario_.Scenario, juju_version: str) -> target.Observation:
        charms: list[CharmDirectory] = []
        sources = scratch.scratch_dir('actionspec-charms-')

        def charm_for(app: scenario_.AppSpec) -> CharmDirectory:
            steps = {
                event: [step.as_data() for step in event_steps]
                for event, event_steps in case.behaviour.get(app.name, {}).items()
            }
            source = scripted_charm_dir(
                sources,
                app.name,
                app.actions,
                app.endpoints,
                app.peers,
                steps,
                self.implementation,
            )
            charm = self._charm(source)
            charms.append(charm)
            return charm

        try:
            notes = scripted.Notes()
            m = reference.build_model(case, juju_version, charm_for)
            observed = reference.run_and_observe(case, m, notes)
            for charm in charms:
                for note in charm.notes:
                    for unit, kinds in note.get('refusals', {}).items():
                        observed.refusals.setdefault(unit, []).extend(kinds)
                    for unit, values in note.get('recorded', {}).items():
                        observed.recorded.setdefault(unit, []).extend(values)
            return observed
        finally:
            for charm in charms:
                charm.close()
            shutil.rmtree(sources, ignore_errors=True)

    def __repr__(self) -> str:
        return f'CharmTarget({self.name!r})'


class OpsTarget(CharmTarget):
    """The real ops runtime: the kit's scripted ops charm, each dispatch forked from a
    pre-warmed process."""

    def __init__(self) -> None:
        super().__init__(None, 'ops')

    def _charm(self, source: pathlib.Path) -> CharmDirectory:
        return CharmDirectory(source, zygote=shared_zygote())
