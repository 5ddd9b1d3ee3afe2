"""Execute notebooks with nbclient so that the committed files are exactly the results.

Each notebook gets its own kernel in a process pool, shut down at once when it ends. No
timing or machine-specific metadata is kept, so re-executing an unchanged notebook
rewrites the same bytes and leaves `git status` clean. A cell tagged `raises-exception`
must raise; any other cell that raises stops the notebook with the cell's number.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence

import nbclient
import nbformat
from jupyter_client import manager as kernel_manager

from .. import files

RAISES = 'raises-exception'
CELL_TIMEOUT = 120  # seconds; a cell that runs the whole suite on every target needs ~10
# A traceback shows only the exception line, without colour codes or file paths, so the
# committed output is the same on every machine.
KERNEL_ARGUMENTS = ['--InteractiveShell.xmode=Minimal', '--InteractiveShell.colors=nocolor']
KERNEL = {'display_name': 'Python 3', 'language': 'python', 'name': 'python3'}


class NotebookError(Exception):
    """A notebook could not be executed: names the file and the cell."""


@dataclasses.dataclass(frozen=True)
class Executed:
    path: pathlib.Path
    seconds: float
    rewritten: bool  # the file's bytes changed


def read(path: pathlib.Path) -> nbformat.NotebookNode:
    try:
        nb: nbformat.NotebookNode = nbformat.read(path, as_version=4)
    except (OSError, ValueError) as e:
        raise NotebookError(f'{path}: cannot read notebook: {e}') from None
    return nb


def dumps(nb: nbformat.NotebookNode) -> str:
    """The notebook as committed: nbformat's JSON with one trailing newline."""
    text: str = nbformat.writes(nb)
    return text + '\n'


def _normalise(nb: nbformat.NotebookNode) -> None:
    """Drop what differs between machines or runs: kernel versions, timings, and where a
    cell's printing happened to be split into messages (a charm process forked from the
    kernel flushes its streams first)."""
    nb.metadata = nbformat.from_dict(
        {
            'kernelspec': KERNEL,
            'language_info': {'name': 'python'},
            **{k: v for k, v in nb.metadata.items() if k not in ('kernelspec', 'language_info')},
        }
    )
    for cell in nb.cells:
        cell.metadata.pop('execution', None)
        if cell.cell_type == 'code':
            for output in cell.outputs:
                output.get('metadata', {}).pop('execution', None)
            cell.outputs = _joined_streams(cell.outputs)


def _joined_streams(outputs: list[nbformat.NotebookNode]) -> list[nbformat.NotebookNode]:
    """Consecutive outputs to the same stream, as one."""
    joined: list[nbformat.NotebookNode] = []
    for output in outputs:
        last = joined[-1] if joined else None
        if (
            last is not None
            and output.output_type == 'stream'
            and last.output_type == 'stream'
            and last.name == output.name
        ):
            last.text = ''.join(last.text) + ''.join(output.text)
            continue
        joined.append(output)
    return joined


def _check_raises(path: pathlib.Path, nb: nbformat.NotebookNode) -> None:
    for number, cell in enumerate(nb.cells, 1):
        if cell.cell_type != 'code' or RAISES not in cell.metadata.get('tags', ()):
            continue
        if not any(o.output_type == 'error' for o in cell.outputs):
            raise NotebookError(f'{path}: cell {number} is tagged {RAISES} but raised nothing')


def execute(path: pathlib.Path) -> Executed:
    """Run every cell of the notebook at `path` in a fresh kernel and write the results."""
    start = time.perf_counter()
    before = path.read_text(encoding='utf-8')
    nb = read(path)
    # The kernel talks over unix sockets in a private directory, not over TCP ports.
    sockets = tempfile.mkdtemp(prefix='actionspec-kernel-')
    manager = kernel_manager.KernelManager(
        kernel_name='python3', transport='ipc', ip=os.path.join(sockets, 'kernel')
    )
    client = nbclient.NotebookClient(
        nb,
        km=manager,
        timeout=CELL_TIMEOUT,
        kernel_name='python3',
        shutdown_kernel='immediate',
        record_timing=False,
        extra_arguments=KERNEL_ARGUMENTS,
        resources={'metadata': {'path': str(path.parent)}},
    )
    try:
        # The kernel's own stderr is its chatter about shutting down; what cells print
        # reaches the notebook through the kernel protocol, and a crash is DeadKernelError.
        client.execute(stderr=subprocess.DEVNULL)
    except nbclient.exceptions.CellExecutionError as e:
        first = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
        raise NotebookError(f'{path}: a cell raised without the {RAISES} tag: {first}') from None
    except nbclient.exceptions.CellTimeoutError:
        raise NotebookError(f'{path}: a cell ran longer than {CELL_TIMEOUT} s') from None
    finally:
        shutil.rmtree(sockets, ignore_errors=True)
    _check_raises(path, nb)
    _normalise(nb)
    after = dumps(nb)
    if after != before:
        files.write_atomically(path, after)
    return Executed(path, time.perf_counter() - start, after != before)


def execute_all(paths: Sequence[pathlib.Path], workers: int = 2) -> list[Executed]:
    """Execute notebooks in parallel, one kernel each; the first failure is raised."""
    if not paths:
        return []
    with concurrent.futures.ProcessPoolExecutor(max_workers=min(workers, len(paths))) as pool:
        return list(pool.map(execute, paths))


def notebook_paths(directory: pathlib.Path) -> list[pathlib.Path]:
    return sorted(directory.glob('*.ipynb'))


def _package_digest() -> str:
    """A digest of the package's own code: outputs change when it does."""
    root = pathlib.Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for source in sorted(root.rglob('*.py')):
        digest.update(str(source.relative_to(root)).encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def input_digest(nb: nbformat.NotebookNode, package: str) -> str:
    """What a notebook's outputs depend on: its cells' sources and tags, and the package."""
    cells = [(c.cell_type, c.source, c.metadata.get('tags', [])) for c in nb.cells]
    return hashlib.sha256(json.dumps([package, cells]).encode()).hexdigest()


class Cache:
    """Remembers the input digest each notebook was last executed with (outside git)."""

    def __init__(self, path: pathlib.Path) -> None:
        self.path = path
        self.package = _package_digest()
        try:
            self.digests: dict[str, str] = json.loads(path.read_text(encoding='utf-8'))
        except (OSError, ValueError):
            self.digests = {}

    def stale(self, paths: Iterable[pathlib.Path]) -> list[pathlib.Path]:
        return [p for p in paths if self.digests.get(str(p)) != self._digest(p)]

    def remember(self, paths: Iterable[pathlib.Path]) -> None:
        for path in paths:
            self.digests[str(path)] = self._digest(path)
        files.write_atomically(self.path, json.dumps(self.digests, indent=1, sort_keys=True))

    def _digest(self, path: pathlib.Path) -> str:
        return input_digest(read(path), self.package)
