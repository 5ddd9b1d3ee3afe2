"""Reports of a conformance run: for a terminal, for CI (JSON, JUnit XML), for the docs."""

from __future__ import annotations

import pathlib
from collections.abc import Sequence

from .. import files
from ..suite import loader, runner
from . import json_report, junit, markdown
from .record import RunRecord

WRITERS = {'.json': json_report.render, '.xml': junit.render, '.md': markdown.render}
__all__ = ['WRITERS', 'RunRecord', 'write']


def write(
    path: pathlib.Path,
    results: Sequence[runner.Result],
    problems: Sequence[loader.ScenarioError],
    *,
    juju_version: str,
    complete: bool = True,
) -> None:
    """Write the report whose format the suffix names, atomically (never half a file)."""
    text = WRITERS[path.suffix](RunRecord(tuple(results), tuple(problems), juju_version, complete))
    files.write_atomically(path, text)
