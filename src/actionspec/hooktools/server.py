"""The agent socket: serves hook tool calls from dispatch processes, by context id.

The controller registers each dispatch's hook context under its JUJU_CONTEXT_ID; a hook
tool in the charm's process connects, and the call is run against that context.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import pathlib
import shutil
import socket
import stat
import subprocess
import sys
import threading

from ..juju import context
from . import client, commands

TOOL_NAMES = tuple(commands.TOOLS)


# A caller that neither finishes its request nor reads its answer for this long is dropped,
# so one broken hook tool cannot stop the others being served.
CALL_TIMEOUT = 60.0


def _answer(request: bytes, server: AgentServer) -> bytes:
    """One hook tool call. The protocol, in netstrings: the request is the context id, the
    tool, the argument count, the arguments, and stdin ("0", or "1" then the data); the
    answer is the exit code, stdout and stderr."""
    try:
        context_id, tool, count, *args, stdin = client.fields(request)
        if not count.isdigit() or int(count) != len(args):
            raise ValueError('wrong argument count')
        text_in = stdin[1:].decode() if stdin[:1] == b'1' else None
        result = server.call(
            context_id.decode(), tool.decode(), [os.fsdecode(a) for a in args], text_in
        )
    except ValueError as e:  # malformed netstrings, too few fields, or not UTF-8
        result = commands.ToolResult('', f'ERROR bad request: {e}\n', 1)
    except Exception as e:  # a fault of ours: the tool fails, the server goes on serving
        said = ' '.join(str(e).split())
        result = commands.ToolResult('', f'ERROR {type(e).__name__}: {said}\n', 1)
    return b''.join(
        client.netstring(part.encode())
        for part in (str(result.code), result.stdout, result.stderr)
    )


class AgentServer:
    """A unix socket and a directory of hook tools that talk to it. Calls are served one
    at a time, in a thread of their own, as a unit agent serves its one running hook."""

    def __init__(self, workdir: pathlib.Path) -> None:
        """Serve from `workdir`, an empty directory the server owns and removes on close."""
        self.workdir = workdir
        self.address = str(self.workdir / 'agent.socket')
        self.tools_dir = self.workdir / 'tools'
        self._contexts: dict[str, context.HookTools] = {}
        self._lock = threading.Lock()
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._listener.bind(self.address)
        self._listener.listen(64)
        self._install_tools()
        self._thread = threading.Thread(target=self._serve, name='actionspec-agent', daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:  # closed
                return
            with conn, contextlib.suppress(OSError):  # a caller that went away
                conn.settimeout(CALL_TIMEOUT)
                request = b''.join(iter(functools.partial(conn.recv, 65536), b''))
                conn.sendall(_answer(request, self))

    def _install_tools(self) -> None:
        """A directory of hook tools: links to the C client, or to the Python one."""
        self.tools_dir.mkdir()
        binary = compiled_client()
        if binary is not None:
            target = binary
        else:
            target = self.tools_dir / 'jujuc'
            source = pathlib.Path(client.__file__).read_text(encoding='utf-8')
            target.write_text(f'#!{sys.executable} -IS\n{source}', encoding='utf-8')
            target.chmod(target.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
        for name in TOOL_NAMES:
            (self.tools_dir / name).symlink_to(target)

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
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept
        self._listener.close()
        self._thread.join()
        for path in sorted(self.workdir.rglob('*'), reverse=True):
            path.unlink() if not path.is_dir() or path.is_symlink() else path.rmdir()
        self.workdir.rmdir()

    def __repr__(self) -> str:
        return f'AgentServer({self.address!r})'


def compiled_client() -> pathlib.Path | None:
    """The C hook tool, built once per source version into the user's cache; None when
    there is no C compiler (the Python client serves then)."""
    source = pathlib.Path(__file__).with_name('jujuc.c')
    digest = hashlib.sha256(source.read_bytes() + b'static').hexdigest()[:16]
    cache = pathlib.Path(os.environ.get('XDG_CACHE_HOME') or pathlib.Path.home() / '.cache')
    binary = cache / 'actionspec' / f'jujuc-{digest}'
    if binary.is_file():
        return binary
    compiler = shutil.which('cc') or shutil.which('gcc') or shutil.which('clang')
    if compiler is None or os.environ.get('ACTIONSPEC_NO_CC'):
        return None
    binary.parent.mkdir(parents=True, exist_ok=True)
    partial = binary.with_name(f'{binary.name}.{os.getpid()}.tmp')
    # Static when the C library allows it: no dynamic loading on each of the many calls.
    for extra in (['-static'], []):
        built = subprocess.run(
            [compiler, '-O2', '-s', *extra, '-o', str(partial), str(source)],
            capture_output=True,
            check=False,
        )
        if built.returncode == 0:
            os.replace(partial, binary)
            return binary
    partial.unlink(missing_ok=True)
    return None
