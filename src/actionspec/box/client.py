"""The `juju` executable a box puts first on PATH: hands its command line to the box's
controller over a unix socket and prints the answer, as the real client would print it.

It imports only the standard library and nothing of actionspec, so it starts fast: tests
call it hundreds of times. The protocol is one JSON line each way: the request holds the
arguments, the working directory and the model (`JUJU_MODEL`); the answer holds stdout,
stderr and the exit status.
"""

from __future__ import annotations

import json
import os
import socket
import sys

# Not `typing.TYPE_CHECKING`: importing typing would cost the client 3 ms a call.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Where the controller listens, under the box's data directory (JUJU_DATA).
SOCKET_NAME = 'box.socket'


def socket_path(environ: dict[str, str] | os._Environ[str]) -> str:
    return os.path.join(environ.get('JUJU_DATA', ''), SOCKET_NAME)


def request(data: str | os.PathLike[str], body: dict[str, Any]) -> dict[str, Any]:
    """Send one request to the controller of the box at `data`; its answer. OSError or
    ValueError when it cannot be reached or answers nonsense."""
    path = os.path.join(data, SOCKET_NAME)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.connect(path)
        conn.sendall(json.dumps(body).encode() + b'\n')
        conn.shutdown(socket.SHUT_WR)
        answer = b''.join(iter(lambda: conn.recv(65536), b''))
    reply: dict[str, Any] = json.loads(answer)
    return reply


def main() -> int:
    path = socket_path(os.environ)
    body = {
        'argv': sys.argv[1:],
        'cwd': os.getcwd(),
        'model': os.environ.get('JUJU_MODEL', ''),
    }
    try:
        reply = request(os.environ.get('JUJU_DATA', ''), body)
    except (OSError, ValueError) as e:
        reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        sys.stderr.write(f'ERROR cannot reach the actionspec box controller at {path}: {reason}\n')
        return 1
    sys.stdout.write(reply['stdout'])
    sys.stderr.write(reply['stderr'])
    return int(reply['code'])


if __name__ == '__main__':
    sys.exit(main())
