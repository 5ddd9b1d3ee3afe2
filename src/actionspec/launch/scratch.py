"""Scratch space for a run's files: charm directories, unit state, the agent socket.

Every scratch directory of a process lives under one root of its own,
`actionspec-<pid>-XXXX`, in memory when the system offers it (a charm's state database
commits on every dispatch, and a disk makes that slow). Each piece removes itself when it
closes; the root goes at exit. A process killed outright cannot do either, so whatever it
left is one directory that its orphaned zygote removes, and that the next run removes
otherwise.
"""

from __future__ import annotations

import atexit
import os
import pathlib
import re
import shutil
import tempfile

_ROOT_NAME = re.compile(r'^actionspec-(\d+)-[^/]+$')
_roots: dict[int, pathlib.Path] = {}  # by pid: a forked child makes its own


def _base() -> pathlib.Path:
    memory = pathlib.Path('/dev/shm')
    if memory.is_dir() and os.access(memory, os.W_OK):
        return memory
    return pathlib.Path(tempfile.gettempdir())


def process_alive(pid: int) -> bool:
    """Whether `pid` is a running process. A zombie (killed, not yet reaped by its parent)
    counts as gone: it will never do anything again."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    try:
        stat = pathlib.Path(f'/proc/{pid}/stat').read_text()
    except OSError:
        return True  # no /proc here: the signal check is all there is
    return stat.rpartition(')')[2].split()[0] != 'Z'


def _sweep(base: pathlib.Path) -> None:
    """Remove the roots of processes that are gone."""
    for entry in base.iterdir():
        found = _ROOT_NAME.match(entry.name)
        if found and entry.is_dir() and not process_alive(int(found[1])):
            shutil.rmtree(entry, ignore_errors=True)


def process_root() -> pathlib.Path:
    """This process's root, made (and stale roots swept) on first use."""
    pid = os.getpid()
    root = _roots.get(pid)
    if root is None:
        base = _base()
        _sweep(base)
        root = _roots[pid] = pathlib.Path(tempfile.mkdtemp(prefix=f'actionspec-{pid}-', dir=base))
        atexit.register(_remove_root, pid)
    return root


def _remove_root(pid: int) -> None:
    if os.getpid() == pid:
        shutil.rmtree(_roots.pop(pid), ignore_errors=True)


def scratch_dir(prefix: str) -> pathlib.Path:
    """A new private directory under this process's root."""
    return pathlib.Path(tempfile.mkdtemp(prefix=prefix, dir=process_root()))


def owners_root(path: str, owner: int) -> pathlib.Path | None:
    """The root of process `owner` that holds `path`, if it does."""
    for parent in pathlib.Path(path).parents:
        found = _ROOT_NAME.match(parent.name)
        if found and int(found[1]) == owner:
            return parent
    return None
