"""Expected-failure lists: per target, the scenarios it is known to fail, and why.

Each list is data, `conformance/expected-failures/<target>.yaml`:

    - id: deferral/reemitted-before-action
      reason: Harness.run_action does not re-emit deferred events
      link: https://github.com/canonical/operator/issues/736

An expected failure that passes fails the run, so a list cannot go stale.
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Mapping

import yaml

from .loader import ScenarioError, bundled_suite


@dataclasses.dataclass(frozen=True)
class ExpectedFailure:
    id: str
    reason: str
    link: str = ''


def list_path(target: str, suite: pathlib.Path | None = None) -> pathlib.Path:
    return (suite or bundled_suite()) / 'expected-failures' / f'{target}.yaml'


def load(target: str, suite: pathlib.Path | None = None) -> dict[str, ExpectedFailure]:
    """The expected failures of `target` by scenario id (none if it has no list)."""
    path = list_path(target, suite)
    if not path.is_file():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding='utf-8')) or []
    except yaml.YAMLError as e:
        mark = getattr(e, 'problem_mark', None)
        raise ScenarioError(
            str(path), mark.line + 1 if mark else 1, '', f'YAML error: {e}'
        ) from None
    if not isinstance(data, list):
        raise ScenarioError(str(path), 1, '', 'an expected-failure list is a YAML list')
    found: dict[str, ExpectedFailure] = {}
    for n, entry in enumerate(data):
        if not isinstance(entry, Mapping) or not {'id', 'reason'} <= set(entry):
            raise ScenarioError(str(path), 1, f'[{n}]', 'each entry needs an id and a reason')
        unknown = set(entry) - {'id', 'reason', 'link'}
        if unknown:
            raise ScenarioError(str(path), 1, f'[{n}]', f'unknown field {sorted(unknown)[0]!r}')
        if entry['id'] in found:
            raise ScenarioError(str(path), 1, f'[{n}].id', f'{entry["id"]!r} is listed twice')
        found[entry['id']] = ExpectedFailure(
            str(entry['id']), str(entry['reason']), str(entry.get('link', ''))
        )
    return found
