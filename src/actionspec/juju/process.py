"""What the controller asks of a charm: run one dispatch, as a process would.

Juju starts the charm's `dispatch` with an environment (J11) and hook tools, waits, and
keeps its exit status and output. Anything that can do that is a `CharmRuntime`: the
in-process reference framework, or a real charm directory run as a subprocess.
"""

from __future__ import annotations

import signal as signal_
from collections.abc import Callable, Mapping
from typing import NamedTuple, Protocol

from .. import environment, trace
from . import context


class DispatchRequest(NamedTuple):
    """One dispatch: the unit, the environment Juju sets, and why it happens."""

    unit: str
    env: Mapping[str, str]
    cause: trace.Cause

    @property
    def path(self) -> str:
        return self.env[environment.DISPATCH_PATH]


class ProcessResult(NamedTuple):
    """How the dispatch process ended, as the unit agent sees it."""

    exit_code: int  # -1 when a signal ended it, as Go's ProcessState.ExitCode() says
    stdout: bytes = b''
    stderr: bytes = b''
    signal: int | None = None
    # The charm has nothing to run for this dispatch: no `dispatch`, and no legacy
    # `actions/<name>` or `hooks/<name>` either (charmrunner's MissingHookError).
    missing: bool = False

    @property
    def error(self) -> str:
        """The text Juju records when the process did not exit 0.

        Go's exec error says `exit status N`; the uniter says `terminated` for a process
        ended by SIGTERM or SIGKILL (worker/uniter/runner/runner.go), and Go's
        `signal: <name>` for other signals.
        """
        if self.signal is not None:
            if self.signal in (signal_.SIGTERM, signal_.SIGKILL):
                return 'terminated'
            return f'signal: {signal_.strsignal(self.signal) or self.signal}'.lower()
        return f'exit status {self.exit_code}' if self.exit_code else ''


Recorder = Callable[[trace.TraceEntry], None]


class CharmRuntime(Protocol):
    """A charm as the controller sees it: something that handles dispatches per unit."""

    def dispatch(
        self, request: DispatchRequest, tools: context.HookTools, record: Recorder
    ) -> ProcessResult: ...

    def seed_deferred(
        self, unit: str, event: str, snapshot: Mapping[str, str] | None = None
    ) -> None: ...

    def deferred(self, unit: str) -> tuple[str, ...]: ...
