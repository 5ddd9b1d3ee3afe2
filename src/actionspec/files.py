"""Writing files so that no reader ever sees half of one.

A leaf: reports, the benchmark's figures, the docs' data and fuzzing findings are all
written here. Each write goes to a temporary file of its own beside the target (so two
runs writing the same report cannot clobber each other's half-written file) and is then
renamed over it, which POSIX makes atomic.
"""

from __future__ import annotations

import os
import pathlib
import tempfile


def write_atomically(path: pathlib.Path, text: str) -> None:
    """Write `text` to `path` whole, creating its directory if needed."""
    directory = path.parent if str(path.parent) else pathlib.Path('.')
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f'.{path.name}.', dir=directory)
    try:
        with os.fdopen(fd, 'w', encoding='utf-8') as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise
