"""Charm directories run as Juju runs them: one process per dispatch, Juju's environment,
and Juju-compatible hook tools on PATH served by the reference controller (so each Juju
rule still has one home).

A `CharmDirectory` is a charm on disk in any language; a `ForkedOpsCharm` is an ops charm
class from this very process, each dispatch a child forked from here.
"""

from __future__ import annotations

import atexit
import contextlib
import dataclasses
import functools
import importlib.metadata
import os
import pathlib
import re
import shutil
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .. import charmmeta, environment, trace
from ..hooktools import server
from ..juju import context, model, process
from . import processes, scratch
from . import zygote as zygote_

# Where ops keeps a unit's state, deferred events included (ops/storage.py).
STATE_FILE = '.unit-state.db'


class CharmDirectory:
    """A charm on disk, run as Juju runs it: each unit gets its own charm directory."""

    def __init__(
        self,
        source: pathlib.Path,
        *,
        agent: server.AgentServer | None = None,
        zygote: zygote_.Zygote | None = None,
        observer: str = '',
        workdir: pathlib.Path | None = None,
        time_limit: float | None = None,
    ) -> None:
        """`zygote`: a pre-warmed process that forks each dispatch of a charm that runs on
        this interpreter's ops (see `ops_dispatch`), and each hook or action of a charm
        with no `dispatch` whose file is a script for this interpreter (`python_script`);
        any other charm runs its own files from scratch, zygote or not. `workdir`: where
        the units' directories go (default: scratch space, removed with this object)."""
        if not source.is_dir():
            raise ValueError(f'{source}: not a charm directory')
        self.source = source
        # Seconds a dispatch may run (math.inf: no limit; None: the kit's own limit).
        self.time_limit = time_limit
        self.agent = agent or shared_agent()
        # What the charm's dispatch puts on PYTHONPATH, for a dispatch the zygote forks.
        python_path = ops_dispatch(source)
        self.ops_dispatch = python_path is not None
        self.python_path = python_path or ()
        classic = not (source / 'dispatch').exists()
        self.zygote = zygote if self.ops_dispatch or classic else None
        # The handle path ops gives the charm's observers (its class name), for the
        # deferred events seeded into its state.
        self.observer = observer
        # Scratch space is removed on close(), or when the object goes, or at exit: never
        # left behind; a workdir of the caller's is the caller's to keep.
        self.workdir = workdir or scratch.scratch_dir('actionspec-units-')
        self._cleanup: Callable[[], object] = (
            weakref.finalize(self, shutil.rmtree, self.workdir, True)
            if workdir is None
            else lambda: None
        )

    def _unit_root(self, unit: str) -> pathlib.Path:
        """The unit's own directory, as the unit agent's `agents/unit-db-0`."""
        return self.workdir / f'unit-{unit.replace("/", "-")}'

    def unit_dir(self, unit: str) -> pathlib.Path:
        """The unit's own charm directory: links to the charm's files, its own state."""
        path = self._unit_root(unit) / 'charm'
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
        environment.add_agent(env, str(unit_dir), self.agent.address)
        # The hook tools, then this kit's Python (so `#!/usr/bin/env python3` finds
        # an interpreter with ops), then the usual places.
        python_dir = pathlib.Path(sys.executable).parent
        env['PATH'] = f'{self.agent.tools_dir}:{python_dir}:/usr/local/bin:/usr/bin:/bin'
        env['LANG'] = 'C.UTF-8'
        return env

    def dispatch(
        self, request: process.DispatchRequest, tools: context.HookTools, record: process.Recorder
    ) -> process.ProcessResult:
        unit_dir = self.unit_dir(request.unit)
        env = self._environment(request, unit_dir)
        with self._serving(env, self._tools(tools, request, record)):
            return self._launch(unit_dir, env, request.abort)

    def run_command(
        self, request: process.DispatchRequest, tools: context.HookTools, command: str
    ) -> process.ProcessResult:
        """`juju exec`: `sh -c command` in the unit's charm directory, with the hook
        environment and the hook tools on PATH, as the uniter runs juju-exec."""
        unit_dir = self.unit_dir(request.unit)
        env = self._environment(request, unit_dir)
        with self._serving(env, tools):
            return processes.run(
                ['/bin/sh', '-c', command], env, unit_dir, request.abort, self.time_limit
            )

    @contextlib.contextmanager
    def _serving(self, env: Mapping[str, str], tools: context.HookTools) -> Iterator[None]:
        """The hook tools answer for this context while the process runs."""
        context_id = env[environment.CONTEXT_ID]
        self.agent.register(context_id, tools)
        try:
            yield
        finally:
            self.agent.unregister(context_id)

    def _tools(
        self, tools: context.HookTools, request: process.DispatchRequest, record: process.Recorder
    ) -> context.HookTools:
        """The hook tools the process gets; these also trace the events ops logs."""
        traced: context.HookTools = _TraceFromLog(tools, request, record)
        return traced

    def _launch(
        self, unit_dir: pathlib.Path, env: dict[str, str], abort: threading.Event
    ) -> process.ProcessResult:
        """Start the dispatch process and wait for it."""
        limit = processes.limit(self.time_limit)
        if self.zygote is not None and self.ops_dispatch:
            return self.zygote.run(
                str(unit_dir / 'src' / 'charm.py'),
                str(unit_dir / 'dispatch'),
                env,
                str(unit_dir),
                limit,
                abort,
                self.python_path,
            )
        entry = entry_point(unit_dir, env[environment.DISPATCH_PATH])
        if entry is None:
            return process.ProcessResult(0, missing=True)
        if self.zygote is not None and python_script(entry):
            return self.zygote.run(str(entry), str(entry), env, str(unit_dir), limit, abort)
        return processes.run([str(entry)], env, unit_dir, abort, self.time_limit)

    def seed_deferred(
        self, unit: str, event: str, snapshot: Mapping[str, str] | None = None
    ) -> None:
        """Store a notice in the unit's ops state, as ops stores a deferred event."""
        if snapshot:
            raise ValueError('deferred events with data are not supported for real charms yet')
        store = _ops_storage().SQLiteStorage(self.unit_dir(unit) / STATE_FILE)
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
        store = _ops_storage().SQLiteStorage(state)
        try:
            return tuple(
                path.rsplit('/', 1)[-1].split('[')[0] for path, _, _ in store.notices(None)
            )
        finally:
            store.close()

    def forget(self, unit: str) -> None:
        """The unit is gone: its charm directory and its state go too, so a later unit
        of the same name starts afresh."""
        shutil.rmtree(self._unit_root(unit), ignore_errors=True)

    def close(self) -> None:
        self._cleanup()

    def __repr__(self) -> str:
        return f'CharmDirectory({str(self.source)!r})'


