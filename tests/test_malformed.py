"""A corpus of broken scenario files: each gives one exact, one-line error, never a traceback."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

from actionspec.suite import loader

CORPUS = pathlib.Path(__file__).parent / 'malformed'
EXPECTED = {
    line.split(':', 1)[0]: line
    for line in (CORPUS / 'expected-errors.txt').read_text().splitlines()
    if line and not line.startswith('#')
}


def test_the_corpus_is_large_and_every_file_has_its_expected_error():
    files = sorted(p.name for p in CORPUS.glob('*.yaml'))
    assert len(files) >= 40
    assert sorted(EXPECTED) == files


@pytest.mark.parametrize('name', sorted(EXPECTED))
def test_malformed_file_gives_one_error_naming_file_line_and_field(name):
    cases, problems = loader.load([CORPUS / name])
    assert cases == []
    assert len(problems) == 1
    error = problems[0]
    assert str(error) == f'{CORPUS / name}:{EXPECTED[name].split(":", 1)[1]}'
    assert error.line >= 1 and '\n' not in str(error)


def test_cli_reports_every_bad_file_and_exits_3():
    run = subprocess.run(
        [sys.executable, '-m', 'actionspec.cli', 'run', '--suite', str(CORPUS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 3
    assert 'Traceback' not in run.stderr + run.stdout
    reported = [line.strip() for line in run.stdout.splitlines() if str(CORPUS) in line]
    assert len(reported) == len(EXPECTED)
    assert run.stdout.strip().endswith('0 passed, 0 failed, 0 skipped, 0 errored')
