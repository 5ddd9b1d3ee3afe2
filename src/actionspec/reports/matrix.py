"""The conformance matrix: one row per scenario, one column per target.

Markdown for the docs (each failure links to its diff further down the page) and JSON for
tools. Known divergences show as such, with their reason and upstream link.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ..suite import runner
from .markdown import cell

Outcome = runner.Outcome
_SHORT = {
    Outcome.PASSED: 'pass',
    Outcome.FAILED: 'FAIL',
    Outcome.SKIPPED: 'skip',
    Outcome.ERRORED: 'ERROR',
    Outcome.XFAILED: 'known',
    Outcome.XPASSED: 'UNEXPECTED PASS',
}


def _anchor(result: runner.Result) -> str:
    return f'{result.target}-{result.id}'.replace('/', '-').replace('.', '-')


def _targets(results: Sequence[runner.Result]) -> list[str]:
    return list(dict.fromkeys(r.target for r in results))


def _rows(results: Sequence[runner.Result]) -> dict[str, dict[str, runner.Result]]:
    rows: dict[str, dict[str, runner.Result]] = {}
    for result in results:
        rows.setdefault(result.id, {})[result.target] = result
    return rows


def as_data(results: Sequence[runner.Result], juju_version: str) -> dict[str, Any]:
    targets = _targets(results)
    scenarios = []
    for case_id, cells in _rows(results).items():
        case = next(iter(cells.values())).case
        scenarios.append(
            {
                'id': case_id,
                'title': case.title,
                'rules': list(case.rules),
                'side': str(case.side),
                'results': {
                    name: {
                        'outcome': str(r.outcome),
                        'reason': r.reason,
                        'link': r.link,
                        'diff': '\n\n'.join(str(m) for m in r.mismatches),
                    }
                    for name, r in cells.items()
                },
            }
        )
    totals = {
        name: {str(k): v for k, v in runner.counts(r for r in results if r.target == name).items()}
        for name in targets
    }
    return {
        'juju_version': juju_version,
        'targets': targets,
        'totals': totals,
        'scenarios': scenarios,
    }


def render_json(results: Sequence[runner.Result], juju_version: str) -> str:
    return json.dumps(as_data(results, juju_version), indent=2, ensure_ascii=False) + '\n'


def render_markdown(results: Sequence[runner.Result], juju_version: str) -> str:
    targets = _targets(results)
    lines = [f'# Conformance matrix (Juju {juju_version})', '']
    lines.append('| target | ' + ' | '.join(str(o) for o in Outcome) + ' |')
    lines.append('|---' * (len(Outcome) + 1) + '|')
    for name in targets:
        counts = runner.counts(r for r in results if r.target == name)
        lines.append(f'| {cell(name)} | ' + ' | '.join(str(counts[o]) for o in Outcome) + ' |')
    lines += ['', '| scenario | ' + ' | '.join(cell(t) for t in targets) + ' |']
    lines.append('|---' * (len(targets) + 1) + '|')
    details: list[str] = []
    for case_id, cells in _rows(results).items():
        row = []
        for name in targets:
            result = cells.get(name)
            if result is None:
                row.append('')
                continue
            text = _SHORT[result.outcome]
            if result.mismatches or result.outcome in (Outcome.ERRORED, Outcome.XPASSED):
                text = f'[{text}](#{_anchor(result)})'
                details.append(_detail(result))
            row.append(text)
        lines.append(f'| `{case_id}` | ' + ' | '.join(row) + ' |')
    if details:
        lines += ['', '## Differences', '', *details]
    return '\n'.join(lines) + '\n'


def _detail(result: runner.Result) -> str:
    parts = [f'### {cell(result.target)}: `{result.id}` {{#{_anchor(result)}}}', '']
    parts.append(f'{cell(result.case.title)} ({_SHORT[result.outcome]})')
    if result.reason:
        link = f' ([upstream]({result.link}))' if result.link.startswith('https://') else ''
        parts += ['', cell(result.reason) + link]
    body = '\n\n'.join(str(m) for m in result.mismatches) or result.detail
    if body:
        parts += ['', '```text', body.replace('```', "'''"), '```']
    return '\n'.join(parts) + '\n'
