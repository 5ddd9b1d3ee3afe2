"""Run a reference charm for one dispatch, the way ops' `main` runs a charm process.

Order (ops/_main.py): build the charm, re-emit deferred events (C2), emit the dispatched
event (C1), evaluate status (C3), commit. An uncaught exception ends the "process" with
exit status 1, two lines on stderr, and nothing committed (C8).
"""

from __future__ import annotations

import contextlib
import sys
import threading
import traceback
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from .. import charmmeta, environment, errors, trace
from ..juju import context, process
from . import charm as charm_
from . import framework as framework_


def event_kinds(meta: charmmeta.CharmMeta) -> dict[str, type[framework_.EventBase]]:
    """The event class of each event the charm can observe."""
    kinds: dict[str, type[framework_.EventBase]] = dict.fromkeys(
        charmmeta.STANDARD_EVENTS, charm_.HookEvent
    )
    for endpoint in meta.endpoints:
        for suffix in charmmeta.RELATION_EVENTS:
            kinds[charmmeta.relation_event(endpoint, suffix)] = charm_.RelationEvent
    for action in meta.actions:
        kinds[charmmeta.action_event(action)] = charm_.ActionEvent
    for name in charmmeta.COLLECT_STATUS_EVENTS:
        kinds[name] = charm_.CollectStatusEvent
    return kinds


class _Captured:
    """A process's stdout or stderr for a charm run in this process: text and raw bytes
    (`sys.stdout.buffer.write`) kept in the order written, read back as bytes. Only what
    a charm uses of a text stream, to keep each dispatch cheap."""

    __slots__ = ('_chunks',)
    encoding = 'utf-8'

    def __init__(self) -> None:
        self._chunks: list[bytes] = []

    @property
    def buffer(self) -> _RawSink:
        return _RawSink(self._chunks)

    def write(self, text: str) -> int:
        # Encoded now, as a process's stdout would: text it cannot encode (a lone
        # surrogate) fails in the charm, at the write.
        self._chunks.append(text.encode())
        return len(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def written(self) -> bytes:
        if not self._chunks:
            return b''
        return b''.join(self._chunks)


class _RawSink:
    __slots__ = ('_chunks',)

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._chunks.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass


def _as_ops(name: str) -> Callable[..., Any]:
    def call(self: _ToolsAsOps, *args: Any, **kwargs: Any) -> Any:
        try:
            return getattr(self.tools, name)(*args, **kwargs)
        except context.HookToolError as e:
            raise errors.ModelError(str(e)) from e

    call.__name__ = name
    return call


class _ToolsAsOps:
    """The hook tools as ops hands them to a charm: a refusal is a plain `ModelError`
    whose text is the tool's stderr (ops/model.py `_ModelBackend._run`), not the
    controller's own error type. One method per hook tool, made once (below)."""

    __slots__ = ('tools',)

    def __init__(self, tools: context.HookTools) -> None:
        self.tools = tools


for _name in (n for n in vars(context.HookTools) if not n.startswith('_')):
    setattr(_ToolsAsOps, _name, _as_ops(_name))


class _ThreadStreams:
    """sys.stdout or sys.stderr while dispatches run in this process: a thread running a
    dispatch writes to that dispatch's capture, any other thread to the stream that was
    there before. Dispatches held on threads of their own then never mix their output."""

    def __init__(self, previous: Any, local: threading.local, name: str) -> None:
        self._previous = previous
        self._local = local
        self._name = name

    def _target(self) -> Any:
        return getattr(self._local, self._name, None) or self._previous

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._target(), attribute)

    def write(self, text: str) -> int:
        written: int = self._target().write(text)
        return written


