"""A hook tool as a charm runs it: send argv to the agent socket, print the answer.

This file is the hook tool itself (every tool name is a link to it), so it uses nothing
but the standard library and starts with `python -I -S`.
"""

import json
import os
import socket
import sys


def main() -> int:
    tool = os.path.basename(sys.argv[0])
    address = os.environ.get('JUJU_AGENT_SOCKET_ADDRESS')
    context_id = os.environ.get('JUJU_CONTEXT_ID')
    if not address or not context_id:
        missing = 'JUJU_AGENT_SOCKET_ADDRESS' if not address else 'JUJU_CONTEXT_ID'
        sys.stderr.write(f'ERROR {missing} not set\n')
        return 1
    args = sys.argv[1:]
    stdin = sys.stdin.read() if tool == 'relation-set' and '-' in args else None
    request = {'context': context_id, 'tool': tool, 'args': args, 'stdin': stdin}
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.connect(address)
            conn.sendall(json.dumps(request).encode() + b'\n')
            chunks = []
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
    except OSError as e:
        sys.stderr.write(f'ERROR cannot reach the agent at {address}: {e.strerror}\n')
        return 1
    answer = json.loads(b''.join(chunks))
    sys.stdout.write(answer['stdout'])
    sys.stderr.write(answer['stderr'])
    return int(answer['code'])


if __name__ == '__main__':
    sys.exit(main())
