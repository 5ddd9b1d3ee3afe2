"""A pre-warmed process that forks one child per dispatch.

Starting Python and importing ops costs ~200 ms per dispatch. The zygote pays it once:
it imports ops and the charm's entry module, then, for each dispatch, forks a child that
is a real, separate process, with the dispatch's own environment, working directory,
session and standard output and error (file descriptors passed over the socket). The
child runs the charm's `src/charm.py` as `__main__`, exits as an interpreter would, and the
zygote reports its wait status. The next child is forked while the current one runs, so
a dispatch does not wait for a fork; and a child that ends normally reports its exit code
just before `_exit`, so a dispatch does not wait for the kernel to tear the process down
either (a child that dies otherwise is waited for).

Run as `python -c 'from actionspec.launch import zygote; zygote.main()' SOCKET OWNER_PID
[MODULE ...]`: it imports
each MODULE up front (what the charms it forks will import), and serves any number of
dispatches at once from one select loop, with no threads, so forking is safe.
"""

from __future__ import annotations

import array
import atexit
import contextlib
import importlib
import json
import logging
import os
import runpy
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import types
from collections.abc import Callable, Sequence
from typing import Any

from ..juju import process
from . import processes, scratch

MAX_REQUEST = 1 << 20
ORPHAN_CHECK_SECONDS = 1.0  # how often an idle zygote checks that its owner lives
# How often the controller looks at a running dispatch for its time limit and an abort.
_LOOK_SECONDS = 0.005


def become_dispatch_process(
    main: Callable[[], object],
    *,
    cwd: str,
    env: dict[str, str],
    argv0: str,
    fds: list[int],
    script: str = '',
) -> int:
    """In a freshly forked child: take the dispatch's session, stdio, directory and
    environment, run `main` as an interpreter runs a script, and return the exit status.
    With `script` (the file `main` runs), an uncaught exception's traceback starts at that
    file's frame, as a new interpreter prints it, without the frames that got here."""
    os.setsid()
    stdin_fd = os.open(os.devnull, os.O_RDONLY)
    for target, fd in ((0, stdin_fd), (1, fds[0]), (2, fds[1])):
        os.dup2(fd, target)
    # The parent's sys.stdout may not be file descriptor 1 (pytest, Jupyter): give the
    # dispatch the streams a new interpreter would have.
    sys.stdin = open(0, closefd=False)  # noqa: SIM115 - the process's own stream
    sys.stdout = open(1, 'w', closefd=False)  # noqa: SIM115
    sys.stderr = open(2, 'w', closefd=False)  # noqa: SIM115
    os.chdir(cwd)
    # Exactly `env`, changing only what differs (os.environ.clear() is quadratic).
    for key in [key for key in os.environ if key not in env]:
        del os.environ[key]
    for key, value in env.items():
        if os.environ.get(key) != value:
            os.environ[key] = value
    sys.argv = [argv0]
    # Exit handlers belong to the process that registered them: a forked child must not
    # run its parent's (which would, say, remove the parent's directories).
    atexit._clear()
    atexit.register(logging.shutdown)
    code = 0
    try:
        main()
    except SystemExit as e:
        if e.code is None:
            code = 0
        elif isinstance(e.code, int):
            code = e.code & 0xFF
        else:
            print(e.code, file=sys.stderr)
            code = 1
    except BaseException as e:
        # Python's own hook prints the exception's traceback, whatever it is handed.
        e = e.with_traceback(_from_script(e.__traceback__, script))
        sys.excepthook(type(e), e, e.__traceback__)
        code = 1
    try:
        atexit._run_exitfuncs()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                traceback.print_exc()
    return code


def _from_script(tb: types.TracebackType | None, script: str) -> types.TracebackType | None:
    """The traceback from the first frame in `script` on (all of it if there is none)."""
    found = tb
    while script and found is not None and found.tb_frame.f_code.co_filename != script:
        found = found.tb_next
    return found or tb


