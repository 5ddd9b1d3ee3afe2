"""The JSON report: everything a CI needs, described by conformance/report.schema.json."""

from __future__ import annotations

import json
from typing import Any

from .. import version
from ..suite import runner
from .record import RunRecord


def as_data(run: RunRecord) -> dict[str, Any]:
    results, problems = run.results, run.problems
    counts = runner.counts(results)
    return {
        'actionspec': version.VERSION,
        'juju_version': run.juju_version,
        'complete': run.complete,
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


def render(run: RunRecord) -> str:
    data = as_data(run)
    return json.dumps(data, indent=2, default=str, ensure_ascii=False) + '\n'
