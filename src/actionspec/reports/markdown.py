"""A Markdown report for the docs: a summary, then one row per scenario."""

from __future__ import annotations

import re

from ..suite import runner
from .record import RunRecord

_MARK = {
    runner.Outcome.PASSED: 'pass',
    runner.Outcome.FAILED: '**FAIL**',
    runner.Outcome.SKIPPED: 'skip',
    runner.Outcome.ERRORED: '**ERROR**',
    runner.Outcome.XFAILED: 'known failure',
    runner.Outcome.XPASSED: '**unexpected pass**',
}


# Text a charm controls goes into fenced code blocks; a fence longer than any run of
# backticks in the text keeps it from ending the block early.
_BACKTICKS = re.compile('`+')


def fenced(text: str, language: str = 'text') -> str:
    """`text` as a Markdown fenced code block that no content can close early."""
    longest = max((len(run) for run in _BACKTICKS.findall(text)), default=0)
    fence = '`' * max(3, longest + 1)
    body = text if text.endswith('\n') or not text else text + '\n'
    return f'{fence}{language}\n{body}{fence}\n'


def cell(text: str) -> str:
    """Text safe inside a Markdown table cell: no markup, no pipes, no line breaks."""
    out = []
    for char in text.replace('\n', ' '):
        if char in '\\`*_{}[]()<>#+!|~&':
            out.append(f'&#{ord(char)};')
        elif ord(char) < 0x20:
            out.append(' ')
        else:
            out.append(char)
    return ''.join(out)


def render(run: RunRecord) -> str:
    results, problems = run.results, run.problems
    lines = [f'# Conformance results (Juju {run.juju_version})', '']
    if not run.complete:
        lines += ['> **Incomplete**: the run was interrupted; these are the results so far.', '']
    lines += [runner.closing_line(results), '']
    lines += ['| scenario | target | outcome | note |', '|---|---|---|---|']
    for r in results:
        note = r.reason or (r.mismatches[0].field if r.mismatches else '')
        lines.append(f'| `{r.id}` | {cell(r.target)} | {_MARK[r.outcome]} | {cell(note)} |')
    if problems:
        lines += ['', '## Scenario files that could not be loaded', '']
        lines += [f'- {cell(str(p))}' for p in problems]
    return '\n'.join(lines) + '\n'
