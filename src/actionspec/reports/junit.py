"""JUnit XML for CI: one testsuite per target, one testcase per scenario."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

from ..suite import runner
from .record import RunRecord

Outcome = runner.Outcome


def _clean(text: str) -> str:
    """XML 1.0 cannot hold most control characters: show them escaped instead."""
    return ''.join(
        c if c in '\t\n\r' or (ord(c) >= 0x20 and c not in '\ufffe\uffff') else f'\\x{ord(c):02x}'
        for c in text
    )


def render(run: RunRecord) -> str:
    results, problems = run.results, run.problems
    root = ET.Element('testsuites', name='actionspec conformance')
    by_target = itertools.groupby(results, key=lambda r: r.target)
    for target, group in by_target:
        items = list(group)
        counts = runner.counts(items)
        suite = ET.SubElement(
            root,
            'testsuite',
            name=f'{target} (Juju {run.juju_version})',
            tests=str(len(items)),
            failures=str(counts[Outcome.FAILED] + counts[Outcome.XPASSED]),
            errors=str(counts[Outcome.ERRORED]),
            skipped=str(counts[Outcome.SKIPPED] + counts[Outcome.XFAILED]),
            time=f'{sum(r.seconds for r in items):.6f}',
        )
        for result in items:
            case = ET.SubElement(
                suite,
                'testcase',
                classname=f'{target}.{result.case.area}',
                name=result.id,
                file=result.case.path,
                line=str(result.case.line('')),
                time=f'{result.seconds:.6f}',
            )
            body = _clean('\n\n'.join(str(m) for m in result.mismatches) or result.detail)
            if result.outcome in (Outcome.FAILED, Outcome.XPASSED):
                node = ET.SubElement(case, 'failure', message=_clean(result.reason or 'mismatch'))
                node.text = body
            elif result.outcome is Outcome.ERRORED:
                node = ET.SubElement(case, 'error', message=_clean(result.reason))
                node.text = body
            elif result.outcome in (Outcome.SKIPPED, Outcome.XFAILED):
                prefix = 'expected failure: ' if result.outcome is Outcome.XFAILED else ''
                ET.SubElement(case, 'skipped', message=_clean(prefix + result.reason))
    if problems:
        suite = ET.SubElement(
            root,
            'testsuite',
            name='scenario files',
            tests=str(len(problems)),
            errors=str(len(problems)),
        )
        for problem in problems:
            case = ET.SubElement(suite, 'testcase', classname='load', name=problem.path)
            ET.SubElement(case, 'error', message=_clean(str(problem)))
    if not run.complete:
        root.set('incomplete', 'true')
    ET.indent(root)
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding='unicode') + '\n'
    )
