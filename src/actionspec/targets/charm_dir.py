"""Any charm directory as a conformance target, in any language: it keeps the
scripted-charm contract (`suite.contract`, docs/writing-a-target.md) and runs as Juju runs
charms (`launch.charmdir`). Needs no ops unless the charm does.
"""

from __future__ import annotations

import pathlib
import shutil

from .. import charmmeta
from ..juju import versions
from ..launch import scratch
from ..suite import contract, scripted, target
from ..suite import scenario as scenario_
from . import reference


class CharmTarget:
    """Any charm that keeps the scripted-charm contract, run as Juju runs charms."""

    sides = frozenset({scenario_.Side.CHARM, scenario_.Side.CONTROLLER})
    juju_versions = frozenset(versions.PROFILES)

    def __init__(self, implementation: pathlib.Path | None = None, name: str = '') -> None:
        if implementation is not None and not (implementation / 'dispatch').is_file():
            raise ValueError(f'{implementation}: a charm implementation needs a dispatch file')
        self.implementation = implementation
        self.name = name or f'charm:{implementation}'

    def _source(
        self, parent: pathlib.Path, meta: charmmeta.CharmMeta, steps: contract.Steps
    ) -> pathlib.Path:
        """One application's charm directory, under `parent`."""
        return contract.scripted_charm_dir(parent, meta, steps, self.implementation)

    def _charm(self, source: pathlib.Path) -> contract.ScriptedCharmDirectory:
        return contract.ScriptedCharmDirectory(source)

    def observe(self, case: scenario_.Scenario, juju_version: str) -> target.Observation:
        charms: list[contract.ScriptedCharmDirectory] = []
        sources = scratch.scratch_dir('actionspec-charms-')

        def charm_for(app: scenario_.AppSpec) -> contract.ScriptedCharmDirectory:
            steps = contract.steps_of(case, app.name)
            charm = self._charm(self._source(sources, app.meta(), steps))
            charms.append(charm)
            return charm

        try:
            notes = scripted.Notes()
            with reference.hold_points() as gates:
                m = reference.build_model(case, juju_version, charm_for, gates)
                observed = reference.run_and_observe(case, m, notes, gates)
            for charm in charms:
                for note in charm.notes:
                    for unit, kinds in note.get('refusals', {}).items():
                        observed.refusals.setdefault(unit, []).extend(kinds)
                    for unit, values in note.get('recorded', {}).items():
                        observed.recorded.setdefault(unit, []).extend(values)
            return observed
        finally:
            for charm in charms:
                charm.close()
            shutil.rmtree(sources, ignore_errors=True)

    def __repr__(self) -> str:
        return f'CharmTarget({self.name!r})'
