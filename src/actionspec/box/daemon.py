"""The box's controller as a daemon of its own: one process, a unix socket under the box's
data directory, each `juju` client served on a thread of its own. The controller works
under one lock, which a client waiting for results (`juju run --wait`) lets go while it
waits, so a slow action never keeps the other clients waiting.

Run as `python -m actionspec.box.daemon DATA_DIR [OWNER_PID]`: it prints `ready` once it
listens, and stops, removing its socket, on SIGTERM or SIGINT. With OWNER_PID (a box that
made the data directory for itself), it also stops when that process is gone, killed
or not, and removes the data directory: a box leaves nothing behind.

Besides `juju` command lines, it takes one request of its own: `{"advance": SECONDS}`
moves the box's time on (update-status, hook retries), as `actionspec box advance` asks.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import shutil
import signal
import socket
import sys
import threading
from typing import Any

from ..launch import processes
from . import client, store
from .controller import Controller

# A client that neither sends its request nor reads its answer for this long is dropped,
# so one stuck client cannot stop the others being served.
CLIENT_TIMEOUT = 60.0


def answer(controller: Controller, request: bytes) -> bytes:
    """One request, answered; a malformed one gets Juju's kind of error, never a traceback."""
    try:
        data: Any = json.loads(request)
        if 'advance' in data:
            controller.advance_time(float(data['advance']))
            return json.dumps({'stdout': '', 'stderr': '', 'code': 0}).encode()
        argv = [str(word) for word in data['argv']]
        cwd = pathlib.Path(str(data.get('cwd') or '.'))
        shown = controller.handle(argv, cwd, str(data.get('model') or ''))
        reply = {'stdout': shown.stdout, 'stderr': shown.stderr, 'code': shown.exit_code}
    except (ValueError, KeyError, TypeError) as e:
        reply = {'stdout': '', 'stderr': f'ERROR bad request: {e}\n', 'code': 1}
    except Exception as e:  # a fault of the box's own: one line, and the box goes on
        said = ' '.join(str(e).split())
        reply = {
            'stdout': '',
            'stderr': f'ERROR the box failed: {type(e).__name__}: {said}\n',
            'code': 1,
        }
    return json.dumps(reply).encode()


def _read_all(conn: socket.socket) -> bytes:
    chunks = []
    while chunk := conn.recv(65536):
        chunks.append(chunk)
    return b''.join(chunks)


def _serve_client(controller: Controller, conn: socket.socket) -> None:
    with conn, contextlib.suppress(OSError):  # a client that went away
        conn.settimeout(CLIENT_TIMEOUT)
        conn.sendall(answer(controller, _read_all(conn)))


# How often a box whose owner may go looks for it.
OWNER_CHECK_SECONDS = 0.5


def _watch_owner(owner: int, stopping: threading.Event) -> None:
    """Stop the daemon once the process that owns it is gone."""
    while not stopping.wait(OWNER_CHECK_SECONDS):
        if os.getppid() != owner:
            stopping.set()


def serve(data_dir: pathlib.Path, owner: int | None = None) -> None:
    path = data_dir / client.SOCKET_NAME
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(64)
    # The main thread wakes now and then: a signal another thread took, or a stop the
    # owner's watcher asked for, is then acted on.
    listener.settimeout(OWNER_CHECK_SECONDS)

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    controller = Controller(data_dir)
    try:
        store.load(controller)
    except store.StateError as e:
        print(f'ERROR {e}', file=sys.stderr, flush=True)
        raise SystemExit(1) from None
    stopping = threading.Event()
    agents = threading.Thread(
        target=controller.work_loop, args=(stopping,), name='unit agents', daemon=True
    )
    agents.start()
    if owner is not None:
        threading.Thread(
            target=_watch_owner, args=(owner, stopping), name='owner', daemon=True
        ).start()
    print('ready', flush=True)
    try:
        while not stopping.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            threading.Thread(
                target=_serve_client, args=(controller, conn), name='client', daemon=True
            ).start()
    finally:
        stopping.set()
        listener.close()
        controller.close()  # nothing more starts, nothing more is written
        processes.kill_all()
        controller.shutdown()
        agents.join()  # its last tick may still be writing the state
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        if owner is not None:
            shutil.rmtree(data_dir, ignore_errors=True)
        # Leaving by SystemExit runs the exit handlers: the scratch space, the agent
        # socket and any zygote of the models' charms go with the controller.


def main() -> None:
    serve(pathlib.Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else None)


if __name__ == '__main__':
    main()
