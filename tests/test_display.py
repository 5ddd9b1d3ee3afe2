"""Notebook renderings escape everything a charm controls and stay readable."""

from __future__ import annotations

import actionspec
from actionspec import display

from .helpers import make_model

HOSTILE = '<script>alert(1)</script> & "quotes" \x1b[31mred'


def _hostile_op():
    def handler(charm, event):
        event.log(HOSTILE)
        event.set_results({'x': HOSTILE})
        event.fail(HOSTILE)

    return make_model(do_action=handler).run('db/0', action='do')


def test_operation_html_escapes_charm_text() -> None:
    html = display.operation_html(_hostile_op())
    assert '<script>' not in html
    assert '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;' in html
    assert html.count('<table') == 2


def test_task_and_trace_tables() -> None:
    op = _hostile_op()
    assert '<td>failed</td>' in display.tasks_table([op.tasks[0]])
    trace_html = display.trace_table(op.trace)
    assert '<td>do_action</td>' in trace_html and '<td>invocation</td>' in trace_html


def test_sequence_diagram_lanes_and_causes() -> None:
    model = make_model(
        update_status=lambda c, e: None,
        do_action=lambda c, e: None,
        collect_unit_status=lambda c, e: None,
    )
    model.defer('db/1', 'update_status')
    trace = model.run('db/0', 'db/1', action='do').trace
    diagram = actionspec.diagram(trace, 'demo')
    assert str(diagram).splitlines() == [
        'sequenceDiagram',
        '    title demo',
        '    participant juju as Juju',
        '    participant u0 as db/0',
        '    participant u1 as db/1',
        '    juju->>u0: do_action',
        '    u0->>u0: collect_unit_status [collect-status]',
        '    u1->>u1: update_status [deferred]',
        '    juju->>u1: do_action',
        '    u1->>u1: collect_unit_status [collect-status]',
    ]
    assert diagram._repr_markdown_().startswith('```mermaid\nsequenceDiagram\n')


def test_mermaid_text_is_escaped() -> None:
    assert display._mermaid_text('a;b:c<d>') == 'a#59;b#58;c#60;d#62;'
