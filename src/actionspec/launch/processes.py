"""Dispatch processes: run one with a time limit, and read how it ended as Juju would.

Go's `ProcessState.ExitCode()` is -1 for a process a signal ended; the uniter keeps the
signal apart (juju/juju internal/worker/uniter/runner/runner.go), and so do we.
"""

from __future__ import annotations

import os
import pathlib
import signal
import subprocess
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


def wait(pid: int, timeout: float) -> int:
    """waitpid with a time limit: past it, the child's session is killed."""
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        if time.monotonic() > deadline:
            os.killpg(pid, signal.SIGKILL)
            return os.waitpid(pid, 0)[1]
        time.sleep(0.0005)


def run(argv: list[str], env: dict[str, str], cwd: pathlib.Path) -> process.ProcessResult:
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
    return result(proc.returncode, out, err)
