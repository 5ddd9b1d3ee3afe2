"""What the controller asks of a charm: run one dispatch, as a process would.

Juju starts the charm's `dispatch` with an environment (J11) and hook tools, waits, and
keeps its exit status and output. Anything that can do that is a `CharmRuntime`: the
in-process reference framework, or a real charm directory run as a subprocess.
"""

from __future__ import annotations

import contextvars
import signal as signal_
import threading
from collections.abc import Callable, Mapping
from typing import NamedTuple, Protocol

from .. import environment, trace
from . import context

# The abort signal of a dispatch that cannot be aborted: never set.
NEVER = threading.Event()


class DispatchRequest(NamedTuple):
    """One dispatch: the unit, the environment Juju sets, and why it happens.

    `abort` is set when the unit agent aborts the task: the runtime ends the process as
    the agent does, with SIGKILL to the dispatch process and no grace period
    (worker/uniter/runner/runner.go `runCharmProcessOnLocal`).
    """

    unit: str
    env: Mapping[str, str]
    cause: trace.Cause
    # Never set: a request made without an abort signal of its own cannot be aborted.
    abort: threading.Event = NEVER

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


class Killed(BaseException):
    """Raised in a dispatch run in this process when its task is aborted: what SIGKILL is
    to a process. Not an Exception, so charm code does not catch it by accident."""


# The abort signal of the dispatch running in this thread, for runtimes that run charm
# code in this process: code that waits can end as a killed process would.
current_abort: contextvars.ContextVar[threading.Event | None] = contextvars.ContextVar(
    'current_abort', default=None
)


def end_if_aborted() -> None:
    """Raise Killed if the in-process dispatch running here has been aborted."""
    abort = current_abort.get()
    if abort is not None and abort.is_set():
        raise Killed


KILLED = ProcessResult(-1, signal=signal_.SIGKILL)


class CharmRuntime(Protocol):
    """A charm as the controller sees it: something that handles dispatches per unit.

    A runtime whose charms can wait to be released also has `held(context_id) -> bool`,
    saying whether that dispatch is waiting now; the controller then runs its dispatches
    on threads of their own, so a task can be seen, cancelled and aborted while held.
    """

    def dispatch(
        self, request: DispatchRequest, tools: context.HookTools, record: Recorder
    ) -> ProcessResult: ...

    def seed_deferred(
        self, unit: str, event: str, snapshot: Mapping[str, str] | None = None
    ) -> None: ...

    def deferred(self, unit: str) -> tuple[str, ...]: ...
