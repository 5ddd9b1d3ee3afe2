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

from ..juju import process

DISPATCH_TIMEOUT = 120.0


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
    deadline = time.monotonic() + timeout
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
    argv: list[str], env: dict[str, str], cwd: pathlib.Path, abort: threading.Event = process.NEVER
) -> process.ProcessResult:
    """Run one dispatch process; a signal, an abort or the time limit ends it as Juju
    would see."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            argv, env=env, cwd=cwd, stdout=out, stderr=err, start_new_session=True
        )
        status = wait(proc.pid, DISPATCH_TIMEOUT, abort)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return from_wait_status(status, out.read(), err.read())
