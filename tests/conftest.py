"""Fixtures and hooks for the tests. Shared helpers are in tests/helpers.py.

Optional parts: a test that needs one says so with a marker (registered in pyproject.toml),

- `@pytest.mark.needs_ops`: the [ops] extra, ops and ops.testing (the real implementations
  the suite compares against: the targets ops, ops-scenario and ops-harness, ops charms,
  the zygote with ops preloaded, the bench's ops.testing figures);
- `@pytest.mark.needs_charmhelpers`: the [charmhelpers] extra (the charmhelpers target);
- `@pytest.mark.needs_chromium`: a headless Chromium on PATH (the site test in a browser),

and where the part is absent the test is skipped, with the reason and how to install it.

In CI (the environment variable CI set, as CI services set it: CI=true) a missing part is
an error at the test's setup instead of a skip, so the run fails: there `make test`
installs them all (`.[dev]` brings ops and charmhelpers, the Makefile installs chromium),
and a broken install must not pass as a run with some tests skipped. CI empty, `0` or
`false` counts as unset.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from actionspec.suite import loader, scenario

from . import helpers

# marker: (whether the part is here, asked once per session; why a test is skipped without it)
OPTIONAL_PARTS: dict[str, tuple[Callable[[], bool], str]] = {
    'needs_ops': (
        helpers.ops_installed,
        "ops is not installed: pip install 'actionspec[ops]'",
    ),
    'needs_charmhelpers': (
        helpers.charmhelpers_installed,
        "charmhelpers is not installed: pip install 'actionspec[charmhelpers]'",
    ),
    'needs_chromium': (
        lambda: helpers.chromium_path() is not None,
        'chromium is not installed: apt-get install chromium',
    ),
}
_MISSING = pytest.StashKey[str]()


def in_ci() -> bool:
    return os.environ.get('CI', '').strip().lower() not in {'', '0', 'false', 'no'}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    present: dict[str, bool] = {}
    for item in items:
        for marker, (installed, reason) in OPTIONAL_PARTS.items():
            if item.get_closest_marker(marker) is None:
                continue
            if marker not in present:
                present[marker] = installed()
            if present[marker]:
                continue
            if in_ci():
                item.stash[_MISSING] = reason  # fails at setup: see pytest_runtest_setup
            else:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.hookimpl(tryfirst=True)  # before any fixture is set up
def pytest_runtest_setup(item: pytest.Item) -> None:
    reason = item.stash.get(_MISSING, None)
    if reason is not None:
        pytest.fail(f'{reason} (CI is set: a missing part fails, never skips)', pytrace=False)


@pytest.fixture(scope='session')
def cases() -> list[scenario.Scenario]:
    """The bundled suite, loaded once for the whole session; it loads without problems."""
    loaded, problems = loader.load([loader.bundled_suite()])
    assert problems == []
    return loaded
