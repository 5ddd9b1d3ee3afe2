"""The command line, the README's examples, and the benchmark's shape."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import pytest

from actionspec import bench, cli

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_readme_examples_run_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r'```python\n(.*?)```', (ROOT / 'README.md').read_text(), re.S)
    assert len(blocks) == 2
    namespace: dict[str, object] = {}
    for block in blocks:
        exec(compile(block, 'README.md', 'exec'), namespace)
    out = capsys.readouterr().out
    assert "{'path': '/tmp/db'}" in out
    assert "['snapshot_database_action']" in out
    assert 'validation failed: (root) : "outfile" property is missing and required' in out


def test_demo_shows_juju_output_and_the_trace(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(['demo']) == 0
    out = capsys.readouterr().out
    assert 'Running operation 1 with 2 tasks' in out
    assert 'message: disk full' in out
    assert 'update_status' in out and '(deferred)' in out
    assert 'replicas_relation_changed  (relation-change)' in out


def test_console_script_reports_bad_arguments_with_status_2() -> None:
    result = subprocess.run(
        [sys.executable, '-m', 'actionspec.cli', 'demo', '--format', 'xml'],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "invalid choice: 'xml'" in result.stderr
    assert 'Traceback' not in result.stderr


@pytest.mark.needs_ops
def test_bench_measures_every_figure_side_by_side() -> None:
    result = bench.run(quick=True)
    names = [f['name'] for f in result['figures']]
    assert names[:2] == [bench.CALIBRATION, 'reference: one action']
    assert 'ops.testing Scenario: Context.run' in names
    assert 'fan-out to 1000 units' in names
    assert 'Scenario / reference, per action' in result['ratios']
    assert all(f['low'] <= f['median'] <= f['high'] for f in result['figures'])
    assert 'Scenario / reference' in bench.format_table(result)
