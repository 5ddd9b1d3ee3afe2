"""The JSON report: everything a CI needs, described by conformance/report.schema.json."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .. import __version__
from ..suite import loader, runner


def as_data(
    results: Sequence[runner.Result],
    problems: Sequence[loader.ScenarioError],
    *,
    juju_version: str,
    complete: bool = True,
) -> dict[str, Any]:
    counts = runner.counts(results)
    return {
        'actionspec': __version__,
        'juju_version': juju_version,
        'complete': complete,
        'summary': {str(k): v for k, v in counts.items()} | {'problems': len(problems)},
        'problems': [
            {'path': p.path, 'line': p.line, 'field': p.field, 'message': p.message}
            for p in problems
        ],
        'results': [_result(r) for r in results],
    }


def _result(result: runner.Result) -> dict[str, Any]:
    case = result.case
    return {
        'id': case.id,
        'title': case.title,
        'target': result.target,
        'outcome': str(result.outcome),
        'juju_version': result.juju_version,
        'path': case.path,
        'line': case.line(''),
        'side': str(case.side),
        'rules': list(case.rules),
        'cites': [{'source': c.source, 'claim': c.claim} for c in case.cites],
        'reason': result.reason,
        'link': result.link,
        'seconds': round(result.seconds, 6),
        'mismatches': [
            {
                'field': m.field,
                'line': case.line(m.field),
                'expected': m.expected,
                'observed': m.observed,
                'diff': m.diff,
            }
            for m in result.mismatches
        ],
    }


def render(
    results: Sequence[runner.Result],
    problems: Sequence[loader.ScenarioError],
    *,
    juju_version: str,
    complete: bool = True,
) -> str:
    data = as_data(results, problems, juju_version=juju_version, complete=complete)
    return json.dumps(data, indent=2, default=str, ensure_ascii=False) + '\n'
