"""The box's controller as a daemon of its own: one process, a unix socket under the box's
data directory, each `juju` client served on a thread of its own. The controller works
under one lock, which a client waiting for results (`juju run --wait`) lets go while it
waits, so a slow action never keeps the other clients waiting.

Run as `python -m actionspec.box.daemon DATA_DIR`: it prints `ready` once it listens, and
stops, removing its socket, on SIGTERM or SIGINT.
"""

from __future__ import annotations

import contextlib
import json
import pathlib
import signal
import socket
import sys
import threading
from typing import Any

from . import client
from .controller import Controller

# A client that neither sends its request nor reads its answer for this long is dropped,
# so one stuck client cannot stop the others being served.
CLIENT_TIMEOUT = 60.0


def answer(controller: Controller, request: bytes) -> bytes:
    """One request, answered; a malformed one gets Juju's kind of error, never a traceback."""
    try:
        data: Any = json.loads(request)
        argv = [str(word) for word in data['argv']]
        cwd = pathlib.Path(str(data.get('cwd') or '.'))
        shown = controller.handle(argv, cwd, str(data.get('model') or ''))
        reply = {'stdout': shown.stdout, 'stderr': shown.stderr, 'code': shown.exit_code}
    except (ValueError, KeyError, TypeError) as e:
        reply = {'stdout': '', 'stderr': f'ERROR bad request: {e}\n', 'code': 1}
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


def serve(data_dir: pathlib.Path) -> None:
    path = data_dir / client.SOCKET_NAME
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(64)

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    controller = Controller(data_dir)
    stopping = threading.Event()
    threading.Thread(
        target=controller.work_loop, args=(stopping,), name='unit agents', daemon=True
    ).start()
    print('ready', flush=True)
    try:
        while True:
            conn, _ = listener.accept()
            threading.Thread(
                target=_serve_client, args=(controller, conn), name='client', daemon=True
            ).start()
    finally:
        stopping.set()
        listener.close()
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        # Leaving by SystemExit runs the exit handlers: the scratch space, the agent
        # socket and any zygote of the models' charms go with the controller.


def main() -> None:
    serve(pathlib.Path(sys.argv[1]))


if __name__ == '__main__':
    main()
