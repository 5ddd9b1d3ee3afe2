"""The conformance matrix: one row per scenario, one column per target.

Markdown for the docs (each failure links to its diff further down the page) and JSON for
tools. Known divergences show as such, with their reason and upstream link.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..suite import runner
from . import markdown

Outcome = runner.Outcome
_SHORT = {
    Outcome.PASSED: 'pass',
    Outcome.FAILED: 'FAIL',
    Outcome.SKIPPED: 'skip',
    Outcome.ERRORED: 'ERROR',
    Outcome.XFAILED: 'known',
    Outcome.XPASSED: 'UNEXPECTED PASS',
}


def anchor(target: str, case_id: str) -> str:
    """The id of a target's difference section for one scenario."""
    return f'{target}-{case_id}'.replace('/', '-').replace('.', '-')


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
                        **({'detail': r.detail} if r.detail else {}),
                    }
                    for name, r in cells.items()
                },
            }
        )
    return {
        'juju_version': juju_version,
        'targets': targets,
        'totals': runner.totals(results),
        'scenarios': scenarios,
    }


def render_json(results: Sequence[runner.Result], juju_version: str) -> str:
    return json_text(as_data(results, juju_version))


def json_text(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + '\n'


def with_reports(
    data: Mapping[str, Any], reports: Sequence[tuple[str, Mapping[str, Any]]]
) -> dict[str, Any]:
    """The matrix with the results of JSON reports (`actionspec run --report`) beside its
    own: how a run this machine cannot make (a real controller's) is shown. Each report's
    targets become columns, named after the report (`name`) when the matrix has a column
    of that name already; scenarios the matrix does not have are left out."""
    merged = copy.deepcopy(dict(data))
    rows = {scenario['id']: scenario for scenario in merged['scenarios']}
    for name, report in reports:
        columns: dict[str, str] = {}
        for result in report['results']:
            target = result['target']
            if target not in columns:
                column = target if target not in merged['targets'] else f'{target} ({name})'
                columns[target] = column
                merged['targets'].append(column)
                merged['totals'][column] = dict.fromkeys((str(o) for o in Outcome), 0)
            row = rows.get(result['id'])
            if row is None:
                continue
            column = columns[target]
            merged['totals'][column][result['outcome']] += 1
            row['results'][column] = {
                'outcome': result['outcome'],
                'reason': result['reason'],
                'link': result['link'],
                'diff': '\n\n'.join(f'{m["field"]}:\n{m["diff"]}' for m in result['mismatches']),
            }
    return merged


def render_markdown(results: Sequence[runner.Result], juju_version: str) -> str:
    return markdown_from_data(as_data(results, juju_version))


def markdown_from_data(
    data: Mapping[str, Any],
    *,
    heading: str = '#',
    scenario_link: Callable[[str], str] | None = None,
) -> str:
    """The matrix page: totals per target, one row per scenario, then every difference.

    `scenario_link` turns a scenario id into a link target (the docs link each row to the
    scenario's catalogue entry).
    """
    targets = data['targets']
    lines = [f'{heading} Conformance matrix (Juju {data["juju_version"]})', '']
    lines.append('| target | ' + ' | '.join(str(o) for o in Outcome) + ' |')
    lines.append('|---' * (len(Outcome) + 1) + '|')
    for name in targets:
        totals = data['totals'][name]
        lines.append(
            f'| {markdown.cell(name)} | ' + ' | '.join(str(totals[str(o)]) for o in Outcome) + ' |'
        )
    lines += ['', '| scenario | ' + ' | '.join(markdown.cell(t) for t in targets) + ' |']
    lines.append('|---' * (len(targets) + 1) + '|')
    details: list[str] = []
    for scenario in data['scenarios']:
        case_id = scenario['id']
        row = []
        for name in targets:
            result = scenario['results'].get(name)
            if result is None:
                row.append('')
                continue
            outcome = Outcome(result['outcome'])
            text = _SHORT[outcome]
            if result['diff'] or outcome in (Outcome.ERRORED, Outcome.XPASSED):
                text = f'[{text}](#{anchor(name, case_id)})'
                details.append(_detail(heading, scenario, name, result))
            row.append(text)
        label = f'`{case_id}`'
        if scenario_link:
            label = f'[{label}]({scenario_link(case_id)})'
        lines.append(f'| {label} | ' + ' | '.join(row) + ' |')
    if details:
        lines += ['', f'{heading}# Differences', '', *details]
    return '\n'.join(lines) + '\n'


def _detail(
    heading: str, scenario: Mapping[str, Any], target: str, result: Mapping[str, Any]
) -> str:
    case_id = scenario['id']
    outcome = Outcome(result['outcome'])
    parts = [
        f'{heading}## {markdown.cell(target)}: `{case_id}` {{#{anchor(target, case_id)}}}',
        '',
    ]
    parts.append(f'{markdown.cell(scenario["title"])} ({_SHORT[outcome]})')
    if result['reason']:
        link = result['link']
        upstream = f' ([upstream]({link}))' if link.startswith('https://') else ''
        parts += ['', markdown.cell(result['reason']) + upstream]
    body = result['diff'] or result.get('detail', '')
    if body:
        parts += ['', markdown.fenced(body)]
    return '\n'.join(parts) + '\n'
