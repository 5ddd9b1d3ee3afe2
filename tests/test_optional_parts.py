"""The markers for optional parts (tests/conftest.py): where ops or Chromium is absent a
marked test is skipped with the reason and how to install it, except in CI, where it fails.

Each test runs a small pytest session in this process, with the markers registered as in
pyproject.toml (and --strict-markers), and the parts made absent for real: `ops` unimportable
as without the extra, and a PATH on which there is no Chromium.
"""

from __future__ import annotations

import pathlib
import re
import sys

import pytest

pytest_plugins = ['pytester']

ROOT = pathlib.Path(__file__).resolve().parent.parent
OPS = "ops is not installed: pip install 'actionspec[ops]'"
CHROMIUM = 'chromium is not installed: apt-get install chromium'
TESTS = """
import pytest

@pytest.mark.needs_ops
def test_ops():
    import ops  # noqa: F401

@pytest.mark.needs_chromium
def test_chromium():
    pass

def test_plain():
    pass
"""


@pytest.fixture
def session(pytester: pytest.Pytester) -> pytest.Pytester:
    """A directory with the project's pytest settings, the hooks of tests/conftest.py and
    a test file with a test for each marker and one with none."""
    pytester.makepyprojecttoml((ROOT / 'pyproject.toml').read_text())
    pytester.makeconftest(
        'from tests.conftest import pytest_collection_modifyitems, pytest_runtest_setup\n'
    )
    pytester.makepyfile(test_parts=TESTS)
    return pytester


@pytest.fixture
def absent(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    """Neither part here: `import ops` fails (and find_spec finds nothing), and PATH holds
    only an empty directory."""
    monkeypatch.setitem(sys.modules, 'ops', None)
    empty = tmp_path / 'empty-path'
    empty.mkdir()
    monkeypatch.setenv('PATH', str(empty))


@pytest.mark.usefixtures('absent')
@pytest.mark.parametrize('ci', [None, '', 'false', '0'])
def test_a_missing_part_skips_with_the_reason(
    session: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str | None
) -> None:
    if ci is None:
        monkeypatch.delenv('CI', raising=False)
    else:
        monkeypatch.setenv('CI', ci)
    result = session.runpytest_inprocess('--strict-markers', '-rs', 'test_parts.py')
    result.assert_outcomes(passed=1, skipped=2)
    out = result.stdout.str()
    # Reported at the test, not at the hook in tests/conftest.py that skipped it.
    for reason in (OPS, CHROMIUM):
        assert re.search(rf'^SKIPPED \[1\] test_parts\.py:\d+: {re.escape(reason)}$', out, re.M)


@pytest.mark.usefixtures('absent')
@pytest.mark.parametrize('ci', ['true', '1'])
def test_in_ci_a_missing_part_fails_the_run(
    session: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv('CI', ci)
    result = session.runpytest_inprocess('--strict-markers', '-rE', 'test_parts.py')
    result.assert_outcomes(passed=1, errors=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    out = result.stdout.str()
    never = '(CI is set: a missing part fails, never skips)'
    assert f'ERROR test_parts.py::test_ops - Failed: {OPS} {never}' in out
    assert f'ERROR test_parts.py::test_chromium - Failed: {CHROMIUM} {never}' in out
    assert 'SKIPPED' not in out


@pytest.mark.needs_ops
@pytest.mark.needs_chromium
def test_where_both_are_installed_nothing_is_skipped(
    session: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv('CI', raising=False)
    result = session.runpytest_inprocess('--strict-markers', '-rs', 'test_parts.py')
    result.assert_outcomes(passed=3)