def entry_point(charm_dir: pathlib.Path, dispatch_path: str) -> pathlib.Path | None:
    """What the unit agent runs for a dispatch: the charm's `dispatch`, else the legacy
    `actions/<name>` or `hooks/<name>`; None when there is neither (juju/juju
    internal/worker/uniter/runner/runner.go `discoverHookHandler`: only a missing file
    falls back, so a `dispatch` that cannot be executed fails as it is)."""
    for candidate in (charm_dir / 'dispatch', charm_dir / dispatch_path):
        if candidate.exists():
            return candidate
    return None


def python_script(path: pathlib.Path) -> bool:
    """Whether `path` starts `#!<this interpreter>`: run by the kernel, it would be this
    interpreter running it as a script, which a zygote of this interpreter does too."""
    try:
        with path.open('rb') as f:
            first = f.readline()
    except OSError:
        return False
    return first.rstrip(b'\n') == b'#!' + os.fsencode(sys.executable)


# The `dispatch` scripts charmcraft writes (canonical/charmcraft charmcraft/const.py
# DISPATCH_CONTENT, for the charm plugin; charmcraft/dispatch.py DISPATCH_SCRIPT_TEMPLATE,
# after a uv, poetry or python part): `box pack` writes them, `ops_dispatch` knows them.
CHARM_DISPATCH = (
    '#!/bin/sh\n'
    '\n'
    'JUJU_DISPATCH_PATH="${{JUJU_DISPATCH_PATH:-$0}}" PYTHONPATH=lib:venv \\\n'
    '  exec ./{entrypoint}\n'
)