class _Capture:
    """Installs the thread-routed streams while any dispatch runs, and removes them after
    the last, so the process's own streams are untouched between dispatches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._active = 0
        self._local = threading.local()
        self._saved: tuple[Any, Any] | None = None

    @contextlib.contextmanager
    def streams(self, out: _Captured, err: _Captured) -> Iterator[None]:
        with self._lock:
            if self._active == 0:
                self._saved = sys.stdout, sys.stderr
                sys.stdout = _ThreadStreams(sys.stdout, self._local, 'stdout')
                sys.stderr = _ThreadStreams(sys.stderr, self._local, 'stderr')
            self._active += 1
        self._local.stdout, self._local.stderr = out, err
        try:
            yield
        finally:
            self._local.stdout = self._local.stderr = None
            with self._lock:
                self._active -= 1
                if self._active == 0 and self._saved is not None:
                    sys.stdout, sys.stderr = self._saved


_CAPTURE = _Capture()


class InProcessCharm:
    """A reference `Charm` subclass served as a `CharmRuntime`, in this process.

    Keeps each unit's deferred-event store between dispatches, as ops keeps it in the
    unit's state file.
    """

    def __init__(self, charm_type: type[charm_.Charm], meta: charmmeta.CharmMeta) -> None:
        if not (isinstance(charm_type, type) and issubclass(charm_type, charm_.Charm)):
            raise TypeError(f'expected a Charm subclass, got {charm_type!r}')
        self.charm_type = charm_type
        self.meta = meta
        self.on = framework_.CharmEvents(event_kinds(meta))
        self._stores: dict[str, tuple[framework_.Notice, ...]] = {}

    def seed_deferred(
        self, unit: str, event: str, snapshot: Mapping[str, str] | None = None
    ) -> None:
        if event not in self.on:
            raise ValueError(f'{self.charm_type.__name__} has no event {event!r} to defer')
        if event.endswith('_action'):
            raise ValueError(f'cannot defer action events ({event!r})')
        notice = framework_.Notice(event, None, dict(snapshot or {}))
        self._stores[unit] = (*self._stores.get(unit, ()), notice)

    def deferred(self, unit: str) -> tuple[str, ...]:
        return tuple(n.event for n in self._stores.get(unit, ()))

    def dispatch(
        self,
        request: process.DispatchRequest,
        tools: context.HookTools,
        record: process.Recorder,
    ) -> process.ProcessResult:
        # Text streams over bytes, as a process has: `sys.stdout.buffer` takes raw bytes.
        out, err = _Captured(), _Captured()
        token = process.current_abort.set(request.abort)
        try:
            with _CAPTURE.streams(out, err):
                code = self._run(request, tools, record)
        except process.Killed:
            # Aborted: the "process" ends as SIGKILL ends one, keeping what it wrote.
            return process.KILLED._replace(stdout=out.written(), stderr=err.written())
        finally:
            process.current_abort.reset(token)
        return process.ProcessResult(code, out.written(), err.written())

    def _run(
        self,
        request: process.DispatchRequest,
        tools: context.HookTools,
        record: process.Recorder,
    ) -> int:
        framework = framework_.Framework(
            unit=request.unit,
            on=self.on,
            tools=typing.cast(context.HookTools, _ToolsAsOps(tools)),
            env=request.env,
            stored=self._stores.get(request.unit, ()),
            record=record,
        )
        try:
            charm = self.charm_type(framework)
            framework.charm = charm
            framework.reemit()
            name = charmmeta.event_name(request.path)
            if name in self.on:
                framework.emit(name, request.cause, _snapshot(request.env))
            _evaluate_status(framework)
        except SystemExit as e:
            return _exit_status(e)
        except Exception as e:
            tools.juju_log(
                'Uncaught exception while in charm code:\n' + traceback.format_exc(), 'ERROR'
            )
            if request.env.get(environment.ACTION_NAME):
                print(f'Uncaught {type(e).__name__} in charm code: {e}', file=sys.stderr)
                print('Use `juju debug-log` to see the full traceback.', file=sys.stderr)
            return 1
        finally:
            framework.close()
        self._stores[request.unit] = framework.commit()
        return 0

    def __repr__(self) -> str:
        return f'InProcessCharm({self.charm_type.__name__})'


def _exit_status(e: SystemExit) -> int:
    """The status `sys.exit(code)` gives a process, as CPython computes it."""
    if e.code is None:
        return 0
    if isinstance(e.code, int):
        return e.code & 0xFF
    print(e.code, file=sys.stderr)
    return 1


def _snapshot(env: Mapping[str, str]) -> dict[str, str]:
    """The event data a relation hook carries, read from the dispatch environment."""
    if environment.RELATION_ID not in env:
        return {}
    return {
        'relation': env[environment.RELATION_ID],
        'unit': env.get(environment.REMOTE_UNIT, ''),
        'app': env.get(environment.REMOTE_APP, ''),
    }


def _evaluate_status(framework: framework_.Framework) -> None:
    """ops' collect-status: app statuses on the leader, then the unit's (C3)."""
    if framework.tools.is_leader():
        _set_collected(framework, 'collect_app_status', app=True)
    _set_collected(framework, 'collect_unit_status', app=False)


def _set_collected(framework: framework_.Framework, name: str, *, app: bool) -> None:
    statuses: list[charm_.Status] = []
    for event in framework.emit(name, trace.Cause.COLLECT_STATUS):
        assert isinstance(event, charm_.CollectStatusEvent)
        statuses.extend(event.statuses)
    if statuses:
        worst = max(statuses, key=lambda s: s.priority)
        framework.tools.status_set(worst.name, worst.message, app=app)
