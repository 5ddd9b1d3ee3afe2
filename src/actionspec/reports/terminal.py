"""The terminal report: a progress bar while running, then what went wrong, then counts."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import TextIO

from ..suite import loader, runner

Outcome = runner.Outcome
_CONTROL = re.compile(r'[\x00-\x08\x0b-\x1f\x7f-\x9f]')


def safe(text: str) -> str:
    """Charm-controlled text with terminal control characters made visible, not obeyed."""
    return _CONTROL.sub(lambda m: f'\\x{ord(m.group()):02x}', text)


class Progress:
    """A one-line progress bar on a terminal; silent when output is not a terminal."""

    def __init__(self, total: int, stream: TextIO = sys.stderr, width: int = 30) -> None:
        self.total = total
        self.stream = stream
        self.width = width
        self.done = 0
        self.bad = 0
        self.enabled = stream.isatty() and total > 0

    def __call__(self, result: runner.Result) -> None:
        self.done += 1
        self.bad += result.outcome.is_bad
        if not self.enabled:
            return
        filled = self.width * self.done // self.total
        bar = '#' * filled + '.' * (self.width - filled)
        failing = f', {self.bad} failing' if self.bad else ''
        self.stream.write(f'\r[{bar}] {self.done}/{self.total} {result.target}{failing}  ')
        self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write('\r' + ' ' * (self.width + 60) + '\r')
            self.stream.flush()


def details(result: runner.Result) -> str:
    """Everything a person needs to see about one bad result."""
    case = result.case
    head = f'{str(result.outcome).upper()} {case.id} [{result.target}, Juju {result.juju_version}]'
    lines = [head, f'  {case.title}', f'  {case.path}:{case.line("")}']
    if case.cites:
        lines.append(f'  checks: {case.cites[0].source}: {case.cites[0].claim}')
    if result.reason:
        lines.append(f'  {safe(result.reason)}')
    for mismatch in result.mismatches:
        lines.append(f'  {mismatch.field} ({case.path}:{case.line(mismatch.field)})')
        lines.extend(f'  {safe(line)}' for line in mismatch.diff.splitlines())
    if result.outcome is Outcome.ERRORED and result.detail:
        lines.extend(f'    {safe(line)}' for line in result.detail.rstrip().splitlines()[-6:])
    return '\n'.join(lines)


def summary(
    results: Sequence[runner.Result],
    problems: Sequence[loader.ScenarioError],
    *,
    verbose: bool = False,
) -> str:
    """The report after a run: bad results in full, known failures in brief, the counts."""
    blocks = [details(r) for r in results if r.outcome.is_bad]
    xfailed = [r for r in results if r.outcome is Outcome.XFAILED]
    if xfailed:
        lines = [f'{len(xfailed)} expected failures (known divergences):']
        for r in xfailed:
            link = f' ({r.link})' if r.link else ''
            lines.append(f'  {r.target}: {r.id}: {safe(r.reason)}{link}')
        blocks.append('\n'.join(lines))
    if verbose:
        skipped = [r for r in results if r.outcome is Outcome.SKIPPED]
        if skipped:
            blocks.append(
                '\n'.join(
                    [f'{len(skipped)} skipped:']
                    + [f'  {r.target}: {r.id}: {r.reason}' for r in skipped]
                )
            )
    if problems:
        blocks.append(
            '\n'.join(
                [f'{len(problems)} scenario files could not be loaded:']
                + [f'  {p}' for p in problems]
            )
        )
    blocks.append(runner.closing_line(results))
    return '\n\n'.join(blocks) + '\n'


def human_seconds(seconds: float) -> str:
    """A duration as a person reads it: 2.41 s, 3.40 ms, 63.2 µs."""
    if seconds >= 1:
        return f'{seconds:.2f} s'
    if seconds >= 1e-3:
        return f'{seconds * 1e3:.2f} ms'
    return f'{seconds * 1e6:.1f} µs'
