"""Charm-controlled text is data everywhere it is shown: reports, the matrix, notebook
renderings. Hostile results and logs hold HTML, Markdown and terminal escapes."""

from __future__ import annotations

import pathlib
import xml.etree.ElementTree as ET

import markdown
import pytest

import actionspec
from actionspec import display
from actionspec.reports import junit, matrix, terminal
from actionspec.reports import markdown as markdown_report
from actionspec.reports.record import RunRecord
from actionspec.suite import loader, runner
from actionspec.targets import reference

HOSTILE = '<script>alert(1)</script> **bold** | pipe `tick` \x1b[31mred\x1b]0;title\x07 [x](y)'

SCENARIO = f"""\
title: A charm that writes hostile text
side: both
rules: [J2, J3]
cites:
- source: juju/juju internal/worker/uniter/runner/jujuc/action-log.go
  claim: Logs are stored as given.
model:
  applications:
    db:
      units: 1
      actions:
        do: {{}}
charm:
  db:
    do_action:
    - log: {HOSTILE!r}
    - set-results: {{note: {HOSTILE!r}}}
    - stdout: {HOSTILE!r}
run:
  targets: [db/0]
  action: do
expect:
  tasks:
    db/0:
      logs: [something else]
      results: {{note: other}}
"""


@pytest.fixture(scope='module')
def failed():
    case = loader.load_text(SCENARIO.replace("'", '"'), 'hostile.yaml', 'security/hostile')
    result = runner.run_one(case, reference.ReferenceTarget(), '3.6')
    assert result.outcome is runner.Outcome.FAILED
    return result


def _html(text: str) -> str:
    html: str = markdown.markdown(text, extensions=['tables', 'fenced_code'])
    return html


def test_terminal_report_carries_no_escape_sequences(failed):
    text = terminal.summary([failed], [])
    assert 'alert(1)' in text
    assert '\x1b' not in text and '\x07' not in text


def test_markdown_reports_render_no_markup_from_the_charm(failed):
    for text in (
        markdown_report.render(RunRecord((failed,), (), '3.6')),
        matrix.render_markdown([failed], '3.6'),
    ):
        html = _html(text)
        assert '<script>' not in html and '<strong>bold' not in html
        assert '<a href="y"' not in html


def test_junit_report_is_well_formed_xml(failed):
    root = ET.fromstring(junit.render(RunRecord((failed,), (), '3.6')))
    assert 'alert(1)' in ET.tostring(root, encoding='unicode')


class _Hostile(actionspec.Charm):
    def __init__(self, framework):
        super().__init__(framework)
        framework.observe(self.on.do_action, self._on_do)

    def _on_do(self, event):
        event.log(HOSTILE)
        event.set_results({'note': HOSTILE})
        print(HOSTILE + '\n````\n<img src=x onerror=alert(2)>')
        event.fail(HOSTILE)


def test_notebook_renderings_escape_charm_text(tmp_path: pathlib.Path):
    model = actionspec.Model(clock=actionspec.TickingClock())
    model.deploy('db', _Hostile, actions={'do': {}})
    op = model.run('db/0', action='do')
    for text in (
        display.operation_html(op),
        display.trace_table(op.trace),
        actionspec.report(op)._repr_markdown_(),
        display.Comparison([], '3.6')._repr_markdown_(),
    ):
        html = _html(text)
        assert '<script>' not in html and '<img' not in html and '<strong>' not in html
    # The diagram's labels are mermaid entity codes, not markup.
    assert '<' not in display.sequence_diagram(op.trace).split('participant', 1)[1]


@pytest.mark.parametrize('name', ['../../../etc/passwd', 'fan-out/../../schema', '/etc/passwd'])
def test_a_scenario_id_cannot_name_a_file_outside_the_suite(name, capsys):
    from actionspec import cli

    assert cli.main(['show', name]) == 2
    assert 'root:' not in capsys.readouterr().out


def test_scenario_ids_come_from_safe_path_parts(tmp_path):
    bad = tmp_path / 'Bad Name.yaml'
    bad.write_text(SCENARIO.replace("'", '"'))
    with pytest.raises(loader.ScenarioError, match='cannot be part of a scenario id'):
        loader.load_file(bad, tmp_path)
