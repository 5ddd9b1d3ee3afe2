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

from .. import yamldata
from . import loader


@dataclasses.dataclass(frozen=True)
class ExpectedFailure:
    """One scenario a target is known to fail."""

    id: str
    """The scenario's id."""
    reason: str
    """Why it fails, in a sentence: shown with the outcome."""
    link: str = ''
    """Where the divergence is discussed upstream (an issue, a pull request)."""


def list_path(target: str, suite: pathlib.Path | None = None) -> pathlib.Path:
    return (suite or loader.bundled_suite()) / 'expected-failures' / f'{target}.yaml'


def load(target: str, suite: pathlib.Path | None = None) -> dict[str, ExpectedFailure]:
    """The expected failures of `target` by scenario id (none if it has no list).

    Read as strictly as a scenario (duplicate keys, anchors and tags refused); a bad list
    raises DataError naming the file, the entry's line and the field."""
    path = list_path(target, suite)
    if not path.is_file():
        return {}
    shown = str(path)
    try:
        text = path.read_text(encoding='utf-8')
    except (OSError, UnicodeDecodeError) as e:
        raise yamldata.DataError(shown, 1, '', f'cannot read: {e}') from None
    if not text.strip():
        return {}
    data, lines = yamldata.read(text, shown)
    if data is None:
        return {}
    if not isinstance(data, list):
        raise yamldata.DataError(shown, 1, '', 'an expected-failure list is a YAML list')
    found: dict[str, ExpectedFailure] = {}
    for n, entry in enumerate(data):
        at = f'[{n}]'

        def fail(field: str, message: str, at: str = at) -> yamldata.DataError:
            return yamldata.DataError(shown, lines.get(field, lines[at]), field, message)

        if not isinstance(entry, Mapping) or not {'id', 'reason'} <= set(entry):
            raise fail(at, 'each entry needs an id and a reason')
        unknown = sorted(set(entry) - {'id', 'reason', 'link'})
        if unknown:
            raise fail(f'{at}.{unknown[0]}', f'unknown field {unknown[0]!r}')
        for key in ('id', 'reason', 'link'):
            if key in entry and not isinstance(entry[key], str):
                raise fail(f'{at}.{key}', f'{key} is text, not {type(entry[key]).__name__}')
        if entry['id'] in found:
            raise fail(f'{at}.id', f'{entry["id"]!r} is listed twice')
        found[entry['id']] = ExpectedFailure(entry['id'], entry['reason'], entry.get('link', ''))
    return found