PYTHON_DISPATCH = (
    '#!/bin/sh\n'
    'dispatch_path="$(dirname $(realpath $0))"\n'
    'venv_bin_path="${{dispatch_path}}/venv/bin"\n'
    'python_path="${{venv_bin_path}}/python"\n'
    'if [ ! -e "${{python_path}}" ]; then\n'
    '    mkdir -p "${{venv_bin_path}}"\n'
    '    ln -s $(which python3) "${{python_path}}"\n'
    'fi\n'
    '\n'
    '# Add charm lib and source directories to PYTHONPATH so the charm can import\n'
    '# libraries and its own modules as expected.\n'
    'export PYTHONPATH="${{dispatch_path}}/lib:${{dispatch_path}}/src"\n'
    '\n'
    "# Add the charm's lib and usr/lib directories to LD_LIBRARY_PATH, allowing\n"
    '# staged packages to be discovered by the dynamic linker.\n'
    'export LD_LIBRARY_PATH="${{dispatch_path}}/usr/lib:${{dispatch_path}}/lib:'
    '${{dispatch_path}}/usr/lib/$(uname -m)-linux-gnu"\n'
    '\n'
    'exec "${{python_path}}" "${{dispatch_path}}/{entrypoint}"\n'
)

# The last command of a charmcraft-made `dispatch`: `./src/charm.py` run by Python, with
# JUJU_DISPATCH_PATH and usually PYTHONPATH set (charmcraft's charm plugin writes
# `JUJU_DISPATCH_PATH="${JUJU_DISPATCH_PATH:-$0}" PYTHONPATH=lib:venv /usr/bin/env python3
# ./src/charm.py`; older and hand-written ones exec the script itself).
_OPS_DISPATCH = re.compile(
    r'^JUJU_DISPATCH_PATH="\$\{JUJU_DISPATCH_PATH:-\$0\}"'
    r'(?:\s+PYTHONPATH=(?P<path>[^\s]+))?'
    r'\s+(?:exec\s+)?(?:(?:/usr/bin/env\s+)?python3?\s+)?\./src/charm\.py\s*$'
)


def ops_dispatch(charm_dir: pathlib.Path) -> tuple[str, ...] | None:
    """The PYTHONPATH entries of a charm whose `dispatch` only runs `./src/charm.py` on the
    ops this interpreter has (its own copy in `venv/` or `lib/`, if any, being the same
    release), so a zygote may fork its dispatches; None for any other charm (another
    language, its own `dispatch` logic, or another ops, which it runs as it is)."""
    venv = charm_dir / 'venv'
    shipped = [
        venv / 'ops',
        charm_dir / 'lib' / 'ops',
        *venv.glob('lib/python3*/site-packages/ops'),
    ]
    release = _zygote_ops_release()
    for ops in shipped:
        if ops.exists() and (release is None or _ops_release(ops) != release):
            return None
    if not (charm_dir / 'src' / 'charm.py').is_file():
        return None
    try:
        text = (charm_dir / 'dispatch').read_text(encoding='utf-8')
    except (OSError, UnicodeDecodeError):
        return None
    if text == PYTHON_DISPATCH.format(entrypoint='src/charm.py'):
        # Its venv's python, or this one when the venv was not built: ops from here.
        return ('lib', 'src')
    lines = re.sub(r'\\\n\s*', ' ', text).splitlines()  # a command continued with `\`
    commands = [
        line.strip() for line in lines[1:] if line.strip() and not line.lstrip().startswith('#')
    ]
    found = _OPS_DISPATCH.match(commands[0]) if len(commands) == 1 else None
    if found is None:
        return None
    return tuple(entry for entry in (found['path'] or '').split(':') if entry)


