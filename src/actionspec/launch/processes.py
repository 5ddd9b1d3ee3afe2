"""Dispatch processes: run one with a time limit, and read how it ended as Juju would.

Go's `ProcessState.ExitCode()` is -1 for a process a signal ended; the uniter keeps the
signal apart (juju/juju internal/worker/uniter/runner/runner.go), and so do we.
"""

from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator

from ..juju import process

# How long a dispatch may run before it is killed. Juju sets no limit (a hook or an action
# runs until it ends or is cancelled); the kit's own runs keep one, so a charm that hangs
# cannot hang a test suite. The box lifts it, as Juju has none.
DISPATCH_TIMEOUT = 120.0


# The sessions of the dispatch processes running now (each leads its own), so a
# controller that goes can end them all, children included (`kill_all`).
_sessions: set[int] = set()


def limit(time_limit: float | None) -> float:
    """A dispatch's time limit: the one given, else the kit's (`DISPATCH_TIMEOUT`)."""
    return DISPATCH_TIMEOUT if time_limit is None else time_limit


def kill_all() -> None:
    """SIGKILL every dispatch process still running, and its session: the whole machine
    goes down with the controller."""
    for pid in list(_sessions):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


def result(exit_code: int, stdout: bytes, stderr: bytes) -> process.ProcessResult:
    """A process's end from Python's exit code (negative: the signal that ended it)."""
    if exit_code < 0:
        return process.ProcessResult(-1, stdout, stderr, -exit_code)
    return process.ProcessResult(exit_code, stdout, stderr)


def from_wait_status(status: int, stdout: bytes, stderr: bytes) -> process.ProcessResult:
    """A process's end from its `waitpid` status."""
    return result(os.waitstatus_to_exitcode(status), stdout, stderr)


def abort_kill(pid: int) -> None:
    """End an aborted dispatch as the unit agent does: SIGKILL to the process itself."""
    with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
        os.kill(pid, signal.SIGKILL)


def wait(pid: int, timeout: float, abort: threading.Event = process.NEVER) -> int:
    """waitpid with a time limit (past it, the child's session is killed) and an abort
    signal (the child is killed)."""
    with tracked(pid):
        return _wait(pid, time.monotonic() + timeout, abort)


@contextlib.contextmanager
def tracked(pid: int) -> Iterator[None]:
    """`kill_all` ends this dispatch process's session while it runs."""
    _sessions.add(pid)
    try:
        yield
    finally:
        _sessions.discard(pid)


def _wait(pid: int, deadline: float, abort: threading.Event) -> int:
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if abort.is_set():
            abort_kill(pid)
            return os.waitpid(pid, 0)[1]
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            return os.waitpid(pid, 0)[1]
        time.sleep(0.0005)


def run(
    argv: list[str],
    env: dict[str, str],
    cwd: pathlib.Path,
    abort: threading.Event = process.NEVER,
    time_limit: float | None = None,
) -> process.ProcessResult:
    """Run one dispatch process; a signal, an abort or the time limit ends it as Juju
    would see."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            argv, env=env, cwd=cwd, stdout=out, stderr=err, start_new_session=True
        )
        status = wait(proc.pid, limit(time_limit), abort)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return from_wait_status(status, out.read(), err.read())
