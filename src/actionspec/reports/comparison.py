"""`actionspec compare`: what changed between two runs of the suite.

Results are matched by target and scenario id. An outcome stands in one of three places:
passed; neither passed nor failing the run (a known failure, or skipped); failing the run
(`Outcome.is_bad`). A move to a worse place is a regression, to a better one a fix; a move
within a place, or the same outcome for another reason, is a change that fails nothing.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Sequence

from ..suite import runner
from . import markdown, terminal
from .json_report import Entry, Report

Outcome = runner.Outcome


class Change(str, enum.Enum):
    REGRESSED = 'regressed'
    FIXED = 'fixed'
    CHANGED = 'changed'  # as good as before, but another outcome or another reason
    NEW = 'new'
    GONE = 'gone'
    UNCHANGED = 'unchanged'

    def __str__(self) -> str:
        return self.value


def standing(outcome: Outcome) -> int:
    """0 passed, 1 neither passed nor failing the run, 2 failing the run: higher is worse."""
    if outcome is Outcome.PASSED:
        return 0
    return 2 if outcome.is_bad else 1


def change(old: Entry, new: Entry) -> Change:
    """How one scenario on one target moved between the two runs."""
    if standing(new.outcome) > standing(old.outcome):
        return Change.REGRESSED
    if standing(new.outcome) < standing(old.outcome):
        return Change.FIXED
    if (old.outcome, old.reason, old.differs_in) != (new.outcome, new.reason, new.differs_in):
        return Change.CHANGED
    return Change.UNCHANGED


@dataclasses.dataclass(frozen=True)
class Row:
    """One scenario on one target that both reports' targets share."""

    change: Change
    target: str
    id: str
    old: Entry | None  # None: the scenario is new
    new: Entry | None  # None: the scenario is gone

    @property
    def note(self) -> str:
        """What explains the row: the newer note; the older one for what is gone or fixed;
        both when the reason is what changed."""
        before = self.old.note if self.old else ''
        after = self.new.note if self.new else ''
        if self.change is Change.CHANGED and before != after:
            return f'{before or "no reason"} -> {after or "no reason"}'
        if self.change is Change.FIXED and before and not after:
            return f'was: {before}'
        return after or before


@dataclasses.dataclass(frozen=True)
class Comparison:
    """Two reports side by side: a row per scenario of each target both have."""

    old: Report
    new: Report
    rows: tuple[Row, ...]

    def of(self, kind: Change) -> list[Row]:
        return [r for r in self.rows if r.change is kind]

    @property
    def regressed(self) -> bool:
        return bool(self.of(Change.REGRESSED))

    @property
    def shared_targets(self) -> list[str]:
        return [t for t in self.old.targets if t in self.new.targets]

    def lone_targets(self, escape: Callable[[str], str]) -> list[str]:
        """The targets only one report has, each with its totals: what the rows leave out.
        `escape` makes a target's name safe where it is shown."""
        found = []
        for report, other, which in ((self.new, self.old, 'new'), (self.old, self.new, 'old')):
            for name, totals in report.totals().items():
                if name not in other.targets:
                    counted = ', '.join(f'{n} {o}' for o, n in totals.items() if n)
                    found.append(f'target only in the {which} report: {escape(name)} ({counted})')
        return found

    def notes(self) -> list[str]:
        """What a reader must know before trusting the rows."""
        found = []
        for report, shown in ((self.old, 'new'), (self.new, 'gone')):
            if not report.complete:
                found.append(
                    f'{report.path} is incomplete (its run was interrupted): a scenario '
                    f'shown as {shown} may only not have run in it'
                )
        if self.old.juju_version != self.new.juju_version:
            found.append(
                f'the runs checked different Juju versions: {self.old.juju_version} in '
                f'{self.old.path}, {self.new.juju_version} in {self.new.path}'
            )
        for report in (self.old, self.new):
            if report.problems:
                found.append(
                    f'{report.path}: {len(report.problems)} scenario files could not be '
                    f'loaded, so their scenarios are absent: {report.problems[0]}'
                )
        if not self.shared_targets:
            found.append('the reports have no target in common: there is nothing to compare')
        return found

    def closing_line(self) -> str:
        """`N regressed, N fixed, ...`, the unchanged broken down by outcome."""
        parts = [f'{len(self.of(kind))} {kind}' for kind in Change if kind != Change.UNCHANGED]
        unchanged = self.of(Change.UNCHANGED)
        kept = runner.counts(r.new for r in unchanged if r.new)
        detail = ', '.join(f'{n} {outcome}' for outcome, n in kept.items() if n)
        parts.append(f'{len(unchanged)} unchanged' + (f' ({detail})' if detail else ''))
        return ', '.join(parts)