_OPS_VERSION = re.compile(r"""^version(?:: str)? = ['"]([^'"]+)['"]""", re.MULTILINE)


def _ops_release(package: pathlib.Path) -> str | None:
    """The release of the ops package at `package`, from its `version.py`."""
    try:
        found = _OPS_VERSION.search((package / 'version.py').read_text(encoding='utf-8'))
    except (OSError, UnicodeDecodeError):
        return None
    return found[1] if found else None


@functools.cache
def _zygote_ops_release() -> str | None:
    """The release of the ops a zygote imports: this interpreter's."""
    try:
        return importlib.metadata.version('ops')
    except importlib.metadata.PackageNotFoundError:
        return None


def _ops_storage() -> Any:
    """ops' state store. Imported on use: only an ops charm's deferred events need it, and
    a charm in another language runs without ops installed."""
    import ops.storage  # on use: see above

    return ops.storage


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

    def __init__(self, charm_type: type, meta: charmmeta.CharmMeta) -> None:
        self._sources = scratch.scratch_dir('actionspec-charm-')
        source = self._sources / meta.name
        source.mkdir()
        meta.write(source)
        super().__init__(source, observer=charm_type.__name__)
        self._cleanup_sources = weakref.finalize(self, shutil.rmtree, self._sources, True)
        self.charm_type = charm_type

    def _launch(
        self, unit_dir: pathlib.Path, env: dict[str, str], abort: threading.Event
    ) -> process.ProcessResult:
        # The charm class is ops', so ops is already imported; `ops.main` is its entry.
        ops = sys.modules['ops']
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
            status = processes.wait(pid, processes.limit(self.time_limit), abort)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
        return processes.from_wait_status(status, stdout, stderr)

    def close(self) -> None:
        super().close()
        self._cleanup_sources()

    def __repr__(self) -> str:
        return f'ForkedOpsCharm({self.charm_type.__name__})'


def deploy_charm_dir(
    m: model.Model,
    path: pathlib.Path,
    *,
    units: int = 1,
    leader: int | None = 0,
    name: str = '',
    runtime: CharmDirectory | None = None,
) -> model.Application:
    """Deploy the charm directory at `path` into `m` (as `name`, default the charm's), with
    the actions and endpoints its metadata declares, run by `runtime` (default: a
    `CharmDirectory` of `path` with the kit's defaults)."""
    meta = charmmeta.CharmMeta.read(path)
    return m.deploy(
        name or meta.name,
        runtime or CharmDirectory(path),
        actions=dict(meta.actions),
        units=units,
        leader=leader,
        endpoints=(*meta.requires, *meta.provides),
        peers=meta.peers,
        config=meta.config,
        meta=dataclasses.replace(meta, name=name or meta.name),
    )


_agents: list[server.AgentServer] = []
_shared_lock = threading.Lock()
_zygotes: dict[tuple[str, ...], zygote_.Zygote] = {}


def shared_agent() -> server.AgentServer:
    """The process's agent server, started on first use and closed at exit."""
    with _shared_lock:
        if not _agents:
            _agents.append(server.AgentServer(scratch.scratch_dir('actionspec-agent-')))
            atexit.register(_agents[0].close)
        return _agents[0]


def shared_zygote(preload: tuple[str, ...]) -> zygote_.Zygote:
    """The process's zygote with these modules imported (what the charms it forks
    import), started on first use and closed at exit."""
    with _shared_lock:
        if preload not in _zygotes:
            workdir = str(scratch.scratch_dir('actionspec-zygote-'))
            _zygotes[preload] = zygote_.Zygote(workdir, preload=preload)
            atexit.register(_zygotes[preload].close)
        return _zygotes[preload]
