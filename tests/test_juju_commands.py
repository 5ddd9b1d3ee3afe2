"""Juju's own command tests (juju/juju cmd/juju/action/*_test.go), replayed through the
command layer: the data is in tests/juju_cases/, one file per Go test file."""

from __future__ import annotations

import pathlib
import re
from typing import Any

import pytest
import yaml

from actionspec import charmmeta
from actionspec.charm import charm, main
from actionspec.juju import actions, clock, model
from actionspec.jujucli import commands

CASES = pathlib.Path(__file__).parent / 'juju_cases'


class Quiet(charm.Charm):
    """Observes every action and does nothing: the Go tests' stubs ran nothing either."""

    def __init__(self, framework: Any) -> None:
        super().__init__(framework)
        for name in self.framework.on:
            if name.endswith('_action'):
                framework.observe(getattr(self.on, name), lambda event: None)


def fixture(spec: dict[str, Any]) -> model.Model:
    m = model.Model(juju_version=spec.get('juju', '3.6'), clock=clock.TickingClock())
    for app, acts in ((spec['app'], spec.get('actions', {})), (spec.get('empty'), {})):
        if app is None:
            continue
        meta = charmmeta.CharmMeta(app, actions.actions_data(acts))
        m.deploy(app, main.InProcessCharm(Quiet, meta), actions=acts, units=spec.get('units', 1))
    return m


def _cases() -> list[Any]:
    found = []
    for path in sorted(CASES.glob('*.yaml')):
        data = yaml.safe_load(path.read_text(encoding='utf-8'))
        for case in data['cases']:
            found.append(pytest.param(data, case, id=f'{path.stem}: {case["go"]}'))
    return found


def _check(out: Any, want: dict[str, Any]) -> None:
    if 'stdout' in want:
        assert out.stdout == want['stdout']
    if 'stdout-matches' in want:
        assert re.search(want['stdout-matches'], out.stdout), out.stdout
    if 'stderr' in want:
        assert out.stderr == want['stderr']
    if 'stderr-matches' in want:
        assert re.search(want['stderr-matches'], out.stderr), out.stderr
    assert out.exit_code == want.get('code', 0), out


@pytest.mark.parametrize(('data', 'case'), _cases())
def test_juju_command_case(
    data: dict[str, Any], case: dict[str, Any], tmp_path: pathlib.Path
) -> None:
    for name, text in data.get('files', {}).items():
        (tmp_path / name).write_text(text, encoding='utf-8')
    m = fixture(data['model'])
    _check(commands.call(m, case['argv'], cwd=tmp_path), case)
    for then in case.get('then', ()):
        m.advance()
        _check(commands.call(m, then['argv'], cwd=tmp_path), then)
