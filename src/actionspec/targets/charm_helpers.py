"""charmhelpers as a conformance target: a classic charm written with
`charmhelpers.core.hookenv` (`suite.charmhelpers_scripted`), run as Juju runs a charm with
no `dispatch`: each hook and action its own executable, a real process with the hook tools.

charmhelpers is a library, not a framework: there is no event queue to defer to, no
collect-status and no excepthook of its own, and `action_fail` always takes a message.
Scenarios that need one of those are skipped with the reason; what it does differently
from Juju and ops is listed, with sources, in conformance/expected-failures/charmhelpers.yaml
(docs/charmhelpers.md).
"""

from __future__ import annotations

import pathlib
import sys

from .. import charmmeta
from ..juju import process
from ..launch import charmdir
from ..suite import contract, target
from ..suite import scenario as scenario_
from . import TargetUnavailableError, charm_dir

try:
    import charmhelpers.core.hookenv  # noqa: F401 - the scripted charm needs it
except ImportError as e:
    raise TargetUnavailableError(
        f"charmhelpers is not installed ({e}); pip install 'actionspec[charmhelpers]'"
    ) from None

# What every hook and action file of the charm runs (a classic charm's `hooks/hooks.py`).
ENTRY = (
    f'#!{sys.executable}\n'
    'from actionspec.suite import charmhelpers_scripted\n\ncharmhelpers_scripted.main()\n'
)


def inexpressible(case: scenario_.Scenario) -> str | None:
    """Why a charmhelpers charm cannot do what the scenario's charm does, or None."""
    if case.deferred or any(step.kind == 'defer' for step in case.every_step()):
        return 'charmhelpers has no deferred events: a classic charm has no event queue'
    if any(e in charmmeta.COLLECT_STATUS_EVENTS for ev in case.behaviour.values() for e in ev):
        return 'charmhelpers has no collect-status: a classic charm sets its status itself'
    if any(step.kind == 'fail' and step.arg is None for step in case.every_step()):
        return 'hookenv.action_fail takes a message: charmhelpers has no fail without one'
    if 'C8' in case.rules and any(
        t.stderr is not None for t in (case.expect.tasks or {}).values()
    ):
        return (
            "ops' uncaught-exception lines come from its framework: a classic charm's "
            "uncaught exception is Python's own traceback (the task still fails, exit status 1)"
        )
    return None


def classic_charm_dir(
    parent: pathlib.Path, meta: charmmeta.CharmMeta, steps: contract.Steps
) -> pathlib.Path:
    """A classic charm directory: no `dispatch`; `hooks/<hook>` for each hook it handles and
    `actions/<action>` for each action it declares, each a link to the one script."""
    root = contract.generated_files(parent, meta, steps)
    files = {
        'hooks': [hook for hook, event in meta.hooks().items() if event in steps],
        'actions': list(meta.actions),
    }
    for kind, names in files.items():
        (root / kind).mkdir()
        script = root / kind / f'{kind}.py'
        script.write_text(ENTRY, encoding='utf-8')
        script.chmod(0o755)
        for name in names:
            (root / kind / name).symlink_to(script.name)
    return root


class CharmHelpersCharm(contract.ScriptedCharmDirectory):
    """The scripted charmhelpers charm, each hook or action forked from a process that has
    charmhelpers imported."""

    def __init__(self, source: pathlib.Path) -> None:
        zygote = charmdir.shared_zygote(
            ('charmhelpers.core.hookenv', 'actionspec.suite.charmhelpers_scripted')
        )
        super().__init__(source, zygote=zygote)

    def _environment(
        self, request: process.DispatchRequest, unit_dir: pathlib.Path
    ) -> dict[str, str]:
        # relation_set leaves its settings file behind when relation-set refuses: put such
        # files in the unit's own scratch space (Juju sets no TMPDIR), so they go with it.
        env = super()._environment(request, unit_dir)
        temporary = unit_dir.parent / 'tmp'
        temporary.mkdir(exist_ok=True)
        env['TMPDIR'] = str(temporary)
        return env


class CharmHelpersTarget(charm_dir.CharmTarget):
    """A charm written with charmhelpers' hookenv, run as Juju runs a classic charm."""

    def __init__(self) -> None:
        super().__init__(None, 'charmhelpers')

    def _source(
        self, parent: pathlib.Path, meta: charmmeta.CharmMeta, steps: contract.Steps
    ) -> pathlib.Path:
        return classic_charm_dir(parent, meta, steps)

    def _charm(self, source: pathlib.Path) -> contract.ScriptedCharmDirectory:
        return CharmHelpersCharm(source)

    def observe(self, case: scenario_.Scenario, juju_version: str) -> target.Observation:
        reason = inexpressible(case)
        if reason is not None:
            raise target.CannotObserve(reason)
        return super().observe(case, juju_version)

    def __repr__(self) -> str:
        return 'CharmHelpersTarget()'