def _child(request: dict[str, Any], fds: list[int]) -> int:
    # As `python3 SCRIPT` with PYTHONPATH set: the script's directory first, then the
    # PYTHONPATH entries (relative ones from the working directory).
    sys.path[:0] = [os.path.dirname(request['script']), *request.get('path', ())]
    return become_dispatch_process(
        lambda: runpy.run_path(request['script'], run_name='__main__'),
        cwd=request['cwd'],
        env=request['env'],
        argv0=request['argv0'],
        fds=fds,
        script=request['script'],
    )


def _receive(channel: socket.socket) -> tuple[bytes, list[int]]:
    """One message and the file descriptors sent with it."""
    fds = array.array('i')
    data, ancillary, _, _ = channel.recvmsg(MAX_REQUEST, socket.CMSG_LEN(2 * fds.itemsize))
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(payload[: len(payload) - len(payload) % fds.itemsize])
    return data, list(fds)


def _spare(*zygote_sockets: socket.socket) -> tuple[int, socket.socket]:
    """Fork the next dispatch process ahead of time; it waits for its request. It closes
    its copies of the zygote's sockets: a dispatch holds only what is its own."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:
        for sock in (ours, *zygote_sockets):
            sock.close()
        data, fds = _receive(theirs)
        if not data:  # the zygote went away
            os._exit(0)
        code = _child(json.loads(data), fds)
        # Everything the dispatch does is done: only the teardown is left. (A charm that
        # closed our channel is waited for instead.)
        with contextlib.suppress(OSError):
            theirs.sendall(b'%d\n' % code)
        os._exit(code)
    theirs.close()
    return pid, ours


def _reap(pids: list[int]) -> list[int]:
    """Collect the children that have finished exiting; the ones still going."""
    return [pid for pid in pids if os.waitpid(pid, os.WNOHANG)[0] == 0]


def _orphaned(owner: int, path: str) -> None:
    """The process that started us is gone without closing us (killed, say, or a Jupyter
    kernel shut down at once): remove its scratch space, as it would have, and exit.
    The spare child sees its channel close and exits too."""
    if os.getppid() == owner:
        return
    root = scratch.owners_root(path, owner)
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)
    os._exit(0)


class _InFlight:
    """A dispatch process the zygote started: the controller's connection, and the
    channel on which the child reports its exit."""

    def __init__(self, conn: socket.socket, pid: int, channel: socket.socket) -> None:
        self.conn = conn
        self.pid = pid
        self.channel = channel
        self.reported = b''

    def read(self) -> bool:
        """Read what the child sent; False once its channel has closed."""
        chunk = b''
        with contextlib.suppress(OSError):
            chunk = self.channel.recv(16)
        self.reported += chunk
        return bool(chunk)

    @property
    def report(self) -> int | None:
        """The wait status the child reported just before `_exit`, if it did."""
        if self.reported.endswith(b'\n') and self.reported[:-1].isdigit():
            return int(self.reported) << 8
        return None

    def finish(self, status: int) -> None:
        with contextlib.suppress(OSError):
            self.conn.sendall(json.dumps({'status': status}).encode() + b'\n')
        self.conn.close()
        self.channel.close()


def _serve(path: str, owner: int) -> None:
    """Serve dispatches, several at once: each unit runs its own, side by side."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(64)
    spare = _spare(listener)
    running: dict[socket.socket, _InFlight] = {}
    silent: list[_InFlight] = []  # ended without a report: waited for
    exiting: list[int] = []  # children that reported their exit and are not reaped yet
    print('ready', flush=True)
    while True:
        timeout = 0.001 if silent else ORPHAN_CHECK_SECONDS
        readable, _, _ = select.select([listener, *running], [], [], timeout)
        if not readable and not silent:
            _orphaned(owner, path)
        for dispatch in list(silent):
            done, status = os.waitpid(dispatch.pid, os.WNOHANG)
            if done:
                silent.remove(dispatch)
                dispatch.finish(status)
        for ready in readable:
            if ready is listener:
                spare = _start(listener, spare, running)
                continue
            dispatch = running[ready]
            more = dispatch.read()
            reported = dispatch.report
            if reported is not None:
                del running[ready]
                exiting.append(dispatch.pid)
                dispatch.finish(reported)
            elif not more:  # died without a report, or closed our channel
                del running[ready]
                silent.append(dispatch)
        exiting = _reap(exiting)