def compare(old: Report, new: Report) -> Comparison:
    """Every scenario of the targets both reports have: in the old report's order, then
    the scenarios only the new one has."""
    before = {(e.target, e.id): e for e in old.entries}
    after = {(e.target, e.id): e for e in new.entries}
    shared = set(old.targets) & set(new.targets)
    rows = []
    for key in [*before, *(k for k in after if k not in before)]:
        if key[0] not in shared:
            continue
        was, now = before.get(key), after.get(key)
        if was is None:
            kind = Change.NEW
        elif now is None:
            kind = Change.GONE
        else:
            kind = change(was, now)
        rows.append(Row(kind, key[0], key[1], was, now))
    order = list(Change)
    rows.sort(key=lambda r: order.index(r.change))  # stable: each kind keeps report order
    return Comparison(old, new, tuple(rows))


def _describe(report: Report, escape: Callable[[str], str]) -> str:
    done = '' if report.complete else ', incomplete'
    return (
        f'{escape(report.path)} (actionspec {escape(report.actionspec)}, Juju '
        f'{report.juju_version}, {len(report.entries)} results{done})'
    )


def _per_target(comparison: Comparison) -> list[list[str]]:
    """Per shared target, how many rows of each kind: a header row, then one per target."""
    kinds = list(Change)
    table = [['target', *(str(k) for k in kinds)]]
    for name in comparison.shared_targets:
        rows = [r for r in comparison.rows if r.target == name]
        table.append([name, *(str(sum(r.change is k for r in rows)) for k in kinds)])
    return table


def _outcome(entry: Entry | None) -> str:
    return str(entry.outcome) if entry else '-'


# -- for a terminal ------------------------------------------------------------------------


def _aligned(table: Sequence[Sequence[str]]) -> list[str]:
    """Columns padded to their widest cell; the last one left ragged."""
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    return [
        '  '.join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in table
    ]


def render_table(comparison: Comparison) -> str:
    """The comparison for a terminal: what changed, one row each, then the counts."""
    lines = [
        f'old: {_describe(comparison.old, terminal.safe)}',
        f'new: {_describe(comparison.new, terminal.safe)}',
    ]
    lines += [f'note: {terminal.safe(n)}' for n in comparison.notes()]
    changed = [r for r in comparison.rows if r.change is not Change.UNCHANGED]
    if changed:
        table = [['change', 'target', 'scenario', 'old', 'new', 'note']]
        table += [
            [
                str(r.change),
                terminal.safe(r.target),
                terminal.safe(r.id),
                _outcome(r.old),
                _outcome(r.new),
                terminal.safe(r.note),
            ]
            for r in changed
        ]
        lines += ['', *_aligned(table)]
    lines += comparison.lone_targets(terminal.safe)
    if len(comparison.shared_targets) > 1:
        lines += ['', *_aligned(_per_target(comparison))]
    lines += ['', comparison.closing_line()]
    return '\n'.join(lines) + '\n'


# -- for GitHub (a step summary, a pull request comment) -------------------------------------


def _marked(entry: Entry | None) -> str:
    if entry is None:
        return '-'
    return f'**{entry.outcome}**' if entry.outcome.is_bad else str(entry.outcome)


def render_markdown(comparison: Comparison) -> str:
    """The comparison as Markdown: the counts first, then what changed, one row each."""
    old, new = comparison.old, comparison.new
    lines = [
        '## Conformance: what changed',
        '',
        f'Old: {_describe(old, markdown.cell)}  ',
        f'New: {_describe(new, markdown.cell)}',
        '',
    ]
    lines += [f'> **Note:** {markdown.cell(n)}  ' for n in comparison.notes()]
    if comparison.notes():
        lines.append('')
    closing = comparison.closing_line()
    lines += [f'**{closing}**' if comparison.regressed else closing, '']
    changed = [r for r in comparison.rows if r.change is not Change.UNCHANGED]
    if changed:
        lines += ['| change | target | scenario | old | new | note |', '|---|---|---|---|---|---|']
        for r in changed:
            kind = f'**{r.change}**' if r.change is Change.REGRESSED else str(r.change)
            lines.append(
                f'| {kind} | {markdown.cell(r.target)} | {markdown.cell(r.id)} '
                f'| {_marked(r.old)} | {_marked(r.new)} | {markdown.cell(r.note)} |'
            )
        lines.append('')
    for line in comparison.lone_targets(markdown.cell):
        lines += [line[0].upper() + line[1:] + '.', '']
    if len(comparison.shared_targets) > 1:
        table = _per_target(comparison)
        lines.append('| ' + ' | '.join(table[0]) + ' |')
        lines.append('|---' * len(table[0]) + '|')
        lines += ['| ' + ' | '.join(markdown.cell(c) for c in row) + ' |' for row in table[1:]]
        lines.append('')
    return '\n'.join(lines)
