"""Notebook renderings: HTML tables, mermaid sequence diagrams and run reports.

The top of the house: nothing below imports it. The model's types know nothing of
notebooks; IPython's formatter registry maps them to their HTML here, when actionspec is
imported in a kernel.

Everything a charm controls (results, messages, logs, output) is escaped here, so a
value holding markup shows as text and never becomes part of the page.
"""

from __future__ import annotations

import html
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from . import trace as trace_
from .juju import operation, render, results
from .reports import markdown


def _cell(value: Any) -> str:
    return f'<td>{html.escape(str(value))}</td>'


def _table(headers: Sequence[str], rows: Iterable[Sequence[Any]], caption: str = '') -> str:
    head = ''.join(f'<th>{html.escape(h)}</th>' for h in headers)
    body = ''.join('<tr>' + ''.join(_cell(v) for v in row) + '</tr>' for row in rows)
    cap = f'<caption>{html.escape(caption)}</caption>' if caption else ''
    return (
        f'<table class="actionspec">{cap}<thead><tr>{head}</tr></thead>'
        f'<tbody>{body}</tbody></table>'
    )


def trace_table(trace: trace_.Trace) -> str:
    """The trace as a table: one row per event a unit's charm saw."""
    rows = (
        (n, e.unit, e.event, e.cause, 'yes' if e.deferred else '') for n, e in enumerate(trace, 1)
    )
    return _table(('#', 'unit', 'event', 'cause', 'deferred'), rows, 'event trace')


def tasks_table(tasks: Iterable[operation.Task]) -> str:
    """The tasks as a table: status, message, results, logs."""
    rows = (
        (
            t.id,
            t.unit,
            t.status,
            t.message,
            '; '.join(f'{k}={v}' for k, v in results.flatten(t.results).items()),
            '; '.join(log.message for log in t.logs),
        )
        for t in tasks
    )
    return _table(('task', 'unit', 'status', 'message', 'results', 'logs'), rows, 'tasks')


def operation_html(op: operation.Operation) -> str:
    summary = (
        f'<p>operation {html.escape(op.id)}: {html.escape(op.action)} '
        f'on {len(op.tasks)} unit(s), {html.escape(str(op.status))}</p>'
    )
    return summary + tasks_table(op.tasks) + trace_table(op.trace)


def _mermaid_text(text: str) -> str:
    """Escape text for a mermaid message: entity codes for characters it would parse."""
    out = []
    for char in text:
        if char.isalnum() or char in ' _-./()':
            out.append(char)
        else:
            out.append(f'#{ord(char)};')
    return ''.join(out)


def sequence_diagram(trace: trace_.Trace, *, title: str = '') -> str:
    """The trace as a mermaid sequence diagram: Juju on the left, one lane per unit.

    Events Juju dispatched come from Juju; events the framework raised itself (deferred
    re-emission, collect-status) are drawn on the unit's own lane.
    """
    units: list[str] = []
    for entry in trace:
        if entry.unit not in units:
            units.append(entry.unit)
    lines = ['sequenceDiagram']
    if title:
        lines.append(f'    title {_mermaid_text(title)}')
    lines.append('    participant juju as Juju')
    ids = {unit: f'u{n}' for n, unit in enumerate(units)}
    lines.extend(f'    participant {ids[u]} as {_mermaid_text(u)}' for u in units)
    for entry in trace:
        lane = ids[entry.unit]
        label = _mermaid_text(entry.event)
        if entry.deferred:
            label += ' - deferred again'
        if entry.cause in (trace_.Cause.INVOCATION, trace_.Cause.RELATION_CHANGE):
            lines.append(f'    juju->>{lane}: {label}')
        else:
            lines.append(f'    {lane}->>{lane}: {label} [{entry.cause}]')
    return '\n'.join(lines) + '\n'


class Mermaid:
    """A mermaid diagram: shows as a diagram in Jupyter and in the docs, as text in a REPL."""

    def __init__(self, source: str) -> None:
        self.source = source

    def _repr_markdown_(self) -> str:
        return f'```mermaid\n{self.source}```\n'

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        first = self.source.splitlines()[0] if self.source else ''
        return f'Mermaid({first!r}, {self.source.count(chr(10))} lines)'


class RunReport:
    """One `juju run` for a reader: the command, what it printed, the diagram, the tasks.

    Notebooks end their runs with this, and the docs converter keeps its Markdown as is.
    """

    def __init__(self, op: operation.Operation, fmt: str = 'yaml') -> None:
        self.op = op
        self.fmt = fmt

    def _repr_markdown_(self) -> str:
        out = render.cli_output(self.op, self.fmt)
        command = self.op.command or f'juju run ... {self.op.action}'
        shell = f'$ {command} --format {self.fmt}\n{out.stderr}{out.stdout}'
        shell += f'(exit status {out.exit_code})\n'
        title = f'{self.op.action} on {", ".join(t.unit for t in self.op.tasks)}'
        return '\n'.join(
            [
                markdown.fenced(shell, 'console'),
                '```mermaid\n' + sequence_diagram(self.op.trace, title=title) + '```\n',
                tasks_table(self.op.tasks),
                '',
            ]
        )

    def __repr__(self) -> str:
        return f'RunReport({self.op!r})'


class Comparison:
    """Scenario results on several implementations, as the matrix shows them."""

    def __init__(self, results: Sequence[Any], juju_version: str) -> None:
        self.results = list(results)
        self.juju_version = juju_version

    def _repr_markdown_(self) -> str:
        # Imported on use: the matrix pulls in the suite, which a notebook that only runs
        # actions never needs.
        from .reports import matrix

        return matrix.markdown_from_data(
            matrix.as_data(self.results, self.juju_version), heading='###'
        )

    def __repr__(self) -> str:
        return f'Comparison({len(self.results)} results, Juju {self.juju_version})'


def report(op: operation.Operation, fmt: str = 'yaml') -> RunReport:
    """Everything about one run in one view: command, output, diagram and tasks."""
    return RunReport(op, fmt)


def diagram(trace: trace_.Trace, title: str = '') -> Mermaid:
    """The trace as a mermaid sequence diagram."""
    return Mermaid(sequence_diagram(trace, title=title))


HTML_VIEWS: dict[type, Callable[[Any], str]] = {
    operation.Operation: operation_html,
    operation.Task: lambda task: tasks_table([task]),
    trace_.Trace: trace_table,
}


def register_with_ipython() -> bool:
    """Show operations, tasks and traces as tables in the running IPython kernel, if any.

    Called when actionspec is imported; True when there was a kernel to register with.
    """
    ipython = sys.modules.get('IPython')
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return False
    formatter = shell.display_formatter.formatters['text/html']
    for kind, view in HTML_VIEWS.items():
        formatter.for_type(kind, view)
    return True