def _start(
    listener: socket.socket,
    spare: tuple[int, socket.socket],
    running: dict[socket.socket, _InFlight],
) -> tuple[int, socket.socket]:
    """Hand the controller's next request to the spare child; fork the next spare."""
    conn, _ = listener.accept()
    pid, channel = spare
    try:
        data, fds = _receive(conn)
        channel.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array('i', fds))])
        for fd in fds:
            os.close(fd)
        conn.sendall(json.dumps({'pid': pid}).encode() + b'\n')
    except OSError:  # the controller went away before the dispatch started
        conn.close()
        channel.close()
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        return _spare(listener, *_open_sockets(running))
    running[channel] = _InFlight(conn, pid, channel)
    return _spare(listener, *_open_sockets(running))


def _open_sockets(running: dict[socket.socket, _InFlight]) -> list[socket.socket]:
    return [sock for dispatch in running.values() for sock in (dispatch.conn, dispatch.channel)]


def main() -> None:
    # Warm up: what runpy.run_path imports on every call, then what the charms will import.
    for module in ('pkgutil', *sys.argv[3:]):
        importlib.import_module(module)
    _serve(sys.argv[1], owner=int(sys.argv[2]))


class _Lines:
    """Lines from the zygote's answer, with a look at the dispatch between reads."""

    def __init__(self, conn: socket.socket) -> None:
        self._conn = conn
        self._pending = b''

    def next(self, between: Callable[[], None]) -> bytes:
        """The next line (b'' at the end); `between` runs each time none has come yet."""
        while b'\n' not in self._pending:
            ready, _, _ = select.select([self._conn], [], [], _LOOK_SECONDS)
            if not ready:
                between()
                continue
            chunk = self._conn.recv(65536)
            if not chunk:
                break
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b'\n')
        return line


class Zygote:
    """The controller's handle on a zygote process: start it once, fork per dispatch."""

    def __init__(self, workdir: str, preload: Sequence[str] = ()) -> None:
        """Start a zygote whose socket is in `workdir`, with the `preload` modules
        imported, so each dispatch starts with them."""
        self.address = os.path.join(workdir, 'zygote.socket')
        self.proc = subprocess.Popen(
            [
                sys.executable,
                # Not `-m`: the package imports this module, and runpy would run it twice.
                '-c',
                'from actionspec.launch import zygote; zygote.main()',
                self.address,
                str(os.getpid()),
                *preload,
            ],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != b'ready':
            raise RuntimeError('the zygote did not start')

    def run(
        self,
        script: str,
        argv0: str,
        env: dict[str, str],
        cwd: str,
        timeout: float,
        abort: threading.Event | None = None,
        path: Sequence[str] = (),
    ) -> process.ProcessResult:
        """Fork a child that runs `script` with `path` (PYTHONPATH's entries) before its
        imports, and say how it ended. Past `timeout` the child's session is killed; when
        `abort` is set, the child is (J13)."""
        workdir = os.path.dirname(self.address)
        with (
            tempfile.TemporaryFile(dir=workdir) as out,
            tempfile.TemporaryFile(dir=workdir) as err,
        ):
            request = {'script': script, 'argv0': argv0, 'env': env, 'cwd': cwd, 'path': [*path]}
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.connect(self.address)
                fds = array.array('i', [out.fileno(), err.fileno()])
                conn.sendmsg(
                    [json.dumps(request).encode()], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, fds)]
                )
                lines = _Lines(conn)
                started = lines.next(lambda: None)
                if not started:
                    raise RuntimeError('the zygote could not start the dispatch process')
                pid = json.loads(started)['pid']
                deadline = time.monotonic() + timeout

                def watch() -> None:
                    if abort is not None and abort.is_set():
                        processes.abort_kill(pid)
                    elif time.monotonic() > deadline:
                        with contextlib.suppress(ProcessLookupError):  # it ended meanwhile
                            os.killpg(pid, signal.SIGKILL)

                with processes.tracked(pid):
                    status = json.loads(lines.next(watch))['status']
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
        return processes.from_wait_status(status, stdout, stderr)

    def close(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        if os.path.exists(self.address):
            os.unlink(self.address)
