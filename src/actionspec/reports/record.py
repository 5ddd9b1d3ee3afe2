"""What every report renders: the results of one run and the files that did not load."""

from __future__ import annotations

import dataclasses

from ..suite import loader, runner


@dataclasses.dataclass(frozen=True)
class RunRecord:
    results: tuple[runner.Result, ...]
    problems: tuple[loader.ScenarioError, ...]
    juju_version: str
    complete: bool = True  # False when the run was interrupted
