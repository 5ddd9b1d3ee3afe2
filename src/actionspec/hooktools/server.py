"""The agent socket: serves hook tool calls from dispatch processes, by context id.

The controller registers each dispatch's hook context under its JUJU_CONTEXT_ID; a hook
tool in the charm's process connects, and the call is run against that context.
"""

from __future__ import annotations

import json
import pathlib
import socketserver
import stat
import sys
import tempfile
import threading
from typing import Any

from ..juju import context
from . import client, commands

TOOL_NAMES = tuple(commands.TOOLS)


class _Handler(socketserver.StreamRequestHandler):
    server: AgentServer

    def handle(self) -> None:
        try:
            request = json.loads(self.rfile.readline())
            result = self.server.call(
                str(request['context']),
                str(request['tool']),
                [str(a) for a in request['args']],
                request.get('stdin'),
            )
        except (ValueError, KeyError, TypeError) as e:
            result = commands.ToolResult('', f'ERROR bad request: {e}\n', 1)
        answer: dict[str, Any] = {
            'stdout': result.stdout,
            'stderr': result.stderr,
            'code': result.code,
        }
        self.wfile.write(json.dumps(answer).encode())


class AgentServer(socketserver.ThreadingUnixStreamServer):
    """A unix socket and a directory of hook tools that talk to it."""

    daemon_threads = True

    def __init__(self) -> None:
        self.workdir = pathlib.Path(tempfile.mkdtemp(prefix='actionspec-agent-'))
        self.address = str(self.workdir / 'agent.socket')
        self.tools_dir = self.workdir / 'tools'
        self._contexts: dict[str, context.HookTools] = {}
        self._lock = threading.Lock()
        super().__init__(self.address, _Handler)
        self._install_tools()
        self._thread = threading.Thread(
            target=self.serve_forever, name='actionspec-agent', daemon=True
        )
        self._thread.start()

    def _install_tools(self) -> None:
        self.tools_dir.mkdir()
        script = self.tools_dir / 'jujuc'
        source = pathlib.Path(client.__file__).read_text(encoding='utf-8')
        script.write_text(f'#!{sys.executable} -IS\n{source}', encoding='utf-8')
        script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        for name in TOOL_NAMES:
            (self.tools_dir / name).symlink_to(script)

    def register(self, context_id: str, tools: context.HookTools) -> None:
        with self._lock:
            self._contexts[context_id] = tools

    def unregister(self, context_id: str) -> None:
        with self._lock:
            self._contexts.pop(context_id, None)

    def call(
        self, context_id: str, tool: str, args: list[str], stdin: str | None
    ) -> commands.ToolResult:
        with self._lock:
            tools = self._contexts.get(context_id)
        if tools is None:
            return commands.ToolResult(
                '', f'ERROR bad request: wrong context ID; got "{context_id}"\n', 1
            )
        return commands.run(tool, args, stdin, tools)

    def close(self) -> None:
        self.shutdown()
        self.server_close()
        for path in sorted(self.workdir.rglob('*'), reverse=True):
            path.unlink() if not path.is_dir() or path.is_symlink() else path.rmdir()
        self.workdir.rmdir()

    def __repr__(self) -> str:
        return f'AgentServer({self.address!r})'


_shared: list[AgentServer] = []
_shared_lock = threading.Lock()


def shared() -> AgentServer:
    """The process's agent server, started on first use and closed at exit."""
    with _shared_lock:
        if not _shared:
            import atexit

            _shared.append(AgentServer())
            atexit.register(_shared[0].close)
        return _shared[0]
