"""A hook tool as a charm runs it: send argv to the agent socket, print the answer.

The pure-Python twin of jujuc.c, used where no C compiler is found. It is the hook tool
itself (every tool name is a link to it), so it uses only the standard library and starts
with `python -IS`: it cannot import the package, so it spells the two variable names it
reads itself (their home is `actionspec.environment`). Protocol: see server.py.
"""

import os
import socket
import sys


def netstring(data: bytes) -> bytes:
    return str(len(data)).encode() + b':' + data + b','


def fields(data: bytes) -> list[bytes]:
    """The netstrings that make up `data`; ValueError if it is anything else."""
    found, pos = [], 0
    while pos < len(data):
        colon = data.find(b':', pos, pos + 12)
        if colon < 0 or not data[pos:colon].isdigit():
            raise ValueError(f'no netstring at byte {pos}')
        end = colon + 1 + int(data[pos:colon])
        if data[end : end + 1] != b',':
            raise ValueError(f'netstring at byte {pos} is cut short')
        found.append(data[colon + 1 : end])
        pos = end + 1
    return found


def main() -> int:
    tool = os.path.basename(sys.argv[0])
    address = os.environ.get('JUJU_AGENT_SOCKET_ADDRESS')
    context_id = os.environ.get('JUJU_CONTEXT_ID')
    if not address or not context_id:
        missing = 'JUJU_AGENT_SOCKET_ADDRESS' if not address else 'JUJU_CONTEXT_ID'
        sys.stderr.write(f'ERROR {missing} not set\n')
        return 1
    args = sys.argv[1:]
    parts = [context_id.encode(), tool.encode(), str(len(args)).encode()]
    parts += [os.fsencode(a) for a in args]
    wants_stdin = tool == 'relation-set' and '-' in args
    parts.append(b'1' + sys.stdin.buffer.read() if wants_stdin else b'0')
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(address)
            conn.sendall(b''.join(netstring(p) for p in parts))
            conn.shutdown(socket.SHUT_WR)
            answer = b''.join(iter(lambda: conn.recv(65536), b''))
    except OSError:
        sys.stderr.write(f'ERROR cannot reach the agent at {address}\n')
        return 1
    code, out, err = fields(answer)
    sys.stdout.buffer.write(out)
    sys.stderr.buffer.write(err)
    return int(code)


if __name__ == '__main__':
    sys.exit(main())
